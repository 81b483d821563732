import Logging
import NIOConcurrencyHelpers
import NIOCore

/// Every worker, once a second, releases what workers that are gone left in the shared
/// segment (`TargetHealthTable.releaseGoneWorkers`): the requests a SIGKILLed or crashed
/// worker had in flight stop counting against their targets within about a second, and the
/// target slots only an exited generation used become free. The gateway does this itself;
/// the master knows nothing of targets or requests.
///
/// Every worker sweeps rather than one elected worker: a sweep with nobody gone is a
/// `kill(pid, 0)` per worker slot held, and the first worker to get the allocation lock
/// does the work while the others find nothing left.
final class GoneWorkerSweep: Sendable {
    static let period: TimeAmount = .seconds(1)

    private let table: TargetHealthTable
    private let loop: any EventLoop
    private let logger: Logger
    private let task = NIOLockedValueBox<RepeatedTask?>(nil)

    init(table: TargetHealthTable, loop: any EventLoop, logger: Logger) {
        self.table = table
        self.loop = loop
        self.logger = logger
    }

    func start() {
        let task = self.loop.scheduleRepeatedTask(initialDelay: Self.period, delay: Self.period) { [table, logger] _ in
            Self.log(table.releaseGoneWorkers(), logger: logger)
        }
        self.task.withLockedValue { $0 = task }
    }

    func stop() {
        self.task.withLockedValue { task in
            task?.cancel()
            task = nil
        }
    }

    static func log(_ released: [TargetHealthTable.ReleasedWorker], logger: Logger) {
        for worker in released {
            let metadata: Logger.Metadata = [
                "worker_pid": "\(worker.owner.pid)", "worker_generation": "\(worker.owner.generation)",
                "requests_in_flight": "\(worker.requestsInFlight)", "freed_targets": "\(worker.freedTargets)",
            ]
            if worker.requestsInFlight > 0 {
                logger.notice("a worker ended with requests in flight; they no longer count as upstream load", metadata: metadata)
            } else {
                logger.debug("released the shared slots of a worker that exited", metadata: metadata)
            }
        }
    }
}
