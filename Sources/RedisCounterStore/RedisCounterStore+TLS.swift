import Counters
import Redis
import TLS

extension RedisCounterStore.Configuration {
    /// The TLS context for `rediss://`, or nil for plain TCP. Made once per store: it reads
    /// the CA, certificate and key files.
    func makeTLSContext() throws(CounterStoreError) -> TLSClientContext? {
        guard let tls else { return nil }
        do {
            return try TLSClientContext(caFile: tls.caFile, certFile: tls.certFile, keyFile: tls.keyFile,
                                        verifyPeer: tls.verifyPeer, verifyHostname: tls.verifyHostname)
        } catch {
            throw CounterStoreError(.refused, reason: "Redis TLS: \(error.message)")
        }
    }
}

extension CounterStoreError {
    /// A connection error as the store reports it. A certificate that does not verify is
    /// refused (retrying cannot help until it changes); other failures leave Redis
    /// unavailable for now.
    init(connecting error: RedisError) {
        let code: Code = error.code == .tlsVerification || error.code == .refused ? .refused : .unavailable
        self.init(code, reason: error.code == .tlsVerification ? "Redis TLS: \(error.message)" : error.message, underlying: error)
    }
}
