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

/// The topology a running node uses; a reload swaps it whole, so a request never sees half of two files.
public final class TopologyInForce: Sendable {
    public typealias Rejection = ConfigRejection

    public struct State: Sendable {
        public var topology: Topology
        public var loadedAt: Timestamp
        public var warnings: [Diagnostic]
        public var lastRejected: Rejection?
    }

    /// The file reloads read; nil when the topology was given in code (tests), which disables reloading.
    public let file: String?
    private let state: Mutex<State>

    public init(_ topology: Topology, file: String? = nil, warnings: [Diagnostic] = []) {
        self.file = file
        self.state = Mutex(State(topology: topology, loadedAt: .now, warnings: warnings, lastRejected: nil))
    }

    public var topology: Topology { state.withLock { $0.topology } }
    public var current: State { state.withLock { $0 } }

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

    /// The refusal of a parent's file (trigger `parent …`) made since the topology in force was loaded: the child
    /// reports it to its parent with each push until it adopts a file again.
    public var parentFileRefused: Rejection? {
        state.withLock { state in state.lastRejected.flatMap { $0.refusesParentFile(since: state.loadedAt) ? $0 : nil } }
    }

    /// How a refusal of the parent's file names its trigger: `parent CODE`.
    public static let parentTrigger = ConfigRejection.parentTrigger

    public func accept(_ loaded: TopologyLoader.Loaded) {
        state.withLock { $0 = State(topology: loaded.topology, loadedAt: .now, warnings: loaded.warnings, lastRejected: $0.lastRejected) }
    }

    public func reject(_ rejection: Rejection) {
        state.withLock { $0.lastRejected = rejection }
    }
}

/// The points rules folder a running node uses (SPEC §12), swapped whole like the topology: reloaded when its files
/// change, and adopted from the parent's (SPEC §17).
public final class PointsInForce: Sendable {
    public struct State: Sendable {
        public var folder: PointsFolder
        public var loadedAt: Timestamp
        public var lastRejected: ConfigRejection?
    }

    /// The folder reloads read and adoptions write; nil when the rules were given in code (tests).
    public let directory: String?
    private let state: Mutex<State>

    public init(_ folder: PointsFolder, directory: String? = nil) {
        self.directory = directory
        self.state = Mutex(State(folder: folder, loadedAt: .now, lastRejected: nil))
    }

    public var folder: PointsFolder { state.withLock { $0.folder } }
    public var current: State { state.withLock { $0 } }

    public func accept(_ folder: PointsFolder) {
        state.withLock { $0 = State(folder: folder, loadedAt: .now, lastRejected: $0.lastRejected) }
    }

    public func reject(_ rejection: ConfigRejection) {
        state.withLock { $0.lastRejected = rejection }
    }

    /// The refusal of the parent's folder made since the folder in force was taken, if any.
    public var parentFileRefused: ConfigRejection? {
        state.withLock { state in state.lastRejected.flatMap { $0.refusesParentFile(since: state.loadedAt) ? $0 : nil } }
    }
}
