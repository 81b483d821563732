import Foundation
import Glibc
import NIOConcurrencyHelpers
import XCTest

/// Rate limits across worker processes and upgrades: the buckets live in the shared
/// segment, so four workers allow what one would, and a new generation goes on counting
/// where the old one stopped.
final class SupervisorRateLimitTests: SupervisorTestCase {
    /// Starts `pylon run --workers N` with `rateLimit` as the top-level `rate_limit`. The
    /// header timeout is long, so connections opened ahead of a load stay open until used.
    private func startLimited(workers: Int, backend: TestBackend, rateLimit: String) throws -> SupervisedGateway {
        let port = try freePort()
        let metricsPort = try freePort()
        let yaml = gatewayYAML(port: port, metricsPort: metricsPort, backend: backend)
            + "rate_limit: \(rateLimit)\nlimits: {header_timeout: 60s}\n"
        let config = try writeConfig(yaml, named: "pylon.yaml")
        let gateway = try startSupervised(config: config, port: port, metricsPort: metricsPort, workers: workers)
        XCTAssertTrue(waitUntil(timeout: 5) { gateway.workers.count == workers }, "\(gateway.workers)")
        return gateway
    }

    /// One GET on a new connection; the status, or 0 when there was no response.
    private static func status(port: Int, path: String = "/") -> Int {
        let request = "GET \(path) HTTP/1.1\r\nHost: limited\r\nConnection: close\r\n\r\n"
        return (try? RawHTTPClient.exchange(port: port, send: request, readTimeout: 5))?.statusCodes.first ?? 0
    }

    /// One GET on a kept-alive connection; the status, or 0 when there was no response.
    private static func status(on connection: RawConnection?) -> Int {
        guard let connection else { return 0 }
        do {
            try connection.send("GET / HTTP/1.1\r\nHost: limited\r\n\r\n")
            return try connection.readResponse(timeout: 5).statusCode
        } catch {
            return 0
        }
    }

    func testFourWorkersTogetherAllowBurstPlusRateTimesElapsed() throws {
        let backend = try startBackend()
        let gateway = try startLimited(workers: 4, backend: backend, rateLimit: "{key: client_ip, rate: 10/s, burst: 20}")
        let port = gateway.port

        // One client (127.0.0.1) at 100 requests per second for 5 s: four threads, each
        // taking turns over its own keep-alive connections. Which worker accepts a
        // connection is the kernel's choice, and on a busy machine one worker can take a
        // whole burst; so connections are opened one at a time, before the load, until
        // more than one worker holds some. Every worker serving one then counts against
        // the same bucket.
        let clients = 4
        var opened: [RawConnection] = []
        let spread = waitUntil(timeout: 20, pollInterval: 0.005) {
            if opened.count < 256, let connection = try? RawConnection(port: port) { opened.append(connection) }
            guard opened.count >= 4 * clients else { return false }
            return gateway.workers.filter { Self.acceptedConnections(of: $0, onPort: port) > 0 }.count > 1
        }
        XCTAssertTrue(spread, "\(opened.count) connections, all accepted by one of \(gateway.workers)")
        // Client thread `n` takes every `clients`-th connection and is the only one to use them.
        nonisolated(unsafe) let connectionsOfClient = (0..<clients).map { client in
            stride(from: client, to: opened.count, by: clients).map { opened[$0] }
        }
        opened.removeAll()

        let statuses = NIOLockedValueBox<[Int]>([])
        let perClient = 125
        let interval = 0.04
        let start = Date().addingTimeInterval(0.2)
        let loadDone = DispatchGroup()
        let mayClose = DispatchSemaphore(value: 0)
        for client in 0..<clients {
            loadDone.enter()
            Thread.detachNewThread {
                var connections: [RawConnection?] = connectionsOfClient[client]
                var local: [Int] = []
                for request in 0..<perClient {
                    let due = start.addingTimeInterval(Double(request) * interval + Double(client) * interval / Double(clients))
                    let wait = due.timeIntervalSinceNow
                    if wait > 0 { Thread.sleep(forTimeInterval: wait) }
                    let index = request % connections.count
                    if connections[index] == nil { connections[index] = try? RawConnection(port: port) }
                    local.append(Self.status(on: connections[index]))
                }
                statuses.withLockedValue { $0 += local }
                loadDone.leave()
                // Kept open until the test has seen which workers hold them.
                _ = mayClose.wait(timeout: .now() + 30)
                withExtendedLifetime(connections) {}
            }
        }
        defer { for _ in 0..<clients { mayClose.signal() } }
        XCTAssertEqual(loadDone.wait(timeout: .now() + 60), .success, "the load finished")
        let span = Date().timeIntervalSince(start)
        let serving = gateway.workers.filter { Self.acceptedConnections(of: $0, onPort: port) > 0 }

        let all = statuses.withLockedValue { $0 }
        let allowed = all.filter { $0 == 200 }.count
        XCTAssertEqual(all.count, clients * perClient)
        XCTAssertEqual(allowed + all.filter { $0 == 429 }.count, all.count, "every request was answered 200 or 429: \(Dictionary(grouping: all) { $0 }.mapValues(\.count))")
        // 20 + 10 × 5 s = 70, within 10 %; and never more than the bucket allows over the
        // whole time the client was sending (the gateway's clock saw a shorter span).
        XCTAssertTrue((63...77).contains(allowed), "allowed \(allowed) of \(all.count) in \(span) s; expected 70 ± 10 %")
        XCTAssertLessThanOrEqual(allowed, 20 + Int(10 * span), "more than burst + rate × \(span) s")
        XCTAssertEqual(backend.receivedRequests.count, allowed, "only allowed requests reached the upstream")
        XCTAssertGreaterThan(serving.count, 1, "workers \(gateway.workers), of which held client connections: \(serving)")
    }

    func testABucketEmptiedBeforeAnUpgradeIsStillEmptyAfterIt() throws {
        let backend = try startBackend()
        let gateway = try startLimited(workers: 2, backend: backend, rateLimit: "{rate: 1/m, burst: 3}")
        XCTAssertEqual((0..<4).map { _ in Self.status(port: gateway.port) }, [200, 200, 200, 429])

        let old = Set(gateway.workers)
        let reload = try gateway.reload()
        XCTAssertEqual(reload.code, 0, reload.output)
        XCTAssertTrue(gateway.waitForGeneration(2))
        XCTAssertTrue(waitUntil(timeout: 10) { old.isDisjoint(with: gateway.workers) }, "old \(old), now \(gateway.workers)")

        // A fresh bucket would allow three more; the shared one still has none left.
        let after = try Curl.run(gateway.url + "/", maxTime: 5)
        XCTAssertEqual(after.status, 429, "\(after)")
        let retryAfter = try XCTUnwrap(after.header(named: "Retry-After").flatMap { Int($0) })
        XCTAssertTrue((1...60).contains(retryAfter), "\(retryAfter)")
        XCTAssertEqual(after.header(named: "RateLimit"), #""default";r=0;t=\#(retryAfter)"#)
        XCTAssertEqual(backend.receivedRequests.count, 3)
    }

    /// How many established TCP connections accepted on 127.0.0.1:`port` process `pid`
    /// holds (its /proc/PID/fd sockets, looked up in /proc/net/tcp).
    private static func acceptedConnections(of pid: pid_t, onPort port: Int) -> Int {
        let inodes = Set(ProcFS.openFileDescriptors(of: pid).values.compactMap { target -> String? in
            guard target.hasPrefix("socket:["), target.hasSuffix("]") else { return nil }
            return String(target.dropFirst("socket:[".count).dropLast())
        })
        // Read to the end: /proc files report a size of 0, and the table has a line per socket.
        let table = String(decoding: FileHandle(forReadingAtPath: "/proc/net/tcp")?.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let local = String(format: ":%04X", port)
        let established = "01"
        return table.split(separator: "\n").dropFirst().filter { line in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count > 9 && fields[1].hasSuffix(local) && fields[3] == established && inodes.contains(String(fields[9]))
        }.count
    }
}
