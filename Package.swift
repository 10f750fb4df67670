// swift-tools-version: 6.0
//
// CohortLens: an audit bench for learning-analytics models.
//
// Layout (one domain per module, each depending only on modules below it):
//   CLapack          system library over lapacke.h + cblas.h (Debian: liblapacke-dev, libopenblas-dev)
//   CSHA256          C SHA-256 compression with the x86 SHA extensions (chosen at run time), used by CohortLensCore
//   CohortLensCore   tables, CSV reader/writer, column typing, id joins, errors, output formats, seeded RNG
//   LinearAlgebra    row-major Matrix, BLAS/LAPACK wrappers, symmetric eigensolvers
//   Clustering       scaling, affinity, graphs, Laplacian, embedding, k-means, cluster scores, eigengap
//   CBlockKernel     C kernels of the iterative eigensolver: block product and Gram–Schmidt step (AVX2, chosen at run time), two-thread team, used by LinearAlgebra
//   CSpectralKernel  C SIMD kernels of the RBF affinity, degrees and normalised operator (AVX2, chosen at run time), used by Clustering
//   CScoresKernel    C SIMD kernel of the silhouette's distance sums (AVX2, chosen at run time), used by Clustering
//   CDTWKernel       C SIMD kernel of the DTW engine (vector extensions, chosen at run time), used by TimeSeries
//   TimeSeries       series input (long/wide), normalisation, DTW (Sakoe-Chiba band), pairwise engine, exact k-NN
//   Fairness         count tables, group rates with intervals, criteria and verdicts, bootstrap, AUC, ABROCA
//   Explanation      LIME tabular explanations (lime 0.2.0.1 semantics), built-in models, stability
//   Report           self-contained HTML reports with inline SVG charts (no scripts, no external assets)
//   cohortlens       the command-line tool (thin: parse, call the library, format)
import PackageDescription

// LAPACKE + OpenBLAS. Debug builds (and `swift test`) link the shared libraries. Release builds link the static
// archives the same Debian packages ship (liblapacke.a, libopenblas.a; libgfortran stays shared): loading and
// relocating the shared OpenBLAS cost ≈5 ms of every command's start-up (a C program making one LAPACKE call
// starts in 6.9 ms linked with -llapacke -lopenblas, in 2.0 ms with the archives; perf stat, 30 runs).
let lapackLinking: [LinkerSetting] = [
  .linkedLibrary("lapacke", .when(configuration: .debug)),
  .linkedLibrary("openblas", .when(configuration: .debug)),
  .unsafeFlags(
    ["-Xlinker", "-Bstatic", "-Xlinker", "-llapacke", "-Xlinker", "-lopenblas", "-Xlinker", "-Bdynamic",
     "-Xlinker", "-l:libgfortran.so.5"],
    .when(platforms: [.linux], configuration: .release)
  ),
  .linkedLibrary("lapacke", .when(platforms: [.macOS], configuration: .release)),
  .linkedLibrary("openblas", .when(platforms: [.macOS], configuration: .release)),
]

// The release executable on Linux is linked as a position-dependent executable (`-no-pie`): with the Swift
// runtime, Foundation and OpenBLAS linked statically, a PIE binary carries ≈ 52,700 relative relocations that the
// dynamic loader applies at every start (≈ 200 copy-on-write page faults); at a fixed address there are none.
// Measured (2-core Zen 4 guest, perf stat, 50 runs): `cohortlens --version` 3.28 → 2.53 ms of CPU, 499 → 347 page
// faults; the n = 1000 `cluster` benchmark process 20.3 → 19.7 ms (min of 40, interleaved). Shared libraries,
// the heap, the stack and mmap regions stay randomised; only the executable's own image is at a fixed address.
let executableLinking: [LinkerSetting] = [
  .unsafeFlags(["-Xclang-linker", "-no-pie"], .when(platforms: [.linux], configuration: .release))
]

let package = Package(
  name: "CohortLens",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "cohortlens", targets: ["cohortlens"]),
    .library(name: "CohortLensCore", targets: ["CohortLensCore"]),
    .library(name: "LinearAlgebra", targets: ["LinearAlgebra"]),
    .library(name: "Clustering", targets: ["Clustering"]),
    .library(name: "TimeSeries", targets: ["TimeSeries"]),
    .library(name: "Report", targets: ["Report"]),
    .library(name: "Fairness", targets: ["Fairness"]),
    .library(name: "Explanation", targets: ["Explanation"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
  ],
  targets: [
    .systemLibrary(
      name: "CLapack",
      path: "Sources/CLapack",
      providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]
    ),
    .target(name: "CSHA256"),
    .target(name: "CohortLensCore", dependencies: ["CSHA256"]),
    .target(name: "CBlockKernel"),
    .target(
      name: "LinearAlgebra", dependencies: ["CLapack", "CBlockKernel", "CohortLensCore"],
      linkerSettings: lapackLinking
    ),
    .target(name: "CSpectralKernel"),
    .target(name: "CScoresKernel"),
    .target(name: "Clustering", dependencies: ["LinearAlgebra", "CohortLensCore", "CSpectralKernel", "CScoresKernel"]),
    .target(name: "CDTWKernel"),
    .target(name: "TimeSeries", dependencies: ["CohortLensCore", "LinearAlgebra", "CDTWKernel"]),
    .target(name: "Report", dependencies: ["CohortLensCore"]),
    .target(name: "Fairness", dependencies: ["CohortLensCore"]),
    .target(name: "Explanation", dependencies: ["CohortLensCore", "LinearAlgebra", "CLapack"]),
    .executableTarget(
      name: "cohortlens",
      dependencies: [
        "CohortLensCore", "LinearAlgebra", "Clustering", "TimeSeries", "Report", "Fairness", "Explanation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      linkerSettings: executableLinking
    ),
    .testTarget(name: "CohortLensCoreTests", dependencies: ["CohortLensCore"]),
    .testTarget(name: "LinearAlgebraTests", dependencies: ["LinearAlgebra"]),
    .testTarget(name: "ClusteringTests", dependencies: ["Clustering", "LinearAlgebra", "CohortLensCore"]),
    .testTarget(name: "TimeSeriesTests", dependencies: ["TimeSeries", "CohortLensCore", "LinearAlgebra"]),
    .testTarget(name: "ReportTests", dependencies: ["Report", "CohortLensCore"]),
    .testTarget(name: "FairnessTests", dependencies: ["Fairness", "CohortLensCore"]),
    .testTarget(name: "ExplanationTests", dependencies: ["Explanation", "CohortLensCore", "LinearAlgebra"]),
    .testTarget(name: "CLITests", dependencies: ["cohortlens", "CohortLensCore"]),
  ],
  swiftLanguageModes: [.v6]
)
