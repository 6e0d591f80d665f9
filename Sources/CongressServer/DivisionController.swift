import CongressCore
import CongressStore
import Hummingbird

/// `POST /v1/divisions/apply` (admin): a change file's text, applied to this node's records (SPEC §15).
struct DivisionController: Sendable {
    let divisions: DivisionService

    /// A change file as `congress divisions apply` sends it.
    struct ApplyRequest: Decodable {
        /// The file's name, for the messages about its lines.
        var file: String
        var text: String
    }

    var writes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("apply", use: apply)
    }

    @Sendable func apply(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(ApplyRequest.self, from: request, limit: BodyLimit.bulk)
        let report = try await divisions.apply(file: input.file, text: input.text)
        context.logger.notice(
            "division changes applied",
            metadata: [
                "file": "\(report.file)", "alreadyApplied": "\(report.alreadyApplied)",
                "reAttributed": "\(report.reAttributed.values.reduce(0, +))", "handedOver": "\(report.handedOver.values.reduce(0, +))",
            ]
        )
        return try JSONBody.response(.ok, report)
    }
}
