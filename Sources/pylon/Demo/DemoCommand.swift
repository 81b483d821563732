import ArgumentParser
import NIOCore
import NIOPosix
import PylonGateway

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the seed gateway (examples/seed-gateway.yaml), or any config, with built-in backends.",
        discussion: """
            Starts backend "family" on 127.0.0.1:9001 and backend "default" on 127.0.0.1:9002 \
            (each says which it is and sends alt-svc and X-Powered-By headers a gateway may \
            remove), then the gateway on :6191 with metrics on 127.0.0.1:6192, and prints curl \
            lines to try. Ctrl-C stops it.

            With -c FILE it runs that config instead (e.g. examples/capstone.yaml), with a \
            built-in backend on every loopback target of its upstreams, in one process.
            """
    )

    @Option(name: .shortAndLong, help: "Run this config instead of the embedded seed gateway.")
    var config: String?

    func run() async throws {
        let config: GatewayConfig
        do {
            if let path = self.config {
                config = try ConfigLoader.load(path: path)
            } else {
                config = try ConfigLoader.parse(yaml: SeedGatewayExample.yaml, file: SeedGatewayExample.path)
            }
        } catch {
            Console.standardError(error.description + "\n")
            throw ExitCode(1)
        }
        let backendGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var backends: [DemoBackend] = []
        for upstream in config.upstreams {
            for (index, target) in upstream.targets.enumerated() where DemoBackend.canServe(target) {
                // Several targets of one upstream are told apart by number: which one
                // answered shows the balancing.
                let name = upstream.targets.count == 1 ? upstream.name : "\(upstream.name)-\(index + 1)"
                backends.append(try await DemoBackend.start(name: name, host: target.host, port: target.port, group: backendGroup))
            }
        }
        var process = GatewayProcess(config: config, workers: .fixed(1))
        let configPath = self.config
        process.banner = { addresses in
            configPath.map { DemoBanner.text(configPath: $0, addresses: addresses) } ?? DemoBanner.text(addresses: addresses)
        }
        var failure: (any Error)? = nil
        do {
            try await process.run()
        } catch {
            failure = error
        }
        for backend in backends { backend.stop() }
        try? await backendGroup.shutdownGracefully()
        if let failure { throw failure }
    }
}

enum DemoBanner {
    static func text(addresses: [String: SocketAddress]) -> String {
        let port = addresses["http"]?.port ?? 6191
        let metrics = addresses["metrics"]?.port ?? 6192
        return """

            Pylon demo is serving the seed gateway (examples/seed-gateway.yaml).
            Try:
              curl -i http://127.0.0.1:\(port)/                                  # backend "default"; Server: MyGateway, no alt-svc
              curl -i http://127.0.0.1:\(port)/family/photos                     # backend "family"
              curl -i http://127.0.0.1:\(port)/login                             # 403 without the secret
              curl -i -H 'Authorization: password' http://127.0.0.1:\(port)/login  # 200
              curl -s http://127.0.0.1:\(metrics)/metrics | grep pylon_requests_total
            Ctrl-C stops the demo.

            """
    }

    /// The banner for a config given with -c: where each listener is, for any config.
    static func text(configPath: String, addresses: [String: SocketAddress]) -> String {
        let lines = addresses.sorted { $0.key < $1.key }.map { name, address in
            "  \(name): \(address.ipAddress ?? "?"):\(address.port ?? 0)"
        }
        return """

            Pylon demo is serving \(configPath) with built-in backends on its loopback targets.
            Listening:
            \(lines.joined(separator: "\n"))
            Ctrl-C stops the demo.

            """
    }
}
