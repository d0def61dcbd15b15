import HTTP1
import Settings
import Synchronization

/// Why a request is refused before its route sees it.
enum Refusal: Equatable {
    /// 405: GET does not count unless `http.countOnGet` says so (GET is safe in HTTP).
    case countingNeedsPost
    /// 403: a web page on another origin asked to count through a visitor's browser.
    case crossOrigin
    /// 401 without an error code: no bearer credentials were sent (RFC 6750 §3.1).
    case missingToken
    /// 401 `invalid_token`: credentials were sent and are not valid.
    case invalidToken
}

/// Who may do what: the method, origin and token rules, applied to each request before its
/// route. Pure apart from reading the current tokens, so tests need no server.
struct AccessRules: Sendable {
    let countOnGet: Bool
    let protect: AccessSettings.Protection
    /// Whether a token is needed at all: any was configured (even if none is valid now).
    let requiresToken: Bool
    /// Lowercased `scheme://host[:port]`, besides the api's own host.
    let allowedOrigins: [String]
    let tokens: ValidTokens

    init(settings: AccessSettings, tokens: ValidTokens) {
        countOnGet = settings.countOnGet
        protect = settings.protect
        requiresToken = settings.requiresToken
        allowedOrigins = settings.allowedOrigins
        self.tokens = tokens
    }

    /// The refusal `request` earns on `route`, or nil when it may go on. `route` already
    /// allows the method (the 405 for methods no route takes comes first).
    func refusal(of request: HTTPRequest, on route: Route) -> Refusal? {
        let counts = route.isCounting
        if counts, request.method == .get, !countOnGet { return .countingNeedsPost }
        let needsToken = requiresToken && (counts || (protect == .all && route != .ping))
        guard counts || needsToken else { return nil }

        let fields = AccessFields(request.headers)
        if counts, !isSameOriginOrAllowed(fields) { return .crossOrigin }
        guard needsToken else { return nil }
        guard var authorization = fields.authorization else { return .missingToken }
        // A header value is a native string: its bytes are read in place, never copied.
        return authorization.withUTF8 { bytes in
            switch Self.bearerCredentials(in: bytes) {
            // Another scheme (Basic, …) carries no bearer credentials at all.
            case .otherScheme: .missingToken
            case .malformed: .invalidToken
            case .token(let range): tokens.accepts(UnsafeBufferPointer(rebasing: bytes[range])) ? nil : .invalidToken
            }
        }
    }

    /// What a CORS preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
    /// gets: allowed for an origin in `http.allowedOrigins`, refused for any other; nil when
    /// the request is no preflight.
    func preflight(_ request: HTTPRequest) -> Preflight? {
        guard let origin = request.header("Origin"), request.header("Access-Control-Request-Method") != nil else { return nil }
        return isAllowedOrigin(origin) ? .allowed : .refused
    }

    enum Preflight { case allowed, refused }

    /// The `Origin` of a request from a page on an origin `http.allowedOrigins` names, which
    /// the answer then names in `Access-Control-Allow-Origin`; nil for any other request.
    func allowedCrossOrigin(of request: HTTPRequest) -> String? {
        guard !allowedOrigins.isEmpty, let origin = request.header("Origin"), isAllowedOrigin(origin) else { return nil }
        return origin
    }

    private func isAllowedOrigin(_ origin: String) -> Bool {
        allowedOrigins.contains { Self.equalsIgnoringASCIICase(origin, $0) }
    }

    /// The methods a route answers, as the `Allow` field of a 405 lists them.
    func allowedMethods(on route: Route) -> String {
        HTTPMethod.allCases.filter { route.allows($0) && !(route.isCounting && $0 == .get && !countOnGet) }
            .map(\.rawValue).joined(separator: ", ")
    }

    // MARK: Origin

    /// A browser says where a request comes from with `Origin` (always on a POST from a
    /// page) and `Sec-Fetch-Site` (also on an `<img>`'s GET, which has no `Origin`). A
    /// request with neither comes from a program, which a page cannot forge, so it passes.
    private func isSameOriginOrAllowed(_ fields: AccessFields) -> Bool {
        if let origin = fields.origin {
            return Self.origin(origin, isHost: fields.host) || isAllowedOrigin(origin)
        }
        if let site = fields.fetchSite {
            return Self.equalsIgnoringASCIICase(site, "same-origin") || Self.equalsIgnoringASCIICase(site, "none")
        }
        return true
    }

    /// Whether `origin` (`scheme://host[:port]`) names the authority the request was sent
    /// to (its `Host`). Default ports are left out of both before comparing, since browsers
    /// leave them out of `Origin` and clients usually out of `Host`.
    static func origin(_ origin: String, isHost host: String?) -> Bool {
        guard let host, let separator = origin.utf8.firstRange(of: "://".utf8) else { return false }
        let scheme = origin.utf8[..<separator.lowerBound]
        let defaultPort = equalsIgnoringASCIICase(Substring(scheme), "https") ? ":443" : ":80"
        let originAuthority = withoutSuffix(Substring(origin.utf8[separator.upperBound...]), defaultPort)
        let hostAuthority = withoutSuffix(withoutSuffix(Substring(host), ":80"), ":443")
        return equalsIgnoringASCIICase(originAuthority, hostAuthority)
    }

    private static func withoutSuffix(_ text: Substring, _ suffix: String) -> Substring {
        text.utf8.count > suffix.utf8.count && text.utf8.suffix(suffix.utf8.count).elementsEqual(suffix.utf8)
            ? Substring(text.utf8.dropLast(suffix.utf8.count)) : text
    }

    // MARK: Authorization

    /// What an `Authorization` value holds.
    enum BearerCredentials: Equatable {
        /// Another scheme, or none: no bearer credentials at all.
        case otherScheme
        /// `Bearer` without a token, or with more than one word.
        case malformed
        /// `Bearer <token>`: where the token's bytes are.
        case token(Range<Int>)
    }

    /// Reads `Bearer <token>` from an `Authorization` value's bytes, the scheme in any case
    /// (RFC 9110 §11.1), in one pass and without copying.
    static func bearerCredentials(in bytes: UnsafeBufferPointer<UInt8>) -> BearerCredentials {
        let scheme: StaticString = "bearer"
        guard bytes.count >= 6 else { return .otherScheme }
        for index in 0..<6 where bytes[index] | 0x20 != scheme.utf8Start[index] {
            return .otherScheme
        }
        guard bytes.count > 6 else { return .malformed }
        guard bytes[6] == .space else { return .otherScheme }
        var start = 7
        while start < bytes.count, bytes[start] == .space { start += 1 }
        guard start < bytes.count, !bytes[start...].contains(.space) else { return .malformed }
        return .token(start..<bytes.count)
    }

    static func equalsIgnoringASCIICase(_ text: some StringProtocol, _ other: some StringProtocol) -> Bool {
        text.utf8.count == other.utf8.count && zip(text.utf8, other.utf8).allSatisfy { $0.lowercasedASCII == $1.lowercasedASCII }
    }
}

/// The request fields the access rules read, found in one pass over the headers.
private struct AccessFields {
    var host: String?
    var origin: String?
    var fetchSite: String?
    var authorization: String?

    init(_ headers: [HTTPField]) {
        for field in headers {
            switch field.name.utf8.count {
            case 4 where host == nil && Self.is(field.name, "host"): host = field.value
            case 6 where origin == nil && Self.is(field.name, "origin"): origin = field.value
            case 13 where authorization == nil && Self.is(field.name, "authorization"): authorization = field.value
            case 14 where fetchSite == nil && Self.is(field.name, "sec-fetch-site"): fetchSite = field.value
            default: continue
            }
        }
    }

    /// Whether `name` is `lowercase` in any case: a byte loop over the name in place (field
    /// names are ASCII tokens), as this runs for every header of every counting request.
    private static func `is`(_ name: String, _ lowercase: StaticString) -> Bool {
        name.utf8.withContiguousStorageIfAvailable { bytes in
            guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
            for index in 0..<bytes.count where bytes[index].lowercasedASCII != lowercase.utf8Start[index] { return false }
            return true
        } ?? AccessRules.equalsIgnoringASCIICase(name, String(describing: lowercase))
    }
}

/// The bearer tokens valid now, shared by every event loop and replaced when the token file
/// is re-read.
final class ValidTokens: Sendable {
    private let tokens: Mutex<[[UInt8]]>

    init(_ tokens: [String]) {
        self.tokens = Mutex(tokens.map { Array($0.utf8) })
    }

    func replace(with tokens: [String]) {
        let bytes = tokens.map { Array($0.utf8) }
        self.tokens.withLock { $0 = bytes }
    }

    /// Whether `candidate` is one of the tokens. Every token is compared in full, whatever
    /// the candidate holds, so the time taken tells an attacker nothing about how close a
    /// guess was (only how many tokens there are and how long they are).
    func accepts(_ candidate: UnsafeBufferPointer<UInt8>) -> Bool {
        guard !candidate.isEmpty else { return false }
        return tokens.withLock { tokens in
            var matched: UInt8 = 0
            for token in tokens {
                var difference: UInt8 = token.count == candidate.count ? 0 : 1
                token.withUnsafeBufferPointer { token in
                    // A candidate of another length is already wrong; the token is then
                    // compared with itself, so the time still depends on the token alone.
                    let other = token.count == candidate.count ? candidate : token
                    for index in token.indices {
                        difference |= token[index] ^ other[index]
                    }
                }
                matched |= difference == 0 ? 1 : 0
            }
            return matched == 1
        }
    }
}

extension UInt8 {
    fileprivate static let space = UInt8(ascii: " ")

    fileprivate var lowercasedASCII: UInt8 {
        self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") ? self | 0x20 : self
    }
}
