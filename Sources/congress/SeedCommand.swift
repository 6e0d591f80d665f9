import ArgumentParser
import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation
import Logging
import PostgresNIO

/// `congress seed --node FILE --synthetic`: realistic made-up records for the regions a node writes.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Write synthetic records for the regions this node writes (its own, and townships without a node).",
        discussion: """
            Villages, stations of every type with the six standards partly met, deputies with seats from the Electoral \
            Law's formulas (a share of persons sitting at two or three levels), assignments, at a city or province \
            a training for the coming days, and each congress's deputy groups and activities (about 1.6 a deputy a \
            year besides the session, 88 % confirmed) of this year up to today and the years before, and cases of last \
            year and this one (about 0.6 opinions a deputy a year, eight in ten closed, a few suggestions per congress; \
            no constituents' names or phones). No ID numbers. A case's event that follows another node's is written by \
            a run after the sync that brings that one. \
            The same seed writes the same records: a second run changes nothing but the activities and cases of the days since, \
            and nodes seeded apart agree on the persons they share. Works on the node's own database.
            """
    )

    @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
    var node: String

    @Flag(help: "Generate the records (the only source for now).")
    var synthetic = false

    @Option(help: "Population density: small (6,000 residents and 6 villages per township), city (30,000 and 21), province (45,000 and 21).")
    var scale: SyntheticRecords.Scale = .small

    @Option(help: "Seed of the generator.")
    var seed: UInt64 = 1

    @Option(help: "Share of upper-level deputies who also sit in their township's congress (0 to 1).")
    var shared: Double = 0.2

    @Option(name: .customLong("activity-years"), help: "Years of activities: this year up to today, and the years before it (0 to 5).")
    var activityYears = 2

    func run() async throws {
        try await Report.run {
            guard synthetic else {
                throw InputError(field: "synthetic", message: "say --synthetic: generated records are the only kind this command writes")
            }
            guard (0...1).contains(shared) else { throw InputError(field: "shared", message: "a share from 0 to 1, not \(shared)") }
            guard (0...5).contains(activityYears) else {
                throw InputError(field: "activity-years", message: "from 0 to 5 years, not \(activityYears)")
            }
            let logger = Logger(label: "congress", level: .warning)
            let setup = try NodeSetup.load(nodeFile: node, logger: logger)
            let summary = try await setup.withMigratedDatabase(doing: "seeding") { client in
                try await Self.seed(
                    setup: setup,
                    client: client,
                    scale: scale,
                    seed: seed,
                    shared: shared,
                    activityYears: activityYears,
                    logger: logger
                )
            }
            print("seeded \(setup.config.node): \(summary)")
        }
    }

    static func seed(
        setup: NodeSetup,
        client: PostgresClient,
        scale: SyntheticRecords.Scale,
        seed: UInt64,
        shared: Double,
        activityYears: Int = 2,
        logger: Logger
    ) async throws -> String {
        let node = setup.config.node
        let topology = setup.topology.topology
        let records = SyntheticRecords(
            topology: topology,
            node: node,
            scale: scale,
            seed: seed,
            sharedPersons: shared,
            personKeys: setup.secrets.personKeys,
            today: CalendarDate(Date(), timeZone: topology.defaultSync.timezone),
            activityYears: activityYears
        )
        let store = RecordStore(client: client, node: node, logger: logger)
        func created<Body: RecordBody>(_ records: [SyntheticRecord<Body>]) async throws -> Int {
            let prepared = try records.map { record in
                var body = record.body
                let region = try body.validate(regionCode: record.regionCode, node: node)
                return PreparedRecord(id: record.id, regionCode: region, body: body)
            }
            guard !prepared.isEmpty else { return 0 }
            return try await DatabaseError.translating("writing \(prepared.count) \(Body.kind.collection)") {
                try await store.importRecords(prepared).created
            }
        }
        func write<Body: RecordBody>(_ records: [SyntheticRecord<Body>]) async throws -> String {
            "\(records.count) \(Body.kind.collection) (\(try await created(records)) new)"
        }
        // A case's events in its order, one round at a time (the store checks each against those before it): an
        // event is written once all the case's events before it are here, another node's come by sync; the rest wait
        // for a run after the next sync. One already here is not written again.
        func writeEvents(_ events: [SyntheticCaseEvent]) async throws -> String {
            let held = try await store.caseEvents(of: Array(Set(events.map(\.record.body.caseId))))
            var counts = held.mapValues(\.count)
            let stored = Set(held.values.joined().map(\.meta.id))
            var waiting = events.filter { !stored.contains($0.record.id) }
            var written = 0
            while true {
                let ready = waiting.filter { counts[$0.record.body.caseId, default: 0] == $0.position }
                guard !ready.isEmpty else { break }
                written += try await created(ready.map(\.record))
                for event in ready { counts[event.record.body.caseId, default: 0] += 1 }
                let readyIDs = Set(ready.map(\.record.id))
                waiting.removeAll { readyIDs.contains($0.record.id) }
            }
            return "\(events.count) case events (\(written) new, \(waiting.count) waiting for another node's)"
        }
        // Assignments, groups, activities and cases refer to deputies, stations and groups: those first.
        let parts = [
            try await write(records.units), try await write(records.stations), try await write(records.deputies),
            try await write(records.assignments), try await write(records.trainings), try await write(records.groups),
            try await write(records.activities), try await write(records.cases), try await writeEvents(records.caseEvents),
        ]
        return parts.joined(separator: ", ")
    }
}

extension SyntheticRecords.Scale: ExpressibleByArgument {}
