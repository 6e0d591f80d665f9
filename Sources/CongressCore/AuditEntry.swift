#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One entry of a node's audit log (SPEC §14): who did what to which record, from where, and how it ended; chained to
/// the entry before it by hash, so that a changed, removed or inserted entry breaks the chain.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var seq: Int64
    /// Milliseconds since 1970, UTC: what the hash covers, exactly.
    public var atMilliseconds: Int64
    /// `admin token`, `read token`, `child 420802001`, `user 张三`, `operator` (the command line), `node` (the node itself).
    public var actor: String
    /// The client's address, when the entry comes from a request.
    public var address: String?
    /// `POST /v1/deputies`, `topology reload`, `audit prune`…
    public var action: String
    /// The record concerned (`/v1/deputies/ID`), if any.
    public var record: String?
    /// The status answered (`201`, `403`) or what happened (`adopted`, `refused`).
    public var outcome: String
    public var previousHash: String
    public var hash: String

    public init(
        seq: Int64,
        atMilliseconds: Int64,
        actor: String,
        address: String?,
        action: String,
        record: String?,
        outcome: String,
        previousHash: String
    ) {
        self.seq = seq
        self.atMilliseconds = atMilliseconds
        self.actor = Self.clean(actor)
        self.address = address.map(Self.clean)
        self.action = Self.clean(action)
        self.record = record.map(Self.clean)
        self.outcome = Self.clean(outcome)
        self.previousHash = previousHash
        self.hash = ""
        self.hash = expectedHash
    }

    /// The hash before the first entry.
    public static let genesis = String(repeating: "0", count: 64)

    /// SHA-256 of the entry's fields and the hash before it, as `congress audit verify` recomputes it.
    public var expectedHash: String {
        let fields = ["\(seq)", "\(atMilliseconds)", actor, address ?? "", action, record ?? "", outcome, previousHash]
        return Hex.sha256(fields.joined(separator: Self.separator))
    }

    /// Fields are joined by a control character no field holds (it is taken out of each), so the joined text names its
    /// fields unambiguously.
    private static let separator = "\u{1F}"
    private static func clean(_ text: String) -> String { text.replacingOccurrences(of: separator, with: " ") }

    public var at: Timestamp { Timestamp(Date(timeIntervalSince1970: Double(atMilliseconds) / 1000)) }

    /// The UTC day of a time in milliseconds, `2026-05-31`.
    public static func day(_ milliseconds: Int64) -> String {
        String(Timestamp(Date(timeIntervalSince1970: Double(milliseconds) / 1000)).description.prefix(10))
    }

    private enum CodingKeys: String, CodingKey {
        case seq, at, actor, address, action, record, outcome, previousHash, hash
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        seq = try container.decode(Int64.self, forKey: .seq)
        atMilliseconds = Int64((try container.decode(Timestamp.self, forKey: .at).date.timeIntervalSince1970 * 1000).rounded())
        actor = try container.decode(String.self, forKey: .actor)
        address = try container.decodeIfPresent(String.self, forKey: .address)
        action = try container.decode(String.self, forKey: .action)
        record = try container.decodeIfPresent(String.self, forKey: .record)
        outcome = try container.decode(String.self, forKey: .outcome)
        previousHash = try container.decode(String.self, forKey: .previousHash)
        hash = try container.decode(String.self, forKey: .hash)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(seq, forKey: .seq)
        try container.encode(at, forKey: .at)
        try container.encode(actor, forKey: .actor)
        try container.encodeIfPresent(address, forKey: .address)
        try container.encode(action, forKey: .action)
        try container.encodeIfPresent(record, forKey: .record)
        try container.encode(outcome, forKey: .outcome)
        try container.encode(previousHash, forKey: .previousHash)
        try container.encode(hash, forKey: .hash)
    }
}

/// Where a node's audit log stands: its newest entry. Each sync batch carries it, and the parent keeps the latest as a
/// witness outside the node.
public struct AuditHead: Sendable, Equatable, Codable {
    public var seq: Int64
    public var hash: String

    public init(seq: Int64, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// Walks a log in order and says where it first breaks.
public struct AuditChainCheck: Sendable {
    /// The seq and hash the next entry must continue from.
    public private(set) var expectedSeq: Int64
    public private(set) var previousHash: String
    public private(set) var checked = 0
    /// What the parent last saw of this log, if known.
    public let witness: AuditHead?

    /// From the start of the log, or from what a prune left (`through` its last removed entry).
    public init(after through: AuditHead = AuditHead(seq: 0, hash: AuditEntry.genesis), witness: AuditHead? = nil) {
        expectedSeq = through.seq + 1
        previousHash = through.hash
        self.witness = witness
    }

    /// Takes the next stored entry; the problem with it, if any (then the walk should stop).
    public mutating func take(_ entry: AuditEntry) -> String? {
        if entry.seq != expectedSeq {
            return entry.seq > expectedSeq
                ? "entries \(expectedSeq)–\(entry.seq - 1) are missing (removed from the log)"
                : "entry \(entry.seq) appears out of order after entry \(expectedSeq - 1)"
        }
        if entry.previousHash != previousHash {
            return "entry \(entry.seq) does not continue the chain: it names \(entry.previousHash.prefix(12))… before it, the log holds "
                + "\(previousHash.prefix(12))… (the entry before it was changed or replaced)"
        }
        if entry.hash != entry.expectedHash {
            return "entry \(entry.seq) was changed: its content no longer gives its hash \(entry.hash.prefix(12))…"
        }
        if let witness, witness.seq == entry.seq, witness.hash != entry.hash {
            return "entry \(entry.seq) is not the one the parent witnessed (\(witness.hash.prefix(12))…): the log was rewritten from there"
        }
        expectedSeq += 1
        previousHash = entry.hash
        checked += 1
        return nil
    }

    /// The problem with the log's end, once every entry is taken: it must reach what the witness saw.
    public func finish() -> String? {
        let newest = expectedSeq - 1
        if let witness, witness.seq > newest {
            return "the parent witnessed entry \(witness.seq), the log ends at \(newest): its newest entries were removed"
        }
        return nil
    }
}
