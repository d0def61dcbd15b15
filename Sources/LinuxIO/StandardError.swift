import Glibc

/// Standard error, written to directly: log lines and command-line messages.
public enum StandardError {
    /// Writes all of `text`, retrying after signals and short writes; gives up silently when
    /// the descriptor is closed or broken, as there is nowhere left to report that.
    public static func write(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if written > 0 {
                    offset += written
                } else if written == -1, errno == EINTR {
                    continue
                } else {
                    return
                }
            }
        }
    }
}
