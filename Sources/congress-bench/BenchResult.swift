/// One measured figure, printed as SPEC §11's `RESULT` line.
struct BenchResult {
    var name: String
    var value: Double
    var unit: String
    var baseline: Double?
    /// The goal as written in the line, e.g. `<1` or `>=0.5`.
    var goal: String
    var met: Bool

    var line: String {
        let ratio = baseline.map { Self.format(value / $0) } ?? "-"
        return
            "RESULT \(name) value=\(Self.format(value)) unit=\(unit) baseline=\(baseline.map(Self.format) ?? "-") ratio=\(ratio) goal=\(goal) met=\(met ? "yes" : "no")"
    }

    private static func format(_ number: Double) -> String {
        let scale = number >= 100 ? 1.0 : 1000.0
        return String(describing: (number * scale).rounded() / scale)
    }

    /// The median wall-clock seconds of `runs` runs of `work`, after one warm-up run.
    static func medianSeconds(runs: Int, _ work: () async throws -> Void) async rethrows -> Double {
        try await work()
        var samples: [Double] = []
        for _ in 0..<runs { samples.append(try await seconds(work)) }
        return samples.sorted()[samples.count / 2]
    }

    /// Wall-clock seconds of one run of `work`.
    static func seconds(_ work: () async throws -> Void) async rethrows -> Double {
        let elapsed = try await ContinuousClock().measure(work)
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }
}
