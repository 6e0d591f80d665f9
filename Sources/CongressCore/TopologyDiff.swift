/// One difference between two versions of the topology, for `congress topology diff OLD NEW`.
public struct TopologyChange: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case added, removed, moved, renamed, url, schedule
    }

    public var kind: Kind
    /// The node's code in the new file (in the old one for `removed`).
    public var code: RegionCode
    public var detail: String

    public var description: String {
        kind.rawValue + String(repeating: " ", count: 9 - kind.rawValue.count) + "\(code) \(detail)"
    }
}

extension Topology {
    /// What an operator changed from `old` to `self`, in the new file's tree order (removals last).
    ///
    /// Nodes are matched by code. A node that disappears under one code and appears under another with the same
    /// level and name (a township handed to a neighbouring county gets a new code) is reported as moved.
    public func changes(since old: Topology) -> [TopologyChange] {
        var changes: [TopologyChange] = []
        let oldCodes = Set(old.allNodes.map(\.code))
        let newCodes = Set(allNodes.map(\.code))
        let removed = old.allNodes.filter { !newCodes.contains($0.code) }
        let added = allNodes.filter { !oldCodes.contains($0.code) }
        let recoded = Self.pairByNameAndLevel(removed: removed, added: added)
        let recodedFrom = Dictionary(uniqueKeysWithValues: recoded.map { ($0.new, $0.old) })
        let recodedOld = Set(recoded.map(\.old))

        for node in allNodes {
            if let previousCode = recodedFrom[node.code], let previous = old.node(previousCode) {
                changes.append(
                    .init(
                        kind: .moved,
                        code: node.code,
                        detail:
                            "\(node.name): was \(previousCode) under \(old.describeParent(of: previousCode)), now under \(describeParent(of: node.code))"
                    )
                )
                changes += attributeChanges(node, previous: previous, in: old)
            } else if let previous = old.node(node.code) {
                let (was, now) = (old.parent(of: node.code)?.code, parent(of: node.code)?.code)
                if was != now {
                    changes.append(
                        .init(
                            kind: .moved,
                            code: node.code,
                            detail: "\(node.name): from under \(old.describeParent(of: node.code)) to under \(describeParent(of: node.code))"
                        )
                    )
                }
                changes += attributeChanges(node, previous: previous, in: old)
            } else {
                changes.append(
                    .init(kind: .added, code: node.code, detail: "\(node.name) (\(node.level.rawValue)) under \(describeParent(of: node.code))")
                )
            }
        }
        for node in removed where !recodedOld.contains(node.code) {
            changes.append(
                .init(
                    kind: .removed,
                    code: node.code,
                    detail: "\(node.name) (\(node.level.rawValue)), was under \(old.describeParent(of: node.code))"
                )
            )
        }
        return changes
    }

    private func attributeChanges(_ node: TopologyNode, previous: TopologyNode, in old: Topology) -> [TopologyChange] {
        var changes: [TopologyChange] = []
        if node.name != previous.name {
            changes.append(.init(kind: .renamed, code: node.code, detail: "\(previous.name) → \(node.name)"))
        }
        if node.url != previous.url {
            changes.append(.init(kind: .url, code: node.code, detail: "\(node.name): \(previous.url ?? "none") → \(node.url ?? "none")"))
        }
        // A schedule only matters on an edge that syncs: a node with a url.
        if node.sync != previous.sync && (node.url != nil || previous.url != nil) {
            changes.append(.init(kind: .schedule, code: node.code, detail: "\(node.name): \(previous.sync) → \(node.sync)"))
        }
        return changes
    }

    private func describeParent(of code: RegionCode) -> String {
        guard let parent = parent(of: code) else { return "nothing (root)" }
        return "\(parent.code) \(parent.name)"
    }

    /// Removed and added nodes that are the same place under a new code: same level and name, unambiguous on both sides.
    private static func pairByNameAndLevel(removed: [TopologyNode], added: [TopologyNode]) -> [(old: RegionCode, new: RegionCode)] {
        func key(_ node: TopologyNode) -> String { "\(node.level.rawValue)|\(node.name)" }
        let removedByKey = Dictionary(grouping: removed, by: key)
        let addedByKey = Dictionary(grouping: added, by: key)
        return added.compactMap { node in
            guard let olds = removedByKey[key(node)], olds.count == 1, addedByKey[key(node)]?.count == 1 else { return nil }
            return (olds[0].code, node.code)
        }
    }

    /// A change file (SPEC §15) proposed from `old` to `self`, for the operator to complete: renames, recodes (same name,
    /// same parent, new code) and moves (same name, new parent) as entries; regions removed and added under one parent as
    /// candidates for a merge or a split, commented out, since the lists cannot say where their villages went.
    public func proposedChanges(since old: Topology, title: String) -> String {
        func quoted(_ code: RegionCode) -> String { "\"\(code)\"" }
        var lines = [
            "# \(title)", "# Proposed by congress topology diff --changes; complete the candidates, then check it with congress divisions check.",
            "version: 1", "changes:",
        ]
        let oldCodes = Set(old.allNodes.map(\.code))
        let newCodes = Set(allNodes.map(\.code))
        let removed = old.allNodes.filter { !newCodes.contains($0.code) }
        let added = allNodes.filter { !oldCodes.contains($0.code) }
        let recoded = Self.pairByNameAndLevel(removed: removed, added: added)
        for node in allNodes where oldCodes.contains(node.code) {
            if let previous = old.node(node.code), previous.name != node.name {
                lines += ["  - rename: \(quoted(node.code))  # \(previous.name)", "    name: \(node.name)"]
            }
        }
        for (from, to) in recoded {
            let (was, now) = (old.parent(of: from)?.code, parent(of: to)?.code)
            let name = node(to)?.name ?? ""
            if was == now {
                lines += ["  - recode: \(quoted(from))  # \(name)", "    to: \(quoted(to))"]
            } else if let now {
                lines += [
                    "  - move: \(quoted(from))  # \(name), from under \(was.map(\.rawValue) ?? "-")", "    to: \(quoted(now))",
                    "    as: \(quoted(to))",
                ]
            }
        }
        let paired = Set(recoded.map(\.old) + recoded.map(\.new))
        let parents = Set((removed.compactMap { old.parent(of: $0.code)?.code } + added.compactMap { parent(of: $0.code)?.code })).sorted()
        for parentCode in parents {
            let gone = removed.filter { !paired.contains($0.code) && old.parent(of: $0.code)?.code == parentCode }
            let new = added.filter { !paired.contains($0.code) && parent(of: $0.code)?.code == parentCode }
            guard !gone.isEmpty || !new.isEmpty else { continue }
            let name = node(parentCode)?.name ?? old.node(parentCode)?.name ?? ""
            lines.append("  # under \(parentCode) \(name):")
            for node in gone { lines.append("  #   removed \(node.code) \(node.name)") }
            for node in new { lines.append("  #   added   \(node.code) \(node.name)") }
            if let target = new.first, !gone.isEmpty {
                lines += [
                    "  # - merge: [\(gone.map { quoted($0.code) }.joined(separator: ", "))]", "  #   into: \(quoted(target.code))",
                    "  #   name: \(target.name)",
                ]
            } else if !new.isEmpty {
                lines.append("  #   (added alone: a split of a region under \(parentCode) — name its villages per part)")
            } else {
                lines.append("  #   (removed alone: merge each into the region that took its villages)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
