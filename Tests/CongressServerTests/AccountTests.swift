import CongressCore
import CongressStore
import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import Testing

@testable import CongressServer

/// People signing in as themselves (SPEC §14): roles, confinement, lockout, a second factor, the auditor.
@Suite struct AccountTests {
    /// An account as `congress users add` makes it, with a cheap bcrypt cost so that the suite stays fast (the cost is
    /// in the hash: verification follows it). Returns its API token.
    static func add(
        _ name: String,
        _ role: AccountRole,
        region: String? = nil,
        password: String = "Correct-Horse-9",
        ownPassword: Bool = true,
        on node: TestNode
    ) async throws -> String {
        let token = AccountRules.generated(length: 40)
        try await TestDatabase.withClient(on: node.database) { client in
            try await AccountStore(client: client, logger: TestDatabase.quietLogger).add(
                name: name,
                role: role,
                region: region.flatMap(RegionCode.init),
                passwordHash: Bcrypt.hash(Hex.sha256(password), cost: 4),
                tokenHash: Accounts.tokenHash(token)
            )
        }
        if ownPassword {
            _ = try await TestDatabase.texts("UPDATE accounts SET password_expired = false WHERE name = '\(name)' RETURNING 1", on: node.database)
        }
        return token
    }

    static func signIn(_ api: APIClient, _ name: String, _ password: String, code: String? = nil) async throws -> APIClient.Reply {
        let body = String(
            decoding: try JSONEncoder().encode(["name": name, "password": password, "code": code].compactMapValues { $0 }),
            as: UTF8.self
        )
        return try await api.send(.post, "/v1/session", json: body, token: APIClient.Token.none)
    }

    @Test func rolesAndConfinementDecideWhatAnAccountMayDo() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            try await api.migrated()
            let viewer = try await Self.add("viewer1", .viewer, on: node)
            let editor = try await Self.add("editor1", .editor, region: "420802101", on: node)
            let auditor = try await Self.add("auditor1", .auditor, on: node)
            let station = Fixture.station(region: "420802101", units: [])

            #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer \(viewer)")).status == .ok)
            let refused = try await api.send(.post, "/v1/stations", json: station, token: .custom("Bearer \(viewer)"))
            #expect(refused.status == .forbidden && refused.error?.message.contains("user viewer1 may not") == true, "\(refused.body)")

            #expect(try await api.send(.post, "/v1/stations", json: station, token: .custom("Bearer \(editor)")).status == .created)
            let elsewhere = try await api.send(
                .post,
                "/v1/stations",
                json: Fixture.station(region: "420802102", units: []),
                token: .custom("Bearer \(editor)")
            )
            #expect(elsewhere.status == .forbidden && elsewhere.error?.message.contains("writes only in 420802101") == true, "\(elsewhere.body)")

            #expect(try await api.send(.get, "/v1/audit", token: .custom("Bearer \(auditor)")).status == .ok)
            #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer \(auditor)")).status == .forbidden)
            #expect(try await api.send(.post, "/v1/stations", json: station, token: .custom("Bearer \(auditor)")).status == .forbidden)
            #expect(try await api.send(.get, "/v1/audit", token: .custom("Bearer \(editor)")).status == .forbidden)

            // personKey is shown to those who write only.
            let deputy = try await api.send(
                .post,
                "/v1/deputies",
                json: Fixture.deputy(region: "420802101", extra: #", "idNumber": "\#(syntheticIDNumber(31))""#),
                token: .custom("Bearer \(editor)")
            )
            let id = try #require(deputy.json["id"] as? String)
            #expect(deputy.json["personKey"] is String)
            #expect(try await api.send(.get, "/v1/deputies/\(id)", token: .custom("Bearer \(editor)")).json["personKey"] is String)
            for reader in [APIClient.Token.custom("Bearer \(viewer)"), .read] {
                let seen = try await api.send(.get, "/v1/deputies/\(id)", token: reader)
                #expect(seen.status == .ok && seen.json["personKey"] == nil, "\(seen.body)")
                let listed = try await api.send(.get, "/v1/deputies", token: reader)
                #expect(!listed.body.contains("personKey"), "\(listed.body.prefix(300))")
            }

            // Every write names its person.
            let actors = try await TestDatabase.texts("SELECT DISTINCT actor || ' ' || outcome FROM audit_log ORDER BY 1", on: node.database)
            #expect(actors.contains("user editor1 201") && actors.contains("user editor1 403") && actors.contains("user viewer1 403"), "\(actors)")
        }
    }

    @Test func fiveWrongPasswordsLockTheAccountAndADisabledOneCannotSignIn() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            try await api.migrated()
            let token = try await Self.add("editor2", .editor, on: node)
            for _ in 0..<4 { #expect(try await Self.signIn(api, "editor2", "wrong-Password-1").status == .unauthorized) }
            let fifth = try await Self.signIn(api, "editor2", "wrong-Password-1")
            #expect(fifth.status == .unauthorized && fifth.error?.message.contains("locked for 15 minutes") == true, "\(fifth.body)")
            let sixth = try await Self.signIn(api, "editor2", "Correct-Horse-9")
            #expect(
                sixth.status == .tooManyRequests && sixth.headers[.retryAfter] != nil,
                "the right password is refused while locked: \(sixth.body)"
            )
            // Fifteen minutes later.
            _ = try await TestDatabase.texts("UPDATE accounts SET locked_until = now() - interval '1 second' RETURNING 1", on: node.database)
            let later = try await Self.signIn(api, "editor2", "Correct-Horse-9")
            #expect(later.status == .created, "\(later.body)")
            let session = try #require(later.json["token"] as? String)
            #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer \(session)")).status == .ok)
            #expect(try await api.send(.delete, "/v1/session", token: .custom("Bearer \(session)")).status == .noContent)
            #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer \(session)")).status == .unauthorized, "signed out")

            _ = try await TestDatabase.texts("UPDATE accounts SET disabled = true RETURNING 1", on: node.database)
            #expect(try await Self.signIn(api, "editor2", "Correct-Horse-9").status == .unauthorized)
            #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer \(token)")).status == .unauthorized)
            let entries = try await TestDatabase.texts("SELECT outcome FROM audit_log WHERE action = 'sign in' ORDER BY seq", on: node.database)
            #expect(
                entries.first == "refused (wrong credentials)" && entries.contains("refused (locked)") && entries.contains("signed in"),
                "\(entries)"
            )
        }
    }

    /// Past 20 failed tokens or sign-ins from one address in five minutes, that address waits (429, Retry-After); a
    /// valid token is never held back.
    @Test func anAddressThatKeepsFailingIsHeldBack() async throws {
        let yaml = TestTopology.city(ports: ["420802": try LoopbackPort.free()]).yaml
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        try await node.serve(configure: TestFederation.live) { api in
            for _ in 0..<20 { #expect(try await api.send(.get, "/v1/stations", token: .custom("Bearer guess")).status == .unauthorized) }
            let held = try await api.send(.get, "/v1/stations", token: .custom("Bearer guess"))
            #expect(held.status == .tooManyRequests && Int(held.headers[.retryAfter] ?? "") ?? 0 > 0, "\(held.body)")
            #expect(try await Self.signIn(api, "anyone", "Correct-Horse-9").status == .tooManyRequests)
            #expect(try await api.send(.get, "/v1/stations", token: .read).status == .ok)
        }
    }

    @Test func anAdminEnrolsTOTPBeforeActingAndSignsInWithACode() async throws {
        let node = try await TestNode.make()
        try await node.run { api in
            try await api.migrated()
            let password = "Correct-Horse-9"
            let token = try await Self.add("admin1", .admin, password: password, ownPassword: false, on: node)
            let bearer = APIClient.Token.custom("Bearer \(token)")
            // The one-time password first, then the second factor.
            let early = try await api.send(.get, "/v1/stations", token: bearer)
            #expect(early.status == .forbidden && early.error?.message.contains("choose your own password") == true, "\(early.body)")
            let newPassword = "Another-Horse-42"
            let changed = try await api.send(
                .post,
                "/v1/account/password",
                json: #"{"current": "\#(password)", "new": "\#(newPassword)"}"#,
                token: bearer
            )
            #expect(changed.status == .noContent, "\(changed.body)")
            let beforeTOTP = try await api.send(.get, "/v1/stations", token: bearer)
            #expect(beforeTOTP.status == .forbidden && beforeTOTP.error?.message.contains("second factor") == true, "\(beforeTOTP.body)")

            let started = try await api.send(.post, "/v1/account/totp", token: bearer)
            let secret = try #require(started.json["secret"] as? String)
            #expect(try await api.send(.post, "/v1/account/totp/confirm", json: #"{"code": "12345"}"#, token: bearer).status == .unprocessableContent)
            let code = String(format: "%06d", TOTP(secret: secret).compute())
            #expect(try await api.send(.post, "/v1/account/totp/confirm", json: #"{"code": "\#(code)"}"#, token: bearer).status == .noContent)
            #expect(try await api.send(.get, "/v1/stations", token: bearer).status == .ok)

            let withoutCode = try await Self.signIn(api, "admin1", newPassword)
            #expect(withoutCode.status == .unauthorized && withoutCode.error?.code == "code_required", "\(withoutCode.body)")
            #expect(try await Self.signIn(api, "admin1", newPassword, code: "000000").status == .unauthorized || code == "000000")
            let signedIn = try await Self.signIn(api, "admin1", newPassword, code: String(format: "%06d", TOTP(secret: secret).compute()))
            #expect(signedIn.status == .created, "\(signedIn.body)")

            // Bad input changes nothing: a malformed code, an unknown name, an over-long password.
            #expect(try await Self.signIn(api, "admin1", newPassword, code: "12ab56").status == .unprocessableContent)
            #expect(try await Self.signIn(api, "nobody", newPassword).status == .unauthorized)
            #expect(try await Self.signIn(api, "admin1", String(repeating: "x", count: 129)).status == .unprocessableContent)

            // No secret in the log, the audit log or an answer other than the one that hands it out.
            let audit = try await TestDatabase.texts("SELECT concat_ws(' ', actor, action, record, outcome) FROM audit_log", on: node.database)
                .joined()
            for secretText in [password, newPassword, token, secret] {
                #expect(!node.logs.text.contains(secretText) && !audit.contains(secretText))
            }
            // Nor a password, token or session in the database (the TOTP secret is there: codes are checked against it).
            let dump = try await TestDatabase.dump(node.database)
            #expect(dump.contains("admin1"), "the dump holds the accounts it is searched for")
            for secretText in [password, newPassword, token, signedIn.json["token"] as? String ?? "missing"] { #expect(!dump.contains(secretText)) }
        }
    }
}

extension APIClient {
    /// Waits until the node's migrations have run (a first request does).
    func migrated() async throws { _ = try await send(.get, "/health") }
}
