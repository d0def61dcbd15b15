/// BigGoal's version: the one place it is written. Release tags are `v` and this.
public let bigGoalVersion = "0.9.0"

/// What `--version` prints: the program, BigGoal's version and the C libraries it runs with.
public func versionText(program: String, libraries: [String]) -> String {
    "\(program) (BigGoal) \(bigGoalVersion)" + (libraries.isEmpty ? "" : "\n" + libraries.joined(separator: "\n"))
}
