import SettingKeys

/// Who may use the api: the `http.countOnGet`, `http.auth.*` and `http.allowedOrigins` keys.
public struct AccessSettings: Sendable, Equatable {
    /// Which routes need a bearer token once one is configured.
    public enum Protection: String, Sendable, CaseIterable {
        /// `POST /receive` and `POST /sent` (and their GET form where allowed).
        case writes
        /// Every route but `/ping`, which liveness probes call without credentials.
        case all
    }

    public static let countOnGet = Setting.boolean(
        "http.countOnGet", default: false,
        help: "Let GET /receive and GET /sent count, for callers that only know a bare curl; off, they answer 405 (GET is safe in HTTP, and a web page can make any browser send one)."
    )
    public static let tokens = Setting.list(
        "http.auth.tokens",
        help: "Bearer tokens that may count, comma-separated; once any token is set, counting needs Authorization: Bearer <token>.",
        check: BearerToken.problem
    )
    public static let tokenFile = Setting.string(
        "http.auth.tokenFile", default: "",
        help: "A file of bearer tokens, one per line (two during a rotation), re-read on SIGHUP; used with http.auth.tokens."
    )
    public static let protect = Setting.choice(
        "http.auth.protect", default: Protection.writes.rawValue, among: Protection.allCases.map(\.rawValue),
        help: "What a token guards: the counting routes, or every route but /ping"
    )
    public static let allowedOrigins = Setting.list(
        "http.allowedOrigins",
        help: "Origins (scheme://host[:port]) whose web pages may count, besides the api's own host; any other Origin gets 403.",
        check: allowedOriginProblem
    )

    static let declarations = [
        countOnGet.declaration, tokens.declaration, tokenFile.declaration, protect.declaration, allowedOrigins.declaration,
    ]

    public var countOnGet: Bool
    /// The tokens given as a setting; the file's are read separately, as they change.
    public var tokens: [String]
    public var tokenFile: SecretFile?
    public var protect: Protection
    /// Lowercased, as origins compare.
    public var allowedOrigins: [String]

    public init(countOnGet: Bool = false, tokens: [String] = [], tokenFile: SecretFile? = nil,
                protect: Protection = .writes, allowedOrigins: [String] = []) {
        self.countOnGet = countOnGet
        self.tokens = tokens
        self.tokenFile = tokenFile
        self.protect = protect
        self.allowedOrigins = allowedOrigins
    }

    init(_ source: SettingsSource) throws(SettingsError) {
        countOnGet = try source.read(Self.countOnGet)
        tokens = try source.read(Self.tokens)
        let path = try source.read(Self.tokenFile)
        tokenFile = path.isEmpty ? nil : SecretFile(key: Self.tokenFile.key, path: path)
        protect = Protection(rawValue: try source.read(Self.protect))!
        allowedOrigins = try source.read(Self.allowedOrigins).map { $0.lowercased() }
    }

    /// Whether counting needs a token: any token set, or a token file named (even one that
    /// later fails to read: then nobody counts, rather than everybody).
    public var requiresToken: Bool { !tokens.isEmpty || tokenFile != nil }

    /// Every valid token: the setting's and the file's. Throws when the file cannot be read,
    /// is empty or holds a line that is not a bearer token (named by line number only).
    public func currentTokens() throws(SettingsError) -> [String] {
        guard let tokenFile else { return tokens }
        let lines = try tokenFile.lines()
        for (number, line) in lines.enumerated() {
            if let problem = BearerToken.problem(line) {
                throw SettingsError(key: tokenFile.key, source: "file \(tokenFile.path)", problem: "token \(number + 1): \(problem)")
            }
        }
        return tokens + lines
    }

    private static func allowedOriginProblem(_ origin: String) -> String? {
        let lowered = origin.lowercased()
        guard let schemeEnd = lowered.firstRange(of: "://"), ["http", "https"].contains(lowered[..<schemeEnd.lowerBound]) else {
            return "an origin is http:// or https:// followed by a host"
        }
        let authority = lowered[schemeEnd.upperBound...]
        if authority.isEmpty || authority.contains("/") {
            return "an origin is scheme://host[:port], without a path or a trailing slash"
        }
        return nil
    }
}

/// The form of a bearer token (RFC 6750 §2.1, b64token).
public enum BearerToken {
    /// The problem with `token` as a bearer token, or nil. Never quotes the token.
    public static func problem(_ token: String) -> String? {
        var bytes = token.utf8[...]
        while bytes.last == UInt8(ascii: "=") { bytes = bytes.dropLast() }
        guard !bytes.isEmpty else { return "is empty" }
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return "holds a character a bearer token cannot (only A-Z a-z 0-9 - . _ ~ + / and trailing =)"
            }
        }
        return nil
    }
}
