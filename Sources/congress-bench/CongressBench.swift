import ArgumentParser

/// `congress-bench …`: performance figures as ratios against a baseline measured in the same run (SPEC §11).
@main
struct CongressBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "congress-bench",
        abstract: "Measure performance; each run ends with machine-readable RESULT lines.",
        subcommands: [
            TopologyBench.self, SyncBench.self, IncrementalBench.self, TLSSyncBench.self, CoverageBench.self, RosterBench.self, PointsBench.self,
            CasesBench.self, FanInBench.self, FanInChildren.self, SyncChildPush.self, CompactionBench.self,
        ]
    )
}
