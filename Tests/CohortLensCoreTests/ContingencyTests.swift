import Foundation
import Testing

@testable import CohortLensCore

/// Golden values from `Scripts/golden/contingency.py` (SciPy 1.17.1).
private struct ContingencyGolden: Decodable {
  struct Case: Decodable {
    let counts: [[Int]]
    let statistic, pvalue, cramers_v: Double
    let dof: Int
    let expected: [[Double]]
  }
  struct Gamma: Decodable { let a, x, q: Double }
  let tables: [Case]
  let gammaincc: [Gamma]

  static func load() throws -> ContingencyGolden {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Fixtures/golden/contingency.json")
    return try JSONDecoder().decode(ContingencyGolden.self, from: Data(contentsOf: url))
  }
}

private func relClose(_ a: Double, _ b: Double, _ tol: Double) -> Bool {
  abs(a - b) <= tol * max(abs(b), 1e-300)
}

@Suite struct ContingencyTests {
  @Test func matchesSciPy() throws {
    let g = try ContingencyGolden.load()
    #expect(g.tables.count == 7)
    for c in g.tables {
      let t = ContingencyTest(counts: c.counts)
      #expect(t.degreesOfFreedom == c.dof)
      #expect(t.yatesCorrection == (c.dof == 1))
      #expect(relClose(try #require(t.statistic), c.statistic, 1e-12), "\(c.counts)")
      #expect(relClose(try #require(t.pValue), c.pvalue, 1e-10), "\(c.counts): \(t.pValue!) vs \(c.pvalue)")
      #expect(relClose(try #require(t.cramersV), c.cramers_v, 1e-12))
      for (row, ref) in zip(t.expected, c.expected) {
        for (e, r) in zip(row, ref) { #expect(relClose(e, r, 1e-14)) }
      }
    }
  }

  @Test func incompleteGammaMatchesSciPy() throws {
    for c in try ContingencyGolden.load().gammaincc {
      let q = SpecialFunctions.regularizedGammaQ(c.a, c.x)
      #expect(relClose(q, c.q, 1e-12), "Q(\(c.a), \(c.x)) = \(q), scipy \(c.q)")
    }
  }

  @Test func emptyRowsAreDroppedAndDegenerateTablesUndefined() {
    // A zero row (an empty cluster) is dropped, SciPy would raise on a zero expected count.
    let t = ContingencyTest(counts: [[12, 5, 7], [0, 0, 0], [3, 9, 14]])
    let ref = ContingencyTest(counts: [[12, 5, 7], [3, 9, 14]])
    #expect(t.droppedRows == 1 && t.statistic == ref.statistic && t.degreesOfFreedom == 2)
    let one = ContingencyTest(counts: [[4, 6]])
    #expect(one.statistic == nil && one.pValue == nil && one.undefined?.contains("two non-empty rows") == true)
    #expect(ContingencyTest(counts: [[0, 0], [0, 0]]).undefined == "the table is empty")
    #expect(ContingencyTest(counts: [[3, 1], [1, 3]]).lowExpectedCounts)
    #expect(!ContingencyTest(counts: [[100, 100], [100, 101]]).lowExpectedCounts)
  }
}
