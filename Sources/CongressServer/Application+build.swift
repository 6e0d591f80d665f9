import CongressCore
import CongressStore
import CongressSync
import CongressTLS
import Hummingbird
import HummingbirdTLS
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle

/// Everything a node needs to serve; `congress serve` reads it from the node's files, tests build it in code.
public struct AppConfiguration: Sendable {
    public var node: RegionCode
    public var topology: Topology
    /// The file `topology` was read from; when set, the node reloads it on SIGHUP and when it changes.
    public var topologyFile: String?
    public var topologyWarnings: [Diagnostic] = []
    public var topologyPollInterval: Duration = .seconds(1)
    /// The points rules in force at start (SPEC §12), and the folder they were read from: when set, the node reloads it
    /// when its files change and writes there the folder it adopts from its parent.
    public var points: PointsFolder = .empty
    public var pointsDirectory: String?
    /// Sync with the parent on the edge's schedule; tests sync on demand instead.
    public var schedulesPushes = true
    /// Failed tokens and sign-ins from one address within five minutes before it is held back (SPEC §14).
    public var failedAuthenticationLimit = 20
    /// Messages a minute one address may send to one contact page (SPEC §13's abuse limit); page views are ten times that.
    public var contactPagePostsPerMinute = 30
    /// Reply deadlines of cases (SPEC §13: `opinionReplyDays`, 15 by default).
    public var caseDeadlines: CaseDeadlines = .standard
    /// Days a closed case keeps its constituent's contact (SPEC §13), and how often due contacts are looked for.
    public var contactRetentionDays = NodeConfig.defaultContactRetentionDays
    /// The address people reach the public contact pages at (SPEC §13), which QR codes print.
    public var publicBaseURL: String?
    /// Proxies whose `X-Forwarded-For` names the client of a public page.
    public var trustedProxies: [String] = []
    public var contactErasureInterval: Duration = .seconds(24 * 60 * 60)
    /// Days a tombstone stays once the parent has acknowledged it (`tombstoneRetentionDays`), and how often the change
    /// log is compacted besides after each push (nil: only then, and by `congress compact`).
    public var tombstoneRetentionDays = NodeConfig.defaultTombstoneRetentionDays
    public var compactionInterval: Duration? = .seconds(60 * 60)
    /// How often the coverage figures are brought up to date besides when read (nil: only when read).
    public var coverageMaintenanceInterval: Duration? = .seconds(60)
    public var syncRetry: RetryPolicy = .standard
    public var syncBatchSize = SyncProtocol.batchSize
    /// Children's batches received and applied here at once (`BatchAdmission`); the others wait their turn, up to
    /// `batchAdmissionWait`, and are then asked to send again.
    public var maxConcurrentBatches = NodeConfig.defaultMaxConcurrentBatches
    public var batchAdmissionWait: Duration = .seconds(20)
    /// The replication schemas this node reads and writes; tests give an older release's to simulate mixed releases.
    public var schemas: SchemaHistory = .thisRelease
    public var secrets: NodeSecrets
    public var database: DatabaseAddress
    /// How the node watches its database, to answer 503 at once while it is gone and serve again soon after it returns.
    public var databaseWatch = ConnectionPool.Watch()
    public var listen: HostAndPort
    /// HTTPS for this node and what it trusts calling its parent (SPEC §14); nil: plain HTTP, system roots.
    public var tls: NodeTLS?
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
    let pool = ConnectionPool(configuration.database, watch: configuration.databaseWatch, logger: logger)
    let store = RecordStore(client: pool, node: configuration.node, logger: logger, caseDeadlines: configuration.caseDeadlines)
    let topology = TopologyInForce(configuration.topology, file: configuration.topologyFile, warnings: configuration.topologyWarnings)
    let compactor = ChangeLogCompactor(
        client: pool,
        node: configuration.node,
        logger: logger,
        tombstoneRetentionDays: configuration.tombstoneRetentionDays
    )
    let sync = SyncClient(
        changeLog: ChangeLogReader(client: pool, node: configuration.node, logger: logger),
        applier: BatchApplier(client: pool, node: configuration.node, logger: logger, caseDeadlines: configuration.caseDeadlines),
        directiveFeed: DirectiveFeed(client: pool, node: configuration.node, logger: logger, caseDeadlines: configuration.caseDeadlines),
        compactor: compactor,
        topology: topology,
        points: PointsInForce(configuration.points, directory: configuration.pointsDirectory),
        schemas: configuration.schemas,
        token: configuration.secrets.parentToken,
        tls: configuration.tls?.clientConfiguration,
        retry: configuration.syncRetry,
        batchSize: configuration.syncBatchSize,
        logger: logger
    )
    let runs = SyncRuns(sync: sync)
    let recoded = RecodedNodes()
    let audit = AuditTrail(store: store.audit, logger: logger)
    let router = buildRouter(
        configuration,
        store: store,
        coverageStore: CoverageStore(client: pool, logger: logger),
        topology: topology,
        sync: sync,
        runs: runs,
        recoded: recoded,
        audit: audit
    )
    // Nothing queries before the pool runs, and no scheduled sync starts before the schema is in place.
    let migrated = ReadySignal()
    var services: [any Service] = [pool]
    if configuration.schedulesPushes {
        services.append(SyncScheduler(sync: sync, topology: topology, node: configuration.node, logger: logger, startsAfter: migrated))
    }
    services.append(runs)
    services.append(
        PersonKeyRekeyer(store: store, deriver: configuration.secrets.personKeys, audit: audit, startsAfter: migrated, logger: logger)
    )
    services.append(
        ContactEraser(
            store: store.contacts,
            audit: audit,
            interval: configuration.contactErasureInterval,
            startsAfter: migrated,
            logger: logger,
            retentionDays: configuration.contactRetentionDays
        )
    )
    if let interval = configuration.compactionInterval {
        services.append(
            ScheduledPass(doing: "compacting the change log", interval: interval, startsAfter: migrated, logger: logger) {
                // The parent in force bounds what may go: its acknowledgement (none at a root).
                _ = try await compactor.compact(parent: topology.topology.upstream(of: compactor.node)?.code)
            }
        )
    }
    if let interval = configuration.coverageMaintenanceInterval {
        let (figures, node) = (CoverageStore(client: pool, logger: logger).figures, configuration.node)
        services.append(
            ScheduledPass(doing: "maintaining the coverage figures", interval: interval, startsAfter: migrated, logger: logger) {
                try await figures.maintain(for: topology.topology, node: node)
            }
        )
    }
    if let file = configuration.topologyFile {
        services.append(
            TopologyReloader(
                inForce: topology,
                points: sync.points,
                file: file,
                node: configuration.node,
                pollInterval: configuration.topologyPollInterval,
                audit: audit,
                logger: logger
            )
        )
    }
    var app = Application(
        router: router,
        server: try configuration.tls?.serverConfiguration.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
        configuration: .init(address: .hostname(configuration.listen.host, port: configuration.listen.port), serverName: "congress"),
        services: services,
        logger: logger
    )
    app.beforeServerStarts {
        try await pool.onceReachable("starting the node") {
            try await Migrations.apply(on: pool.client, logger: logger)
            recoded.replace(with: try await store.recodedNodes())
            // Cases stored before the status table, or under other reply days, are counted right from the first request.
            let recounted = try await store.reconcileCaseStatus()
            if recounted > 0 { logger.notice("case status recomputed", metadata: ["cases": "\(recounted)"]) }
        }
        migrated.signal()
        logger.info("node ready", metadata: ["node": "\(configuration.node)", "database": "\(configuration.database.redacted)"])
    }
    return app
}

/// The node's routes, each controller's `RouteCollection` mounted in the group that carries its access rule: open (health,
/// metrics, the API document, the dashboard, which asks for its token itself), child token (sync batches and
/// directives), read token (every GET under `/v1`) and admin token (every write).
func buildRouter(
    _ configuration: AppConfiguration,
    store: RecordStore,
    coverageStore: CoverageStore,
    topology: TopologyInForce,
    sync: SyncClient,
    runs: SyncRuns,
    recoded: RecodedNodes = RecodedNodes(),
    audit: AuditTrail? = nil
) -> Router<AppRequestContext> {
    let secrets = configuration.secrets
    let records = RecordService(store: store, personKeys: secrets.personKeys)
    let trainings = TrainingService(store: store)
    let admission = BatchAdmission(limit: configuration.maxConcurrentBatches, wait: configuration.batchAdmissionWait)
    let metrics = NodeMetrics(registry: configuration.registry, records: store, sync: sync, admission: admission)
    let syncService = SyncService(sync: sync, metrics: metrics, topology: topology, runs: runs, admission: admission)
    let cache = CoverageCache(
        store: coverageStore,
        figures: coverageStore.figures,
        deliveries: sync.applier,
        topology: topology,
        node: configuration.node,
        metrics: metrics
    )
    let coverage = CoverageService(cache: cache, topology: topology, node: configuration.node)
    let routeTable = RouteTable()
    let audit = audit ?? AuditTrail(store: store.audit, logger: configuration.logger)

    let router = Router(context: AppRequestContext.self)
    router.add(middleware: ErrorMiddleware(routes: routeTable))
    router.add(middleware: MetricsMiddleware())
    router.add(middleware: WriteNoticeMiddleware(cache: cache))

    let system = SystemController(
        store: store,
        topology: topology,
        points: sync.points,
        nodeMetrics: metrics,
        healthLimit: configuration.databaseWatch.healthLimit,
        document: OpenAPIDocument.yaml(node: configuration.node)
    )
    router.addRoutes(system.endpoints)
    let accounts = AccountService(
        store: store.accounts,
        secrets: secrets,
        audit: audit,
        failures: FailedAuthentications(limit: configuration.failedAuthenticationLimit)
    )
    let contacts = ContactService(store: store.contacts, secrets: secrets, retentionDays: configuration.contactRetentionDays, audit: audit)
    let caseService = CaseService(records: records, topology: topology, deadlines: configuration.caseDeadlines, contacts: contacts)
    let dashboard = DashboardController(
        coverage: coverage,
        sync: syncService,
        store: coverageStore,
        cases: caseService,
        topology: topology,
        accounts: accounts
    )
    router.addRoutes(dashboard.signInForm)
    // Pages for readers: the dashboard and the dossiers.
    let readerPages = router.group().add(middleware: PageAccessMiddleware(required: .read, accounts: accounts, audit: audit))
    readerPages.addRoutes(dashboard.page)
    // The staff's forms (SPEC §12): pages for editors, audited as the API's writes are.
    let pages = router.group().add(middleware: PageAccessMiddleware(required: .write, accounts: accounts, audit: audit))
        .add(middleware: AuditMiddleware(audit: audit))
    let forms = DutyFormService(records: records)
    pages.addRoutes(ActivityFormController(forms: forms, topology: topology).endpoints, atPath: "activities")
    pages.addRoutes(GroupFormController(forms: forms, topology: topology).endpoints, atPath: "groups")

    let syncController = SyncController(sync: syncService)
    // The audit sits before the certificate check, so that a child refused for its certificate is an entry too.
    let children = router.group("v1/sync")
        .add(middleware: ChildTokenMiddleware(secrets: secrets, recoded: recoded, audit: audit, failures: accounts.failures))
        .add(middleware: AuditMiddleware(audit: audit))
    if configuration.tls?.requireClientCertificates == true { children.add(middleware: ChildCertificateMiddleware()) }
    children.addRoutes(syncController.children)

    /// The routes of one access level: its token check, then the audit of what it lets through.
    func group(_ required: Access) -> RouterGroup<AppRequestContext> {
        router.group("v1").add(middleware: TokenMiddleware(required: required, accounts: accounts, audit: audit))
            .add(middleware: AuditMiddleware(audit: audit))
    }
    let (readers, writers, admins, auditors) = (group(.read), group(.write), group(.admin), group(.audit))
    let accountController = AccountController(accounts: accounts)
    // Signing in and out records its own audit entries (a refused sign-in has no actor the middleware could name).
    router.group("v1/session").addRoutes(accountController.sessions)
    group(.own).addRoutes(accountController.own, atPath: "account")
    readers.addRoutes(system.reads)
    readers.addRoutes(CoverageController(coverage: coverage).reads)
    readers.addRoutes(syncController.reads, atPath: "sync")
    admins.addRoutes(syncController.writes, atPath: "sync")
    writers.addRoutes(ImportController(records: records).writes)
    auditors.addRoutes(AuditController(audit: audit).reads, atPath: "audit")
    admins.addRoutes(
        DivisionController(divisions: DivisionService(store: store, topology: topology, sync: syncService, recoded: recoded)).writes,
        atPath: "divisions"
    )
    let contactPages = ContactPageService(
        cases: caseService,
        topology: topology,
        publicBaseURL: configuration.publicBaseURL,
        retentionDays: configuration.contactRetentionDays
    )
    let contactPageController = ContactPageController(
        pages: contactPages,
        trustedProxies: configuration.trustedProxies,
        postsPerMinute: configuration.contactPagePostsPerMinute
    )
    router.group("c").addRoutes(contactPageController.routes)
    func mount<Body: RecordBody>(_ type: Body.Type) {
        let controller = RecordController<Body>(records: records, contactPages: contactPages)
        readers.addRoutes(controller.reads, atPath: RouterPath(Body.kind.collection))
        writers.addRoutes(controller.writes, atPath: RouterPath(Body.kind.collection))
    }
    // Sign-ins (attendance) are written and read through their training.
    mount(Deputy.self)
    mount(Station.self)
    mount(Assignment.self)
    mount(Unit.self)
    mount(Training.self)
    mount(Activity.self)
    mount(DeputyGroup.self)
    let duty = DutyController(duty: DutyService(store: store, points: sync.points), audit: audit)
    readers.addRoutes(duty.reads)
    readerPages.addRoutes(duty.pages)
    let cases = CaseController(cases: caseService)
    readers.addRoutes(contactPageController.qrCode(of: Deputy.self), atPath: "deputies")
    readers.addRoutes(contactPageController.qrCode(of: Station.self), atPath: "stations")
    readers.addRoutes(cases.reads, atPath: "cases")
    writers.addRoutes(cases.writes, atPath: "cases")
    // The staff's case pages (SPEC §13): read by readers, written by editors.
    let casePages = CaseFormController(cases: caseService, forms: forms, topology: topology)
    readerPages.addRoutes(casePages.reads, atPath: "cases")
    pages.addRoutes(casePages.writes, atPath: "cases")
    let training = TrainingController(trainings: trainings)
    readers.addRoutes(training.reads, atPath: "trainings")
    writers.addRoutes(training.writes, atPath: "trainings")

    routeTable.fill(from: router)
    return router
}
