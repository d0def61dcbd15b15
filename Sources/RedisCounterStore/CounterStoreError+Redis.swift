import Counters

extension CounterStoreError {
    /// The error for Redis's error reply `message` to a command on the counter `key`. A
    /// counter that cannot be incremented — our scripts' own check, or INCR's "not an
    /// integer" and WRONGTYPE — is invalid data, which retrying cannot mend; anything else
    /// is Redis refusing the command.
    init(redisReply message: String, key: String) {
        let scriptCheck = DedupeScripts.invalidCounterError + " "
        if let start = message.firstRange(of: scriptCheck)?.upperBound {
            self.init(.invalidData, reason: String(message[start...]))
        } else if message.contains("not an integer") || message.hasPrefix("WRONGTYPE") {
            self.init(.invalidData, reason: "counter \(key) holds a non-integer value")
        } else {
            self.init(reason: "Redis refused the command: \(message)")
        }
    }
}
