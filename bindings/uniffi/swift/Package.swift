// swift-tools-version:5.9
// The Swift package of AuraVest's mobile bindings.
//
// `generated/` holds the sources UniFFI generates from the library (CI
// regenerates them and fails when they drift). `AuraVestFFI.xcframework` is
// a placeholder: build it with the recipe in ../README.md ("Swift") and put
// it beside this file; it carries the static library for each Apple target
// with AuraVestFFI.h and its module map.
import PackageDescription

let package = Package(
    name: "AuraVest",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "AuraVest", targets: ["AuraVest"]),
    ],
    targets: [
        .binaryTarget(name: "AuraVestFFI", path: "AuraVestFFI.xcframework"),
        .target(
            name: "AuraVest",
            dependencies: ["AuraVestFFI"],
            path: "generated",
            exclude: ["AuraVestFFI.h", "AuraVestFFI.modulemap"],
            sources: ["AuraVest.swift"]
        ),
    ]
)
