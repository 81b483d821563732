import ArgumentParser
import NIOCore
import NIOPosix
import PylonGateway

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the seed gateway (examples/seed-gateway.yaml) with two built-in backends.",
        discussion: """
            Starts backend "family" on 127.0.0.1:9001 and backend "default" on 127.0.0.1:9002
            (each says which it is and sends an alt-svc header the gateway removes), then the
            gateway on :6191 with metrics on 127.0.0.1:6192, and prints curl lines to try.
            Ctrl-C stops it.
            """
    )

    func run() async throws {
        let config: GatewayConfig
        do {
            config = try ConfigLoader.parse(yaml: SeedGatewayExample.yaml, file: SeedGatewayExample.path)
        } catch {
            Console.standardError(error.description + "\n")
            throw ExitCode(1)
        }
        let backendGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var backends: [DemoBackend] = []
        for upstream in config.upstreams {
            for target in upstream.targets {
                backends.append(try await DemoBackend.start(name: upstream.name, host: target.host, port: target.port, group: backendGroup))
            }
        }
        var process = GatewayProcess(config: config, workers: .fixed(1))
        process.banner = { addresses in DemoBanner.text(addresses: addresses) }
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
}
