import CohortLensCore
import Foundation
import Testing

@testable import Explanation

/// Parity with lime 0.2.0.1 (Fixtures/golden/lime.json, Scripts/golden/lime.py): with the NumPy
/// stream (`limeCompat`) the selected features are identical and every number agrees to 1e-6.
struct LimeParityTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()
  static func fixture(_ path: String) -> String { root.appendingPathComponent("Fixtures").appendingPathComponent(path).path }

  static func golden() throws -> [String: Any] {
    let data = try Data(contentsOf: URL(fileURLWithPath: fixture("golden/lime.json")))
    return try JSONSerialization.jsonObject(with: data) as! [String: Any]
  }

  struct Case {
    var explainer: LimeExplainer
    var model: LinearModel
    var rows: [String: [Double]]
    var info: [String: Any]
  }

  static func load(_ info: [String: Any], mode: RandomMode = .limeCompat) throws -> Case {
    let table = try Table.read(path: fixture(info["features_file"] as! String))
    let columns = info["columns"] as! [String]
    let m = try table.numericMatrix(columns: columns)
    let ids = try table.ids(info["id"] as! String)
    var options = LimeOptions()
    options.numFeatures = info["num_features"] as! Int
    options.seed = 42
    options.randomMode = mode
    options.discretizer = DiscretizerKind(rawValue: info["discretizer"] as? String ?? "quartile")!
    let explainer = try LimeExplainer(training: m.values, rows: m.rowCount, featureNames: columns, options: options)
    let model = try LinearModel(json: String(contentsOfFile: fixture(info["model"] as! String), encoding: .utf8))
    var rows: [String: [Double]] = [:]
    for (i, id) in ids.enumerated() { rows[id] = Array(m.values[(i * columns.count)..<((i + 1) * columns.count)]) }
    return Case(explainer: explainer, model: model, rows: rows, info: info)
  }

  @Test(arguments: 0..<8)
  func explanationsMatchLime(caseIndex: Int) throws {
    let g = try Self.golden()
    let info = (g["cases"] as! [[String: Any]])[caseIndex]
    let c = try Self.load(info)
    let students = info["students"] as! [String]
    let run = try c.explainer.explain(students: students.map { ($0, c.rows[$0]!) }, model: c.model, label: 1)
    var worst = 0.0
    for (e, ref) in zip(run.explanations, info["explanations"] as! [[String: Any]]) {
      #expect(e.student == ref["student"] as! String)
      let refFeatures = ref["features"] as! [[String: Any]]
      #expect(e.features.map(\.index) == refFeatures.map { $0["index"] as! Int })
      #expect(e.features.map(\.condition) == ref["conditions"] as! [String])
      for (f, r) in zip(e.features, refFeatures) { worst = max(worst, abs(f.weight - (r["weight"] as! Double))) }
      worst = max(worst, abs(e.intercept - (ref["intercept"] as! Double)))
      worst = max(worst, abs(try #require(e.score) - (ref["score"] as! Double)))
      worst = max(worst, abs(e.localPrediction - (ref["local_prediction"] as! Double)))
      worst = max(worst, abs(e.probability - (ref["probability"] as! Double)))
    }
    print("lime parity case \(info["name"]!) k=\(info["num_features"]!): max |diff| = \(worst)")
    #expect(worst <= 1e-6)
  }

  /// The sampled neighbourhood itself: the first sample rows and every column sum of the matrix
  /// lime passed to the model.
  @Test func samplesMatchLime() throws {
    let g = try Self.golden()
    for info in g["cases"] as! [[String: Any]] {
      let c = try Self.load(info)
      var rs = NumPyRandomState(seed: 42)
      for (s, ref) in zip(info["students"] as! [String], info["explanations"] as! [[String: Any]]) {
        let nb = c.explainer.neighbourhood(of: c.rows[s]!, source: &rs, exact: true)
        let p = nb.columns
        let head = ref["samples_head"] as! [[Double]]
        var worst = 0.0
        for (r, refRow) in head.enumerated() {
          for j in 0..<p { worst = max(worst, abs(nb.samples[(r + 1) * p + j] - refRow[j]) / max(1, abs(refRow[j]))) }
        }
        let sums = ref["sample_column_sums"] as! [Double]
        for j in 0..<p {
          var s = 0.0
          for i in 0..<nb.rows { s += nb.samples[i * p + j] }
          worst = max(worst, abs(s - sums[j]) / max(1, abs(sums[j])))
        }
        #expect(worst <= 1e-9, "case \(info["name"]!) student \(s): relative sample difference \(worst)")
      }
    }
  }
}
