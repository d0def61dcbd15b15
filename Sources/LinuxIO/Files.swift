import Glibc

/// Small files read whole: settings, secrets and `/proc` entries.
public enum Files {
    /// The file's bytes. The error is the `errno` of the call that failed (`ENOENT`,
    /// `EACCES`, `EISDIR` …), which says more to an operator than a generic "cannot read".
    public static func contents(of path: String) throws(IOError) -> [UInt8] {
        let descriptor = try syscall("open \(path)") { open(path, O_RDONLY | O_CLOEXEC) }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = try syscall("read \(path)") { chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) } }
            guard count > 0 else { return bytes }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// The file's text, invalid UTF-8 replaced.
    public static func text(of path: String) throws(IOError) -> String {
        String(decoding: try contents(of: path), as: UTF8.self)
    }

    /// Whether this process may read the file.
    public static func isReadable(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }

    /// The file's permission bits (`0o640` …), or nil when it cannot be examined.
    public static func permissions(of path: String) -> Int? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int(status.st_mode & 0o7777)
    }
}
