import Foundation
import XCTest

/// Issue "Proxy foundation" 2.1: bodies stream both ways with backpressure. 256 MiB go
/// through pylon while its resident memory stays within 64 MiB of what it used before:
/// a proxy that buffered a whole body (or ignored backpressure between a fast and a slow
/// side) would grow by hundreds of MiB.
final class ProxyStreamingTests: IntegrationTestCase {
    static let transferSize = 256 << 20
    static let allowedGrowthKiB = 64 << 10

    /// Pylon in front of a fresh backend, without a body limit, warmed up by a few small
    /// requests (so one-time allocations are in the baseline), and its baseline RSS.
    private func startWarmProxy() throws -> (proxy: RunningProxy, backend: TestBackend, baselineKiB: Int) {
        let backend = try startBackend()
        let proxy = try startProxy(in: backend, mainOptions: "connect_timeout: 1s, read_timeout: 10s") {
            $0.limits = "{max_body: 0, header_timeout: 5s, idle_timeout: 5s}"
        }
        for path in ["/", "/bytes/300000", "/chunked/300000"] {
            let warmUp = try Curl.run(proxy.url + path, discardBody: true)
            XCTAssertEqual(warmUp.status, 200, "\(warmUp)")
        }
        let warmUpload = try Curl.run(proxy.url + "/sink", method: "POST", body: .data(Data(count: 300_000)))
        XCTAssertEqual(warmUpload.bodyText, "300000", "\(warmUpload)")
        Thread.sleep(forTimeInterval: 0.2)
        let baseline = try XCTUnwrap(RSSSampler.residentKiB(of: proxy.process.pid))
        return (proxy, backend, baseline)
    }

    private func assertBoundedGrowth(_ peak: (peakKiB: Int, samples: Int), baselineKiB: Int, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThan(peak.samples, 5, "RSS was sampled too rarely to mean anything", file: file, line: line)
        let growth = peak.peakKiB - baselineKiB
        print("[\(name)] \(what): pylon RSS baseline \(baselineKiB / 1024) MiB, peak \(peak.peakKiB / 1024) MiB, growth \(growth / 1024) MiB (\(peak.samples) samples)")
        XCTAssertLessThan(
            growth, Self.allowedGrowthKiB,
            "\(what): pylon RSS grew by \(growth / 1024) MiB (baseline \(baselineKiB / 1024) MiB, peak \(peak.peakKiB / 1024) MiB)",
            file: file, line: line
        )
    }

    private func upload(chunked: Bool) throws {
        let (proxy, backend, baseline) = try startWarmProxy()
        let file = "\(try makeTempDirectory())/upload.bin"
        try ProxyTestFiles.makeSparseFile(at: file, size: Self.transferSize)

        let sampler = RSSSampler(pid: proxy.process.pid)
        let result = try Curl.run(
            proxy.url + "/sink", method: "POST",
            headers: chunked ? [("Transfer-Encoding", "chunked")] : [],
            body: .file(file), maxTime: 30
        )
        let peak = sampler.stop()

        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.bodyText, String(Self.transferSize), "the backend must receive every byte")
        let forwarded = backend.receivedRequests.last
        if chunked {
            XCTAssertEqual(forwarded?.headers["transfer-encoding"], ["chunked"])
            XCTAssertEqual(forwarded?.headers["content-length"], [])
        } else {
            XCTAssertEqual(forwarded?.headers["content-length"], [String(Self.transferSize)])
        }
        assertBoundedGrowth(peak, baselineKiB: baseline, chunked ? "chunked upload" : "content-length upload")
    }

    private func download(path: String) throws -> CurlResult {
        let (proxy, _, baseline) = try startWarmProxy()
        let sampler = RSSSampler(pid: proxy.process.pid)
        let result = try Curl.run(proxy.url + path, maxTime: 30)
        let peak = sampler.stop()
        XCTAssertEqual(result.exitCode, 0, "\(result)")
        XCTAssertEqual(result.status, 200, "\(result)")
        XCTAssertEqual(result.body.count, Self.transferSize)
        XCTAssertNil(ProxyTestFiles.firstPatternMismatch(in: result.body), "the body must arrive intact and in order")
        assertBoundedGrowth(peak, baselineKiB: baseline, "download of \(path)")
        return result
    }

    func testStalledClientMakesPylonStopReadingTheUpstream() throws {
        // The client asks for 256 MiB and reads nothing: pylon must stop reading the
        // backend once the client side is full, not buffer the backend's (fast) output.
        let (proxy, _, baseline) = try startWarmProxy()
        let sampler = RSSSampler(pid: proxy.process.pid)
        let connection = try RawConnection(port: proxy.port)
        try connection.send(RawRequest.get("/bytes/\(Self.transferSize)"))
        Thread.sleep(forTimeInterval: 3)
        let peak = sampler.stop()
        assertBoundedGrowth(peak, baselineKiB: baseline, "256 MiB download stalled by the client for 3 s")

        // The stream is intact where the client resumes.
        let received = connection.peekReceived(timeout: 1)
        XCTAssertTrue(String(decoding: received.prefix(20), as: UTF8.self).hasPrefix("HTTP/1.1 200"), String(decoding: received.prefix(200), as: UTF8.self))
        connection.reset()
        XCTAssertTrue(proxy.process.isRunning)
    }

    func testStalledUpstreamMakesPylonStopReadingTheClient() throws {
        // The upstream accepts (in the kernel) but never reads: pylon must stop reading the
        // client once the upstream side is full, not buffer the (fast) upload.
        let silent = try NeverReadingListener()
        defer { silent.close() }
        let proxy = try startProxy(ProxyTestConfig(
            upstreams: [("silent", "{targets: [\"127.0.0.1:\(silent.port)\"], connect_timeout: 1s, read_timeout: 30s}")],
            routes: ["{path_prefix: /, upstream: silent}"],
            limits: "{max_body: 0, header_timeout: 5s, idle_timeout: 5s, body_timeout: 30s}"
        ))
        _ = try Curl.run(proxy.url + "/warm-up", method: "POST", body: .string("x"), maxTime: 0.5)
        Thread.sleep(forTimeInterval: 0.2)
        let baseline = try XCTUnwrap(RSSSampler.residentKiB(of: proxy.process.pid))
        let file = "\(try makeTempDirectory())/upload.bin"
        try ProxyTestFiles.makeSparseFile(at: file, size: Self.transferSize)

        let sampler = RSSSampler(pid: proxy.process.pid)
        let result = try Curl.run(proxy.url + "/sink", method: "POST", body: .file(file), maxTime: 3)
        let peak = sampler.stop()
        XCTAssertEqual(result.exitCode, 28, "the upload cannot finish while the upstream reads nothing: \(result)")
        assertBoundedGrowth(peak, baselineKiB: baseline, "256 MiB upload stalled by the upstream for 3 s")
        XCTAssertTrue(proxy.process.isRunning)
    }

    func testUpload256MiBWithContentLengthStreamsInBoundedMemory() throws {
        try upload(chunked: false)
    }

    func testUpload256MiBChunkedStreamsInBoundedMemory() throws {
        try upload(chunked: true)
    }

    func testDownload256MiBWithContentLengthStreamsInBoundedMemoryIntact() throws {
        let result = try download(path: "/bytes/\(Self.transferSize)")
        XCTAssertEqual(result.header(named: "content-length"), String(Self.transferSize))
    }

    func testDownload256MiBChunkedStreamsInBoundedMemoryIntact() throws {
        let result = try download(path: "/chunked/\(Self.transferSize)")
        XCTAssertEqual(result.header(named: "transfer-encoding"), "chunked")
    }
}
