import CongressCore
import CongressStore
import Hummingbird

/// People signing in (SPEC §14): `POST /v1/session` and `DELETE /v1/session` for anyone, and what a signed-in account
/// does for itself under `/v1/account`.
struct AccountController: Sendable {
    let accounts: AccountService

    struct SignIn: Decodable {
        var name: String
        var password: String
        var code: String?
    }

    struct PasswordChange: Decodable {
        var current: String
        var new: String
    }

    struct Code: Decodable {
        var code: String
    }

    /// Open routes: signing in and out.
    var sessions: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post(use: signIn)
            .delete(use: signOut)
    }

    /// An account's own: its password and second factor.
    var own: RouteCollection<AppRequestContext> {
        RouteCollection(context: AppRequestContext.self)
            .post("password", use: changePassword)
            .post("totp", use: startTOTP)
            .post("totp/confirm", use: confirmTOTP)
    }

    @Sendable func signIn(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(SignIn.self, from: request, limit: BodyLimit.record)
        let session = try await accounts.signIn(name: input.name, password: input.password, code: input.code, address: context.address)
        var response = try JSONBody.response(.created, session)
        response.setCookie(try Cookie.validated(name: DashboardController.cookie, value: session.token, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func signOut(_ request: Request, context: AppRequestContext) async throws -> Response {
        let token = try BearerToken.presented(in: request, hint: "present the session token to end")
        try await accounts.signOut(token: token, address: context.address)
        var response = Response(status: .noContent)
        response.setCookie(try Cookie.validated(name: DashboardController.cookie, value: "", maxAge: 0, path: "/", httpOnly: true, sameSite: .strict))
        return response
    }

    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(PasswordChange.self, from: request, limit: BodyLimit.record)
        try await accounts.changePassword(try await account(context), current: input.current, new: input.new)
        return Response(status: .noContent)
    }

    @Sendable func startTOTP(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (secret, url) = try await accounts.startTOTP(try await account(context))
        return try JSONBody.response(.created, ["secret": secret, "url": url])
    }

    @Sendable func confirmTOTP(_ request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await JSONBody.decode(Code.self, from: request, limit: BodyLimit.record)
        try await accounts.confirmTOTP(try await account(context), code: input.code)
        return Response(status: .noContent)
    }

    /// The account the request's token names (the own group lets accounts only through).
    private func account(_ context: AppRequestContext) async throws -> Account {
        guard let name = context.account, let account = try await accounts.store.account(named: name) else {
            throw APIError.forbidden("this is for a person's own account: sign in as yourself")
        }
        return account
    }
}
