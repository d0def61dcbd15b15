import Glibc

/// What the kernel says about this process: the figures Prometheus's standard `process_*`
/// metrics carry, read from `/proc/self`.
public struct ProcessStatistics: Sendable, Equatable {
    /// User plus system CPU time.
    public var cpuSeconds: Double
    public var residentBytes: Int
    public var virtualBytes: Int
    public var openDescriptors: Int
    /// The soft limit on open descriptors.
    public var maxDescriptors: Int
    /// When the process started, in seconds since the Unix epoch.
    public var startTimeSeconds: Double

    /// Reads them now; nil when `/proc` is not mounted (a figure the kernel does not give is
    /// better missing than made up).
    public static func current() -> ProcessStatistics? {
        guard let stat = try? Files.text(of: "/proc/self/stat"), let fields = statFields(stat),
              let bootTime = bootTimeSeconds() else { return nil }
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        // Field numbers as proc(5) gives them, counted from 1: utime 14, stime 15,
        // starttime 22, vsize 23, rss 24.
        func field(_ number: Int) -> Double? { Double(fields[number - 3]) }
        guard let utime = field(14), let stime = field(15), let start = field(22),
              let vsize = field(23), let rss = field(24), ticks > 0 else { return nil }
        var limit = rlimit()
        let maxDescriptors = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? Int(limit.rlim_cur) : 0
        return ProcessStatistics(
            cpuSeconds: (utime + stime) / ticks,
            residentBytes: Int(rss) * pageSize,
            virtualBytes: Int(vsize),
            openDescriptors: countOpenDescriptors(),
            maxDescriptors: maxDescriptors,
            startTimeSeconds: bootTime + start / ticks
        )
    }

    /// The fields of `/proc/self/stat` after the command name, which sits in parentheses and
    /// may itself hold spaces and parentheses: the fields start after the last `)`.
    static func statFields(_ text: String) -> [Substring]? {
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        return fields.count >= 22 ? fields : nil
    }

    private static func bootTimeSeconds() -> Double? {
        guard let stat = try? Files.text(of: "/proc/stat") else { return nil }
        for line in stat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst(6).trimmingPrefix(" "))
        }
        return nil
    }

    private static func countOpenDescriptors() -> Int {
        guard let directory = opendir("/proc/self/fd") else { return 0 }
        defer { closedir(directory) }
        var count = 0
        while let entry = readdir(directory) {
            let isDot = withUnsafeBytes(of: entry.pointee.d_name) { $0.first == UInt8(ascii: ".") }
            if !isDot { count += 1 }
        }
        // The directory's own descriptor is open while it is read.
        return max(0, count - 1)
    }
}
