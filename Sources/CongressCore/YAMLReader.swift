import Yams

/// Reads a YAML file node by node, keeping every problem with its position.
///
/// Typed decoding (`YAMLDecoder`) stops at the first problem and knows no line numbers; operators need
/// every mistake at once, each pointing at its line.
final class YAMLReader {
    let file: String
    private(set) var diagnostics: [Diagnostic] = []

    init(file: String) { self.file = file }

    var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    /// The document's root node, or nil after reporting a syntax error.
    func compose(_ text: String) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                error("the file is empty", at: nil)
                return nil
            }
            return root
        } catch let yamlError as YamlError {
            reportSyntax(yamlError)
        } catch {
            self.error("cannot read YAML: \(error)", at: nil)
        }
        return nil
    }

    private func reportSyntax(_ yamlError: YamlError) {
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) (\($0.text) at line \($0.mark.line))" } ?? problem
            error("YAML syntax: \(detail)", at: mark)
        case .duplicatedKeysInMapping(let duplicates, let context):
            error("duplicate key '\(duplicates.joined(separator: "', '"))' in one mapping", at: context.mark)
        case .reader(let problem, _, _, _):
            error("YAML syntax: \(problem)", at: nil)
        default:
            error("YAML syntax: \(yamlError)", at: nil)
        }
    }

    func error(_ message: String, at mark: Mark?) { add(.error, message, mark) }
    func warning(_ message: String, at mark: Mark?) { add(.warning, message, mark) }

    private func add(_ severity: Diagnostic.Severity, _ message: String, _ mark: Mark?) {
        diagnostics.append(Diagnostic(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, severity: severity, message: message))
    }

    /// `node` as a mapping whose keys are all in `allowed`; unknown and repeated keys are reported.
    func mapping(_ node: Node, what: String, allowed: [String]) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of keys to values", at: node.mark)
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error("keys must be plain names", at: key.mark)
                continue
            }
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(what)"
                if let suggestion = Suggestion.closest(to: name, in: allowed) { message += "; did you mean '\(suggestion)'?" }
                error(message, at: key.mark)
                continue
            }
            if entries[name] != nil {
                error("key '\(name)' appears twice in \(what)", at: key.mark)
                continue
            }
            entries[name] = (key, value)
        }
        return YAMLMapping(node: node, entries: entries, what: what, reader: self)
    }
}

/// A mapping's known keys with their positions.
struct YAMLMapping {
    let node: Node
    let entries: [String: (key: Node, value: Node)]
    let what: String
    let reader: YAMLReader

    var mark: Mark? { node.mark }

    func value(_ key: String) -> Node? { entries[key]?.value }

    /// A scalar's text; reports a missing required key at the mapping and a non-scalar at the value.
    func string(_ key: String, required: Bool = false) -> (text: String, mark: Mark?)? {
        guard let value = entries[key]?.value else {
            if required { reader.error("\(what) is missing required key '\(key)'", at: node.mark) }
            return nil
        }
        guard let scalar = value.scalar else {
            reader.error("'\(key)' must be a single value", at: value.mark)
            return nil
        }
        return (scalar.string, value.mark)
    }

    func bool(_ key: String) -> Bool? {
        guard let value = entries[key]?.value else { return nil }
        guard let flag = value.bool else {
            reader.error("'\(key)' must be true or false", at: value.mark)
            return nil
        }
        return flag
    }
}
