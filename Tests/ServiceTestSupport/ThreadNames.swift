import Foundation

/// How many of the process's threads other than its main thread (which carries the program's
/// name) have a name starting with `prefix`, once there are
/// `atLeast` of them or after 15 s: a thread names itself once it first runs, which on two
/// cores busy with the whole suite may be seconds after the process first answers.
public func threads(of pid: Int32, named prefix: String, atLeast expected: Int) -> Int {
    let deadline = Date().addingTimeInterval(15)
    while true {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let named = tasks.filter { task in
            task != "\(pid)" &&
            ((try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/comm", encoding: .utf8)) ?? "").hasPrefix(prefix)
        }
        if named.count >= expected || Date() > deadline { return named.count }
        Thread.sleep(forTimeInterval: 0.02)
    }
}
