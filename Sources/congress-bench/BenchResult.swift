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

extension BenchResult {
    /// A load's `NAME_p50` and `NAME_p99` (ms) and `NAME_requests_per_s`, each against the same figure of `baseline`
    /// measured in the same run; a goal left out is none (`-`).
    static func underLoad(
        _ name: String,
        _ load: LoadGenerator.Outcome,
        baseline: LoadGenerator.Outcome,
        p50AtMostMS: Int? = nil,
        p99AtMostMS: Int? = nil,
        requestsPerSecondAtLeast: Int? = nil
    ) -> [BenchResult] {
        let figures: [(suffix: String, unit: String, value: Double, baseline: Double, goal: (text: String, met: Bool)?)] = [
            ("p50", "ms", load.p50 * 1000, baseline.p50 * 1000, p50AtMostMS.map { ("<=\($0)", load.p50 * 1000 <= Double($0)) }),
            ("p99", "ms", load.p99 * 1000, baseline.p99 * 1000, p99AtMostMS.map { ("<=\($0)", load.p99 * 1000 <= Double($0)) }),
            ("requests_per_s", "req/s", load.rate, baseline.rate, requestsPerSecondAtLeast.map { (">=\($0)", load.rate >= Double($0)) }),
        ]
        return figures.map {
            BenchResult(
                name: "\(name)_\($0.suffix)",
                value: $0.value,
                unit: $0.unit,
                baseline: $0.baseline,
                goal: $0.goal?.text ?? "-",
                met: $0.goal?.met ?? true
            )
        }
    }
}
