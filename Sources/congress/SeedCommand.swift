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
            year besides the session, 88 % confirmed) of this year up to today and the years before. No ID numbers. \
            The same seed writes the same records: a second run changes nothing but the activities of the days since, \
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
            var logger = Logger(label: "congress")
            logger.logLevel = .warning
            let setup = try NodeSetup.load(nodeFile: node, logger: logger)
            let summary = try await setup.withMigratedDatabase { client in
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
        func write<Body: RecordBody>(_ records: [SyntheticRecord<Body>]) async throws -> String {
            let prepared = try records.map { record in
                var body = record.body
                let region = try body.validate(regionCode: record.regionCode, node: node)
                return PreparedRecord(id: record.id, regionCode: region, body: body)
            }
            let created = prepared.isEmpty ? 0 : try await store.importRecords(prepared).created
            return "\(records.count) \(Body.kind.collection) (\(created) new)"
        }
        // Assignments, groups and activities refer to deputies, stations and groups: those first.
        let parts = [
            try await write(records.units), try await write(records.stations), try await write(records.deputies),
            try await write(records.assignments), try await write(records.trainings), try await write(records.groups),
            try await write(records.activities),
        ]
        return parts.joined(separator: ", ")
    }
}

extension SyntheticRecords.Scale: ExpressibleByArgument {}
