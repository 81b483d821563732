import NIOCore
import PylonGateway
import PylonSupervisor

extension SupervisorSettings {
    /// The name the metrics listener travels under: not a valid config listener name, so it
    /// cannot collide with one.
    static let metricsListenerName = "@metrics"

    /// What the master needs from a gateway config: listeners (the metrics one included —
    /// every worker serves it, so the master must own it like the others), worker count,
    /// drain timeout, the config text itself for the workers, and the shared-memory segment
    /// this binary's workers share (its size and layout are this binary's, not the config's).
    init(_ config: GatewayConfig, workers: WorkerCount?, configPath: String, configText: String) {
        var listeners = config.listeners.map {
            SupervisorSettings.Listener(name: $0.name, host: $0.address.host, port: $0.address.port, backlog: $0.backlog)
        }
        if let metrics = config.metrics {
            listeners.append(.init(name: Self.metricsListenerName, host: metrics.address.host, port: metrics.address.port, backlog: 128))
        }
        let count: Int
        switch workers ?? config.workers {
        case .auto: count = System.coreCount
        case .fixed(let n): count = n
        }
        let milliseconds = config.drainTimeout.components.seconds * 1000 + config.drainTimeout.components.attoseconds / 1_000_000_000_000_000
        self.init(
            listeners: listeners, workers: count, threadsPerWorker: 1,
            drainTimeoutMilliseconds: Int(milliseconds), configPath: configPath, configText: configText,
            sharedMemory: SharedMemory(byteCount: SharedMemorySegment.byteCount, layout: SharedMemorySegment.layoutDescription)
        )
    }
}
