import AsyncHTTPClient
import CongressCore
import CongressStore
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What one run (push, then pull of directives) did.
public struct SyncReport: Sendable, Codable, Equatable {
    public var parent: String?
    /// Batches the parent acknowledged (an empty heartbeat batch counts), the changes they carried, and how many of
    /// those changed something there.
    public var batches: Int = 0
    public var changes: Int = 0
    public var applied: Int = 0
    public var ackedSeq: Int64 = 0
    public var rewinds: Int = 0
    /// Directives (trainings from above) received and stored here, and the parent's seq they reach.
    public var directives: Int = 0
    public var directivesSeq: Int64 = 0
    /// The hash of the parent's topology this run adopted, if it did (SPEC §17).
    public var topologyAdopted: String?
    /// Set when the file the parent's replaced had been edited at this node since it last agreed with the parent: the
    /// divergence, and that the parent's file won.
    public var topologyDivergence: String?
    /// The hash of the parent's points rules folder this run adopted, if it did (SPEC §12, §17).
    public var pointsAdopted: String?
    /// The replication schema version this run wrote in (the parent's, when it is older than this node's), and how many
    /// records of kinds held back until the parent knew them it logged again to send (SPEC §17).
    public var schemaVersion: Int?
    public var released: Int = 0
    /// What compacting the change log after the push removed (issue 20): entries a newer one supersedes, and tombstones
    /// past their retention that the parent has acknowledged.
    public var compacted: Int64 = 0
    public var tombstonesDropped: Int64 = 0
    public var error: String?
}

/// A refusal or failure of the parent, with the parent's own message.
public struct SyncError: Error, Sendable, CustomStringConvertible {
    public var status: Int?
    public var message: String
    /// Worth trying again later (network, 5xx); a 4xx is not.
    public var retryable: Bool
    /// The parent was busy with other children's batches (503 `busy`): send again after this, not a failed attempt.
    public var busyFor: Duration? = nil

    public var description: String { status.map { "parent answered \($0): \(message)" } ?? message }
}

/// Exponential backoff with jitter between attempts of one request.
public struct RetryPolicy: Sendable {
    public var attempts: Int
    public var firstDelay: Duration
    public var maxDelay: Duration
    /// How long one attempt may take, connecting included (the HTTP client keeps trying to connect until then).
    public var requestTimeout: Duration

    /// How long one request may keep being turned away by a parent busy with other children's batches (503 `busy`)
    /// before the run fails: those answers are not failed attempts, the parent is there and takes its children in turn.
    public var busyPatience: Duration

    public init(
        attempts: Int,
        firstDelay: Duration,
        maxDelay: Duration,
        requestTimeout: Duration = .seconds(60),
        busyPatience: Duration = .seconds(30 * 60)
    ) {
        self.attempts = attempts
        self.firstDelay = firstDelay
        self.maxDelay = maxDelay
        self.requestTimeout = requestTimeout
        self.busyPatience = busyPatience
    }

    /// A minute of backoff between up to seven attempts of a minute each; after that the run fails and the scheduler
    /// tries again later.
    public static let standard = RetryPolicy(attempts: 7, firstDelay: .milliseconds(500), maxDelay: .seconds(30))

    /// The wait before attempt `attempt` (1-based, after a failure): doubling, capped, between half and all of it.
    func delay(before attempt: Int) -> Duration {
        let doubled = firstDelay * (1 << min(attempt - 1, 20))
        let capped = min(doubled, maxDelay)
        return capped * Double.random(in: 0.5...1.0)
    }
}

/// Talks to this node's parent: pushes the change log (batches after the acknowledged seq, read by keyset, resumable),
/// then pulls the directives meant for this subtree.
public struct SyncClient: Sendable {
    /// What is pushed: this node's change log, and how far the parent has acknowledged it.
    public let changeLog: ChangeLogReader
    /// What this node's children pushed here; its record of their deliveries is reported up with each batch.
    public let applier: BatchApplier
    /// What comes down: directives from the parent (and those this node offers its children).
    public let directiveFeed: DirectiveFeed
    /// What compacts this node's change log once the parent has acknowledged a push, if anything.
    public let compactor: ChangeLogCompactor?
    /// One run at a time per node: a run asked for while the scheduled one is under way waits for it.
    private let running = RunGate()
    let topology: TopologyInForce
    /// The points rules folder in force, which follows the parent's as the topology does.
    public let points: PointsInForce
    /// The replication schemas this node speaks (the last is its own).
    public let schemas: SchemaHistory
    let token: String?
    /// For an `https://` parent: the CA this node trusts and the certificate it presents (nil: the system's roots).
    let tls: TLSConfiguration?
    let http: HTTPClient
    let retry: RetryPolicy
    let batchSize: Int
    let logger: Logger

    public init(
        changeLog: ChangeLogReader,
        applier: BatchApplier,
        directiveFeed: DirectiveFeed,
        compactor: ChangeLogCompactor? = nil,
        topology: TopologyInForce,
        points: PointsInForce = PointsInForce(.empty),
        schemas: SchemaHistory = .thisRelease,
        token: String?,
        tls: TLSConfiguration? = nil,
        http: HTTPClient = .sync,
        retry: RetryPolicy = .standard,
        batchSize: Int = SyncProtocol.batchSize,
        logger: Logger
    ) {
        self.changeLog = changeLog
        self.applier = applier
        self.directiveFeed = directiveFeed
        self.compactor = compactor
        self.topology = topology
        self.points = points
        self.schemas = schemas
        self.token = token
        self.tls = tls
        self.http = http
        self.retry = retry
        self.batchSize = batchSize
        self.logger = logger
    }

    /// The node whose sync this is.
    public var node: RegionCode { changeLog.node }

    /// Pushes everything not yet acknowledged, then pulls new directives; the report carries the error that stopped it.
    public func run() async -> SyncReport {
        await running.exclusively { await runNow() }
    }

    private func runNow() async -> SyncReport {
        let current = topology.topology
        guard let parent = current.upstream(of: node), let url = parent.url else { return SyncReport() }
        var report = SyncReport(parent: parent.code.rawValue)
        var parentTopology: String?
        do {
            guard let token else { throw SyncError(status: nil, message: "no parentToken in this node's secrets", retryable: false) }
            let state = try await changeLog.upstream(parent: parent.code)
            let (hello, spoken) = try await schema(spokenBy: parent.code, at: url, token: token)
            report.schemaVersion = spoken.version
            // Refused rules do not hold records back: the push goes on (and tells the parent), the run fails after.
            var pointsRefusal: SyncError?
            if let hello, hello.pointsHash != points.folder.hash {
                pointsRefusal = try await followPoints(parent: parent.code, at: url, token: token, report: &report)
            }
            let path = min(schemas.current.version, hello.map { $0.pathSchemaVersion ?? $0.schemaVersion } ?? 1)
            report.released = try await changeLog.speak(spoken, in: schemas, to: parent.code, path: path)
            report.ackedSeq = state.ackedSeq
            // Directives read by an older release of this node may have left out kinds this one reads: pull them all again.
            report.directivesSeq = state.directivesSchemaVersion == schemas.current.version ? state.directivesSeq : 0
            do {
                parentTopology = try await push(to: parent.code, at: url, token: token, speaking: spoken, report: &report)
            } catch let refusal as SyncError where refusal.status == 403 {
                // The parent's topology may no longer have this node sync there: fetch it to tell (and report why it
                // is refused here), then fail the run with the parent's refusal.
                var refused: SyncError?
                do {
                    refused = try await follow(parent: parent.code, at: url, token: token, agreed: state.parentTopologyHash, report: &report)
                } catch {
                    logger.warning("could not fetch the parent's topology", metadata: ["error": "\(String(reflecting: error))"])
                }
                guard let refused else { throw refusal }
                await tell(parent.code, at: url, token: token, speaking: spoken, report: report)
                throw SyncError(status: 403, message: "\(refusal.message); \(refused.message)", retryable: false)
            }
            try await pull(from: parent.code, at: url, token: token, speaking: spoken, report: &report)
            if let parentTopology, parentTopology == topology.topology.hash {
                if state.parentTopologyHash != parentTopology { try await changeLog.recordParentTopology(parentTopology, parent: parent.code) }
            } else if parentTopology != nil,
                let refused = try await follow(parent: parent.code, at: url, token: token, agreed: state.parentTopologyHash, report: &report)
            {
                await tell(parent.code, at: url, token: token, speaking: spoken, report: report)
                throw refused
            }
            if let pointsRefusal { throw pointsRefusal }
            await compact(acknowledgedBy: parent.code, report: &report)
            try await changeLog.recordRun(parent: parent.code, error: nil)
        } catch is CancellationError {
            // The node is stopping: the next run resumes from the last acknowledgement.
            report.error = "the run was cancelled before it finished (the node is stopping)"
            logger.notice("sync with parent cancelled", metadata: ["parent": "\(parent.code)", "acked": "\(report.ackedSeq)"])
            try? await changeLog.recordRun(parent: parent.code, error: report.error)
        } catch {
            report.error = Self.describe(error)
            logger.error("sync with parent failed", metadata: ["parent": "\(parent.code)", "error": "\(String(reflecting: error))"])
            try? await changeLog.recordRun(parent: parent.code, error: report.error)
        }
        return report
    }

    /// Compacts the change log up to what `parent` has now acknowledged. A failure is logged, not the run's: the next
    /// run, or the node's scheduled compaction, goes on from where this one stopped.
    private func compact(acknowledgedBy parent: RegionCode, report: inout SyncReport) async {
        guard let compactor else { return }
        do {
            let done = try await compactor.compact(parent: parent)
            report.compacted = done.superseded
            report.tombstonesDropped = done.tombstones
        } catch {
            logger.error("compacting the change log after the push failed", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// The replication schema to write in for `parent`, as it answers `GET /v1/sync/hello` (a wave-1 parent has no such
    /// route: it reads version 1): this node's own when the parent reads it, else the parent's, if this node still
    /// speaks it — kinds the parent does not know are then held back (SPEC §17). A parent too old or too new for this
    /// node is a refusal that names the node to upgrade.
    private func schema(spokenBy parent: RegionCode, at url: String, token: String) async throws -> (SyncHello?, ReplicationSchema) {
        let own = schemas.current
        let hello: SyncHello?
        do {
            hello = try JSONDecoder().decode(SyncHello.self, from: try await withRetries { try await get(url + "/v1/sync/hello", token: token) })
        } catch let refusal as SyncError where refusal.status == 404 {
            hello = nil
        }
        let release = hello?.release ?? "wave 1"
        if let hello, own.version < hello.oldestSchemaVersion {
            throw SyncError(
                status: nil,
                message: "the parent \(parent) (release \(release)) reads replication schema v\(hello.oldestSchemaVersion)–v\(hello.schemaVersion), "
                    + "this node writes v\(own.version) at the newest: upgrade congress on \(node)",
                retryable: false
            )
        }
        let version = hello?.schemaVersion ?? 1
        if version >= own.version { return (hello, own) }
        guard version >= schemas.oldestSpoken, let schema = schemas.schema(version), hello.map({ $0.schemaHash == schema.hash }) ?? true else {
            throw SyncError(
                status: nil,
                message: "the parent \(parent) (release \(release)) reads replication schema v\(version), this node (release "
                    + "\(CongressRelease.current)) writes v\(schemas.oldestSpoken)–v\(own.version): upgrade congress on \(parent)",
                retryable: false
            )
        }
        if schema.kinds != own.kinds {
            let held = own.kinds.subtracting(schema.kinds).map(\.rawValue).sorted().joined(separator: ", ")
            logger.notice(
                "the parent runs an older release: kinds it does not know are held back until it is upgraded",
                metadata: ["parent": "\(parent)", "parentSchema": "\(version)", "schema": "\(own.version)", "heldBack": "\(held)"]
            )
        }
        return (hello, schema)
    }

    /// Fetches the parent's points rules folder and adopts it if every file passes the check an operator's edit passes
    /// (SPEC §12, §17): written to this node's points folder (each file renamed over the old one, files the parent no
    /// longer has removed) and swapped in. A folder with an error is refused: the one in force stays, the refusal is
    /// kept and told to the parent with each push until a folder is adopted again, and returned for the run to fail with.
    private func followPoints(parent: RegionCode, at url: String, token: String, report: inout SyncReport) async throws -> SyncError? {
        let document = try await withRetries { try await get(url + "/v1/sync/points", token: token) }
        let bundle = try JSONDecoder().decode(PointsBundle.self, from: document)
        let previous = points.folder
        let directory = points.directory ?? "points"
        let folder: PointsFolder
        do throws(ConfigFileError) {
            folder = try PointsFolder.check(bundle.files, directory: "points@\(parent)")
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }
            let hash = PointsFolder.hash(of: bundle.files)
            points.reject(ConfigRejection(at: .now, hash: hash, trigger: "\(ConfigRejection.parentTrigger) \(parent)", errors: errors))
            logger.error("the parent's points rules refused; the ones in force stay", metadata: ["parent": "\(parent)", "hash": "\(hash)"])
            for error in errors { logger.error("\(error)") }
            return SyncError(
                status: nil,
                message: "the parent's points rules (\(hash.prefix(12))) were refused, \(previous.hash.prefix(12)) stay in force: "
                    + errors.map(\.description).joined(separator: "; "),
                retryable: false
            )
        }
        if points.directory != nil {
            do {
                try PointsFolder.write(folder.files, to: directory)
            } catch {
                throw SyncError(status: nil, message: "cannot write the parent's points rules to \(directory): \(error)", retryable: false)
            }
        }
        points.accept(folder)
        report.pointsAdopted = folder.hash
        logger.notice(
            "points rules adopted from the parent",
            metadata: ["parent": "\(parent)", "hash": "\(folder.hash)", "previous": "\(previous.hash)", "files": "\(folder.files.count)"]
        )
        return nil
    }

    /// Fetches the parent's topology file and adopts it if it differs from the one in force and passes the check an
    /// operator's edit passes (SPEC §17): written to this node's topology file (a new file renamed over the old one)
    /// and swapped in, so this node's children get it at their next sync. A file that fails the check, or no longer
    /// holds this node, is refused: the topology in force stays, the refusal is kept (`GET /v1/topology`'s
    /// `lastRejected`, and each push tells the parent until a file is adopted again) and returned, for the run to report.
    ///
    /// `agreed` is the parent's file this node last held: a file in force that differs from it was edited here (a pilot,
    /// an emergency). The parent's file wins all the same — the root's file is authoritative — and the run reports the
    /// divergence, so that an edit meant to last is made at the root.
    private func follow(
        parent: RegionCode,
        at url: String,
        token: String,
        agreed: String?,
        report: inout SyncReport
    ) async throws -> SyncError? {
        let text = String(decoding: try await withRetries { try await get(url + "/v1/sync/topology", token: token) }, as: UTF8.self)
        let hash = Topology.hash(of: text)
        let previous = topology.topology
        guard hash != previous.hash else { return nil }
        let trigger = "\(ConfigRejection.parentTrigger) \(parent)"
        let loaded: TopologyLoader.Loaded
        do throws(ConfigFileError) {
            loaded = try TopologyInForce.check(text, file: "topology.yaml@\(parent)", node: node)
        } catch {
            let errors = error.diagnostics.filter { $0.severity == .error }
            topology.reject(ConfigRejection(at: .now, hash: hash, trigger: trigger, errors: errors))
            logger.error(
                "the parent's topology refused; the one in force stays",
                metadata: ["parent": "\(parent)", "hash": "\(hash)", "inForce": "\(previous.hash)", "errors": "\(errors.count)"]
            )
            for error in errors { logger.error("\(error)") }
            return SyncError(
                status: nil,
                message: "the parent's topology (\(hash.prefix(12))) was refused, \(previous.hash.prefix(12)) stays in force: "
                    + errors.map(\.description).joined(separator: "; "),
                retryable: false
            )
        }
        if let file = topology.file {
            do {
                // `.atomic` writes a temporary file beside it and renames it over the old one: the reloader never
                // reads half a file.
                try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
            } catch {
                throw SyncError(status: nil, message: "cannot write the parent's topology to \(file): \(error)", retryable: false)
            }
        }
        if let agreed, agreed != previous.hash {
            let divergence =
                "this node's topology (\(previous.hash.prefix(12))) was edited here since it last held \(parent)'s (\(agreed.prefix(12))); "
                + "\(parent)'s file (\(hash.prefix(12))) wins and replaces it: make an edit meant to last at the root"
            report.topologyDivergence = divergence
            logger.warning(
                "topology diverged from the parent's; the parent's wins",
                metadata: ["parent": "\(parent)", "divergence": "\(divergence)"]
            )
        }
        topology.accept(loaded)
        try await changeLog.recordParentTopology(hash, parent: parent)
        report.topologyAdopted = hash
        logger.notice(
            "topology adopted from the parent",
            metadata: ["parent": "\(parent)", "hash": "\(hash)", "previous": "\(previous.hash)", "file": "\(topology.file ?? "none")"]
        )
        for warning in loaded.warnings { logger.warning("\(warning)") }
        return nil
    }

    /// Tells the parent at once that its file was refused here: one more push, whose header carries the refusal (the
    /// parent keeps what a child says of its topology even when it refuses the batch). A one-shot `congress sync`
    /// keeps no refusal for a later run, so it is said in this one.
    private func tell(_ parent: RegionCode, at url: String, token: String, speaking schema: ReplicationSchema, report: SyncReport) async {
        var heartbeat = report
        heartbeat.batches = 0
        do {
            _ = try await push(to: parent, at: url, token: token, speaking: schema, report: &heartbeat)
        } catch {
            logger.debug("the push telling the parent of the refusal was refused too", metadata: ["error": "\(String(reflecting: error))"])
        }
    }

    /// What went wrong, in words for the sync status and the dashboard: each error's own description, never a generic
    /// stand-in. (A `DatabaseError` says what the store was doing and what PostgreSQL answered; none of these carries a
    /// token, a password or an ID number, and the request's bound values are never part of them.)
    static func describe(_ error: any Error) -> String {
        switch error {
        case let error as SyncError: error.description
        case let error as DatabaseError: error.description
        case let error as StoreError: error.description
        case let error as DecodingError: "the parent's answer could not be read: \(error)"
        default: String(describing: error)
        }
    }

    /// Batches posted and not yet answered: the next one is received and copied in at the parent while the previous one
    /// applies there (the parent applies them in order).
    public static let batchesInFlight = 2

    private struct Posted {
        var batch: OutgoingBatch?
        var header: BatchHeader
        var answer: Task<Answer, any Error>
        /// Where the batch in flight in front of this one started, if any.
        var behind: Int64?
    }

    /// Pushes the change log, written in `schema` (only its kinds); returns the hash of the topology the parent holds,
    /// as its last answer named it.
    private func push(
        to parent: RegionCode,
        at url: String,
        token: String,
        speaking schema: ReplicationSchema,
        report: inout SyncReport
    ) async throws
        -> String?
    {
        let topologyHash = topology.topology.hash
        var acked = report.ackedSeq
        var parentTopology: String?
        let edges = try await applier.edges()
        let refused = topology.parentFileRefused?.reported
        let pointsRefused = points.parentFileRefused?.reported
        let pointsHash = points.folder.hash
        let auditHead = schema.version >= SchemaHistory.divisionChangesVersion ? try await changeLog.auditHead() : nil
        // The next batch is read while the parent applies the current one: the two databases work at the same time.
        var next = prefetch(after: acked, kinds: schema.kinds, parent: parent)
        var posted: [Posted] = []
        var exhausted = false
        defer {
            next.cancel()
            for request in posted { request.answer.cancel() }
        }
        func post(_ batch: OutgoingBatch?) throws -> Posted {
            // Version 1 is written as wave-1 nodes wrote it: they never saw the version and release fields.
            let header = BatchHeader(
                protocol: SyncProtocol.version,
                schemaHash: schema.hash,
                schemaVersion: schema.version > 1 ? schema.version : nil,
                release: schema.version > 1 ? CongressRelease.current : nil,
                topologyHash: topologyHash,
                sender: node,
                fromSeq: batch?.fromSeq ?? acked + 1,
                toSeq: batch?.toSeq ?? acked,
                edges: edges,
                topologyRefused: refused,
                pointsHash: schema.version > 1 ? pointsHash : nil,
                pointsRefused: schema.version > 1 ? pointsRefused : nil,
                auditHead: auditHead
            )
            let body = try Self.document(header, changes: batch?.changesJSON ?? "[]")
            let answer = Task { try await withRetries { try await self.post(body, to: url + "/v1/sync/batches", token: token) } }
            return Posted(batch: batch, header: header, answer: answer, behind: posted.first?.header.fromSeq)
        }
        /// Drops what is in flight and reads again from `seq`.
        func restart(after seq: Int64) {
            for request in posted { request.answer.cancel() }
            posted = []
            next.cancel()
            next = prefetch(after: seq, kinds: schema.kinds, parent: parent)
            exhausted = false
        }
        while true {
            while !exhausted && posted.count < Self.batchesInFlight {
                guard let batch = try await next.value else {
                    exhausted = true
                    break
                }
                next = prefetch(after: batch.toSeq, kinds: schema.kinds, parent: parent)
                posted.append(try post(batch))
            }
            if posted.isEmpty {
                // With nothing pending, one empty batch still tells the parent this child is alive and current.
                guard report.batches == 0 else { return parentTopology }
                posted.append(try post(nil))
            }
            let request = posted.removeFirst()
            switch try await request.answer.value {
            case .acked(let ack):
                acked = ack.acked
                try await changeLog.recordAck(acked, parent: parent)
                report.batches += 1
                report.changes += request.batch?.count ?? 0
                report.applied += ack.applied
                report.ackedSeq = acked
                parentTopology = ack.topologyHash ?? parentTopology
                if request.batch == nil { return parentTopology }
                if ack.acked != request.header.toSeq { restart(after: acked) }
            case .gap(let expected) where request.behind.map { expected >= $0 } ?? false:
                // Answered before the batch in front of it (acknowledged since) was applied: not a gap, send again.
                restart(after: acked)
            case .gap(let expected):
                guard report.rewinds < 3 else { throw SyncError(status: 409, message: "the parent keeps asking to rewind", retryable: false) }
                logger.warning("parent asks to rewind", metadata: ["expected": "\(expected)", "acked": "\(acked)"])
                acked = expected - 1
                try await changeLog.recordAck(acked, parent: parent, rewind: true)
                report.rewinds += 1
                report.ackedSeq = acked
                restart(after: acked)
            }
        }
    }

    private func prefetch(after seq: Int64, kinds: Set<RecordKind>, parent: RegionCode) -> Task<OutgoingBatch?, any Error> {
        Task { [changeLog, batchSize] in try await changeLog.nextBatch(after: seq, limit: batchSize, kinds: kinds, parent: parent) }
    }

    /// The header's JSON with the changes spliced in before its closing brace: the changes are already JSON text.
    public static func document(_ header: BatchHeader, changes: String) throws -> String {
        var headerJSON = String(decoding: try JSONEncoder().encode(header), as: UTF8.self)
        headerJSON.removeLast()
        return headerJSON + ",\"changes\":" + changes + "}"
    }

    private struct DirectivePage: Decodable {
        var toSeq: Int64
        var count: Int
    }

    /// Pages of directives after the stored cursor until the parent has nothing newer, of the kinds this node reads (a
    /// wave-1 parent, which knows no versions, is not told).
    private func pull(
        from parent: RegionCode,
        at url: String,
        token: String,
        speaking schema: ReplicationSchema,
        report: inout SyncReport
    ) async throws {
        let own = schemas.current
        let reads = schema.version > 1 ? "&schemaVersion=\(own.version)" : ""
        while true {
            let since = report.directivesSeq
            let document = try await withRetries { try await get(url + "/v1/sync/directives?since=\(since)\(reads)", token: token) }
            let page = try JSONDecoder().decode(DirectivePage.self, from: document)
            guard page.toSeq > since else { return }
            report.directives += try await directiveFeed.applyDirectives(
                ChangeRows(document: document),
                toSeq: page.toSeq,
                parent: parent,
                schemaVersion: own.version
            )
            report.directivesSeq = page.toSeq
        }
    }

    enum Answer {
        case acked(BatchAck)
        case gap(expected: Int64)
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String
            var message: String
        }

        var error: Detail
        var expected: Int64?
    }

    /// One request, retried on network errors and 5xx with backoff; 4xx answers are final. A parent busy with other
    /// children's batches is asked again after the wait it names, within `busyPatience`, without counting an attempt.
    private func withRetries<T>(_ request: () async throws -> T) async throws -> T {
        var attempt = 1
        let patience = ContinuousClock.now + retry.busyPatience
        while true {
            do {
                return try await request()
            } catch let error as SyncError where error.busyFor != nil && ContinuousClock.now < patience && !Task.isCancelled {
                logger.debug("the parent is busy with other children's batches; sending again", metadata: ["in": "\(error.busyFor!)"])
                try await Task.sleep(for: error.busyFor! * Double.random(in: 1.0...1.5))
            } catch let error as SyncError where error.retryable && attempt < retry.attempts && !Task.isCancelled {
                let delay = retry.delay(before: attempt)
                logger.warning("request to parent failed; retrying", metadata: ["attempt": "\(attempt)", "in": "\(delay)", "error": "\(error)"])
                try await Task.sleep(for: delay)
                attempt += 1
            }
        }
    }

    private func post(_ body: String, to url: String, token: String) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: body))
        let (status, headers, bytes) = try await exchange(request, token: token)
        if status == .ok {
            return .acked(try JSONDecoder().decode(BatchAck.self, from: Data(buffer: bytes)))
        }
        let detail = try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: bytes))
        if status == .conflict, detail?.error.code == "gap", let expected = detail?.expected {
            return .gap(expected: expected)
        }
        var refusal = Self.refusal(status, detail: detail, bytes: bytes)
        if status == .serviceUnavailable, detail?.error.code == "busy" {
            refusal.busyFor = .seconds(headers.first(name: "Retry-After").flatMap { Int($0) }.map { min(max($0, 1), 60) } ?? 1)
        }
        throw refusal
    }

    private func get(_ url: String, token: String) async throws -> Data {
        let (status, _, bytes) = try await exchange(HTTPClientRequest(url: url), token: token)
        guard status == .ok else {
            throw Self.refusal(status, detail: try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: bytes)), bytes: bytes)
        }
        return Data(buffer: bytes)
    }

    /// The largest answer the parent gives (a page of directives is a few MiB).
    static let answerLimit = 64 << 20

    /// Sends with the parent token and reads the whole answer within the retry policy's `requestTimeout` (the HTTP
    /// client's own timeout ends with the response head). Any failure to get an answer is a retryable error; a
    /// cancelled request (the push restarts, or the node stops) is a `CancellationError`, never retried.
    private func exchange(_ request: HTTPClientRequest, token: String) async throws -> (HTTPResponseStatus, HTTPHeaders, ByteBuffer) {
        var request = request
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let tls, request.url.lowercased().hasPrefix("https://") { request.tlsConfiguration = tls }
        let deadline = ContinuousClock.now + retry.requestTimeout
        do {
            let response = try await http.execute(request, timeout: .init(retry.requestTimeout), logger: logger)
            let body = try await Self.collect(response.body, until: deadline)
            return (response.status, response.headers, body)
        } catch {
            if error is CancellationError || Task.isCancelled { throw CancellationError() }
            if error is NIOSSLError || error is NIOSSLExtraError {
                // A certificate this node does not trust will not become trusted by trying again; nothing was sent.
                let message =
                    "TLS with the parent at \(request.url) failed, nothing was sent: \(error) "
                    + "(is its certificate issued by the CA in this node's tls.ca, and does it name the url's host?)"
                throw SyncError(status: nil, message: message, retryable: false)
            }
            throw SyncError(status: nil, message: "cannot reach the parent at \(request.url): \(error)", retryable: true)
        }
    }

    private struct AnswerTimedOut: Error, CustomStringConvertible {
        var description: String { "the answer did not arrive in time" }
    }

    /// The answer's bytes, read by `deadline` at the latest: a parent that sends its head and then trickles or stalls
    /// does not hold a run up for longer than one attempt may take.
    private static func collect(_ body: HTTPClientResponse.Body, until deadline: ContinuousClock.Instant) async throws -> ByteBuffer {
        try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
            group.addTask { try await body.collect(upTo: answerLimit) }
            group.addTask {
                try await Task.sleep(until: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let bytes = first else { throw AnswerTimedOut() }
            return bytes
        }
    }

    private static func refusal(_ status: HTTPResponseStatus, detail: ErrorBody?, bytes: ByteBuffer) -> SyncError {
        let message = detail.map { "\($0.error.code): \($0.error.message)" } ?? String(buffer: bytes)
        return SyncError(status: Int(status.code), message: message, retryable: status.code >= 500)
    }
}

/// Lets one run at a time; others wait their turn (and then find little left to send).
actor RunGate {
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func exclusively<T: Sendable>(_ work: @Sendable () async -> T) async -> T {
        if busy {
            await withCheckedContinuation { waiting.append($0) }
        } else {
            busy = true
        }
        let result = await work()
        if waiting.isEmpty { busy = false } else { waiting.removeFirst().resume() }
        return result
    }
}

extension HTTPClient {
    /// The client sync runs use: a connection that cannot be made fails the attempt at once, so the run's own
    /// `RetryPolicy` is the only retry. (By default the pool keeps reconnecting within each attempt and backs off
    /// for up to a minute after a parent outage — then a run right after the parent is back fails although it is.)
    public static let sync: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        // A parent that goes silent mid-answer (or mid-apply) for this long is taken as gone: the attempt fails and is
        // retried. The apply of one batch takes seconds; a minute leaves room for a busy parent.
        configuration.timeout.read = .seconds(60)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()
}
