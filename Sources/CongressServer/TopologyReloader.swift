import CongressCore
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Reloads the topology file and the points rules folder beside it on SIGHUP and when their contents change; a file with
/// errors is refused and what is in force stays, so an operator's typo never takes a node down.
struct TopologyReloader: Service {
    enum Trigger: String {
        case signal = "SIGHUP"
        case fileChange = "file change"
    }

    let inForce: TopologyInForce
    let points: PointsInForce
    let file: String
    let node: RegionCode
    /// How often the file is read to notice edits; a change is taken once two reads agree (no half-written files).
    let pollInterval: Duration
    /// Every reload, adopted or refused, is an audit entry of the operator (SPEC §14).
    let audit: AuditTrail
    let logger: Logger

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await reloadOnSignal() }
            group.addTask { await reloadOnChange() }
            if points.directory != nil { group.addTask { await cancelWhenGracefulShutdown { await pollPoints() } } }
        }
    }

    private func reloadOnSignal() async {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        logger.debug("topology reloads on SIGHUP and when its file changes", metadata: ["file": "\(file)"])
        for await _ in signals.cancelOnGracefulShutdown() {
            await reload(trigger: .signal)
            await reloadPoints(trigger: .signal)
        }
    }

    private func reloadOnChange() async {
        await cancelWhenGracefulShutdown { await pollFile() }
    }

    private func pollFile() async {
        await poll(
            inForce,
            hash: \.topology.hash,
            read: { (try? ConfigFile.text(atPath: file, what: "the topology file")).map { (Topology.hash(of: $0), $0) } },
            reload: { await reload(trigger: .fileChange, text: $0) }
        )
    }

    /// Reads every `pollInterval` and reloads what was read once two reads in a row agree (no half-written files) and it
    /// is neither in force nor the last refused. What is in force is asked each time: SIGHUP or a sync may have swapped
    /// or refused something meanwhile.
    private func poll<Content, Read>(
        _ holder: ConfigInForce<Content>,
        hash contentHash: (Content) -> String,
        read: () -> (hash: String, content: Read)?,
        reload: (Read) async -> Void
    ) async {
        var previousRead: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            guard let (hash, content) = read() else { continue }
            defer { previousRead = hash }
            let current = holder.current
            guard hash != contentHash(current.content), hash == previousRead, hash != current.lastRejected?.hash else { continue }
            await reload(content)
        }
    }

    /// Reads the file and swaps it in if valid; otherwise records and logs why it was refused.
    func reload(trigger: Trigger) async {
        let text: String
        do throws(ConfigFileError) {
            text = try ConfigFile.text(atPath: file, what: "the topology file")
        } catch {
            await refuse(inForce, "topology refused; the one in force stays", inForce: inForce.topology.hash, hash: "", error.diagnostics, trigger)
            return
        }
        await reload(trigger: trigger, text: text)
    }

    private func reload(trigger: Trigger, text: String) async {
        let previous = inForce.topology
        let hash = Topology.hash(of: text)
        guard hash != previous.hash else {
            logger.info("topology unchanged", metadata: ["hash": "\(hash)", "trigger": "\(trigger.rawValue)"])
            return
        }
        let loaded: TopologyLoader.Loaded
        do throws(ConfigFileError) {
            loaded = try TopologyInForce.check(text, file: file, node: node)
        } catch {
            await refuse(inForce, "topology refused; the one in force stays", inForce: previous.hash, hash: hash, error.diagnostics, trigger)
            return
        }
        let entry = loaded.topology.node(node)
        inForce.accept(loaded)
        logger.notice(
            "topology reloaded",
            metadata: [
                "hash": "\(hash)", "previous": "\(previous.hash)", "trigger": "\(trigger.rawValue)", "nodes": "\(loaded.topology.allNodes.count)",
            ]
        )
        for warning in loaded.warnings { logger.warning("\(warning)") }
        if let entry, entry.url != previous.node(node)?.url {
            logger.warning("this node's url changed to \(entry.url ?? "none"); it keeps its listening address until restarted")
        }
        await audit.append(actor: "operator", action: "topology reload (\(trigger.rawValue))", outcome: "adopted \(hash.prefix(12))")
    }

    private func pollPoints() async {
        guard let directory = points.directory else { return }
        await poll(
            points,
            hash: \.hash,
            read: { (try? PointsFolder.read(directory: directory)).map { (PointsFolder.hash(of: $0), $0) } },
            reload: { await reloadPoints(trigger: .fileChange, files: $0) }
        )
    }

    /// Reads the points folder and swaps it in if every file passes; otherwise records and logs why it was refused.
    func reloadPoints(trigger: Trigger) async {
        guard let directory = points.directory else { return }
        let files: [String: String]
        do throws(ConfigFileError) {
            files = try PointsFolder.read(directory: directory)
        } catch {
            await refuse(points, "points rules refused; the ones in force stay", inForce: points.folder.hash, hash: "", error.diagnostics, trigger)
            return
        }
        await reloadPoints(trigger: trigger, files: files)
    }

    private func reloadPoints(trigger: Trigger, files: [String: String]) async {
        guard let directory = points.directory else { return }
        let previous = points.folder
        let hash = PointsFolder.hash(of: files)
        guard hash != previous.hash else { return }
        let folder: PointsFolder
        do throws(ConfigFileError) {
            folder = try PointsFolder.check(files, directory: directory)
        } catch {
            await refuse(points, "points rules refused; the ones in force stay", inForce: previous.hash, hash: hash, error.diagnostics, trigger)
            return
        }
        points.accept(folder)
        logger.notice(
            "points rules reloaded",
            metadata: ["hash": "\(hash)", "previous": "\(previous.hash)", "trigger": "\(trigger.rawValue)", "files": "\(files.count)"]
        )
        await audit.append(actor: "operator", action: "points rules reload (\(trigger.rawValue))", outcome: "adopted \(hash.prefix(12))")
    }

    /// Keeps in `holder` why what was read (`hash`) was refused, and logs it with every error; what is in force stays.
    private func refuse<Content>(
        _ holder: ConfigInForce<Content>,
        _ message: Logger.Message,
        inForce: String,
        hash: String,
        _ diagnostics: [Diagnostic],
        _ trigger: Trigger
    ) async {
        let errors = diagnostics.filter { $0.severity == .error }
        holder.reject(ConfigRejection(at: .now, hash: hash, trigger: trigger.rawValue, errors: errors))
        logger.error(
            message,
            metadata: ["hash": "\(hash)", "inForce": "\(inForce)", "trigger": "\(trigger.rawValue)", "errors": "\(errors.count)"]
        )
        for error in errors { logger.error("\(error)") }
        await audit.append(
            actor: "operator",
            action: "\(holder === points ? "points rules" : "topology") reload (\(trigger.rawValue))",
            outcome: "refused \(hash.prefix(12)) (\(errors.count) errors)"
        )
    }
}
