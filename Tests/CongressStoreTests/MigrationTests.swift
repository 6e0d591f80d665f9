import CongressCore
import CongressStore
import Foundation
import Logging
import PostgresNIO
import Testing

@Suite struct MigrationTests {
    static var quiet: Logger { Logger(label: "test").errorsOnly }

    /// Applying the schema again, or from several nodes at once, changes nothing.
    @Test func applyIsIdempotentAndSafeConcurrently() async throws {
        let url = try #require(ProcessInfo.processInfo.environment["CONGRESS_TEST_DATABASE"], "run the tests with ops/test")
        let server = try DatabaseAddress(url: url)
        let name = "m_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await ManagedPostgres.createDatabaseIfMissing(name, on: server, logger: Self.quiet)
        let client = PostgresClient(configuration: server.with(database: name).clientConfiguration, backgroundLogger: Self.quiet)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            try await withThrowingTaskGroup(of: Void.self) { appliers in
                for _ in 0..<4 { appliers.addTask { try await Migrations.apply(on: client, logger: Self.quiet) } }
                try await appliers.waitForAll()
            }
            try await Migrations.apply(on: client, logger: Self.quiet)
            var versions: [Int] = []
            for try await version in try await client.query("SELECT version FROM schema_migrations ORDER BY version").decode(Int.self) {
                versions.append(version)
            }
            #expect(versions == Array(1...Migrations.latestVersion))
            var counter: [Int64] = []
            for try await seq in try await client.query("SELECT last_seq FROM change_counter").decode(Int64.self) { counter.append(seq) }
            #expect(counter == [0], "the change counter is seeded once")
            group.cancelAll()
        }
    }
}

@Suite struct ListQueryTests {
    @Test func refusesUnknownParametersWithSuggestion() {
        #expect {
            try ListQuery(kind: .station, parameters: [("typ", "home")])
        } throws: { error in
            (error as? InputError)?.message == "unknown query parameter 'typ'; did you mean 'type'?"
        }
    }

    @Test func acceptsKindFiltersAndBoundsLimit() throws {
        let query = try ListQuery(kind: .deputy, parameters: [("level", "county"), ("region", "4208"), ("limit", "1000")])
        #expect(query.limit == 1000)
        #expect(query.filters.map(\.0.parameter.name) == ["level"])
        #expect(throws: InputError.self) { try ListQuery(kind: .deputy, parameters: [("limit", "0")]) }
        #expect(throws: InputError.self) { try ListQuery(kind: .deputy, parameters: [("region", "420")]) }
    }
}
