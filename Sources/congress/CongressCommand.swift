import ArgumentParser
import CongressCore

@main
struct CongressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "congress",
        abstract: "A federated registry of people's congresses: stations, deputies and trainings, replicated upward.",
        version: CongressRelease.current,
        subcommands: [
            Serve.self, DemoCommand.self, SyncCommand.self, CompactCommand.self, CoverageCommand.self, SeedCommand.self, BackupCommand.self,
            RestoreCommand.self,
            SecretsCommand.self,
            UnitsCommand.self, DeputiesCommand.self, TopologyCommand.self, DivisionsCommand.self, AuditCommand.self, UsersCommand.self,
            TLSCommand.self,
        ]
    )
}
