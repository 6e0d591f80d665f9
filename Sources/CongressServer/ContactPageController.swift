import CongressCore
import CongressStore
import HTTPTypes
import Hummingbird

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The public contact pages (SPEC §13, 码上约代表), mounted at `/c` without sign-in: a deputy's or a station's form,
/// the receipt, and the progress a receipt may see. Limited per (address, page), bounded in size.
struct ContactPageController: Sendable {
    let pages: ContactPageService
    /// Proxies whose `X-Forwarded-For` is believed (`trustedProxies`, canonical spellings).
    let trustedProxies: Set<String>
    /// Messages per (address, page) a minute: enough for a family at one phone, not for a script.
    let posts: SlidingWindow
    /// Page views per (address, page) a minute, receipts looked up counting as one page.
    let views: SlidingWindow

    /// Contact codes and receipts as a pattern (`ContactPage.alphabet`).
    static let codePattern = "^[2-9a-hjkmnp-z]{\(ContactPage.codeLength)}$"
    static let receiptParameter = QueryParameter("receipt", .text(maxLength: 40), summary: "the receipt code the form was given")

    /// A message with its longest content fits, percent-encoded (three bytes a character, each written as %XX).
    static let bodyLimit = 64 * 1024

    init(pages: ContactPageService, trustedProxies: [String], postsPerMinute: Int) {
        self.pages = pages
        self.trustedProxies = Set(trustedProxies)
        self.posts = SlidingWindow(limit: postsPerMinute, window: .seconds(60))
        self.views = SlidingWindow(limit: postsPerMinute * 10, window: .seconds(60))
    }

    var routes: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("status", use: lookUp)
            .get("status/{receipt}", use: progress)
            .get("{code}", use: form)
            .post("{code}", use: submit)
    }

    @Sendable func form(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        return try await page(request, context: context, limitedBy: views, key: code) {
            let owner = try await pages.owner(ofCode: code)
            return DashboardController.html(.ok, DashboardTemplates.render(.contactForm(formView(owner, code: code))))
        }
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = context.parameters.get("code") ?? ""
        let fromBrowser = request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true
        return try await page(request, context: context, limitedBy: posts, key: code, asPage: fromBrowser) {
            if let length = request.headers[.contentLength].flatMap(Int.init), length > Self.bodyLimit {
                throw APIError.tooLarge(limit: Self.bodyLimit)
            }
            let message: ContactPageService.Message
            if fromBrowser {
                message = Self.message(from: try await FormBody.collect(request, limit: Self.bodyLimit))
            } else if request.headers[.contentType]?.hasPrefix("application/json") == true {
                message = try await JSONBody.decode(ContactPageService.Message.self, from: request, limit: Self.bodyLimit)
            } else {
                throw APIError(
                    .unsupportedMediaType,
                    code: "unsupported_media_type",
                    message: "send a form or JSON {content, category, name, phone, wantsMeeting}"
                )
            }
            do {
                let receipt = try await pages.submit(message, toCode: code)
                guard fromBrowser else { return try JSONBody.response(.created, ["receipt": receipt]) }
                let view = ContactReceivedView(nodeName: pages.nodeName, receipt: receipt)
                return DashboardController.html(.created, DashboardTemplates.render(.contactReceived(view)))
            } catch let refusal as InputError where fromBrowser {
                // The form again, with what was typed and why it was refused (the same 422 as JSON).
                var view = formView(try await pages.owner(ofCode: code), code: code, message: message)
                view.message = refusal.message
                return DashboardController.html(.unprocessableContent, DashboardTemplates.render(.contactForm(view)))
            }
        }
    }

    /// The form's look-up without script: `/c/status?receipt=…` goes to the receipt's page.
    @Sendable func lookUp(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await page(request, context: context, limitedBy: views, key: "status") {
            let query = try request.query(accepting: [Self.receiptParameter])
            let receipt = (query.text(Self.receiptParameter.name) ?? "").trimmingCharacters(in: .whitespaces)
            let target = receipt.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            return Response(status: .seeOther, headers: [.location: "/c/status/\(target)"])
        }
    }

    @Sendable func progress(_ request: Request, context: AppRequestContext) async throws -> Response {
        let receipt = context.parameters.get("receipt") ?? ""
        return try await page(request, context: context, limitedBy: views, key: "status") {
            let progress = try await pages.progress(ofReceipt: receipt)
            return DashboardController.html(.ok, DashboardTemplates.render(.caseProgress(CaseProgressView(progress, nodeName: pages.nodeName))))
        }
    }

    /// Runs `answer` unless (address, `key`) is over `limit` (429 with `Retry-After`); a refusal is a page for a browser
    /// and SPEC's JSON error for anyone else.
    private func page(
        _ request: Request,
        context: AppRequestContext,
        limitedBy limit: SlidingWindow,
        key: String,
        asPage: Bool = true,
        answer: () async throws -> Response
    ) async throws -> Response {
        do {
            let address = IPAddress.client(peer: context.address, forwardedFor: request.headers[.xForwardedFor], trustedProxies: trustedProxies)
            if let wait = limit.admit("\(address ?? "?") \(key)") {
                throw APIError.tooManyRequests(
                    "too many requests from \(address ?? "this address") to this page: wait and try again",
                    retryAfter: wait
                )
            }
            return try await answer()
        } catch {
            guard asPage, let failure = APIError(translating: error) else { throw error }
            var response = DashboardController.html(
                failure.status,
                DashboardTemplates.render(.failure(status: Int(failure.status.code), message: failure.message))
            )
            response.headers.append(contentsOf: failure.headers)
            return response
        }
    }

    private func formView(_ owner: ContactPageService.Owner, code: String, message: ContactPageService.Message? = nil) -> ContactFormView {
        ContactFormView(
            nodeName: pages.nodeName,
            ownerName: owner.name,
            code: code,
            retentionDays: pages.retentionDays,
            contentLimit: Case.Limit.content,
            nameLimit: ConstituentContact.nameLimit,
            categories: Case.commonCategories.map { FormView.Option(value: $0, label: $0, selected: $0 == message?.category) },
            content: message?.content,
            name: message?.name,
            phone: message?.phone,
            wantsMeeting: message?.wantsMeeting ?? false
        )
    }

    static func message(from form: FormBody) -> ContactPageService.Message {
        ContactPageService.Message(
            content: form["content"] ?? "",
            category: form.filled("category"),
            name: form.filled("name"),
            phone: form.filled("phone"),
            wantsMeeting: form["wantsMeeting"].map { $0 == "true" || $0 == "on" }
        )
    }
}

struct ContactFormView {
    var nodeName: String
    var ownerName: String
    var code: String
    var retentionDays: Int
    var contentLimit: Int
    var nameLimit: Int
    var categories: [FormView.Option]
    var content: String?
    var name: String?
    var phone: String?
    var wantsMeeting: Bool
    var message: String?
}

struct ContactReceivedView {
    var nodeName: String
    var receipt: String
}

/// A receipt's page: the state in words, dates, the replies.
struct CaseProgressView {
    var nodeName: String
    var stateCode: String
    var state: String
    var registeredOn: String
    var dueOn: String?
    var replies: [Reply]

    struct Reply {
        var on: String
        var text: String
    }

    init(_ progress: ContactPageService.Progress, nodeName: String) {
        self.nodeName = nodeName
        stateCode = progress.state.rawValue
        state = Self.words(progress.state, closedAs: progress.closedAs)
        registeredOn = progress.registeredOn.map { "\($0)" } ?? ""
        dueOn = progress.state == .closed ? nil : progress.dueOn.map { "\($0)" }
        replies = progress.replies.map { Reply(on: $0.on.map { "\($0)" } ?? "", text: $0.text) }
    }

    static func words(_ state: CaseState, closedAs: CaseClosing?) -> String {
        switch (state, closedAs) {
        case (.registered, _): "已登记，等待交办"
        case (.assigned, _): "已交办，正在办理"
        case (.transferred, _): "已转交上级人大办理"
        case (.replied, _): "已答复"
        case (.closed, .answeredOnSpot?): "已办结（当场解答）"
        case (.closed, .explained?): "已办结（已作解释说明）"
        case (.closed, _): "已办结"
        }
    }
}

extension HTTPField.Name {
    /// Set by proxies: the addresses a request passed through, the client first.
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

extension ContactPageController {
    /// `GET /v1/deputies/{id}/qr.svg` and `/v1/stations/{id}/qr.svg`: the QR code of the record's public page.
    func qrCode<Body: RecordBody>(of type: Body.Type) -> RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .get("{id}/qr.svg") { _, context in
                let svg = try await pages.qrCode(of: type, id: try context.recordID())
                return Response(
                    status: .ok,
                    headers: [.contentType: "image/svg+xml", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: svg))
                )
            }
    }
}
