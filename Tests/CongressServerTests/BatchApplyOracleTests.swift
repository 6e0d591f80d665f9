import CongressCore
import CongressStore
import Foundation
import Logging
import PostgresNIO
import Testing

/// A pushed batch is split into rows by `ChangeRows` and copied into PostgreSQL; what it stores must be exactly what
/// PostgreSQL's own JSON reader finds in the same document, whatever its layout and escapes.
@Suite struct BatchApplyOracleTests {
    static let sender = RegionCode("420802101")!

    @Test(arguments: [UInt64(1), 2, 3])
    func storesWhatPostgreSQLsOwnJSONReaderFindsInTheBatch(seed: UInt64) async throws {
        var writer = JSONWriter(random: SeededRandom(seed: seed))
        let document = writer.batch(changes: 300)
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let store = BatchApplier(client: client, node: RegionCode("420802")!, logger: TestDatabase.quietLogger)
            let header = BatchHeader(protocol: SyncProtocol.version, schemaHash: "", topologyHash: "", sender: Self.sender, fromSeq: 1, toSeq: 300)
            let outcome = try await store.apply(header, changes: try ChangeRows(document: Data(document.utf8)), kinds: Set(RecordKind.allCases))
            #expect(outcome == .acked(BatchAck(acked: 300, applied: 300)))

            let stored = try await Self.texts(
                ["deputies", "stations", "units"].map {
                    "SELECT concat_ws('|', id, origin, region_code, version, updated_at, deleted, body) FROM \($0)"
                }.joined(separator: " UNION ALL "),
                on: client
            )
            // PostgreSQL reading the whole document as jsonb: the way batches were applied before.
            var bindings = PostgresBindings()
            bindings.append(document)
            let oracle = try await Self.texts(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT concat_ws('|', (e ->> 'id')::uuid, e ->> 'origin', e ->> 'regionCode', (e ->> 'version')::bigint,
                            (e ->> 'updatedAt')::timestamptz, (e ->> 'deleted')::boolean, e -> 'body')
                        FROM jsonb_array_elements(($1::jsonb) -> 'changes') e
                        """,
                    binds: bindings
                ),
                on: client
            )
            #expect(stored.count == 300)
            #expect(stored.sorted() == oracle.sorted())
        }
    }

    /// A child keeps two batches in flight; should the later one reach the checkpoint first, it waits for the earlier
    /// one instead of answering with a gap, and both apply.
    @Test func aBatchArrivingBeforeTheOneInFrontOfItWaitsForItInsteadOfReportingAGap() async throws {
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let store = BatchApplier(client: client, node: RegionCode("420802")!, logger: TestDatabase.quietLogger)
            @Sendable func batch(_ seq: Int64) throws -> (BatchHeader, ChangeRows) {
                let header = BatchHeader(
                    protocol: SyncProtocol.version,
                    schemaHash: "",
                    topologyHash: "",
                    sender: Self.sender,
                    fromSeq: seq,
                    toSeq: seq
                )
                let change = """
                    {"kind":"deputy","id":"\(UUID().uuidString)","origin":"420802101","regionCode":"420802101","version":\(seq),
                    "updatedAt":"2026-11-22T01:00:00Z","deleted":false,"body":{"name":"代表\(seq)"}}
                    """
                return (header, try ChangeRows(document: Data(#"{"changes":[\#(change)]}"#.utf8)))
            }
            let first = try batch(1)
            #expect(try await store.apply(first.0, changes: first.1, kinds: Set(RecordKind.allCases)) == .acked(BatchAck(acked: 1, applied: 1)))

            // The checkpoint held elsewhere, batch 3 queues for it first, then batch 2 behind it.
            let waiting = "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            var answers: [Task<ApplyOutcome, any Error>] = []
            try await TestDatabase.inTransaction("SELECT * FROM sync_checkpoints FOR UPDATE", on: database) {
                for (seq, waiters) in [(Int64(3), "1"), (2, "2")] {
                    let pushed = try batch(seq)
                    answers.append(Task { try await store.apply(pushed.0, changes: pushed.1, kinds: Set(RecordKind.allCases)) })
                    let seen = try await eventually({ try await TestDatabase.texts(waiting, on: database) }, until: { $0 == [waiters] })
                    #expect(seen == [waiters], "batch \(seq): \(seen) waiting on a lock")
                }
            }
            #expect(try await answers[0].value == .acked(BatchAck(acked: 3, applied: 1)))
            #expect(try await answers[1].value == .acked(BatchAck(acked: 2, applied: 1)))
            #expect(try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: database) == ["3"])
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM change_log", on: database) == ["3"])
        }
    }

    /// A batch of mandates `ids` at `version` (the same records in several batches: updated while the child synced).
    static func mandates(_ ids: [UUID], version: Int64, seqs: ClosedRange<Int64>) throws -> (BatchHeader, ChangeRows) {
        let header = BatchHeader(
            protocol: SyncProtocol.version,
            schemaHash: "",
            topologyHash: "",
            sender: sender,
            fromSeq: seqs.lowerBound,
            toSeq: seqs.upperBound
        )
        let changes = ids.map { id in
            """
            {"kind":"deputy","id":"\(id.uuidString)","origin":"420802101","regionCode":"420802101","version":\(version),
            "updatedAt":"2026-11-22T01:00:00Z","deleted":false,"body":{"name":"代表","round":\(version)}}
            """
        }
        return (header, try ChangeRows(document: Data(#"{"changes":[\#(changes.joined(separator: ","))]}"#.utf8)))
    }

    /// A batch lands in its tables before it takes the sender's checkpoint; found not next there — a gap before it, or
    /// a copy of it applied meanwhile — it is undone whole: no record, no change-log entry.
    @Test func aBatchLandedBeforeItsTurnIsUndoneWhenTheCheckpointSaysItIsNotNext() async throws {
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let store = BatchApplier(client: client, node: RegionCode("420802")!, logger: TestDatabase.quietLogger)
            let stored = "SELECT (SELECT count(*) FROM deputies) || '/' || (SELECT count(*) FROM change_log)"
            _ = try await TestDatabase.texts("INSERT INTO sync_checkpoints (sender) VALUES ('\(Self.sender)') RETURNING sender", on: database)

            let afterAGap = try Self.mandates((0..<3).map { _ in UUID() }, version: 7, seqs: 5...7)
            #expect(try await store.apply(afterAGap.0, changes: afterAGap.1, kinds: Set(RecordKind.allCases)) == .gap(expected: 1))
            #expect(try await TestDatabase.texts(stored, on: database) == ["0/0"])

            // Another copy of seqs 1–2 applied while this one landed (here: the checkpoint moved by hand, to see that
            // this copy's rows go).
            let copy = try Self.mandates([UUID(), UUID()], version: 2, seqs: 1...2)
            let waiting = "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            var answer: Task<ApplyOutcome, any Error>?
            try await TestDatabase.inTransaction("UPDATE sync_checkpoints SET acked_seq = 2", on: database) {
                answer = Task { try await store.apply(copy.0, changes: copy.1, kinds: Set(RecordKind.allCases)) }
                let seen = try await eventually({ try await TestDatabase.texts(waiting, on: database) }, until: { $0 == ["1"] })
                #expect(seen == ["1"])
                let visible = try await TestDatabase.texts("SELECT count(*)::text FROM deputies", on: database)
                #expect(visible == ["0"], "landed, not committed")
            }
            let outcome = try await answer?.value
            #expect(outcome == .acked(BatchAck(acked: 2, applied: 0)))
            #expect(try await TestDatabase.texts(stored, on: database) == ["0/0"])
        }
    }

    /// Two batches of one child naming the same records land at once, in either order of arrival: one waits for the
    /// other's rows, and the newer versions win, each logged once per batch that applied it.
    @Test(arguments: [false, true])
    func twoBatchesNamingTheSameRecordsLandTogetherAndTheNewerVersionsWin(laterArrivesFirst: Bool) async throws {
        let database = try await TestDatabase.make()
        try await TestDatabase.withClient(on: database) { client in
            try await Migrations.apply(on: client, logger: TestDatabase.quietLogger)
            let store = BatchApplier(client: client, node: RegionCode("420802")!, logger: TestDatabase.quietLogger)
            let shared = (0..<50).map { _ in UUID() }
            let earlier = try Self.mandates(shared + (0..<50).map { _ in UUID() }, version: 100, seqs: 1...100)
            let later = try Self.mandates(shared.reversed() + (0..<50).map { _ in UUID() }, version: 200, seqs: 101...200)
            _ = try await TestDatabase.texts("INSERT INTO sync_checkpoints (sender) VALUES ('\(Self.sender)') RETURNING sender", on: database)

            let waiting = "SELECT count(*)::text FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            var answers: [Task<ApplyOutcome, any Error>] = []
            try await TestDatabase.inTransaction("SELECT * FROM sync_checkpoints FOR UPDATE", on: database) {
                let arrivals = laterArrivesFirst ? [later, earlier] : [earlier, later]
                for index in arrivals.indices {
                    let (header, changes) = arrivals[index]
                    answers.append(Task { try await store.apply(header, changes: changes, kinds: Set(RecordKind.allCases)) })
                    let seen = try await eventually({ try await TestDatabase.texts(waiting, on: database) }, until: { $0 == ["\(index + 1)"] })
                    #expect(seen == ["\(index + 1)"])
                }
            }
            let expected: [ApplyOutcome] = [.acked(BatchAck(acked: 100, applied: 100)), .acked(BatchAck(acked: 200, applied: 100))]
            let outcomes = try await [answers[0].value, answers[1].value]
            #expect(outcomes == (laterArrivesFirst ? expected.reversed() : expected))
            #expect(
                try await TestDatabase.texts("SELECT version::text || ':' || count(*) FROM deputies GROUP BY version ORDER BY version", on: database)
                    == ["100:50", "200:100"]
            )
            #expect(try await TestDatabase.texts("SELECT count(*)::text FROM change_log", on: database) == ["200"])
            #expect(try await TestDatabase.texts("SELECT acked_seq::text FROM sync_checkpoints", on: database) == ["200"])
        }
    }

    static func texts(_ query: PostgresQuery, on client: PostgresClient) async throws -> [String] {
        var values: [String] = []
        for try await value in try await client.query(query, logger: TestDatabase.quietLogger).decode(String.self) { values.append(value) }
        return values
    }

    static func texts(_ sql: String, on client: PostgresClient) async throws -> [String] {
        try await texts(PostgresQuery(unsafeSQL: sql), on: client)
    }
}

/// Writes batch documents the way any JSON writer may: members in any order, any whitespace, strings escaped or not,
/// unknown members, nested bodies with awkward text.
private struct JSONWriter {
    var random: SeededRandom
    private var units = 0

    init(random: SeededRandom) { self.random = random }

    mutating func batch(changes count: Int) -> String {
        let changes = (0..<count).map { _ in change() }
        return object([
            ("protocol", "1"), ("sender", string("420802101")), ("fromSeq", "1"), ("toSeq", "\(count)"),
            ("edges", array([object([("node", string("420802101")), ("lastBatchAt", string("2026-11-22T01:00:00Z"))])])),
            ("changes", array(changes)),
        ])
    }

    private mutating func change() -> String {
        let kind = ["deputy", "station", "unit"].randomElement(using: &random)!
        var region = "420802101"
        if kind == "unit" {
            units += 1
            region += String(format: "%03d", units)
        }
        let times = ["2026-11-22T01:00:00Z", "2026-11-22T09:00:00.125+08:00", "2026-02-28T23:59:59.5-05:30"]
        var members: [(String, String)] = [
            ("kind", string(kind)), ("id", string(random.uuid().uuidString.lowercased())), ("origin", string("420802101")),
            ("regionCode", string(region)), ("version", "\(Int.random(in: 1...1_000_000_000_000, using: &random))"),
            ("updatedAt", string(times.randomElement(using: &random)!)), ("deleted", Bool.random(using: &random) ? "true" : "false"),
            ("body", body(depth: 0)),
        ]
        if Bool.random(using: &random) { members.append(("unknownField", body(depth: 1))) }
        return object(members.shuffled(using: &random))
    }

    private mutating func body(depth: Int) -> String {
        let count = Int.random(in: 0...5, using: &random)
        return object(
            (0..<count).map { index in
                let value: String
                switch Int.random(in: 0..<7, using: &random) {
                case 0 where depth < 3: value = body(depth: depth + 1)
                case 1 where depth < 3: value = array((0..<Int.random(in: 0...3, using: &random)).map { _ in awkwardText() })
                case 2: value = ["null", "true", "false", "0", "-12", "3.25", "1e3"].randomElement(using: &random)!
                default: value = awkwardText()
                }
                return ("f\(index)", value)
            }
        )
    }

    private mutating func awkwardText() -> String {
        let pieces = ["张三", "代表之家", "😀", "\"", "\\", "/", "\n", "\t", "\r", "\u{1}", "\u{7f}", "a b", "\\N", "'", "%", "\u{2028}"]
        return string((0..<Int.random(in: 0...6, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined())
    }

    /// A JSON string for `text`, each character escaped or written as is at random (where JSON allows).
    private mutating func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            let mustEscape = scalar == "\"" || scalar == "\\" || scalar.value < 0x20
            if mustEscape || Int.random(in: 0..<4, using: &random) == 0 {
                let named: [Unicode.Scalar: String] = ["\"": "\\\"", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "/": "\\/"]
                if let short = named[scalar], Bool.random(using: &random) {
                    out += short
                } else {
                    for unit in String(scalar).utf16 { out += String(format: "\\u%04x", unit) }
                }
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    private mutating func space() -> String { ["", "", " ", "\n  ", "\t", " \r\n"].randomElement(using: &random)! }

    private mutating func object(_ members: [(String, String)]) -> String {
        var parts: [String] = []
        for (name, value) in members { parts.append(space() + string(name) + space() + ":" + space() + value + space()) }
        return "{" + parts.joined(separator: ",") + space() + "}"
    }

    private mutating func array(_ values: [String]) -> String {
        var parts: [String] = []
        for value in values { parts.append(space() + value + space()) }
        return "[" + parts.joined(separator: ",") + space() + "]"
    }
}
