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

    /// Diagnostics in file order (line, then column), as an operator reads them.
    var sortedDiagnostics: [Diagnostic] {
        diagnostics.enumerated().sorted { ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset) }
            .map(\.element)
    }

    /// The document's root node, or nil after reporting a syntax error.
    func compose(_ text: String) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                error("the file is empty", at: nil)
                return nil
            }
            return root
        } catch let yamlError as YamlError {
            reportSyntax(yamlError, in: text)
        } catch {
            self.error("cannot read YAML: \(error)", at: nil)
        }
        return nil
    }

    private func reportSyntax(_ yamlError: YamlError, in text: String) {
        switch yamlError {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            guard let context else {
                error("YAML syntax: \(problem)", at: mark)
                return
            }
            // At the end of the file the problem's own position says nothing; where the unclosed thing began does.
            if mark.line > context.mark.line, problem.contains("end of stream") {
                error("YAML syntax: \(context.text) that starts here: \(problem) (line \(mark.line))", at: context.mark)
            } else {
                error("YAML syntax: \(problem) (\(context.text) at line \(context.mark.line))", at: mark)
            }
        case .duplicatedKeysInMapping(let duplicates, let context):
            let key = duplicates[0]
            let repeated = Self.repetition(ofKey: key, after: context.mark, in: text)
            add(.error, "key '\(key)' appears twice in one mapping (first at line \(context.mark.line))", repeated ?? Self.position(of: context.mark))
        case .reader(let problem, _, _, _):
            error("YAML syntax: \(problem)", at: nil)
        default:
            error("YAML syntax: \(yamlError)", at: nil)
        }
    }

    /// Where a block mapping's key is written again: same column, a later line, before the mapping ends.
    /// (Yams reports only the first occurrence; the operator needs the one to delete.)
    private static func repetition(ofKey key: String, after first: Mark, in text: String) -> SourcePosition? {
        let indent = first.column - 1
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard first.line < lines.count else { return nil }
        for index in first.line..<lines.count {
            let line = lines[index]
            let content = line.drop { $0 == " " }
            if content.isEmpty || content.hasPrefix("#") { continue }
            let column = line.count - content.count
            if column < indent { return nil }
            if column == indent, content.hasPrefix(key), content.dropFirst(key.count).drop(while: { $0 == " " }).hasPrefix(":") {
                return SourcePosition(line: index + 1, column: first.column)
            }
        }
        return nil
    }

    func error(_ message: String, at mark: Mark?) { add(.error, message, Self.position(of: mark)) }
    func warning(_ message: String, at mark: Mark?) { add(.warning, message, Self.position(of: mark)) }

    static func position(of mark: Mark?) -> SourcePosition {
        mark.map { SourcePosition(line: $0.line, column: $0.column) } ?? .start
    }

    private func add(_ severity: Diagnostic.Severity, _ message: String, _ position: SourcePosition) {
        diagnostics.append(Diagnostic(file: file, at: position, severity: severity, message: message))
    }

    /// `node` as a mapping whose keys are all in `allowed`; unknown and repeated keys are reported.
    func mapping(_ node: Node, what: String, allowed: [String]) -> YAMLMapping? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of keys to values", at: node.mark)
            return nil
        }
        var entries: [String: (key: Node, value: Node)] = [:]
        var suggested: Set<String> = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                error("keys must be plain names", at: key.mark)
                continue
            }
            guard allowed.contains(name) else {
                var message = "unknown key '\(name)' in \(what)"
                if let suggestion = Suggestion.closest(to: name, in: allowed) {
                    message += "; did you mean '\(suggestion)'?"
                    suggested.insert(suggestion)
                }
                error(message, at: key.mark)
                continue
            }
            if entries[name] != nil {
                error("key '\(name)' appears twice in \(what)", at: key.mark)
                continue
            }
            entries[name] = (key, value)
        }
        return YAMLMapping(node: node, entries: entries, suggested: suggested, what: what, reader: self)
    }
}

/// A mapping's known keys with their positions.
struct YAMLMapping {
    let node: Node
    let entries: [String: (key: Node, value: Node)]
    /// Keys a misspelt key was taken for: their absence is already reported with the typo.
    let suggested: Set<String>
    let what: String
    let reader: YAMLReader

    var mark: Mark? { node.mark }

    func value(_ key: String) -> Node? { entries[key]?.value }

    /// A key's value; reports it missing at the mapping unless a typo of it was reported already.
    func require(_ key: String) -> Node? {
        if let value = entries[key]?.value { return value }
        if !suggested.contains(key) { reader.error("\(what) is missing required key '\(key)'", at: node.mark) }
        return nil
    }

    /// A scalar's text; reports a missing required key at the mapping and a non-scalar at the value.
    func string(_ key: String, required: Bool = false) -> (text: String, mark: Mark?)? {
        guard let value = required ? require(key) : entries[key]?.value else { return nil }
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
