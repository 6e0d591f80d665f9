import ArgumentParser
import CongressCore
import CongressServer
import CongressStore
import CongressTooling
import Foundation

/// `congress users`: people's accounts at a node (SPEC §14), managed by the operator on the node's database. Each change
/// is an audit entry of the operator.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Add, list, disable, enable and reset the accounts people sign in with.",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Reset.self]
    )

    struct NodeOption: ParsableArguments {
        @Option(name: .long, help: "The node's config file (nodes/CODE.yaml).")
        var node: String
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add an account; prints its one-time password and API token, shown this once only."
        )
        @OptionGroup var options: NodeOption
        @Argument(help: "The person's name as the audit log shows it (letters, digits, '.', '-', '_').")
        var name: String
        @Option(name: .long, help: "viewer, editor, admin or auditor.")
        var role: String
        @Option(name: .long, help: "Confine the account's writes to this part of the node's subtree.")
        var region: String?

        func run() async throws {
            try await Report.run {
                try AccountRules.checkName(name)
                guard let role = AccountRole(rawValue: role) else {
                    throw InputError(
                        field: "role",
                        message: "'\(role)' is not one of \(AccountRole.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                let setup = try NodeSetup.load(nodeFile: options.node, logger: .init(label: "congress"))
                let confined = try region.map { region in
                    guard let code = RegionCode(region), setup.config.node.contains(code) else {
                        throw InputError(field: "region", message: "'\(region)' is not a region code inside node \(setup.config.node)'s subtree")
                    }
                    return code
                }
                let (password, token) = (AccountRules.generated(), AccountRules.generated(length: 40))
                try await setup.withMigratedDatabase(doing: "adding the account") { client in
                    try await AccountStore(client: client, logger: setup.logger.errorsOnly).add(
                        name: name,
                        role: role,
                        region: confined,
                        passwordHash: Accounts.hashPassword(password),
                        tokenHash: Accounts.tokenHash(token)
                    )
                    try await AuditStore(client: client, logger: setup.logger.errorsOnly)
                        .append(
                            actor: "operator",
                            action: "account add",
                            record: "account \(name)",
                            outcome: "\(role.rawValue)\(confined.map { " in \($0)" } ?? "")"
                        )
                }
                print("account \(name) (\(role.rawValue)\(confined.map { ", writes in \($0)" } ?? "")) added at \(setup.config.node)")
                print("one-time password: \(password)")
                print("API token: \(token)")
                print(
                    "give both to \(name) in person; the password must be changed at the first sign-in\(role == .admin ? ", and an admin enrols TOTP before anything else" : "")"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts: role, region, state.")
        @OptionGroup var options: NodeOption

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: options.node, logger: .init(label: "congress"))
                let accounts = try await setup.withMigratedDatabase(doing: "listing the accounts") { client in
                    try await AccountStore(client: client, logger: setup.logger.errorsOnly).list()
                }
                for account in accounts {
                    var state: [String] = []
                    if account.disabled { state.append("disabled") }
                    if let until = account.lockedUntil, until.date > Date() { state.append("locked until \(until)") }
                    if account.totpEnabled { state.append("TOTP") }
                    if !account.pending.isEmpty { state.append("pending: \(account.pending.joined(separator: ", "))") }
                    print("\(account.name)\t\(account.role.rawValue)\t\(account.region?.rawValue ?? "-")\t\(state.joined(separator: ", "))")
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account: it cannot sign in, its token and sessions stop working.")
        @OptionGroup var options: NodeOption
        @Argument var name: String
        func run() async throws { try await UsersCommand.setDisabled(name, true, node: options.node) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account again.")
        @OptionGroup var options: NodeOption
        @Argument var name: String
        func run() async throws { try await UsersCommand.setDisabled(name, false, node: options.node) }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A new one-time password and API token; the lock lifted, sessions ended (TOTP stays as enrolled)."
        )
        @OptionGroup var options: NodeOption
        @Argument var name: String

        func run() async throws {
            try await Report.run {
                let setup = try NodeSetup.load(nodeFile: options.node, logger: .init(label: "congress"))
                let (password, token) = (AccountRules.generated(), AccountRules.generated(length: 40))
                let found = try await setup.withMigratedDatabase(doing: "resetting the account") { client in
                    let found = try await AccountStore(client: client, logger: setup.logger.errorsOnly)
                        .reset(name, passwordHash: Accounts.hashPassword(password), tokenHash: Accounts.tokenHash(token))
                    if found {
                        try await AuditStore(client: client, logger: setup.logger.errorsOnly)
                            .append(actor: "operator", action: "account reset", record: "account \(name)", outcome: "new password and token")
                    }
                    return found
                }
                guard found else { throw InputError(field: "name", message: "no account named \(name) at \(setup.config.node)") }
                print("one-time password: \(password)")
                print("API token: \(token)")
            }
        }
    }

    static func setDisabled(_ name: String, _ disabled: Bool, node: String) async throws {
        try await Report.run {
            let setup = try NodeSetup.load(nodeFile: node, logger: .init(label: "congress"))
            let found = try await setup.withMigratedDatabase(doing: disabled ? "disabling the account" : "enabling the account") { client in
                let found = try await AccountStore(client: client, logger: setup.logger.errorsOnly).setDisabled(name, disabled)
                if found {
                    try await AuditStore(client: client, logger: setup.logger.errorsOnly)
                        .append(
                            actor: "operator",
                            action: disabled ? "account disable" : "account enable",
                            record: "account \(name)",
                            outcome: "done"
                        )
                }
                return found
            }
            guard found else { throw InputError(field: "name", message: "no account named \(name) at \(setup.config.node)") }
            print("account \(name) \(disabled ? "disabled" : "enabled") at \(setup.config.node)")
        }
    }
}
