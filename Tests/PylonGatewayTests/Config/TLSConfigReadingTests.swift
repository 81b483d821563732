import Foundation
import PylonGateway
import XCTest

/// The `tls` sections of listeners and upstreams: files are read when the config loads,
/// relative to the config file, and every problem with them is reported at its YAML node.
final class TLSConfigReadingTests: XCTestCase {
    private var files: TLSTestFiles!

    override func setUpWithError() throws {
        files = try TLSTestFiles()
    }

    override func tearDown() {
        files?.remove()
        super.tearDown()
    }

    private func load(_ yaml: String) throws(ConfigError) -> GatewayConfig {
        try ConfigLoader.parse(yaml: yaml, file: files.configPath)
    }

    private func problems(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> [ConfigProblem] {
        do {
            let config = try load(yaml)
            XCTFail("expected the config to be rejected, but it loaded: \(config)", file: file, line: line)
            return []
        } catch {
            return error.problems
        }
    }

    /// A config whose one listener has `tls` (a flow mapping), routed to one plain upstream.
    private func listenerTLS(_ tls: String, extra: String = "") -> String {
        """
        listeners:
          - {name: https, address: "127.0.0.1:6443", tls: \(tls)\(extra)}
        upstreams:
          default: {targets: ["127.0.0.1:9001"]}
        routes:
          - {path_prefix: /, upstream: default}

        """
    }

    /// A config whose one upstream has `tls` (a flow mapping).
    private func upstreamTLS(_ tls: String) -> String {
        """
        listeners:
          - {name: http, address: "127.0.0.1:6191"}
        upstreams:
          default: {targets: ["127.0.0.1:9443"], tls: \(tls)}
        routes:
          - {path_prefix: /, upstream: default}

        """
    }

    // MARK: Listeners

    func testListenerCertificatesLoadWithNamesFromTheCertificateOrTheConfig() throws {
        try files.selfSigned("a", dnsNames: ["a.test", "WWW.a.test"])
        try files.selfSigned("b", dnsNames: ["ignored.test"])
        let config = try load(listenerTLS(
            "{certificates: [{cert: a.pem, key: a.key}, {cert: b.pem, key: b.key, server_names: [b.test, \"*.b.test\"]}], default: b.test, min_version: \"1.3\"}"
        ))
        let tls = try XCTUnwrap(config.listeners.first?.tls)
        XCTAssertEqual(tls.certificates.map(\.serverNames), [["a.test", "www.a.test"], ["b.test", "*.b.test"]])
        XCTAssertEqual(tls.certificates.first?.files.certFile, "\(files.directory)/a.pem", "relative to the config file")
        XCTAssertEqual(tls.certificates.first?.files.chain.count, 1)
        XCTAssertEqual(tls.defaultCertificate, 1)
        XCTAssertEqual(tls.minVersion, .tls13)
    }

    func testTheFirstCertificateIsTheDefaultAndTLS12TheMinimumUnlessSaid() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let tls = try XCTUnwrap(try load(listenerTLS("{certificates: [{cert: a.pem, key: a.key}]}")).listeners.first?.tls)
        XCTAssertEqual(tls.defaultCertificate, 0)
        XCTAssertEqual(tls.minVersion, .tls12)
    }

    func testAMissingCertificateFileIsReportedAtItsValue() {
        let found = problems(listenerTLS("{certificates: [{cert: nope.pem, key: nope.key}]}"))
        assertConfigProblem(found, at: 2, 74, contains: "cannot read the certificate file \(files.directory)/nope.pem: no such file")
        assertConfigProblem(found, at: 2, 89, contains: "cannot read the private key file \(files.directory)/nope.key: no such file")
    }

    func testAFileThatIsNotAPEMCertificateIsReported() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        try files.write("not a certificate\n", to: "junk.pem")
        let found = problems(listenerTLS("{certificates: [{cert: junk.pem, key: a.key}]}"))
        assertConfigProblem(found, at: 2, 74, contains: "junk.pem is not a PEM certificate file")
    }

    func testAKeyThatIsNotTheCertificatesIsReportedAtTheKey() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        try files.selfSigned("other", dnsNames: ["other.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: other.key}]}"))
        assertConfigProblem(found, at: 2, 86, contains: "the private key in \(files.directory)/other.key does not belong to the certificate")
    }

    func testAKeyFileHoldingACertificateIsNotAKey() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.pem}]}"))
        assertConfigProblem(found, at: 2, 86, contains: "a.pem is not a PEM private key")
    }

    func testAnEncryptedKeyIsReported() throws {
        let pair = try files.selfSigned("a", dnsNames: ["a.test"])
        try files.encryptKey(pair.key, to: "a-encrypted.key")
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a-encrypted.key}]}"))
        assertConfigProblem(found, at: 2, 86, contains: "is encrypted")
    }

    func testANameClaimedByTwoCertificatesIsReported() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        try files.selfSigned("b", dnsNames: ["b.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.key}, {cert: b.pem, key: b.key, server_names: [a.test]}]}"))
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.message.contains("server name \"a.test\" is already served by certificate 0") == true, "\(found)")
    }

    func testTheDefaultMustBeANameOfACertificate() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.key}], default: c.test}"))
        assertConfigProblem(found, at: 2, 104, contains: "no certificate serves \"c.test\"")
    }

    func testOnlyTLS12And13CanBeTheMinimum() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.key}], min_version: \"1.1\"}"))
        assertConfigProblem(found, at: 2, 108, contains: "\"1.1\" is not one of \"1.2\", \"1.3\"")
    }

    func testAServerNameMustNotBeAnIPAddress() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.key, server_names: [127.0.0.1]}]}"))
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.message.contains("is an IP address") == true, "\(found)")
    }

    func testATLSListenerCannotAlsoRedirect() throws {
        try files.selfSigned("a", dnsNames: ["a.test"])
        let found = problems(listenerTLS("{certificates: [{cert: a.pem, key: a.key}]}", extra: ", redirect_to_https: 443"))
        XCTAssertEqual(found.count, 1, "\(found)")
        XCTAssertTrue(found.first?.message.contains("redirect_to_https belongs on a plain listener") == true, "\(found)")
    }

    func testARedirectListenerNamesAPort() throws {
        let yaml = """
            listeners:
              - {name: http, address: "127.0.0.1:6191", redirect_to_https: 6443}
            upstreams:
              default: {targets: ["127.0.0.1:9001"]}
            routes:
              - {path_prefix: /, upstream: default}

            """
        XCTAssertEqual(try load(yaml).listeners.first?.redirectToHTTPSPort, 6443)
        let found = problems(yaml.replacingOccurrences(of: "6443", with: "70000"))
        assertConfigProblem(found, at: 2, 64, contains: "70000 is out of range")
    }

    // MARK: Upstreams

    func testUpstreamTLSLoadsItsCAAndClientCertificate() throws {
        try files.selfSigned("ca", dnsNames: [])
        try files.selfSigned("client", dnsNames: [])
        let config = try load(upstreamTLS("{sni: One.One.One.One, ca_file: ca.pem, client_cert: client.pem, client_key: client.key}"))
        let tls = try XCTUnwrap(config.upstreams.first?.tls)
        XCTAssertEqual(tls.sni, "one.one.one.one")
        XCTAssertTrue(tls.verify)
        XCTAssertEqual(tls.caFile, "\(files.directory)/ca.pem")
        XCTAssertEqual(tls.caCertificates.count, 1)
        XCTAssertEqual(tls.clientCertificate?.keyFile, "\(files.directory)/client.key")
    }

    func testUpstreamTLSDefaultsToVerifyingAgainstTheSystemStore() throws {
        let tls = try XCTUnwrap(try load(upstreamTLS("{}")).upstreams.first?.tls)
        XCTAssertNil(tls.sni)
        XCTAssertTrue(tls.verify)
        XCTAssertNil(tls.caFile)
        XCTAssertNil(tls.clientCertificate)
    }

    func testAnSNIMustBeAHostName() {
        let found = problems(upstreamTLS("{sni: 1.1.1.1}"))
        assertConfigProblem(found, at: 4, 53, contains: "\"1.1.1.1\" is an IP address")
    }

    func testAClientCertificateNeedsItsKey() throws {
        try files.selfSigned("client", dnsNames: [])
        let found = problems(upstreamTLS("{client_cert: client.pem}"))
        assertConfigProblem(found, at: 4, 61, contains: "client_cert needs client_key")
    }

    func testAnUnreadableCAFileIsReported() {
        let found = problems(upstreamTLS("{ca_file: missing-ca.pem}"))
        assertConfigProblem(found, at: 4, 57, contains: "cannot read the CA certificate file")
    }

    func testAMisspeltUpstreamTLSKeyIsReportedWithASuggestion() {
        let found = problems(upstreamTLS("{verfy: false}"))
        assertConfigProblem(found, at: 4, 48, contains: "unknown key \"verfy\" (did you mean \"verify\"?)")
    }
}
