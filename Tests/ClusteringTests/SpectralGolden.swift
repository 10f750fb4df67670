import Foundation
import LinearAlgebra

/// Golden values from `Scripts/golden/spectral_units.py` (scikit-learn 1.9.1, SciPy 1.17.1).
struct SpectralGolden: Decodable {
  struct Scaling: Decodable {
    let x, standard, minmax, x_norm, l2: [[Double]]
    let standard_scale: [Double]
  }
  struct AffinityCase: Decodable {
    let x, rbf_default, rbf_07, epsilon_graph, knn_graph: [[Double]]
    let rbf_gamma, epsilon: Double
    let knn_k: Int
  }
  struct Precomputed: Decodable { let a, symmetrized: [[Double]] }
  struct LaplacianCase: Decodable {
    let w, normalized, unnormalized: [[Double]]
    let dd, degree, eigenvalues_normalized: [Double]
  }
  struct EmbeddingCase: Decodable {
    let affinity, embedding, embedding_unnormalized, affinity_isolated, embedding_isolated: [[Double]]
    let k, k_isolated: Int
    let eigenvalues, eigenvalues_unnormalized, eigenvalues_isolated: [Double]
  }
  struct GapCase: Decodable {
    let eigenvalues: [Double]
    let kmax: Int
    let gaps: [Double]
    let k: Int
  }
  let scaling: Scaling
  let affinity: AffinityCase
  let precomputed: Precomputed
  let laplacian: LaplacianCase
  let embedding: EmbeddingCase
  let eigengap: [GapCase]

  static let shared: SpectralGolden = {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/golden/spectral_units.json")
    do {
      return try JSONDecoder().decode(SpectralGolden.self, from: Data(contentsOf: url))
    } catch {
      fatalError("cannot load \(url.path): \(error) — run Scripts/golden/spectral_units.py")
    }
  }()
}

/// Largest absolute element-wise difference (∞ on a shape mismatch).
func maxAbsDiff(_ a: Matrix, _ b: [[Double]]) -> Double {
  let m = Matrix(rowArrays: b)
  guard a.rows == m.rows, a.columns == m.columns else { return .infinity }
  return zip(a.storage, m.storage).map { abs($0 - $1) }.max() ?? 0
}

func maxAbsDiff(_ a: [Double], _ b: [Double]) -> Double {
  guard a.count == b.count else { return .infinity }
  return zip(a, b).map { abs($0 - $1) }.max() ?? 0
}

/// Largest relative difference `|a − b| / max(|b|, floor)`.
func maxRelDiff(_ a: Matrix, _ b: [[Double]], floor: Double = 1) -> Double {
  let m = Matrix(rowArrays: b)
  guard a.rows == m.rows, a.columns == m.columns else { return .infinity }
  return zip(a.storage, m.storage).map { abs($0 - $1) / max(abs($1), floor) }.max() ?? 0
}
