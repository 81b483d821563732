import Foundation
import NIOConcurrencyHelpers

/// Scrapes `/metrics` on a thread of its own as fast as it answers and remembers, for each
/// watched series, every value seen and every time one went down — the property shared
/// counters must keep across reloads and worker restarts.
final class MetricsScrapeLoop: Sendable {
    struct Report: Sendable, CustomStringConvertible {
        var scrapes = 0
        var failedScrapes = 0
        /// The last value of each series (series absent from a scrape are not recorded).
        var last: [String: Double] = [:]
        /// `series: previous -> value` for every decrease (or disappearance) seen.
        var decreases: [String] = []

        var description: String { "\(scrapes) scrapes (\(failedScrapes) failed), last \(last), decreases \(decreases)" }
    }

    private let report = NIOLockedValueBox(Report())
    private let running = NIOLockedValueBox(true)
    private let finished = NIOLockedValueBox(false)

    init(metricsPort: Int, series: [String], interval: Double = 0.02) {
        Thread.detachNewThread {
            while self.running.withLockedValue({ $0 }) {
                self.scrapeOnce(port: metricsPort, series: series)
                Thread.sleep(forTimeInterval: interval)
            }
            self.finished.withLockedValue { $0 = true }
        }
    }

    var snapshot: Report { self.report.withLockedValue { $0 } }

    func stop() -> Report {
        self.running.withLockedValue { $0 = false }
        waitUntil(timeout: 10, pollInterval: 0.01) { self.finished.withLockedValue { $0 } }
        return self.snapshot
    }

    private func scrapeOnce(port: Int, series: [String]) {
        guard let result = try? Curl.run("http://127.0.0.1:\(port)/metrics", maxTime: 5), result.status == 200 else {
            self.report.withLockedValue { $0.failedScrapes += 1 }
            return
        }
        let text = result.bodyText
        self.report.withLockedValue { report in
            report.scrapes += 1
            for name in series {
                guard let value = MetricsText.value(of: name, in: text).flatMap(Double.init) else {
                    // Once seen, a series vanishing is a reset as much as a lower value.
                    if let previous = report.last[name] { report.decreases.append("\(name): \(previous) -> absent") }
                    continue
                }
                if let previous = report.last[name], value < previous {
                    report.decreases.append("\(name): \(previous) -> \(value)")
                }
                report.last[name] = value
            }
        }
    }
}
