/// Which messages are hellos, and the id each is counted under.
public enum Hello {
    /// A message is a hello when its `type` header is `hello` (as a string or as bytes), or
    /// its `type` property is `hello`. A `type` header of any other kind does not count.
    public static func isHello(_ message: Message) -> Bool {
        switch message.header("type") {
        case .string(let value) where value == "hello": return true
        case .bytes(let value) where value == Array("hello".utf8): return true
        default: return message.type == "hello"
        }
    }

    /// The id a hello is counted under: its `message_id`, raw bytes and all. An empty one is
    /// the same as none (counted every time it comes): one shared empty id would make every
    /// id-less hello for a day a duplicate of the first.
    public static func countingID(of message: Message) -> MessageID? {
        guard let id = message.messageID, !id.isEmpty else { return nil }
        return id
    }
}
