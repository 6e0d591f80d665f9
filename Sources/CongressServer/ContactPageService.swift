import CongressCore
import CongressQR
import CongressStore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The public contact pages (SPEC §13, 码上约代表): whose page a code opens, a constituent's message registered as an
/// opinion with a receipt, what the receipt may see, and the QR codes that print a page's address.
struct ContactPageService: Sendable {
    let cases: CaseService
    let topology: TopologyInForce
    /// `publicBaseURL` of the node config; nil until the operator sets it.
    let publicBaseURL: String?
    /// How long a closed case keeps its contact, as the form tells before sending.
    let retentionDays: Int

    var node: RegionCode { cases.node }
    private var records: RecordService { cases.records }
    private var pages: ContactPageStore { records.store.contactPages }

    /// The deputy mandate or station a page is for, as the page names it.
    struct Owner: Sendable {
        var target: ContactPage.Target
        var id: UUID
        var name: String
        var regionCode: RegionCode
    }

    /// What a constituent sends (SPEC Appendix B: {content, category, name, phone, wantsMeeting}).
    struct Message: Decodable, Sendable {
        var content: String
        var category: String?
        var name: String?
        var phone: String?
        var wantsMeeting: Bool?
    }

    /// What a receipt shows: the handling and its replies, nothing of the constituent or of what they wrote.
    struct Progress: Encodable, Sendable {
        var state: CaseState
        var closedAs: CaseClosing?
        var registeredOn: CalendarDate?
        var dueOn: CalendarDate?
        var replies: [Reply]

        struct Reply: Encodable, Sendable {
            var on: CalendarDate?
            var text: String
        }
    }

    /// The same answer for a code nobody has, a deputy who left office and a record owned elsewhere: a page either
    /// opens or does not, and which deputies exist is not for strangers to learn.
    static let noSuchPage = APIError(.notFound, code: "not_found", message: "no contact page has this code")
    static let noSuchReceipt = APIError(.notFound, code: "not_found", message: "no message has this receipt")

    var nodeName: String { topology.topology.node(node)?.name ?? node.rawValue }

    func owner(ofCode code: String) async throws -> Owner {
        guard ContactPage.isWellFormed(code), let (target, id) = try await pages.target(ofCode: code) else { throw Self.noSuchPage }
        switch target {
        case .deputy:
            guard let deputy = try await records.store.get(Deputy.self, id: id), !deputy.meta.deleted, deputy.meta.origin == node,
                deputy.body.status == .inOffice
            else { throw Self.noSuchPage }
            return Owner(target: target, id: id, name: deputy.body.name, regionCode: deputy.meta.regionCode)
        case .station:
            guard let station = try await records.store.get(Station.self, id: id), !station.meta.deleted, station.meta.origin == node else {
                throw Self.noSuchPage
            }
            return Owner(target: target, id: id, name: station.body.name, regionCode: station.meta.regionCode)
        }
    }

    /// Registers the message as an opinion received on the page (channel `qr`), the receipt in the same transaction.
    func submit(_ message: Message, toCode code: String) async throws -> String {
        let owner = try await owner(ofCode: code)
        let content = message.content.trimmingCharacters(in: .whitespacesAndNewlines)
        // The subject is made from the content: an empty message is refused for what the constituent left empty.
        guard !content.isEmpty else { throw InputError(field: "content", message: "must not be empty") }
        let opinion = Case(
            kind: .opinion,
            channel: .qr,
            subject: Self.subject(of: content),
            content: content,
            category: message.category.flatMap { $0.isEmpty ? nil : $0 },
            deputyIds: owner.target == .deputy ? [owner.id] : [],
            stationId: owner.target == .station ? owner.id : nil,
            wantsMeeting: message.wantsMeeting
        )
        let receipt = ContactPage.newCode()
        let constituent = message.name != nil || message.phone != nil ? (message.name, message.phone) : nil
        _ = try await cases.register(
            RecordInput(regionCode: owner.regionCode, body: opinion),
            constituent: constituent,
            receipt: receipt,
            confinedTo: nil
        )
        return receipt
    }

    /// The case's progress for whoever holds its receipt.
    func progress(ofReceipt receipt: String) async throws -> Progress {
        guard ContactPage.isWellFormed(receipt), let id = try await pages.caseID(ofReceipt: receipt) else { throw Self.noSuchReceipt }
        let shown = try await cases.get(id)
        let replies = try await cases.events(of: id).filter { [.reply, .answerOnSpot, .explain].contains($0.body.action) }
        return Progress(
            state: shown.status.state,
            closedAs: shown.status.closedAs,
            registeredOn: shown.record.body.registeredOn,
            dueOn: shown.status.dueOn,
            replies: replies.compactMap { event in event.body.text.map { Progress.Reply(on: event.body.on, text: $0) } }
        )
    }

    /// The contact codes of those of `records` this node owns (their pages are here), made on first need.
    func codes<Body: RecordBody>(of records: [Record<Body>]) async throws -> [UUID: String] {
        guard let target = Self.target(of: Body.self) else { return [:] }
        return try await pages.codes(of: target, records.filter { $0.meta.origin == node }.map(\.meta.id))
    }

    /// The QR code of a deputy's or a station's page: `publicBaseURL/c/CODE`, as SVG.
    func qrCode<Body: RecordBody>(of type: Body.Type, id: UUID) async throws -> String {
        let record = try await records.get(type, id: id)
        guard record.meta.origin == node else {
            throw APIError(.conflict, code: "conflict", message: "the contact page of \(id) is served by node \(record.meta.origin), which owns it")
        }
        guard let publicBaseURL else {
            throw APIError(
                .conflict,
                code: "conflict",
                message: "set publicBaseURL in the node config: the address people can reach, which the QR code prints"
            )
        }
        guard let code = try await codes(of: [record])[id] else { throw Self.noSuchPage }
        return try QRCode.svg(encoding: ContactPage.address(of: code, under: publicBaseURL))
    }

    static func target<Body: RecordBody>(of type: Body.Type) -> ContactPage.Target? {
        switch Body.kind {
        case .deputy: .deputy
        case .station: .station
        default: nil
        }
    }

    /// A case's subject from what the constituent wrote: its first line, cut to 30 characters (the form asks for no title).
    static func subject(of content: String) -> String {
        let line = content.split(whereSeparator: \.isNewline).first.map(String.init) ?? content
        return line.count > 30 ? String(line.prefix(30)) + "…" : line
    }
}
