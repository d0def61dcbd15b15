import Glibc
import LinuxIO
import Testing

@Suite("Wall clock")
struct WallClockTests {
    @Test func agreesWithTheSystemsSecondsAndItsOwnMilliseconds() {
        let before = time(nil)
        let now = WallClock.now()
        let milliseconds = WallClock.milliseconds()
        let after = time(nil)
        #expect((before...after).contains(now.seconds))
        #expect((0..<1_000_000_000).contains(now.nanoseconds))
        #expect(milliseconds / 1000 >= now.seconds && milliseconds / 1000 <= after)
        #expect(WallClock.seconds() >= UInt64(before))
    }
}
