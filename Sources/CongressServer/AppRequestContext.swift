import CongressCore
import Hummingbird
import NIOCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The request context of every route: Hummingbird's core storage, plus who is calling and from where.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `ChildTokenMiddleware` on the routes children call (SPEC §7).
    public var child: RegionCode?
    /// Who the credentials presented name (`admin token`, `child 420802001`…), once a token middleware accepted them:
    /// the actor of the request's audit entry.
    public var actor: String?
    /// The client's address, for the audit log.
    public let address: String?
    /// The part of the subtree a person's account may write in (SPEC §14); nil for the whole subtree.
    public var confinedTo: RegionCode?
    /// The person's account, when the credentials are an account's token or session.
    public var account: String?
    /// Whether the caller may see deputies' `personKey` (SPEC §14: admins and editors, and the admin token).
    public var seesPersonKeys = false
    /// The connection the request came on: its TLS handler knows the client's certificate (`ChildCertificateMiddleware`).
    public let channel: any Channel

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.child = nil
        self.actor = nil
        self.address = source.channel.remoteAddress?.ipAddress
        self.confinedTo = nil
        self.account = nil
        self.channel = source.channel
    }

    /// The child whose token authenticated this request; the routes that read it sit behind `ChildTokenMiddleware`.
    func authenticatedChild() throws -> RegionCode {
        guard let child else { throw APIError.unauthorized("present this node's child token") }
        return child
    }
}

extension AppRequestContext {
    /// The `{id}` of the route, refused with 400 unless it is a UUID.
    func recordID() throws -> UUID {
        let text = parameters.get("id") ?? ""
        guard let id = UUID(uuidString: text) else { throw InputError(.badRequest, field: "id", message: "'\(text)' is not a UUID") }
        return id
    }
}

extension Request {
    /// The query's parameters, each checked against the definitions the route takes (the same the API document states).
    func query(accepting parameters: [QueryParameter]) throws(InputError) -> QueryValues {
        try QueryValues(uri.queryParameters.map { (String($0.key), String($0.value)) }, accepting: parameters)
    }

    /// The query's parameters as given, in order.
    var queryPairs: [(String, String)] { uri.queryParameters.map { (String($0.key), String($0.value)) } }
}
