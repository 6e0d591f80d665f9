import CongressCore
import CongressStore

/// The division changes at this node (SPEC §15): a change file checked against the topology in force and the villages
/// this node knows, then this node's own records re-attributed in one transaction.
struct DivisionService: Sendable {
    let store: RecordStore
    let topology: TopologyInForce
    let sync: SyncService
    let recoded: RecodedNodes

    var node: RegionCode { store.node }

    func apply(file: String, text: String) async throws -> DivisionApplyReport {
        let current = topology.topology
        let changes: DivisionChanges
        do {
            changes = try DivisionChangesLoader.parse(text, file: file, topology: current, units: try await store.villagesByTownship())
        } catch let error as ConfigFileError {
            throw APIError(.unprocessableContent, code: "invalid_change_file", message: error.description, field: "text")
        }
        let remap = DivisionRemap(changes, topology: current)
        let needed = SchemaHistory.divisionChangesVersion
        let path = try await sync.pathSchemaVersion()
        guard let path, path >= needed else {
            throw APIError(
                .conflict,
                code: "schema_mismatch",
                message: path == nil
                    ? "\(node) has not yet heard which release runs above it: sync with the parent first, then apply the change file"
                    : "a node above \(node) runs a release that speaks replication schema v\(path!), and re-attributed records need "
                        + "v\(needed): upgrade congress on every node up to the root before applying the change file"
            )
        }
        let recodedNodes = current.runningNodes.compactMap { running in remap.code(running.code).map { (old: running.code, new: $0) } }
        let report = try await store.applyDivisionChanges(
            remap,
            file: file,
            hash: Topology.hash(of: text),
            allowedOwners: current.root.code,
            recoded: recodedNodes
        )
        recoded.replace(with: try await store.recodedNodes())
        return report
    }
}
