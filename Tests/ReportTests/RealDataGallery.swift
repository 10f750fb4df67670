import CohortLensCore
import Foundation
import Testing
@testable import Report

/// Renders every chart from real course numbers computed by `Examples/report-gallery/real_data.py`
/// (a visual check: `COHORTLENS_REPORT_REAL_DATA=in.json COHORTLENS_REPORT_GALLERY=out.html`).
/// Without the input variable the test only builds the document from a tiny inline sample of the
/// same JSON shape, so the decoding path is exercised in every run.
@Suite struct RealDataGalleryTests {
  static let tinySample = """
    {"weeks": [1, 2, 3], "series": [[1, 2, 3], [1, 2, 2], [5, 1, 0]], "dtw": [[0, 1, 7], [1, 0, 6], [7, 6, 0]],
     "eigenvalues": [0, 0.1, 0.9], "k": 2, "kGap": 2, "ks": [2], "silhouette": [0.5], "daviesBouldin": [0.7],
     "labels": [0, 0, 1],
     "roc": [{"name": "F", "fpr": [0, 0.5, 1], "tpr": [0, 0.7, 1], "auc": 0.6}, {"name": "M", "fpr": [0, 1], "tpr": [0, 1], "auc": 0.5}],
     "calibration": [{"name": "F", "bins": [{"predicted": 0.2, "observed": 0.1, "n": 3}, {"predicted": null, "observed": null, "n": 0}]}],
     "bars": [{"label": "A", "value": 1.0, "lower": 0.8, "upper": 1.2, "detail": "3/9"}, {"label": "B", "value": null, "detail": "0/0", "reason": "none"}],
     "lime": {"student": 7, "class": "fail", "probability": 0.9, "intercept": 0.3, "score": 0.4, "weights": [{"condition": "x <= 1", "weight": 0.2}]}}
    """

  static func document(from json: [String: Any]) throws -> HTMLDocument {
    func doubles(_ v: Any?) -> [Double] { (v as? [Any] ?? []).map { ($0 as? NSNumber)?.doubleValue ?? .nan } }
    func ints(_ v: Any?) -> [Int] { (v as? [Any] ?? []).map { ($0 as? NSNumber)?.intValue ?? 0 } }
    let weeks = doubles(json["weeks"])
    let series = (json["series"] as? [Any] ?? []).map(doubles)
    let dtw = (json["dtw"] as? [Any] ?? []).map(doubles)
    let labels = ints(json["labels"])
    let k = (json["k"] as? NSNumber)?.intValue ?? 0
    let kGap = (json["kGap"] as? NSNumber)?.intValue
    let ks = doubles(json["ks"])

    var doc = HTMLDocument(title: "Course audit: EPFL flipped classroom (real data, gallery)",
                           subtitle: "\(series.count) students, \(weeks.count) weeks; numbers from the Python reference stack")
    var clusters = Section(title: "Kinds of learners")
    clusters.figure(ScatterChart.eigenvalues(doubles(json["eigenvalues"]), gapAfter: kGap).figure())
    clusters.figure(LineChart(title: "Cluster quality against k", caption: "Silhouette on DTW distances (higher is better), Davies–Bouldin on the series (lower is better).",
                              xLabel: "number of clusters k", yLabel: "score", xs: ks,
                              series: [.init(name: "silhouette", values: doubles(json["silhouette"])),
                                       .init(name: "Davies–Bouldin", values: doubles(json["daviesBouldin"]))],
                              marker: .init(x: Double(k), label: "chosen k = \(k)")).figure())
    let groups = Dictionary(grouping: series.indices, by: { labels[$0] })
    let bands = groups.keys.sorted().map { c in
      BandChart.Band.summarise(name: "cluster \(c)", members: groups[c]!.map { series[$0] }, spread: .standardDeviation)
    }
    clusters.figure(BandChart(title: "Weekly video hours per cluster", caption: "Mean hours of video per week with ± one standard deviation.",
                              xLabel: "course week", yLabel: "video hours", xs: weeks, bands: bands, spread: .standardDeviation).figure())
    clusters.figure(HeatMap(title: "DTW distances ordered by cluster", caption: "Pairwise DTW distances (Sakoe–Chiba radius 2) between students.",
                            valueLabel: "DTW distance", matrix: dtw, clusters: labels).figure())
    doc.add(clusters)

    var fairness = Section(title: "Fairness of the grade predictions")
    let bars = (json["bars"] as? [[String: Any]] ?? []).map { b in
      IntervalBarChart.Bar(label: b["label"] as? String ?? "", value: (b["value"] as? NSNumber)?.doubleValue,
                           lower: (b["lower"] as? NSNumber)?.doubleValue, upper: (b["upper"] as? NSNumber)?.doubleValue,
                           detail: b["detail"] as? String, undefinedReason: b["reason"] as? String)
    }
    fairness.figure(IntervalBarChart(title: "Predicted-pass rate ratio by diploma country", caption: "Ratio to Suisse with 95 % bootstrap intervals.",
                                     valueLabel: "rate ratio", bars: bars, baseline: 1, tolerance: 0.8...1.25, reference: 1).figure())
    let curves = (json["roc"] as? [[String: Any]] ?? []).map { r in
      ROCChart.Curve(name: r["name"] as? String ?? "", fpr: doubles(r["fpr"]), tpr: doubles(r["tpr"]),
                     auc: (r["auc"] as? NSNumber)?.doubleValue)
    }
    fairness.figure(ROCChart(title: "ROC curves by gender", caption: "Area between the curves shaded.", curves: curves,
                             shading: curves.count >= 2 ? .init(first: 0, second: 1, label: "area between \(curves[0].name) and \(curves[1].name)") : nil).figure())
    let calibration = (json["calibration"] as? [[String: Any]] ?? []).map { s in
      ReliabilityDiagram.Series(name: s["name"] as? String ?? "", bins: (s["bins"] as? [[String: Any]] ?? []).map { b in
        .init(meanPredicted: (b["predicted"] as? NSNumber)?.doubleValue ?? .nan,
              observed: (b["observed"] as? NSNumber)?.doubleValue ?? .nan, count: (b["n"] as? NSNumber)?.intValue ?? 0)
      })
    }
    fairness.figure(ReliabilityDiagram(title: "Calibration by gender", caption: "Five equal-width bins.", series: calibration).figure())
    doc.add(fairness)

    var explain = Section(title: "Why a student was flagged")
    if let lime = json["lime"] as? [String: Any] {
      let weights = (lime["weights"] as? [[String: Any]] ?? []).map {
        ContributionChart.Contribution(condition: $0["condition"] as? String ?? "", weight: ($0["weight"] as? NSNumber)?.doubleValue ?? .nan)
      }
      let p = (lime["probability"] as? NSNumber)?.doubleValue ?? .nan
      explain.figure(ContributionChart(title: "Student \(lime["student"] ?? "")", caption: "LIME weights for the class fail.",
                                       className: lime["class"] as? String ?? "", contributions: weights,
                                       facts: ["P(fail) = \(NumberFormatting.fixed(p, decimals: 2))"]).figure())
    }
    doc.add(explain)
    return doc
  }

  @Test func realDataGallery() throws {
    let env = ProcessInfo.processInfo.environment
    let data: Data
    if let input = env["COHORTLENS_REPORT_REAL_DATA"], !input.isEmpty {
      data = try Data(contentsOf: URL(fileURLWithPath: input))
    } else {
      data = Data(Self.tinySample.utf8)
    }
    let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    let html = try Self.document(from: json).render()
    let root = try XMLChecker.parse(html)
    #expect(root.elements("figure").count == 8)
    if env["COHORTLENS_REPORT_REAL_DATA"] != nil, let out = env["COHORTLENS_REPORT_GALLERY"], !out.isEmpty {
      try AtomicFile.write(Array(html.utf8), to: out)
    }
  }
}
