import CongressCore
import OpenAPIKit

/// The public contact pages (SPEC §13, 码上约代表): no sign-in, limited per (address, page), HTML for people and JSON
/// for a message sent by a program; and the QR codes that print their addresses.
extension OpenAPIDocument {
    static var contactPageOperations: [Operation] {
        let code = JSONSchema.string(pattern: ContactPageController.codePattern)
        let limited = [429: "too many requests from this address to this page within a minute: wait for Retry-After"]
        let message = APISchemas.closed([
            "content": .string(description: "what the constituent asks or reports", minLength: 1, maxLength: Case.Limit.content),
            "category": .string(required: false, maxLength: Case.Limit.category),
            "name": .string(required: false, description: "optional; kept encrypted at this node only", maxLength: ConstituentContact.nameLimit),
            "phone": .string(required: false, description: "optional; digits, spaces, dashes and a leading +", maxLength: 20),
            "wantsMeeting": .boolean(required: false),
        ])
        let page = { (method: OpenAPI.HttpMethod, path: String, summary: String) in
            Operation(method: method, path: path, caller: .anyone, summary: summary, answer: .string, contentTypes: [.html])
        }
        var form = page(.get, "/c/{code}", "a deputy's or a station's contact page: the form, and who processes the message, why and how long (HTML)")
        form.pathParameters = ["code": code]
        form.refusals = [404: "no contact page has this code (the same for a deputy who left office)"].merging(limited) { $1 }
        var progress = page(.get, "/c/status/{receipt}", "what became of a message: its state and replies, nothing personal (HTML)")
        progress.pathParameters = ["receipt": code]
        progress.refusals = [404: "no message has this receipt"].merging(limited) { $1 }
        var lookUp = page(.get, "/c/status", "the receipt form's target: a 303 to /c/status/RECEIPT")
        lookUp.query = [ContactPageController.receiptParameter]
        lookUp.success = 303
        var submit = Operation(
            method: .post,
            path: "/c/{code}",
            caller: .anyone,
            summary: "sends a message to the page's deputy or station: registered as an opinion (channel qr); a browser's form gets a page",
            body: message,
            success: 201,
            answer: .object(properties: ["receipt": code]),
            refusals: [404: "no contact page has this code", 415: "neither JSON nor a form"].merging(limited) { $1 }
        )
        submit.pathParameters = ["code": code]
        return [form, submit, lookUp, progress]
            + [RecordKind.deputy, .station].map { kind in
                Operation(
                    method: .get,
                    path: "/v1/\(kind.collection)/{id}/qr.svg",
                    caller: .reader,
                    summary: "the QR code of the \(kind.rawValue)'s contact page: publicBaseURL/c/CODE (SVG)",
                    answer: .string,
                    contentTypes: [.svg],
                    refusals: [409: "the \(kind.rawValue)'s page is served by the node that owns it, or publicBaseURL is not set"]
                )
            }
    }
}
