import LinuxIO

/// What a client needs to open a TLS link: whom to trust, who it is, what to check.
public struct TLSOptions: Sendable, Equatable {
    /// PEM file of the certificate authorities to trust; nil for the system's bundle.
    public var caFile: String?
    /// PEM client certificate and its key, for servers that ask for one.
    public var certFile: String?
    public var keyFile: String?
    /// Whether the server's certificate must chain to a trusted authority and be in date.
    public var verifyPeer: Bool
    /// Whether the server's certificate must name the host connected to.
    public var verifyHostname: Bool

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil,
                verifyPeer: Bool = true, verifyHostname: Bool = true) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.verifyPeer = verifyPeer
        self.verifyHostname = verifyHostname
    }

    /// Debian's bundle of the system's trusted authorities, used when no CA file is named.
    public static let systemBundle = "/etc/ssl/certs/ca-certificates.crt"
}

/// The `<prefix>.tls.*` keys of one link (`amqp`, `redis`): declared once here, the same
/// for every link that offers TLS.
public struct TLSSettings: Sendable {
    public let caFile: Setting<String>
    public let certFile: Setting<String>
    public let keyFile: Setting<String>
    public let verifyPeer: Setting<Bool>
    public let verifyHostname: Setting<Bool>
    /// The URL scheme that turns TLS on, for error messages: `amqps://`.
    private let scheme: String

    public init(prefix: String, scheme: String, what: String) {
        self.scheme = scheme
        caFile = .string("\(prefix).tls.caFile", default: "", defaultText: "(system bundle)",
                         help: "PEM file of the authorities \(what)'s certificate must chain to (with \(scheme) URLs).")
        certFile = .string("\(prefix).tls.certFile", default: "",
                           help: "PEM client certificate, for a \(what) that asks for one (with \(prefix).tls.keyFile).")
        keyFile = .string("\(prefix).tls.keyFile", default: "", help: "PEM key of \(prefix).tls.certFile.")
        verifyPeer = .boolean("\(prefix).tls.verifyPeer", default: true,
                              help: "Refuse a \(what) certificate that does not chain to a trusted authority or is out of date.")
        verifyHostname = .boolean("\(prefix).tls.verifyHostname", default: true,
                                  help: "Refuse a \(what) certificate that does not name the host (or address) connected to.")
    }

    public var declarations: [SettingDeclaration] {
        [caFile.declaration, certFile.declaration, keyFile.declaration, verifyPeer.declaration, verifyHostname.declaration]
    }

    /// The options, or nil when the URL asked for no TLS. Naming a file without TLS, a
    /// certificate without its key (or the reverse), or a file that cannot be read is an
    /// error naming the key: nothing falls back to plain text unnoticed.
    public func read(_ values: some SettingValues, enabled: Bool) throws(SettingsError) -> TLSOptions? {
        var files: [String: String] = [:]
        for setting in [caFile, certFile, keyFile] {
            let path = try values.read(setting)
            guard !path.isEmpty else { continue }
            guard enabled else {
                throw SettingsError(key: setting.key, source: "configuration", problem: "is set, but the URL is not \(scheme): TLS is off")
            }
            guard Files.isReadable(path) else {
                throw SettingsError(key: setting.key, source: "configuration", problem: "\(path) cannot be read")
            }
            files[setting.key] = path
        }
        let options = TLSOptions(caFile: files[caFile.key], certFile: files[certFile.key], keyFile: files[keyFile.key],
                                 verifyPeer: try values.read(verifyPeer), verifyHostname: try values.read(verifyHostname))
        guard enabled else { return nil }
        if (options.certFile == nil) != (options.keyFile == nil) {
            let missing = options.certFile == nil ? certFile.key : keyFile.key
            throw SettingsError(key: missing, source: "configuration", problem: "is needed too: a client certificate goes with its key")
        }
        return options
    }
}
