import CongressCore
import CongressStore
import CongressSync
import CoreMetrics
import Prometheus

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `GET /metrics` (SPEC §10), in Prometheus's text format: what the node counts as it works (HTTP requests, batches
/// received, coverage recounts), and where it stands, read at each scrape (records held, each sync edge's state) — so
/// that an operator can alert on a county that missed its nightly sync or a parent edge that keeps failing.
///
/// Every name the node exports is named here, once, by Prometheus's conventions (`_total` counters, base units,
/// `_timestamp_seconds` for times, a help text for each): swift-prometheus stops the process when one name is
/// registered with different labels, types or help texts. What libraries record through swift-metrics (Hummingbird's
/// HTTP metrics) is named by `NodeMetrics.factory` from the same catalogue.
public struct NodeMetrics: Sendable {
    /// One metric family: its full name, type and help text.
    struct Family: Sendable {
        enum Kind: String, Sendable { case counter, gauge, histogram }

        let name: String
        let kind: Kind
        let help: String

        init(_ name: String, _ kind: Kind, _ help: String) {
            self.name = name
            self.kind = kind
            self.help = help
        }

        /// The name split as swift-prometheus wants it: the unit suffix apart.
        var descriptor: MetricNameDescriptor {
            for unit in ["total", "seconds"] where name.hasSuffix("_" + unit) {
                return MetricNameDescriptor(metricName: String(name.dropLast(unit.count + 1)), unitName: unit, helpText: help)
            }
            return MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
        }
    }

    // MARK: The catalogue

    static let batchesReceived = Family(
        "congress_sync_batches_received_total",
        .counter,
        "Batches from children acknowledged here (an empty heartbeat batch counts), by sending child."
    )
    static let changesApplied = Family(
        "congress_sync_changes_applied_total",
        .counter,
        "Changes in children's batches that changed a record here, by sending child."
    )
    static let recountDuration = Family(
        "congress_coverage_recount_duration_seconds",
        .histogram,
        "Time taken to bring the coverage figures up to date (the marked cells recounted, a new snapshot made) after what they count changed."
    )
    static let recordsHeld = Family("congress_records", .gauge, "Live records held by this node, by kind.")
    static let changeLogSeq = Family("congress_change_log_seq", .gauge, "Last sequence number of this node's change log.")
    static let changeLogCompacted = Family(
        "congress_change_log_compacted_total",
        .counter,
        "Change-log entries removed by compaction because a newer entry of the same record superseded them (or the record is gone)."
    )
    static let tombstonesDropped = Family(
        "congress_tombstones_dropped_total",
        .counter,
        "Tombstones dropped with their change-log entries, past tombstoneRetentionDays and acknowledged by the parent."
    )
    static let changeLogCompactedSeq = Family(
        "congress_change_log_compacted_seq",
        .gauge,
        "Sequence number up to which this node's change log holds only each record's newest entry."
    )
    static let lastSuccess = Family(
        "congress_sync_last_success_timestamp_seconds",
        .gauge,
        "When a sync run with the parent last succeeded, as Unix time (0: never)."
    )
    static let lastFailure = Family(
        "congress_sync_last_failure_timestamp_seconds",
        .gauge,
        "When a sync run with the parent last failed, as Unix time (0: never); later than the last success while the edge fails."
    )
    static let pendingChanges = Family(
        "congress_sync_pending_changes",
        .gauge,
        "Change-log entries of this node's subtree the parent has not acknowledged yet."
    )
    static let childLastBatch = Family(
        "congress_sync_child_last_batch_timestamp_seconds",
        .gauge,
        "When each child last delivered a batch here (an empty heartbeat batch counts), as Unix time (0: never)."
    )
    static let childStale = Family(
        "congress_sync_child_stale",
        .gauge,
        "1 while a child has delivered nothing within its schedule's period plus slack (as GET /v1/sync/status says), else 0."
    )
    static let heldBack = Family(
        "congress_sync_held_back_records",
        .gauge,
        "Records of this node's subtree held back because the parent's release does not know their kind yet, by kind (SPEC §17)."
    )
    static let childLagging = Family(
        "congress_sync_child_lagging",
        .gauge,
        "1 while a child runs an older release or replication schema, or holds another topology or points folder, by what lags; else 0."
    )
    static let batchesApplying = Family(
        "congress_sync_batches_applying",
        .gauge,
        "Children's batches being received and applied here now (at most the node's maxConcurrentBatches)."
    )
    static let batchesWaiting = Family(
        "congress_sync_batches_waiting",
        .gauge,
        "Children's batches waiting for their turn to be received here, their bodies not read yet."
    )
    static let batchesApplyingMost = Family(
        "congress_sync_batches_applying_max",
        .gauge,
        "The most children's batches received and applied here at once since the node started."
    )
    static let batchesTurnedAway = Family(
        "congress_sync_batches_busy_total",
        .counter,
        "Children's batches answered 503 busy (sent again by the child) after waiting their turn for too long."
    )
    /// What Hummingbird's `MetricsMiddleware` records, under the names `factory` gives it.
    static let httpRequests = Family("hb_requests_total", .counter, "HTTP requests answered, by route, method and status code.")
    static let httpErrors = Family(
        "hb_request_errors_total",
        .counter,
        "HTTP requests whose handler failed, by route, method and status code answered."
    )
    static let httpDuration = Family(
        "http_server_request_duration_seconds",
        .histogram,
        "Time taken to answer HTTP requests, by route, method and status code."
    )
    static let httpActive = Family("http_server_active_requests", .gauge, "HTTP requests being answered now, by method.")

    static let catalogue: [String: Family] = Dictionary(
        uniqueKeysWithValues: [
            batchesReceived, changesApplied, recountDuration, recordsHeld, changeLogSeq, changeLogCompacted, tombstonesDropped,
            changeLogCompactedSeq, lastSuccess, lastFailure, pendingChanges, childLastBatch,
            childStale, heldBack, childLagging, batchesApplying, batchesWaiting, batchesApplyingMost, batchesTurnedAway, httpRequests, httpErrors,
            httpDuration, httpActive,
        ].map { ($0.name, $0) }
    )

    /// Durations from milliseconds to seconds: a county's coverage recount or an HTTP request takes a few milliseconds,
    /// a province's recount about a second.
    static let durationBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
        .milliseconds(500), .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
    ]

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    // MARK: Recording

    let registry: PrometheusCollectorRegistry
    let records: RecordStore
    let sync: SyncClient
    let admission: BatchAdmission
    private let recountDurations: DurationHistogram

    init(registry: PrometheusCollectorRegistry, records: RecordStore, sync: SyncClient, admission: BatchAdmission) {
        self.registry = registry
        self.records = records
        self.sync = sync
        self.admission = admission
        recountDurations = registry.makeDurationHistogram(descriptor: Self.recountDuration.descriptor, buckets: Self.durationBuckets)
    }

    /// A child's batch was acknowledged here.
    func received(_ ack: BatchAck, from child: RegionCode) {
        let labels = [("sender", child.rawValue)]
        registry.makeCounter(descriptor: Self.batchesReceived.descriptor, labels: labels).increment()
        registry.makeCounter(descriptor: Self.changesApplied.descriptor, labels: labels).increment(by: Int64(ack.applied))
    }

    /// The coverage figures were brought up to date.
    func coverageRecounted(in duration: Duration) {
        recountDurations.record(duration)
    }

    // MARK: Rendering

    /// The whole text as of `now`: the registry's metrics, then the state read from the database.
    func text(now: Date) async throws -> String {
        var bytes: [UInt8] = []
        registry.emit(into: &bytes)
        let state = Self.render(
            records: try await records.liveCounts(),
            sync: try await sync.status(now: now),
            compaction: try await sync.compactor?.totals(),
            admission: admission.counts
        )
        return String(decoding: bytes, as: UTF8.self) + state
    }

    /// The families read at each scrape, from the records held, the sync status, the change log's compaction and the queue
    /// of children's batches.
    static func render(records: [(RecordKind, Int)], sync: SyncStatus, compaction: CompactionCounts?, admission: BatchAdmission.Counts) -> String {
        var text = ""
        func family(_ family: Family, _ samples: [(labels: [(String, String)], value: Double)]) {
            text += "# HELP \(family.name) \(family.help)\n# TYPE \(family.name) \(family.kind.rawValue)\n"
            for sample in samples {
                let labels = sample.labels.map { "\($0.0)=\"\(labelValue($0.1))\"" }.joined(separator: ",")
                text += family.name + (labels.isEmpty ? "" : "{\(labels)}") + " " + number(sample.value) + "\n"
            }
        }
        func seconds(_ time: Timestamp?) -> Double { time?.date.timeIntervalSince1970 ?? 0 }

        family(Self.recordsHeld, records.map { ([("kind", $0.0.rawValue)], Double($0.1)) })
        family(Self.changeLogSeq, [([], Double(sync.lastSeq))])
        if let compaction {
            family(Self.changeLogCompacted, [([], Double(compaction.superseded))])
            family(Self.tombstonesDropped, [([], Double(compaction.tombstones))])
            family(Self.changeLogCompactedSeq, [([], Double(compaction.compactedThrough))])
        }
        if let parent = sync.parent {
            let edge = [("parent", parent.code)]
            family(Self.lastSuccess, [(edge, seconds(parent.lastSuccessAt))])
            family(Self.lastFailure, [(edge, seconds(parent.lastFailureAt))])
            family(Self.pendingChanges, [(edge, Double(parent.pending))])
            if !parent.heldBack.isEmpty {
                family(Self.heldBack, parent.heldBack.sorted { $0.key < $1.key }.map { (edge + [("kind", $0.key)], Double($0.value)) })
            }
        }
        if !sync.children.isEmpty {
            family(Self.childLastBatch, sync.children.map { ([("child", $0.code)], seconds($0.lastBatchAt)) })
            family(Self.childStale, sync.children.map { ([("child", $0.code)], $0.stale ? 1 : 0) })
            let lags = [SyncStatus.Lag.release, .schema, .topology, .points]
            family(
                Self.childLagging,
                sync.children.flatMap { child in lags.map { ([("child", child.code), ("what", $0.rawValue)], child.lags.contains($0) ? 1 : 0) } }
            )
        }
        family(Self.batchesApplying, [([], Double(admission.applying))])
        family(Self.batchesWaiting, [([], Double(admission.waiting))])
        family(Self.batchesApplyingMost, [([], Double(admission.mostApplying))])
        family(Self.batchesTurnedAway, [([], Double(admission.turnedAway))])
        return text
    }

    /// A sample value: whole numbers without a fraction, times to the millisecond.
    private static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String((value * 1000).rounded() / 1000)
    }

    private static func labelValue(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: "\\n")
    }

    // MARK: swift-metrics

    /// The factory to bootstrap swift-metrics with (once per process): what libraries record lands in `registry` under
    /// Prometheus's names — a counter ends in `_total`, a timer in `_seconds` — with the catalogue's help text, or one
    /// that names the label it was recorded under.
    public static func factory(registry: PrometheusCollectorRegistry) -> any MetricsFactory {
        Factory(registry: registry)
    }

    private struct Factory: MetricsFactory {
        let registry: PrometheusCollectorRegistry

        /// The catalogue's family for a label (`hb.requests` is `hb_requests_total`), or one made up for it.
        private func family(_ label: String, _ kind: Family.Kind, unit: String?) -> Family {
            var name = String(label.map { $0.isLetter && $0.isASCII || $0.isNumber && $0.isASCII || $0 == "_" ? $0 : "_" })
            if let unit, !name.hasSuffix("_" + unit) { name += "_" + unit }
            if let known = NodeMetrics.catalogue[name], known.kind == kind { return known }
            return Family(name, kind, "Recorded through swift-metrics as '\(label)'.")
        }

        func makeCounter(label: String, dimensions: [(String, String)]) -> any CounterHandler {
            registry.makeCounter(descriptor: family(label, .counter, unit: "total").descriptor, labels: dimensions)
        }

        func makeFloatingPointCounter(label: String, dimensions: [(String, String)]) -> any FloatingPointCounterHandler {
            registry.makeCounter(descriptor: family(label, .counter, unit: "total").descriptor, labels: dimensions)
        }

        func makeMeter(label: String, dimensions: [(String, String)]) -> any MeterHandler {
            registry.makeGauge(descriptor: family(label, .gauge, unit: nil).descriptor, labels: dimensions)
        }

        func makeRecorder(label: String, dimensions: [(String, String)], aggregate: Bool) -> any RecorderHandler {
            guard aggregate else { return registry.makeGauge(descriptor: family(label, .gauge, unit: nil).descriptor, labels: dimensions) }
            return registry.makeValueHistogram(
                descriptor: family(label, .histogram, unit: nil).descriptor,
                labels: dimensions,
                buckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000]
            )
        }

        func makeTimer(label: String, dimensions: [(String, String)]) -> any TimerHandler {
            registry.makeDurationHistogram(
                descriptor: family(label, .histogram, unit: "seconds").descriptor,
                labels: dimensions,
                buckets: NodeMetrics.durationBuckets
            )
        }

        func destroyCounter(_ handler: any CounterHandler) {
            if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
        }

        func destroyFloatingPointCounter(_ handler: any FloatingPointCounterHandler) {
            if let counter = handler as? Prometheus.Counter { registry.unregisterCounter(counter) }
        }

        func destroyMeter(_ handler: any MeterHandler) {
            if let gauge = handler as? Prometheus.Gauge { registry.unregisterGauge(gauge) }
        }

        func destroyRecorder(_ handler: any RecorderHandler) {
            switch handler {
            case let gauge as Prometheus.Gauge: registry.unregisterGauge(gauge)
            case let histogram as ValueHistogram: registry.unregisterValueHistogram(histogram)
            default: break
            }
        }

        func destroyTimer(_ handler: any TimerHandler) {
            if let histogram = handler as? DurationHistogram { registry.unregisterDurationHistogram(histogram) }
        }
    }
}
