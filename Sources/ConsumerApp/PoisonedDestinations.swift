/// Reply destinations that made the broker drop the connection, for the life of the
/// process (at most 10,000; the oldest go first).
final class PoisonedDestinations {
    private var names: [String] = []
    private var lookup: Set<String> = []

    func insert(_ name: String) {
        guard lookup.insert(name).inserted else { return }
        names.append(name)
        if names.count > 10_000 { lookup.remove(names.removeFirst()) }
    }

    func contains(_ name: String) -> Bool { lookup.contains(name) }

    var all: Set<String> { lookup }
}
