import Foundation
import LinearAlgebra
import Testing
@testable import Clustering

/// Timing of each spectral step on 5-cluster synthetic data; runs only when SPECTRAL_BENCH_N is set
/// (`SPECTRAL_BENCH_N=4000 swift test -c release -Xswiftc -enable-testing --filter spectralBenchmark`).
@Test func spectralBenchmark() throws {
  guard let nStr = ProcessInfo.processInfo.environment["SPECTRAL_BENCH_N"], let n = Int(nStr) else { return }
  let d = 8
  var state: UInt64 = 42
  func next() -> Double { state = state &* 6364136223846793005 &+ 1442695040888963407; return Double(state >> 11) / Double(1 << 53) }
  var x = Matrix(rows: n, columns: d)
  for i in 0..<n { let c = Double(i % 5) * 3; for j in 0..<d { x[i, j] = c * Double((j + i % 5) % 3) + next() * 2 } }
  func time<T>(_ label: String, _ f: () throws -> T) rethrows -> T {
    let t0 = DispatchTime.now().uptimeNanoseconds, c0 = clock()
    let r = try f()
    let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let cpu = Double(clock() - c0) / Double(CLOCKS_PER_SEC)
    print("BENCH", label, "wall", wall, "cpu", cpu)
    return r
  }
  let xs = time("standard") { FeatureScaling.standard.apply(x) }
  let s = time("rbf") { Affinity.rbf(xs, gamma: 1.0 / 8) }
  _ = time("isSymmetric") { s.isSymmetric() }
  _ = try time("knn10") { try GraphConstruction.knn(10).adjacency(similarity: nil, features: xs) }
  _ = try time("laplacian") { try GraphLaplacian(adjacency: s) }
  _ = time("components") { GraphLaplacian.connectedComponents(s) }
  let e = try time("embedding dense k=10 m=20") { try SpectralEmbedding.compute(adjacency: s, dimensions: 10, eigenvalueCount: 20, solver: .dense) }
  print("BENCH eig", e.eigenvalues.prefix(7))
  _ = try time("embedding iterative(placeholder) k=10 m=20") { try SpectralEmbedding.compute(adjacency: s, dimensions: 10, eigenvalueCount: 20, solver: .iterative) }
}
