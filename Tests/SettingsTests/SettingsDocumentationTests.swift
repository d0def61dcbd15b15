import Foundation
import SettingKeys
import Settings
import Testing

/// The example file and the settings table in docs/configuration.md are made from the
/// declarations; these tests keep the committed copies equal to them. Run with
/// BIGGOAL_UPDATE_DOCS=1 to rewrite them.
@Suite("Settings documentation")
struct SettingsDocumentationTests {
    static let update = ProcessInfo.processInfo.environment["BIGGOAL_UPDATE_DOCS"] == "1"

    @Test func theExampleFileIsMadeFromTheDeclarations() throws {
        let url = packageRoot.appendingPathComponent("config.example.json")
        if Self.update { try SettingsDocumentation.exampleJSON.write(to: url, atomically: true, encoding: .utf8) }
        #expect(try String(contentsOf: url, encoding: .utf8) == SettingsDocumentation.exampleJSON,
                "config.example.json is out of date: run BIGGOAL_UPDATE_DOCS=1 swift test --filter SettingsDocumentation")
    }

    @Test func theExampleFileLoadsToTheDefaultsOfEveryProgram() async throws {
        let path = packageRoot.appendingPathComponent("config.example.json").path
        #expect(try await APISettings.load(flags: [], configPath: path, environment: [:]) == APISettings.defaults)
        #expect(try await ConsumerSettings.load(flags: [], configPath: path, environment: [:]) == ConsumerSettings.defaults)
        #expect(try await PublishSettings.load(flags: [], configPath: path, environment: [:]) == PublishSettings.defaults)
    }

    @Test func theSettingsTableIsMadeFromTheDeclarations() throws {
        let url = packageRoot.appendingPathComponent("docs/configuration.md")
        var page = try String(contentsOf: url, encoding: .utf8)
        let begin = "<!-- settings table: made from the declarations in Sources/Settings -->\n"
        let end = "<!-- end of settings table -->"
        let start = try #require(page.range(of: begin), "docs/configuration.md lacks the settings table's markers")
        let stop = try #require(page.range(of: end, range: start.upperBound..<page.endIndex))
        if Self.update {
            page.replaceSubrange(start.upperBound..<stop.lowerBound, with: SettingsDocumentation.markdownTable)
            try page.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        #expect(String(page[start.upperBound..<stop.lowerBound]) == SettingsDocumentation.markdownTable,
                "docs/configuration.md's settings table is out of date: run BIGGOAL_UPDATE_DOCS=1 swift test --filter SettingsDocumentation")
    }
}
