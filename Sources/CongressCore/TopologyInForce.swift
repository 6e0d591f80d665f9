import Synchronization

/// A reload of an operator's file (or folder) that was refused: its hash when read, what triggered the reload (a signal,
/// a file change, `parent CODE` for a file sent down by the parent) and every error found in it.
public struct ConfigRejection: Sendable, Encodable {
    public var at: Timestamp
    public var hash: String
    public var trigger: String
    public var errors: [Diagnostic]

    public init(at: Timestamp, hash: String, trigger: String, errors: [Diagnostic]) {
        self.at = at
        self.hash = hash
        self.trigger = trigger
        self.errors = errors
    }

    /// How a refusal of a file sent down by the parent names its trigger: `parent CODE`.
    public static let parentTrigger = "parent"

    /// A refusal of the parent's file made after `loadedAt` (when the file in force was taken): the child reports it
    /// to its parent with each push until it adopts a file again.
    func refusesParentFile(since loadedAt: Timestamp) -> Bool {
        trigger.hasPrefix(Self.parentTrigger) && loadedAt < at
    }

    /// As a batch header carries it to the parent.
    public var reported: TopologyRefusal { TopologyRefusal(hash: hash, at: at, errors: errors.map(\.description)) }
}

/// An operator's file (or folder) a running node uses — the topology, the points rules — swapped whole by a reload or
/// an adoption from the parent, so a request never sees half of two; the last refusal is kept beside it.
public final class ConfigInForce<Content: Sendable>: Sendable {
    public struct State: Sendable {
        public var content: Content
        /// When `content` was taken.
        public var loadedAt: Timestamp
        public var lastRejected: ConfigRejection?
    }

    /// The file or folder reloads read and adoptions write; nil when the content was given in code (tests), which
    /// disables reloading.
    public let source: String?
    private let state: Mutex<State>

    public init(_ content: Content, source: String?) {
        self.source = source
        self.state = Mutex(State(content: content, loadedAt: .now, lastRejected: nil))
    }

    public var current: State { state.withLock { $0 } }
    public var content: Content { state.withLock { $0.content } }

    public func accept(_ content: Content) {
        state.withLock { $0 = State(content: content, loadedAt: .now, lastRejected: $0.lastRejected) }
    }

    public func reject(_ rejection: ConfigRejection) {
        state.withLock { $0.lastRejected = rejection }
    }

    /// The refusal of a parent's file (trigger `parent …`) made since the content in force was taken: the child reports
    /// it to its parent with each push until it adopts one again.
    public var parentFileRefused: ConfigRejection? {
        state.withLock { state in state.lastRejected.flatMap { $0.refusesParentFile(since: state.loadedAt) ? $0 : nil } }
    }
}

/// The topology a running node uses, with the warnings found when it was read.
public typealias TopologyInForce = ConfigInForce<TopologyLoader.Loaded>

extension ConfigInForce where Content == TopologyLoader.Loaded {
    public convenience init(_ topology: Topology, file: String? = nil, warnings: [Diagnostic] = []) {
        self.init(TopologyLoader.Loaded(topology: topology, warnings: warnings), source: file)
    }

    /// The topology file; nil when the topology was given in code.
    public var file: String? { source }
    public var topology: Topology { content.topology }

    /// The topology in `text` if this node may run under it: it passes every check of `topology check` and still holds
    /// `node` (a running node cannot be removed from under itself). The same test for an operator's edit and for a
    /// parent's file (SPEC §17); `file` names the text in the errors.
    public static func check(_ text: String, file: String, node: RegionCode) throws(ConfigFileError) -> TopologyLoader.Loaded {
        let loaded = try TopologyLoader.parse(text, file: file)
        guard loaded.topology.node(node) != nil else {
            let message = "node \(node) is not in this topology: a running node cannot be removed from under itself (stop it first)"
            throw ConfigFileError([Diagnostic(file: file, at: .start, severity: .error, message: message)])
        }
        return loaded
    }
}

/// The points rules folder a running node uses (SPEC §12): reloaded when its files change, adopted from the parent's
/// (SPEC §17).
public typealias PointsInForce = ConfigInForce<PointsFolder>

extension ConfigInForce where Content == PointsFolder {
    public convenience init(_ folder: PointsFolder, directory: String? = nil) {
        self.init(folder, source: directory)
    }

    /// The points folder; nil when the rules were given in code.
    public var directory: String? { source }
    public var folder: PointsFolder { content }
}
