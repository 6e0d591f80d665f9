import AsyncHTTPClient
import CongressCore
import CongressStore
import CongressSync
import CongressTLS
import Foundation
import NIOSSL
import Testing

@testable import CongressServer

/// A federation's certificates, made by `congress tls init`'s own code (`TLSFolder`) in a folder of their own.
struct TestCertificates {
    let folder: String

    static func make(for topology: Topology) throws -> TestCertificates {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("congress-tls-\(UUID().uuidString)").path
        _ = try TLSFolder.write(for: topology, to: folder)
        return TestCertificates(folder: folder)
    }

    /// The files `congress tls init` wrote for `code`, as a node config names them.
    func files(for code: String, requireClientCertificates: Bool = false) -> TLSFiles {
        let node = RegionCode(code)!
        return TLSFiles(
            certificate: TLSFolder.certificatePath(of: node, in: folder),
            key: TLSFolder.keyPath(of: node, in: folder),
            ca: TLSFolder.caPath(in: folder),
            requireClientCertificates: requireClientCertificates
        )
    }

    func tls(for code: String, requireClientCertificates: Bool = false) throws -> NodeTLS {
        try NodeTLS.load(files(for: code, requireClientCertificates: requireClientCertificates), configFile: folder + "/node.yaml")
    }

    /// A certificate from this CA for node `code` (whatever node presents it), written beside the others.
    func issue(node code: String, as name: String) throws -> TLSFiles {
        let authority = try CertificateAuthority(
            certificatePEM: try String(contentsOfFile: TLSFolder.caPath(in: folder), encoding: .utf8),
            keyPEM: try String(contentsOfFile: TLSFolder.caKeyPath(in: folder), encoding: .utf8)
        )
        let issued = try authority.issue(node: RegionCode(code)!, url: "https://127.0.0.1:1")
        try issued.certificatePEM.write(toFile: folder + "/\(name).pem", atomically: true, encoding: .utf8)
        try issued.keyPEM.write(toFile: folder + "/\(name)-key.pem", atomically: true, encoding: .utf8)
        return TLSFiles(certificate: folder + "/\(name).pem", key: folder + "/\(name)-key.pem", ca: TLSFolder.caPath(in: folder))
    }
}

extension TestFederation {
    /// City, county and township on their own databases, their urls `https://127.0.0.1:PORT`.
    static func https() async throws -> (TestFederation, Topology) {
        let ports = try (0..<3).map { _ in try LoopbackPort.free() }
        let yaml = TestTopology.city(ports: ["4208": ports[0], "420802": ports[1], "420802101": ports[2]]).yaml
            .replacingOccurrences(of: "http://", with: "https://")
        let nodes = try await nodes(["4208", "420802", "420802101"], of: yaml)
        let topology = try TopologyLoader.parse(yaml, file: "t.yaml").topology
        return (TestFederation(yaml: yaml, city: nodes[0], county: nodes[1], township: nodes[2]), topology)
    }

    /// Serves `nodes` as `live` does, each with its TLS material from `tls`.
    static func serve(
        _ nodes: [TestNode],
        tls: [RegionCode: NodeTLS],
        listen: [RegionCode: Int] = [:],
        _ body: @Sendable ([APIClient]) async throws -> Void
    ) async throws {
        try await serve(
            nodes[...],
            configure: { configuration in
                live(&configuration)
                configuration.tls = tls[configuration.node]
                if let port = listen[configuration.node] { configuration.listen.port = port }
            },
            body
        )
    }
}

@Suite struct TLSTests {
    static let townshipDeputy = Fixture.deputy(name: "王五", region: "420802101", level: "township", congress: "420802101")

    @Test func recordsTravelUpOverHTTPSBetweenThreeNodes() async throws {
        let (federation, topology) = try await TestFederation.https()
        let certificates = try TestCertificates.make(for: topology)
        var tls: [RegionCode: NodeTLS] = [:]
        for code in ["4208", "420802", "420802101"] { tls[RegionCode(code)!] = try certificates.tls(for: code) }
        try await TestFederation.serve([federation.city, federation.county, federation.township], tls: tls) { clients in
            let (city, county, township) = (clients[0], clients[1], clients[2])
            #expect(township.baseURL?.hasPrefix("https://127.0.0.1:") == true)
            let id = try await township.create("deputies", Self.townshipDeputy)
            let up = try await township.sync()
            #expect(up.error == nil)
            #expect(up.changes == 1)
            #expect(try await county.sync().error == nil)
            #expect((try await city.held("deputies"))[id]?.hasPrefix("420802101 v1 deleted=false") == true)
            #expect(try await city.held("deputies") == (try await township.held("deputies")))
        }
    }

    @Test func aChildThatTrustsAnotherCARefusesToPush() async throws {
        let (federation, topology) = try await TestFederation.https()
        let certificates = try TestCertificates.make(for: topology)
        let strangers = try TestCertificates.make(for: topology)
        let tls = [federation.county.node: try certificates.tls(for: "420802"), federation.township.node: try strangers.tls(for: "420802101")]
        try await TestFederation.serve([federation.county, federation.township], tls: tls) { clients in
            let (county, township) = (clients[0], clients[1])
            _ = try await township.create("deputies", Self.townshipDeputy)
            let report = try await township.sync()
            let error = try #require(report.error)
            #expect(error.contains("TLS with the parent at https://127.0.0.1:"), "\(error)")
            #expect(error.contains("nothing was sent"), "\(error)")
            #expect(report.batches == 0)
            #expect(try await county.held("deputies").isEmpty)
            let status = try await county.send(.get, "/v1/sync/status").json
            #expect((status["children"] as? [[String: Any]])?.first?["checkpoint"] as? Int ?? 0 == 0)
        }
    }

    @Test func withMutualTLSAChildWhoseCertificateNamesAnotherCodeIsRefused() async throws {
        let (federation, topology) = try await TestFederation.https()
        let certificates = try TestCertificates.make(for: topology)
        let county = federation.county.node
        let township = federation.township.node
        let wrong = try NodeTLS.load(try certificates.issue(node: "420802102", as: "wrong"), configFile: "node.yaml")
        let required = try certificates.tls(for: "420802", requireClientCertificates: true)
        try await TestFederation.serve([federation.county, federation.township], tls: [county: required, township: wrong]) { clients in
            _ = try await clients[1].create("deputies", Self.townshipDeputy)
            let report = try await clients[1].sync()
            let error = try #require(report.error)
            #expect(error.contains("403"), "\(error)")
            #expect(error.contains("names node-420802102, not the child 420802101"), "\(error)")
            #expect(try await clients[0].held("deputies").isEmpty)

            // Without a client certificate the handshake itself fails: not even /health answers.
            var request = HTTPClientRequest(url: clients[0].baseURL! + "/health")
            request.tlsConfiguration = NodeTLS(authority: required.authority).clientConfiguration
            await #expect(throws: (any Error).self) { _ = try await HTTPClient.shared.execute(request, timeout: .seconds(10)) }
        }
        // The same child with its own certificate is let through.
        let own = try certificates.tls(for: "420802101")
        try await TestFederation.serve([federation.county, federation.township], tls: [county: required, township: own]) { clients in
            let report = try await clients[1].sync()
            #expect(report.error == nil)
            #expect(report.changes == 1)
            #expect(try await clients[0].held("deputies").count == 1)
        }
    }

    @Test func theTokenNeverCrossesTheWireInClear() async throws {
        let (federation, topology) = try await TestFederation.https()
        let certificates = try TestCertificates.make(for: topology)
        let tls = [federation.county.node: try certificates.tls(for: "420802"), federation.township.node: try certificates.tls(for: "420802101")]
        // The township calls the county through a relay that records every byte both ways (the county listens behind it).
        let countyURL = try #require(topology.node(federation.county.node)?.url)
        let published = try #require(HostAndPort(url: countyURL)).port
        let behind = try LoopbackPort.free()
        let relay = try TCPRelay(listeningOn: published, forwardingTo: behind)
        defer { relay.stop() }
        let token = try #require(federation.township.secrets.parentToken)
        try await TestFederation.serve([federation.county, federation.township], tls: tls, listen: [federation.county.node: behind]) { clients in
            _ = try await clients[1].create("deputies", Self.townshipDeputy)
            let report = try await clients[1].sync()
            #expect(report.error == nil)
            #expect(report.changes == 1)
            let captured = relay.captured
            #expect(captured.count > 1000, "the relay saw the sync")
            #expect(!captured.contains(Array(token.utf8)))
            #expect(!captured.contains(Array("王五".utf8)))
            #expect(!captured.contains(Array("/v1/sync/batches".utf8)))

            // Plain HTTP to the TLS port: no HTTP answer, and the token sent in clear does not come back.
            let read = federation.county.secrets.readToken
            let answer = try TCPRelay.exchange(
                port: behind,
                sending: "GET /v1/sync/status HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(read)\r\n\r\n"
            )
            #expect(!answer.starts(with: Array("HTTP/".utf8)))
            #expect(!answer.contains(Array(read.utf8)))
            await #expect(throws: (any Error).self) {
                _ = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(behind)/health"), timeout: .seconds(10))
            }
        }
    }
}

/// `congress tls init` and `congress serve` as an operator runs them.
@Suite struct TLSCommandTests {
    @Test func tlsInitOutputServesHTTPSAndAKeyOfAnotherCertificateStopsServe() async throws {
        let port = try LoopbackPort.free()
        let yaml = TestTopology.city(ports: ["4208": try LoopbackPort.free(), "420802": port]).yaml.replacingOccurrences(
            of: "http://",
            with: "https://"
        )
        let node = try await TestNode.make(node: "420802", topologyYAML: yaml)
        let process = try NodeProcess(node, topologyYAML: yaml)
        let folder = process.folder.path
        let initialised = try await ChildProcess.run(
            try NodeProcess.executable,
            ["tls", "init", "--topology", folder + "/topology.yaml", "--out", folder + "/tls"]
        )
        #expect(initialised.terminationStatus == 0)
        #expect(initialised.text.contains("for tests and pilots only"), "\(initialised.text)")
        let mode = try FileManager.default.attributesOfItem(atPath: folder + "/tls/ca-key.pem")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let config = try String(contentsOf: process.configFile, encoding: .utf8)
        let tls = "\ntls:\n  certificate: tls/420802.pem\n  key: tls/420802-key.pem\n  ca: tls/ca.pem\n"
        try (config + tls).write(to: process.configFile, atomically: true, encoding: .utf8)

        let trust = try NodeTLS.load(TLSFiles(ca: folder + "/tls/ca.pem"), configFile: "test").clientConfiguration
        let client = try await process.start(tls: trust)
        #expect(client.baseURL == "https://127.0.0.1:\(port)")
        #expect(try await client.send(.get, "/v1/sync/status").status == .ok)
        process.kill()

        // The CA's key in place of the node's: refused at start, naming the config line and both files.
        try (config + tls.replacingOccurrences(of: "tls/420802-key.pem", with: "tls/ca-key.pem")).write(
            to: process.configFile,
            atomically: true,
            encoding: .utf8
        )
        let refused = try await ChildProcess.run(try NodeProcess.executable, ["serve", "--node", process.configFile.path])
        #expect(refused.terminationStatus != 0)
        #expect(
            refused.text.contains("\(process.configFile.path):8:8: error: the key \(folder)/tls/ca-key.pem does not match the certificate"),
            "\(refused.text)"
        )
    }
}
