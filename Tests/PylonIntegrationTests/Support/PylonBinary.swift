import Foundation
import XCTest

/// Finds the `pylon` executable the integration tests run.
///
/// Order: `$PYLON_BINARY` (CI or a release build elsewhere); else `pylon` next to the running
/// test bundle (same build, same configuration, honours `--scratch-path`); else
/// `<package root>/.build/debug/pylon` (`.build/release/pylon` when the tests themselves
/// were built without DEBUG). The package root is four levels above this file:
/// `<root>/Tests/PylonIntegrationTests/Support/PylonBinary.swift`.
enum PylonBinary {
    static let environmentKey = "PYLON_BINARY"

    /// The executable to run, or an error listing every place that was tried.
    static func path() throws -> String {
        try locate(
            environment: ProcessInfo.processInfo.environment,
            testExecutable: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first,
            sourceFile: #filePath
        )
    }

    /// The executable `name` built beside pylon (nio-relay, core-proxy, head-bench); the
    /// test is skipped when it is not there, as after building the `pylon` product alone.
    static func sibling(_ name: String) throws -> String {
        let pylon = try path()
        let sibling = URL(fileURLWithPath: pylon).deletingLastPathComponent().appendingPathComponent(name).path
        guard FileManager.default.isExecutableFile(atPath: sibling) else {
            throw XCTSkip("no \(name) next to \(pylon): built only with the whole package")
        }
        return sibling
    }

    /// The configuration these tests were built in, which names the build directory.
    static var buildConfiguration: String {
        #if DEBUG
        "debug"
        #else
        "release"
        #endif
    }

    /// `<package root>` derived from `sourceFile` (this file by default).
    static func packageRoot(sourceFile: String = #filePath) -> URL {
        var url = URL(fileURLWithPath: sourceFile)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url
    }

    /// Pure lookup, separated from `path()` so it can be tested without touching the
    /// process environment.
    static func locate(environment: [String: String], testExecutable: String?, sourceFile: String) throws -> String {
        let fileManager = FileManager.default
        if let explicit = environment[environmentKey], !explicit.isEmpty {
            guard fileManager.isExecutableFile(atPath: explicit) else {
                throw PylonBinaryError.notFound(searched: ["$\(environmentKey)=\(explicit)"])
            }
            return explicit
        }
        var candidates: [String] = []
        if let testExecutable, testExecutable.hasPrefix("/") {
            // Linux XCTest runs `<build dir>/<package>PackageTests.xctest` itself.
            let buildDirectory = URL(fileURLWithPath: testExecutable).deletingLastPathComponent()
            candidates.append(buildDirectory.appendingPathComponent("pylon").path)
        }
        candidates.append(packageRoot(sourceFile: sourceFile).appendingPathComponent(".build/\(buildConfiguration)/pylon").path)
        for candidate in candidates where fileManager.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw PylonBinaryError.notFound(searched: candidates)
    }
}

enum PylonBinaryError: Error, CustomStringConvertible {
    case notFound(searched: [String])

    var description: String {
        switch self {
        case .notFound(let searched):
            return "pylon executable not found (looked at: \(searched.joined(separator: ", "))); "
                + "run `swift build` first or set \(PylonBinary.environmentKey) to the binary"
        }
    }
}
