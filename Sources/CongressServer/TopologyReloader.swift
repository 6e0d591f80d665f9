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
            reload(trigger: .signal)
            reloadPoints(trigger: .signal)
        }
    }

    private func reloadOnChange() async {
        await cancelWhenGracefulShutdown { await pollFile() }
    }

    private func pollFile() async {
        await poll(
            read: { (try? ConfigFile.text(atPath: file, what: "the topology file")).map { (Topology.hash(of: $0), $0) } },
            inForce: {
                let current = inForce.current
                return (current.topology.hash, current.lastRejected?.hash)
            },
            reload: { reload(trigger: .fileChange, text: $0) }
        )
    }

    /// Reads every `pollInterval` and reloads what was read once two reads in a row agree (no half-written files) and it
    /// is neither in force nor the last refused. What is in force is asked each time: SIGHUP or a sync may have swapped
    /// or refused something meanwhile.
    private func poll<Content>(
        read: () -> (hash: String, content: Content)?,
        inForce: () -> (hash: String, refused: String?),
        reload: (Content) -> Void
    ) async {
        var previousRead: String?
        while !Task.isCancelled {
            try? await Task.sleep(for: pollInterval)
            guard let (hash, content) = read() else { continue }
            defer { previousRead = hash }
            let current = inForce()
            guard hash != current.hash, hash == previousRead, hash != current.refused else { continue }
            reload(content)
        }
    }

    /// Reads the file and swaps it in if valid; otherwise records and logs why it was refused.
    func reload(trigger: Trigger) {
        do throws(ConfigFileError) {
            reload(trigger: trigger, text: try ConfigFile.text(atPath: file, what: "the topology file"))
        } catch {
            refuse(hash: "", diagnostics: error.diagnostics, trigger: trigger)
        }
    }

    private func reload(trigger: Trigger, text: String) {
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
            refuse(hash: hash, diagnostics: error.diagnostics, trigger: trigger)
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
    }

    private func pollPoints() async {
        guard let directory = points.directory else { return }
        await poll(
            read: { (try? PointsFolder.read(directory: directory)).map { (PointsFolder.hash(of: $0), $0) } },
            inForce: {
                let current = points.current
                return (current.folder.hash, current.lastRejected?.hash)
            },
            reload: { reloadPoints(trigger: .fileChange, files: $0) }
        )
    }

    /// Reads the points folder and swaps it in if every file passes; otherwise records and logs why it was refused.
    func reloadPoints(trigger: Trigger) {
        guard let directory = points.directory else { return }
        do throws(ConfigFileError) {
            reloadPoints(trigger: trigger, files: try PointsFolder.read(directory: directory))
        } catch {
            refusePoints(hash: "", diagnostics: error.diagnostics, trigger: trigger)
        }
    }

    private func reloadPoints(trigger: Trigger, files: [String: String]) {
        guard let directory = points.directory else { return }
        let previous = points.folder
        let hash = PointsFolder.hash(of: files)
        guard hash != previous.hash else { return }
        do throws(ConfigFileError) {
            let folder = try PointsFolder.check(files, directory: directory)
            points.accept(folder)
            logger.notice(
                "points rules reloaded",
                metadata: ["hash": "\(hash)", "previous": "\(previous.hash)", "trigger": "\(trigger.rawValue)", "files": "\(files.count)"]
            )
        } catch {
            refusePoints(hash: hash, diagnostics: error.diagnostics, trigger: trigger)
        }
    }

    private func refusePoints(hash: String, diagnostics: [Diagnostic], trigger: Trigger) {
        let errors = diagnostics.filter { $0.severity == .error }
        points.reject(ConfigRejection(at: .now, hash: hash, trigger: trigger.rawValue, errors: errors))
        logger.error(
            "points rules refused; the ones in force stay",
            metadata: ["hash": "\(hash)", "inForce": "\(points.folder.hash)", "trigger": "\(trigger.rawValue)", "errors": "\(errors.count)"]
        )
        for error in errors { logger.error("\(error)") }
    }

    private func refuse(hash: String, diagnostics: [Diagnostic], trigger: Trigger) {
        let errors = diagnostics.filter { $0.severity == .error }
        inForce.reject(TopologyInForce.Rejection(at: .now, hash: hash, trigger: trigger.rawValue, errors: errors))
        logger.error(
            "topology refused; the one in force stays",
            metadata: ["hash": "\(hash)", "inForce": "\(inForce.topology.hash)", "trigger": "\(trigger.rawValue)", "errors": "\(errors.count)"]
        )
        for error in errors { logger.error("\(error)") }
    }
}
