internal import COpenSSL

/// Why a TLS link could not be set up or went wrong, in one line.
public struct TLSError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    /// OpenSSL's reason the server's certificate did not verify ("certificate has expired",
    /// "IP address mismatch" …), when that was the failure: retrying cannot help until a
    /// certificate or the configuration changes.
    public let verificationFailure: String?

    public var isVerification: Bool { verificationFailure != nil }
    public var description: String { message }
}

/// What a client trusts and shows: made once per link from the configured files, then used
/// for every session. OpenSSL is loaded when the first one is made.
///
/// `@unchecked Sendable`: an OpenSSL context may make sessions on several threads once set
/// up, and nothing here changes it afterwards.
public final class TLSClientContext: @unchecked Sendable {
    let context: OpaquePointer
    public let verifyHostname: Bool

    /// - Parameters:
    ///   - caFile: PEM authorities to trust; nil for the system's.
    ///   - certFile, keyFile: a client certificate and its key, for servers that ask.
    public init(caFile: String?, certFile: String?, keyFile: String?, verifyPeer: Bool, verifyHostname: Bool) throws(TLSError) {
        var made: OpaquePointer?
        let problem = cMessage { made = COpenSSL_context_new(caFile, certFile, keyFile, verifyPeer, $0, $1) }
        guard let context = made else { throw TLSError(message: problem, verificationFailure: nil) }
        self.context = context
        self.verifyHostname = verifyHostname
    }

    deinit {
        COpenSSL_context_free(context)
    }
}

/// One TLS session over a connected non-blocking socket, as a client: the handshake first,
/// then reads and writes that say when the socket must become readable or writable.
///
/// Thread-confined, like the socket it runs on. The socket stays the caller's to close.
public final class TLSSession {
    /// What a step did when it moved no bytes.
    public enum Progress: Equatable {
        case bytes(Int)
        case wantsReadable
        case wantsWritable
        /// The server closed the link.
        case closed
    }

    private let session: OpaquePointer

    /// A session for `host` on `descriptor`: the host is sent as SNI and, when the context
    /// says so, checked against the certificate.
    public init(context: TLSClientContext, descriptor: Int32, host: String) throws(TLSError) {
        var made: OpaquePointer?
        let problem = cMessage { made = COpenSSL_session_new(context.context, descriptor, host, context.verifyHostname, $0, $1) }
        guard let session = made else { throw TLSError(message: problem, verificationFailure: nil) }
        self.session = session
    }

    deinit {
        COpenSSL_session_free(session)
    }

    /// Advances the handshake; `.bytes(0)` once it is complete.
    public func handshake() throws(TLSError) -> Progress {
        let result = COpenSSL_handshake(session)
        return try progress(result == 1 ? 0 : result)
    }

    /// Reads decrypted bytes into `buffer`.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(TLSError) -> Progress {
        try progress(COpenSSL_read(session, buffer.baseAddress, Int32(clamping: buffer.count)))
    }

    /// Writes `bytes`, or a part of them; after `.wantsReadable`/`.wantsWritable` the same
    /// bytes (or more after them) must be offered again.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(TLSError) -> Progress {
        try progress(COpenSSL_write(session, bytes.baseAddress, Int32(clamping: bytes.count)))
    }

    private func progress(_ result: Int32) throws(TLSError) -> Progress {
        switch result {
        case 0...: return .bytes(Int(result))
        case Int32(COpenSSL_WANT_READ): return .wantsReadable
        case Int32(COpenSSL_WANT_WRITE): return .wantsWritable
        case Int32(COpenSSL_CLOSED): return .closed
        default:
            throw TLSError(message: cMessage { COpenSSL_session_error(session, $0, $1) },
                           verificationFailure: COpenSSL_session_verify_failure(session).map { String(cString: $0) })
        }
    }
}

/// The text a C call writes into a buffer it is given (empty if it writes nothing).
private func cMessage(_ fill: (UnsafeMutablePointer<CChar>, Int) -> Void) -> String {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 320) { buffer in
        buffer.initialize(repeating: 0)
        fill(buffer.baseAddress!, buffer.count)
        return String(cString: buffer.baseAddress!)
    }
}
