// swift-tools-version: 6.0
// libFuzzer harnesses for Pylon (DESIGN §7). A separate package so that the main
// Package.swift carries no fuzz-only targets: build and run with `scripts/fuzz`.
import Foundation
import PackageDescription

// A path dependency's identity is its directory's name, which depends on where the
// repository was cloned: work it out instead of hard-coding it.
let parentDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let pylon = parentDirectory.lastPathComponent

let package = Package(
    name: "PylonFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.0"),
    ],
    targets: [
        // Each harness defines `LLVMFuzzerTestOneInput` and has a main.swift that hands it
        // to libFuzzer's driver (SwiftPM executables always get a Swift `main`, so
        // libFuzzer's own `main` can't be the entry point).
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "FuzzRequestParser",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "PylonProxy", package: pylon),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzProxyProtocol",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "PylonProxy", package: pylon),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "FuzzConfigLoader",
            dependencies: [
                "CFuzzerDriver",
                .product(name: "PylonGateway", package: pylon),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
