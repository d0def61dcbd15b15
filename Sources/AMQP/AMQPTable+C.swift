internal import CRabbitMQ

// Conversion between field tables and librabbitmq's C representation. Decoding copies
// everything out, so the C memory can be released right after; encoding allocates in an
// arena that outlives the call it is made for.

extension AMQPTable {
    init(_ table: amqp_table_t) {
        var entries: [(key: String, value: AMQPFieldValue)] = []
        entries.reserveCapacity(Int(table.num_entries))
        for index in 0..<Int(table.num_entries) {
            let entry = table.entries[index]
            entries.append((entry.key.string, AMQPFieldValue(entry.value)))
        }
        self.init(entries)
    }

    func cTable(in arena: CArena) -> amqp_table_t {
        let entries = arena.allocate(amqp_table_entry_t.self, count: self.entries.count)
        for (index, entry) in self.entries.enumerated() {
            (entries + index).initialize(to: amqp_table_entry_t(key: arena.bytes(entry.key), value: entry.value.cValue(in: arena)))
        }
        return amqp_table_t(num_entries: Int32(self.entries.count), entries: entries)
    }
}

extension AMQPFieldValue {
    init(_ value: amqp_field_value_t) {
        let field = value.value
        switch Int(value.kind) {
        case Int(AMQP_FIELD_KIND_BOOLEAN.rawValue): self = .bool(field.boolean != 0)
        case Int(AMQP_FIELD_KIND_I8.rawValue): self = .int8(field.i8)
        case Int(AMQP_FIELD_KIND_U8.rawValue): self = .uint8(field.u8)
        case Int(AMQP_FIELD_KIND_I16.rawValue): self = .int16(field.i16)
        case Int(AMQP_FIELD_KIND_U16.rawValue): self = .uint16(field.u16)
        case Int(AMQP_FIELD_KIND_I32.rawValue): self = .int32(field.i32)
        case Int(AMQP_FIELD_KIND_U32.rawValue): self = .uint32(field.u32)
        case Int(AMQP_FIELD_KIND_I64.rawValue): self = .int64(field.i64)
        case Int(AMQP_FIELD_KIND_U64.rawValue): self = .uint64(field.u64)
        case Int(AMQP_FIELD_KIND_F32.rawValue): self = .float(field.f32)
        case Int(AMQP_FIELD_KIND_F64.rawValue): self = .double(field.f64)
        case Int(AMQP_FIELD_KIND_DECIMAL.rawValue): self = .decimal(scale: field.decimal.decimals, value: field.decimal.value)
        case Int(AMQP_FIELD_KIND_UTF8.rawValue): self = .string(field.bytes.array)
        case Int(AMQP_FIELD_KIND_BYTES.rawValue): self = .bytes(field.bytes.array)
        case Int(AMQP_FIELD_KIND_TIMESTAMP.rawValue): self = .timestamp(field.u64)
        case Int(AMQP_FIELD_KIND_TABLE.rawValue): self = .table(AMQPTable(field.table))
        case Int(AMQP_FIELD_KIND_ARRAY.rawValue):
            let array = field.array
            self = .array((0..<Int(array.num_entries)).map { AMQPFieldValue(array.entries[$0]) })
        default: self = .void
        }
    }

    func cValue(in arena: CArena) -> amqp_field_value_t {
        var value = amqp_field_value_t()
        func kind(_ kind: amqp_field_value_kind_t) -> UInt8 { UInt8(kind.rawValue) }
        switch self {
        case .bool(let flag): value.kind = kind(AMQP_FIELD_KIND_BOOLEAN); value.value.boolean = flag ? 1 : 0
        case .int8(let number): value.kind = kind(AMQP_FIELD_KIND_I8); value.value.i8 = number
        case .uint8(let number): value.kind = kind(AMQP_FIELD_KIND_U8); value.value.u8 = number
        case .int16(let number): value.kind = kind(AMQP_FIELD_KIND_I16); value.value.i16 = number
        case .uint16(let number): value.kind = kind(AMQP_FIELD_KIND_U16); value.value.u16 = number
        case .int32(let number): value.kind = kind(AMQP_FIELD_KIND_I32); value.value.i32 = number
        case .uint32(let number): value.kind = kind(AMQP_FIELD_KIND_U32); value.value.u32 = number
        case .int64(let number): value.kind = kind(AMQP_FIELD_KIND_I64); value.value.i64 = number
        case .uint64(let number): value.kind = kind(AMQP_FIELD_KIND_U64); value.value.u64 = number
        case .float(let number): value.kind = kind(AMQP_FIELD_KIND_F32); value.value.f32 = number
        case .double(let number): value.kind = kind(AMQP_FIELD_KIND_F64); value.value.f64 = number
        case .decimal(let scale, let number):
            value.kind = kind(AMQP_FIELD_KIND_DECIMAL)
            value.value.decimal = amqp_decimal_t(decimals: scale, value: number)
        case .string(let bytes): value.kind = kind(AMQP_FIELD_KIND_UTF8); value.value.bytes = arena.bytes(bytes)
        case .bytes(let bytes): value.kind = kind(AMQP_FIELD_KIND_BYTES); value.value.bytes = arena.bytes(bytes)
        case .timestamp(let seconds): value.kind = kind(AMQP_FIELD_KIND_TIMESTAMP); value.value.u64 = seconds
        case .table(let table): value.kind = kind(AMQP_FIELD_KIND_TABLE); value.value.table = table.cTable(in: arena)
        case .array(let elements):
            value.kind = kind(AMQP_FIELD_KIND_ARRAY)
            let entries = arena.allocate(amqp_field_value_t.self, count: elements.count)
            for (index, element) in elements.enumerated() { (entries + index).initialize(to: element.cValue(in: arena)) }
            value.value.array = amqp_array_t(num_entries: Int32(elements.count), entries: entries)
        case .void: value.kind = kind(AMQP_FIELD_KIND_VOID)
        }
        return value
    }
}

extension AMQPProperties {
    init(_ properties: amqp_basic_properties_t) {
        let flags = properties._flags
        func has(_ flag: Int32) -> Bool { flags & amqp_flags_t(flag) != 0 }
        self.init()
        if has(AMQP_BASIC_CONTENT_TYPE_FLAG) { contentType = properties.content_type.string }
        if has(AMQP_BASIC_CONTENT_ENCODING_FLAG) { contentEncoding = properties.content_encoding.string }
        if has(AMQP_BASIC_HEADERS_FLAG) { headers = AMQPTable(properties.headers) }
        if has(AMQP_BASIC_DELIVERY_MODE_FLAG) { deliveryMode = properties.delivery_mode }
        if has(AMQP_BASIC_PRIORITY_FLAG) { priority = properties.priority }
        if has(AMQP_BASIC_CORRELATION_ID_FLAG) { correlationIDBytes = properties.correlation_id.array }
        if has(AMQP_BASIC_REPLY_TO_FLAG) { replyTo = properties.reply_to.string }
        if has(AMQP_BASIC_EXPIRATION_FLAG) { expiration = properties.expiration.string }
        if has(AMQP_BASIC_MESSAGE_ID_FLAG) { messageIDBytes = properties.message_id.array }
        if has(AMQP_BASIC_TIMESTAMP_FLAG) { timestamp = properties.timestamp }
        if has(AMQP_BASIC_TYPE_FLAG) { type = properties.type.string }
        if has(AMQP_BASIC_USER_ID_FLAG) { userID = properties.user_id.string }
        if has(AMQP_BASIC_APP_ID_FLAG) { appID = properties.app_id.string }
    }

    func cProperties(in arena: CArena) -> amqp_basic_properties_t {
        var properties = amqp_basic_properties_t()
        var flags: Int32 = 0
        func set(_ flag: Int32) { flags |= flag }
        if let contentType { properties.content_type = arena.bytes(contentType); set(AMQP_BASIC_CONTENT_TYPE_FLAG) }
        if let contentEncoding { properties.content_encoding = arena.bytes(contentEncoding); set(AMQP_BASIC_CONTENT_ENCODING_FLAG) }
        if let headers { properties.headers = headers.cTable(in: arena); set(AMQP_BASIC_HEADERS_FLAG) }
        if let deliveryMode { properties.delivery_mode = deliveryMode; set(AMQP_BASIC_DELIVERY_MODE_FLAG) }
        if let priority { properties.priority = priority; set(AMQP_BASIC_PRIORITY_FLAG) }
        if let correlationIDBytes { properties.correlation_id = arena.bytes(correlationIDBytes); set(AMQP_BASIC_CORRELATION_ID_FLAG) }
        if let replyTo { properties.reply_to = arena.bytes(replyTo); set(AMQP_BASIC_REPLY_TO_FLAG) }
        if let expiration { properties.expiration = arena.bytes(expiration); set(AMQP_BASIC_EXPIRATION_FLAG) }
        if let messageIDBytes { properties.message_id = arena.bytes(messageIDBytes); set(AMQP_BASIC_MESSAGE_ID_FLAG) }
        if let timestamp { properties.timestamp = timestamp; set(AMQP_BASIC_TIMESTAMP_FLAG) }
        if let type { properties.type = arena.bytes(type); set(AMQP_BASIC_TYPE_FLAG) }
        if let userID { properties.user_id = arena.bytes(userID); set(AMQP_BASIC_USER_ID_FLAG) }
        if let appID { properties.app_id = arena.bytes(appID); set(AMQP_BASIC_APP_ID_FLAG) }
        properties._flags = amqp_flags_t(flags)
        return properties
    }

    /// Encodes into C and decodes back: what a broker round trip does to the properties,
    /// without a broker. For tests of the encoding.
    func roundTripThroughC() -> AMQPProperties {
        withArena { arena in AMQPProperties(cProperties(in: arena)) }
    }
}
