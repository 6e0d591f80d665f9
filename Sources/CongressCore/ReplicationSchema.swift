/// What two nodes must agree on to exchange records (SPEC §17): which kinds replicate and the shape of the sync
/// messages, named by a version. Tables a node keeps for itself (checkpoints, an audit log) are not part of it, so a
/// release that adds only those changes nothing here.
public struct ReplicationSchema: Sendable, Equatable, CustomStringConvertible {
    public let version: Int
    /// The kinds a node of this version sends, receives and understands in directives.
    public let kinds: Set<RecordKind>
    /// Names this version's content, so that two builds which both say "version N" but differ are told apart.
    public let hash: String

    public var description: String { "schema v\(version)" }
}

/// The replication schemas a build knows, oldest first; the last is the one it speaks. A node speaks any of the last
/// three to a parent (an older parent gets only the kinds it knows) and accepts batches in any of them from a child.
public struct SchemaHistory: Sendable {
    /// One version: the kinds it adds to the previous one.
    public struct Step: Sendable {
        public var adds: [RecordKind]
        /// Given for versions that were named by another rule before this type existed; else derived from the content.
        public var hash: String?

        public init(adds: [RecordKind], hash: String? = nil) {
            self.adds = adds
            self.hash = hash
        }
    }

    /// Oldest first: `versions[i].version == i + 1`.
    public let versions: [ReplicationSchema]

    public init(_ steps: [Step]) {
        precondition(!steps.isEmpty, "a history has at least one version")
        var kinds: Set<RecordKind> = []
        var versions: [ReplicationSchema] = []
        for (index, step) in steps.enumerated() {
            kinds.formUnion(step.adds)
            let version = index + 1
            let content = "\(version):" + kinds.map(\.rawValue).sorted().joined(separator: ",")
            versions.append(ReplicationSchema(version: version, kinds: kinds, hash: step.hash ?? Hex.sha256(content)))
        }
        self.versions = versions
    }

    private init(versions: [ReplicationSchema]) { self.versions = versions }

    /// The replication schema of this build of congress.
    public static let thisRelease = SchemaHistory([
        // Wave 1 (SPEC §1–11): the schema was named by a hash over all the database's migrations, and parent and child had
        // to hold the same one. Its batches carry that hash and no `schemaVersion`.
        Step(
            adds: [.deputy, .station, .assignment, .unit, .training, .attendance],
            hash: "374f7b2ae74eff6b5dac70e1344a811f20940a23e22891beb1177c0b640c9cef"
        ),
        // SPEC §17: batches name their schema version and release; parents answer `GET /v1/sync/hello`; the same kinds.
        Step(adds: []),
        // SPEC §15: records carry an ownership epoch and `formerRegionCodes`; a record handed over to another node when
        // its region moves travels up as a handover (`handedOverBy`) and down to its new owner as a directive. SPEC §14:
        // batches carry the sender's audit head, which the parent keeps as a witness. SPEC §12: activities and deputy
        // groups. SPEC §13: cases and their events.
        Step(adds: [.activity, .group, .caseRecord, .caseEvent]),
    ])

    /// The first version that carries re-attributed records and handovers: every node on the path of a division change
    /// speaks it before the change is applied.
    public static let divisionChangesVersion = 3

    /// How many versions back a node still speaks to a parent and accepts from a child (one or two releases older).
    public static let versionsBack = 2

    public var current: ReplicationSchema { versions[versions.count - 1] }

    /// The oldest version this build accepts from a child and speaks to a parent.
    public var oldestSpoken: Int { max(1, current.version - Self.versionsBack) }

    public func schema(_ version: Int) -> ReplicationSchema? {
        versions.indices.contains(version - 1) ? versions[version - 1] : nil
    }

    /// The history as a build of version `version` knows it: a release that is older than this one (tests simulate
    /// mixed releases in one process with it).
    public func release(upTo version: Int) -> SchemaHistory {
        SchemaHistory(versions: Array(versions.prefix(version)))
    }
}

/// The release of congress this build is: shown by `congress --version`, named in each batch and in the sync status, so
/// that an operator sees which nodes still run an older one.
public enum CongressRelease {
    public static let current = "1.1.0"

    /// Whether `release` (nil: a wave-1 node, which does not say) comes before `other`, comparing the numbers of a
    /// dotted version one by one ("1.10.0" after "1.9.2").
    public static func isOlder(_ release: String?, than other: String) -> Bool {
        guard let release else { return true }
        let mine = release.split(separator: ".").map { Int($0) ?? 0 }
        let theirs = other.split(separator: ".").map { Int($0) ?? 0 }
        for index in 0..<max(mine.count, theirs.count) {
            let (a, b) = (index < mine.count ? mine[index] : 0, index < theirs.count ? theirs[index] : 0)
            if a != b { return a < b }
        }
        return false
    }
}
