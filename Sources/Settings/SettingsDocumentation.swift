import HTTP1
import SettingKeys

/// The configuration reference, made from the declarations: the example file and the
/// settings table in docs/configuration.md. A test keeps the committed copies equal to what
/// this makes.
public enum SettingsDocumentation {
    /// Every key of every program, once, in the order the programs list them.
    static var everySetting: [(declaration: SettingDeclaration, programs: [String])] {
        var result: [(declaration: SettingDeclaration, programs: [String])] = []
        let programs: [(String, [SettingDeclaration])] = [
            ("api", APISettings.declarations), ("consumer", ConsumerSettings.declarations), ("publish", PublishSettings.declarations),
        ]
        for (program, declarations) in programs {
            for declaration in declarations {
                if let index = result.firstIndex(where: { $0.declaration.key == declaration.key }) {
                    result[index].programs.append(program)
                } else {
                    result.append((declaration, [program]))
                }
            }
        }
        return result
    }

    /// A JSON configuration with every key at its default, nested by key path, for both
    /// services at once. Left out: `serviceName`, whose default differs between the
    /// programs (one file would give both the same name), and keys whose default is
    /// computed from other keys.
    public static var exampleJSON: String {
        var root = JSONObject()
        for (declaration, _) in everySetting where declaration.key != "serviceName" {
            let json: String
            switch declaration.example {
            case .literal(let text): json = text
            case .string(let text): json = JSONString.quote(text)
            case .none: continue
            }
            root.insert(json, at: declaration.key.split(separator: ".").map(String.init))
        }
        return root.render(indent: 0) + "\n"
    }

    /// The settings table (docs/configuration.md): every key, its default, environment
    /// variable, the programs that read it and what it means.
    public static var markdownTable: String {
        var lines = ["| key | default | environment variable | read by | meaning |", "|---|---|---|---|---|"]
        for (declaration, programs) in everySetting {
            let meaning = declaration.help.replacing("|", with: "\\|")
            lines.append("| `\(declaration.key)` | `\(declaration.defaultText)` | `\(declaration.environmentVariable)` | "
                + programs.joined(separator: ", ") + " | \(meaning) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// A JSON object that keeps its members in the order they were added.
private struct JSONObject {
    private var members: [(name: String, value: Value)] = []

    private indirect enum Value {
        case literal(String)
        case object(JSONObject)
    }

    mutating func insert(_ literal: String, at path: [String]) {
        let name = path[0]
        let index = members.firstIndex { $0.name == name } ?? {
            members.append((name, path.count == 1 ? .literal(literal) : .object(JSONObject())))
            return members.count - 1
        }()
        guard path.count > 1, case .object(var child) = members[index].value else { return }
        child.insert(literal, at: Array(path.dropFirst()))
        members[index].value = .object(child)
    }

    func render(indent: Int) -> String {
        let inner = String(repeating: "  ", count: indent + 1)
        let lines = members.map { member -> String in
            switch member.value {
            case .literal(let text): "\(inner)\"\(member.name)\": \(text)"
            case .object(let object): "\(inner)\"\(member.name)\": \(object.render(indent: indent + 1))"
            }
        }
        return "{\n" + lines.joined(separator: ",\n") + "\n" + String(repeating: "  ", count: indent) + "}"
    }
}
