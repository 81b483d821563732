import Foundation
import PylonSupervisor
import XCTest

final class GenerationTableTests: XCTestCase {
    private func settings(workers: Int, listeners: [String]) -> SupervisorSettings {
        SupervisorSettings(
            listeners: listeners.map { .init(name: $0, host: "127.0.0.1", port: 1, backlog: 1) }, workers: workers,
            drainTimeoutMilliseconds: 1000, configPath: "c", configText: "t"
        )
    }

    private func worker(_ pid: Int32, generation: Int, state: GenerationTable.WorkerState = .starting) -> GenerationTable.Worker {
        .init(pid: pid, generation: generation, index: 0, controlFD: pid + 100, state: state, startedAt: 0, attempt: 0)
    }

    func testAGenerationIsReadyWhenItsFullCountSaidReady() {
        var table = GenerationTable()
        let first = table.addGeneration(settings: settings(workers: 2, listeners: ["http"]), listenerKeys: ["a"])
        XCTAssertEqual(first, 1)
        table.workers = [worker(10, generation: 1, state: .ready)]
        XCTAssertFalse(table.isReady(1), "one of two")
        table.workers.append(worker(11, generation: 1))
        XCTAssertFalse(table.isReady(1), "one still starting")
        table.workers[1].state = .ready
        XCTAssertTrue(table.isReady(1))
    }

    func testFinishedGenerationsReleaseTheirListeners() {
        var table = GenerationTable()
        let old = table.addGeneration(settings: settings(workers: 1, listeners: ["http", "old"]), listenerKeys: ["http", "old"])
        table.update(old) { $0.state = .serving }
        let new = table.addGeneration(settings: settings(workers: 1, listeners: ["http", "new"]), listenerKeys: ["http", "new"])
        XCTAssertEqual(new, 2)
        table.workers = [worker(10, generation: old), worker(20, generation: new, state: .ready)]
        table.update(new) { $0.state = .serving }
        table.update(old) { $0.state = .draining }
        XCTAssertEqual(table.serving?.number, new)
        XCTAssertEqual(table.finishedGenerations(), [], "generation 1 still has a worker")
        XCTAssertEqual(table.listenerKeysInUse, ["http", "old", "new"])
        XCTAssertEqual(table.removeWorker(pid: 10)?.generation, old)
        XCTAssertEqual(table.finishedGenerations(), [old])
        table.removeGeneration(old)
        XCTAssertEqual(table.listenerKeysInUse, ["http", "new"])
        XCTAssertEqual(table.workerIndex(controlFD: 120), 0)
    }

    func testTheTableSurvivesTheReexecEncoding() throws {
        var table = GenerationTable()
        table.addGeneration(settings: settings(workers: 1, listeners: ["http"]), listenerKeys: ["http@127.0.0.1:1"])
        table.workers = [worker(10, generation: 1, state: .ready)]
        table.pendingRespawns = [.init(generation: 1, index: 0, attempt: 2, at: 99)]
        let encoded = try JSONEncoder().encode(table)
        XCTAssertEqual(try JSONDecoder().decode(GenerationTable.self, from: encoded), table)
    }
}
