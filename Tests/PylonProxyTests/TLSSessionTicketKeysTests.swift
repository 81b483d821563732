import CPylonTLS
import NIOSSL
import XCTest

@testable import PylonProxy

/// Session-ticket keys derived from a shared secret: the same in every process for the same
/// period, different from one period to the next, and accepted for the current period and
/// (renewed) for the one before.
final class TLSSessionTicketKeysTests: XCTestCase {
    private struct PeriodKeys: Equatable {
        var name = [UInt8](repeating: 0, count: Int(PYLON_TLS_TICKET_KEY_NAME_LENGTH))
        var aes = [UInt8](repeating: 0, count: Int(PYLON_TLS_TICKET_AES_KEY_LENGTH))
        var hmac = [UInt8](repeating: 0, count: Int(PYLON_TLS_TICKET_HMAC_KEY_LENGTH))
    }

    private let secret = (0..<32).map { UInt8($0 * 7 + 1) }
    private let otherSecret = (0..<32).map { UInt8(255 - $0) }

    private func keys(_ secret: [UInt8], period: UInt64) -> PeriodKeys {
        var keys = PeriodKeys()
        let ok = pylon_tls_ticket_keys(secret, period, &keys.name, &keys.aes, &keys.hmac)
        XCTAssertEqual(ok, 1)
        return keys
    }

    /// (status, sealing period) for a ticket named `name` during `current`.
    private func status(_ secret: [UInt8], name: [UInt8], current: UInt64) -> (Int32, UInt64) {
        var period: UInt64 = .max
        let status = pylon_tls_ticket_name_status(secret, name, current, &period)
        return (status, period)
    }

    func testTheSameSecretAndPeriodGiveTheSameKeys() {
        XCTAssertEqual(keys(secret, period: 40_000), keys(secret, period: 40_000))
    }

    func testEachPeriodHasItsOwnKeysUnderTheSameTag() {
        let first = keys(secret, period: 40_000)
        let next = keys(secret, period: 40_001)
        XCTAssertNotEqual(first.aes, next.aes)
        XCTAssertNotEqual(first.hmac, next.hmac)
        XCTAssertEqual(first.name.prefix(8), next.name.prefix(8), "the tag says whose ticket it is")
        XCTAssertEqual(Array(first.name.suffix(8)), [0, 0, 0, 0, 0, 0, 0x9C, 0x40], "then the period, big-endian")
        XCTAssertNotEqual(first.aes, Array(first.hmac.prefix(16)), "separate keys for encryption and authentication")
    }

    func testAnotherSecretGivesOtherKeysAndAnotherTag() {
        let ours = keys(secret, period: 40_000)
        let theirs = keys(otherSecret, period: 40_000)
        XCTAssertNotEqual(ours.aes, theirs.aes)
        XCTAssertNotEqual(ours.hmac, theirs.hmac)
        XCTAssertNotEqual(ours.name.prefix(8), theirs.name.prefix(8))
    }

    func testTicketsOfThisPeriodAreAcceptedAndOfThePreviousOneRenewed() {
        let name = keys(secret, period: 40_000).name
        XCTAssertTrue(status(secret, name: name, current: 40_000) == (1, 40_000), "sealed this period")
        XCTAssertTrue(status(secret, name: name, current: 40_001) == (2, 40_000), "sealed last period: accept, renew")
        XCTAssertEqual(status(secret, name: name, current: 40_002).0, 0, "two periods old: full handshake")
        XCTAssertEqual(status(secret, name: name, current: 39_999).0, 0, "from the future (a clock stepped back)")
        XCTAssertEqual(status(otherSecret, name: name, current: 40_000).0, 0, "another service's ticket")
        XCTAssertEqual(status(secret, name: [UInt8](repeating: 0, count: 16), current: 0).0, 0)
    }

    func testPeriodsAreTwelveHoursOfWallClockTime() {
        XCTAssertEqual(TLSSessionTicketKeys.rotationPeriodSeconds, 12 * 3600)
        XCTAssertEqual(pylon_tls_ticket_period(0), 0)
        XCTAssertEqual(pylon_tls_ticket_period(12 * 3600 - 1), 0)
        XCTAssertEqual(pylon_tls_ticket_period(12 * 3600), 1)
    }

    func testTheSecretMustBeThirtyTwoBytes() {
        XCTAssertNil(TLSSessionTicketKeys(secret: [1, 2, 3]))
        XCTAssertNotNil(TLSSessionTicketKeys(secret: secret))
        XCTAssertFalse(String(describing: TLSSessionTicketKeys(secret: secret)!).contains("\(secret)"))
    }

    /// A context with nothing in it: any SSL_CTX takes ticket keys, and this one needs no
    /// certificate files.
    private func bareContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([])
        return try NIOSSLContext(configuration: configuration)
    }

    func testTheKeysGoOnThisSwiftNIOSSLsContextOnceAndOnlyOnce() throws {
        let context = try bareContext()
        XCTAssertNotNil(
            TLSSessionTicketKeys.boringSSLContext(of: context),
            "swift-nio-ssl keeps its SSL_CTX in `sslContext`: without it tickets are per process"
        )
        let keys = try XCTUnwrap(TLSSessionTicketKeys(secret: secret))
        XCTAssertNoThrow(try keys.install(on: context))
        XCTAssertThrowsError(try keys.install(on: context)) { error in
            XCTAssertEqual("\(error)", "the context already has ticket keys")
        }
    }

    func testAPointerThatIsNotTheContextsOwnIsRefused() throws {
        let context = try bareContext()
        let other = try bareContext()
        let sslContext = try XCTUnwrap(TLSSessionTicketKeys.boringSSLContext(of: context))
        let code = pylon_tls_install_ticket_keys(
            UnsafeMutableRawPointer(sslContext), UnsafeRawPointer(Unmanaged.passUnretained(other).toOpaque()), secret, 32
        )
        XCTAssertEqual(code, PYLON_TLS_TICKET_INSTALL_NOT_OWNER)
    }
}
