internal import CHiredis

extension RedisConnection {
    /// The hiredis this program was built with (its shared library is pinned to that
    /// major.minor by its soname; 0.14 has no call that reports the version at run time).
    public static var libraryVersion: String { "hiredis \(HIREDIS_MAJOR).\(HIREDIS_MINOR).\(HIREDIS_PATCH)" }
}
