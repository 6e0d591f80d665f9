import CongressCore
import CongressStore
import CongressSync
import Hummingbird
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle

public typealias AppRequestContext = BasicRequestContext

/// Everything a node needs to serve; `congress serve` reads it from the node's files, tests build it in code.
public struct AppConfiguration: Sendable {
    public var node: RegionCode
    public var topology: Topology
    /// The file `topology` was read from; when set, the node reloads it on SIGHUP and when it changes.
    public var topologyFile: String?
    public var topologyWarnings: [Diagnostic] = []
    public var topologyPollInterval: Duration = .seconds(1)
    /// Sync with the parent on the edge's schedule; tests sync on demand instead.
    public var schedulesPushes = true
    public var syncRetry: RetryPolicy = .standard
    public var syncBatchSize = SyncProtocol.batchSize
    public var secrets: NodeSecrets
    public var database: DatabaseAddress
    public var listen: HostAndPort
    public var registry: PrometheusCollectorRegistry
    public var logger: Logger

    public init(
        node: RegionCode,
        topology: Topology,
        topologyFile: String? = nil,
        secrets: NodeSecrets,
        database: DatabaseAddress,
        listen: HostAndPort,
        registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        logger: Logger
    ) {
        self.node = node
        self.topology = topology
        self.topologyFile = topologyFile
        self.secrets = secrets
        self.database = database
        self.listen = listen
        self.registry = registry
        self.logger = logger
    }
}

/// Assembles a node: its database pool as a service, migrations before the server starts, and the routes.
public func buildApplication(_ configuration: AppConfiguration) throws -> Application<RouterResponder<AppRequestContext>> {
    guard configuration.topology.node(configuration.node) != nil else {
        throw InputError(field: "node", message: "node \(configuration.node) is not in the topology")
    }
    guard configuration.secrets.node == configuration.node else {
        throw InputError(field: "secrets", message: "the secrets file is for node \(configuration.secrets.node), not \(configuration.node)")
    }
    let logger = configuration.logger
    let client = PostgresClient(configuration: configuration.database.clientConfiguration, backgroundLogger: logger)
    let store = RecordStore(client: client, node: configuration.node, logger: logger)
    let topology = TopologyInForce(configuration.topology, file: configuration.topologyFile, warnings: configuration.topologyWarnings)
    let sync = SyncClient(
        changeLog: ChangeLogReader(client: client, node: configuration.node, logger: logger),
        applier: BatchApplier(client: client, node: configuration.node, logger: logger),
        directiveFeed: DirectiveFeed(client: client, node: configuration.node, logger: logger),
        topology: topology,
        token: configuration.secrets.parentToken,
        retry: configuration.syncRetry,
        batchSize: configuration.syncBatchSize,
        logger: logger
    )
    let routes = buildRoutes(configuration, store: store, topology: topology, sync: sync)
    let pool = ConnectionPool(client)
    // Nothing queries before the pool runs, and no scheduled sync starts before the schema is in place.
    let migrated = ReadySignal()
    var services: [any Service] = [pool]
    if configuration.schedulesPushes {
        services.append(SyncScheduler(sync: sync, topology: topology, node: configuration.node, logger: logger, startsAfter: migrated))
    }
    if let file = configuration.topologyFile {
        services.append(
            TopologyReloader(
                inForce: topology,
                file: file,
                node: configuration.node,
                pollInterval: configuration.topologyPollInterval,
                logger: logger
            )
        )
    }
    var app = Application(
        router: routes.router,
        configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "congress"),
        services: services,
        logger: logger
    )
    app.beforeServerStarts {
        await pool.running()
        try await Migrations.apply(on: client, logger: logger)
        migrated.signal()
        logger.info("node ready", metadata: ["node": "\(configuration.node)", "database": "\(configuration.database.redacted)"])
    }
    return app
}

func buildRoutes(_ configuration: AppConfiguration, store: RecordStore, topology: TopologyInForce, sync: SyncClient) -> APIRoutes {
    let routes = APIRoutes(secrets: configuration.secrets)
    let coverageStore = CoverageStore(client: store.client, logger: configuration.logger)
    let metrics = NodeMetrics(registry: configuration.registry, records: store, sync: sync)
    let coverage = CoverageCache(store: coverageStore, deliveries: sync.applier, topology: topology, node: configuration.node, metrics: metrics)
    routes.router.add(middleware: WriteNoticeMiddleware(cache: coverage))
    let personKeys = PersonKeyDeriver(provinceKey: configuration.secrets.provinceKey)
    SystemController(store: store, topology: topology, nodeMetrics: metrics).addRoutes(to: routes)
    let syncController = SyncController(sync: sync, metrics: metrics, topology: topology, secrets: configuration.secrets)
    syncController.addRoutes(to: routes)
    let coverageController = CoverageController(cache: coverage, topology: topology, node: configuration.node)
    coverageController.addRoutes(to: routes)
    DashboardController(
        coverage: coverageController,
        sync: syncController,
        store: coverageStore,
        topology: topology,
        secrets: configuration.secrets
    ).addRoutes(to: routes)
    let deputies = RecordController<Deputy>(store: store, personKeys: personKeys)
    let units = RecordController<Unit>(store: store, personKeys: personKeys)
    ImportController(deputies: deputies, units: units).addRoutes(to: routes)
    deputies.addRoutes(to: routes)
    units.addRoutes(to: routes)
    RecordController<Station>(store: store, personKeys: personKeys).addRoutes(to: routes)
    RecordController<Assignment>(store: store, personKeys: personKeys).addRoutes(to: routes)
    RecordController<Training>(store: store, personKeys: personKeys).addRoutes(to: routes)
    TrainingController(store: store).addRoutes(to: routes)
    return routes
}
