/// Which messages are hellos.
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
}
