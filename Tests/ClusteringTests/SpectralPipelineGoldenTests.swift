import Foundation
import LinearAlgebra
import Testing

@testable import Clustering

/// End-to-end check of scaling → affinity → graph → Laplacian spectrum → eigengap against
/// `Fixtures/golden/spectral.json` (written by `Scripts/golden/spectral.py`, scikit-learn 1.9.1 /
/// SciPy 1.17.1). A missing fixture fails the test. The fixture's own tolerance table
/// (`Scripts/golden/README.md`) is applied.
@Suite
struct SpectralPipelineGoldenTests {
  @Test(arguments: SpectralPipelineGolden.caseNames)
  func pipelineMatchesGolden(name: String) throws {
    let (root, doc) = try #require(SpectralPipelineGolden.document)
    let ds = try #require(doc.datasets.first { $0.name == name })
    let raw = try SpectralPipelineGolden.readColumns(root.appendingPathComponent(ds.file), ds.columns)
    let scaling = try #require(ds.scale == "standard" ? FeatureScaling.standard : ds.scale == "none" ? FeatureScaling.none : nil)
    let x = scaling.apply(raw)
    #expect(maxRelDiff(x.selectingRows(Array(0..<ds.scaled_sample.count)), ds.scaled_sample) <= 1e-12)

    let graph = try GraphConstruction(parsing: ds.graph)
    let similarity: Matrix? = ds.gamma.map { Affinity.rbf(x, gamma: $0) }
    let w = try graph.adjacency(similarity: similarity, features: x)
    #expect(maxAbsDiff(w.selectingRows(Array(0..<ds.affinity_sample.count)), ds.affinity_sample) <= 1e-12)
    let sum = w.storage.reduce(0, +), sumSquares = w.storage.reduce(0) { $0 + $1 * $1 }
    #expect(abs(sum - ds.affinity_checksum.sum) <= 1e-10 * abs(ds.affinity_checksum.sum))
    #expect(abs(sumSquares - ds.affinity_checksum.sum_squares) <= 1e-10 * abs(ds.affinity_checksum.sum_squares))

    let e = try SpectralEmbedding.compute(adjacency: w, dimensions: 8, eigenvalueCount: ds.eigenvalues.count)
    #expect(e.components == ds.connected_components)
    #expect(e.degrees.filter { $0 == 0 }.count == ds.isolated_nodes)
    #expect(maxAbsDiff(e.eigenvalues, ds.eigenvalues) <= 1e-10)
    #expect(Eigengap.suggest(eigenvalues: e.eigenvalues, maxK: 8) == ds.eigengap_k)
    #expect(e.warnings.isEmpty == (ds.connected_components == 1))
  }
}

enum SpectralPipelineGolden {
  struct Checksum: Decodable { let sum, sum_squares: Double }
  struct Dataset: Decodable {
    let name, file, scale, graph: String
    let columns: [String]
    let gamma: Double?
    let scaled_sample, affinity_sample: [[Double]]
    let affinity_checksum: Checksum
    let connected_components, isolated_nodes, eigengap_k: Int
    let eigenvalues: [Double]
  }
  struct Document: Decodable { let datasets: [Dataset] }

  /// Repository root (or `SPECTRAL_GOLDEN_ROOT`) and the decoded fixture, if present.
  static let document: (URL, Document)? = {
    let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let root = ProcessInfo.processInfo.environment["SPECTRAL_GOLDEN_ROOT"].map { URL(fileURLWithPath: $0) } ?? repo
    guard let data = try? Data(contentsOf: root.appendingPathComponent("Fixtures/golden/spectral.json")),
      let doc = try? JSONDecoder().decode(Document.self, from: data)
    else { return nil }
    return (root, doc)
  }()

  static var caseNames: [String] { document?.1.datasets.map(\.name) ?? [] }

  /// The named numeric columns of a plain CSV file (header row, no quoted fields).
  static func readColumns(_ url: URL, _ names: [String]) throws -> Matrix {
    let text = try String(contentsOf: url, encoding: .utf8)
    var lines = text.split(whereSeparator: \.isNewline).map { $0.split(separator: ",", omittingEmptySubsequences: false) }
    let header = lines.removeFirst().map(String.init)
    let idx = try names.map { n in try #require(header.firstIndex(of: n)) }
    let rows = try lines.map { f in try idx.map { try #require(Double(f[$0])) } }
    return Matrix(rowArrays: rows)
  }
}
