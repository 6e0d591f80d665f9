import CongressCore
import CongressTLS
import Hummingbird
import NIOSSL

/// With mutual TLS (`tls.requireClientCertificates`, SPEC §14) the handshake already refused a client without a
/// certificate from the federation's CA; this refuses (403) a sync request whose certificate does not name the child
/// its token identified: the certificate must carry the DNS subject alternative name `node-CODE`. Mounted after
/// `ChildTokenMiddleware` on the `v1/sync` group.
///
/// Hummingbird hands each request context its connection (`ApplicationRequestContextSource.channel`), whose NIOSSL
/// handler holds the verified peer certificate.
struct ChildCertificateMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let child = try context.authenticatedChild()
        let certificate = try? await context.channel.nioSSL_peerCertificate().get()
        guard let certificate else {
            throw APIError.forbidden("this node requires a client certificate naming the child (DNS:\(ChildCertificateName.dnsName(for: child)))")
        }
        let names = ChildCertificateName.dnsNames(inDER: (try? certificate.toDERBytes()) ?? [])
        // A child a change file recoded (SPEC §15) needs a certificate under its new code.
        guard names.contains(ChildCertificateName.dnsName(for: child)) else {
            let named = names.filter { $0.hasPrefix("node-") }
            throw APIError.forbidden(
                "the client certificate names \(named.isEmpty ? "no node" : named.joined(separator: ", ")), "
                    + "not the child \(child) whose token was presented (DNS:\(ChildCertificateName.dnsName(for: child)))"
            )
        }
        return try await next(request, context)
    }
}
