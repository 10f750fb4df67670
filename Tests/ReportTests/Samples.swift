import CohortLensCore
@testable import Report

/// Deterministic sample inputs for every chart type (SplitMix64-seeded), shared by the tests and
/// the gallery.
enum Samples {
  static let evil = "<script>alert(1)</script>"

  static func eigenvalues() -> Figure {
    ScatterChart.eigenvalues([0, 0.0123, 0.0311, 0.0502, 0.41, 0.47, 0.52, 0.58, 0.61, 0.66], gapAfter: 4).figure()
  }

  static func scores() -> Figure {
    LineChart(title: "Cluster quality against k", caption: "Silhouette (higher is better) and Davies–Bouldin index (lower is better) for k = 2…8; the chosen k is marked.",
              xLabel: "number of clusters k", yLabel: "score",
              xs: [2, 3, 4, 5, 6, 7, 8],
              series: [
                .init(name: "silhouette", values: [0.31, 0.38, 0.44, 0.36, 0.33, .nan, 0.27]),
                .init(name: "Davies–Bouldin", values: [1.21, 1.02, 0.86, 0.97, 1.10, 1.18, 1.25]),
              ],
              marker: .init(x: 4, label: "chosen k = 4")).figure()
  }

  static func memberSeries(seed: UInt64, count: Int, weeks: Int, level: Double, slope: Double) -> [[Double]] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
      (0..<weeks).map { w in max(0, level + slope * Double(w) + rng.nextSigned() * 0.9) }
    }
  }

  static func bands() -> Figure {
    let weeks = 10
    let bands = [
      BandChart.Band.summarise(name: "steady", members: memberSeries(seed: 1, count: 40, weeks: weeks, level: 3, slope: 0.05), spread: .standardDeviation),
      BandChart.Band.summarise(name: "fading", members: memberSeries(seed: 2, count: 25, weeks: weeks, level: 4, slope: -0.35), spread: .standardDeviation),
      BandChart.Band.summarise(name: "late starters", members: memberSeries(seed: 3, count: 18, weeks: weeks, level: 0.5, slope: 0.4), spread: .standardDeviation),
      BandChart.Band.summarise(name: evil, members: memberSeries(seed: 4, count: 9, weeks: weeks, level: 1.5, slope: 0), spread: .standardDeviation),
    ]
    return BandChart(title: "Mean weekly activity per cluster", caption: "Mean hours per week of each cluster's members with a band of ± one standard deviation.",
                     xLabel: "course week", yLabel: "hours per week", xs: (1...weeks).map(Double.init), bands: bands,
                     spread: .standardDeviation).figure()
  }

  /// A block-structured distance matrix: small within clusters, large between, plus noise.
  static func distanceMatrix(n: Int, clusters k: Int, seed: UInt64) -> (matrix: [[Double]], labels: [Int]) {
    var rng = SplitMix64(seed: seed)
    let labels = (0..<n).map { ($0 * 7 + 3) % k }
    var m = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
    for i in 0..<n {
      for j in (i + 1)..<max(i + 1, n) {
        let base = labels[i] == labels[j] ? 2.0 + Double(labels[i]) : 7.0 + Double(labels[i] + labels[j])
        let v = base + rng.nextUniform() * 2
        m[i][j] = v
        m[j][i] = v
      }
    }
    return (m, labels)
  }

  static func heatMap(n: Int = 120, maxCells: Int = 200) -> HeatMap {
    let (m, labels) = distanceMatrix(n: n, clusters: 4, seed: 11)
    return HeatMap(title: "DTW distances ordered by cluster", caption: "Pairwise DTW distances between students, rows and columns grouped by cluster; white lines separate clusters.",
                   valueLabel: "DTW distance", matrix: m, clusters: labels,
                   clusterNames: [0: "steady", 1: "fading", 2: "late starters", 3: evil], maxCells: maxCells)
  }

  static func intervalBars() -> Figure {
    IntervalBarChart(title: "Selection-rate ratio by group", caption: "Ratio of each group's selection rate to the reference group's, with 95 % bootstrap intervals; the band is the four-fifths rule.",
                     valueLabel: "selection-rate ratio",
                     bars: [
                       .init(label: "female", value: 0.93, lower: 0.81, upper: 1.06, detail: "41/120"),
                       .init(label: "male", value: 1.0, lower: 0.9, upper: 1.1, detail: "52/141"),
                       .init(label: "non-binary", value: nil, detail: "0/0", undefinedReason: "no rows in group"),
                       .init(label: "prefer not to say, a long label that needs truncation", value: 0.623, lower: 0.41, upper: 0.88, detail: "5/22"),
                       .init(label: evil, value: 1.31, lower: 1.02, upper: 1.6, detail: "9/19"),
                     ],
                     baseline: 1, tolerance: 0.8...1.25, toleranceLabel: "four-fifths band 0.8–1.25", reference: 1,
                     referenceLabel: "parity (1.0)").figure()
  }

  static func roc() -> Figure {
    ROCChart(title: "ROC curves by gender", caption: "ROC curve of the engine for each group; the shaded area between them is the ABROCA.",
             curves: [
               .init(name: "female", fpr: [0, 0, 0.1, 0.2, 0.35, 0.5, 0.7, 1], tpr: [0, 0.2, 0.45, 0.62, 0.75, 0.84, 0.93, 1], auc: 0.79),
               .init(name: "male", fpr: [0, 0.05, 0.15, 0.3, 0.45, 0.6, 0.8, 1], tpr: [0, 0.25, 0.4, 0.55, 0.7, 0.82, 0.95, 1], auc: 0.74),
               .init(name: evil, fpr: [0, 0.2, 0.5, 1], tpr: [0, 0.5, 0.8, 1], auc: 0.71),
             ],
             shading: .init(first: 0, second: 1, label: "ABROCA female vs male = 0.031")).figure()
  }

  static func reliability() -> Figure {
    ReliabilityDiagram(title: "Calibration by gender", caption: "Mean predicted probability against the observed pass rate per decile bin; point area ∝ bin size.",
                       series: [
                         .init(name: "female", bins: [.init(meanPredicted: 0.06, observed: 0.1, count: 30), .init(meanPredicted: 0.25, observed: 0.2, count: 55),
                                                      .init(meanPredicted: 0.45, observed: 0.52, count: 80), .init(meanPredicted: 0.66, observed: 0.6, count: 42),
                                                      .init(meanPredicted: 0.88, observed: 0.93, count: 12)]),
                         .init(name: "male", bins: [.init(meanPredicted: 0.08, observed: 0.05, count: 18), .init(meanPredicted: 0.27, observed: 0.33, count: 61),
                                                    .init(meanPredicted: .nan, observed: .nan, count: 0), .init(meanPredicted: 0.7, observed: 0.78, count: 39),
                                                    .init(meanPredicted: 0.9, observed: 0.84, count: 25)]),
                       ]).figure()
  }

  static func contributions() -> Figure {
    ContributionChart(title: "Why student 2041 was flagged", caption: "LIME weights of the five most important conditions for the class fail.",
                      className: "fail",
                      contributions: [
                        .init(condition: "video_hours_w3 <= 0.50", weight: 0.214),
                        .init(condition: "quiz_score > 7.25", weight: -0.132),
                        .init(condition: "0.50 < forum_posts <= 2.00", weight: 0.061),
                        .init(condition: "problems_w5 <= 1.00 and a rather long condition text", weight: 0.044),
                        .init(condition: evil, weight: -0.021),
                      ],
                      facts: ["P(fail) = 0.81", "intercept 0.33", "local R² 0.62"]).figure()
  }

  static func document() -> HTMLDocument {
    var doc = HTMLDocument(title: "Course audit: EPFL flipped classroom", subtitle: "Gallery of every chart type, with hostile labels")
    doc.add(Verdict(status: .pass, subject: "Demographic parity (gender)", detail: "ratio 0.93 within [0.8, 1.25]", sectionID: "fairness"))
    doc.add(Verdict(status: .fail, subject: "Equalised odds (\(evil))", detail: "TPR ratio 0.62 outside [0.8, 1.25]", sectionID: "fairness"))
    doc.add(Verdict(status: .inconclusive, subject: "Calibration", detail: "interval spans the band"))
    doc.add(Verdict(status: .undefined, subject: "Selection rate (non-binary)", detail: "no rows in group (0/0)"))
    var clusters = Section(title: "Kinds of learners")
    clusters.paragraph("Spectral clustering on DTW distances of weekly activity.")
    clusters.add(.facts([("k", "4"), ("students", "214"), ("seed", "42"), (evil, "x & y")]))
    clusters.figure(eigenvalues())
    clusters.figure(scores())
    clusters.figure(bands())
    clusters.figure(heatMap().figure())
    var fairness = Section(title: "Fairness", id: "fairness")
    fairness.note("Groups with fewer than 20 students are reported but not judged.", kind: .warning)
    fairness.figure(intervalBars())
    fairness.figure(roc())
    fairness.figure(reliability())
    var explain = Section(title: "Why students were flagged")
    explain.add(.rich([.text("Weights from "), .code("LimeTabularExplainer"), .text("; see "), .link("the fairness section", href: "#fairness"),
                       .text(" and "), .link("bad link", href: "javascript:alert(1)"), .text(".")]))
    explain.figure(contributions())
    explain.table(DataTable(caption: "Flagged students", headers: ["student", "P(fail)", "cluster", "rate"],
                            rows: [["2041", "0.81", "fading", "3/10"], [evil, "0.77", "steady", "undefined"]]))
    var sub = Section(title: "Per week")
    sub.paragraph("Week-by-week audit & trend.")
    sub.figure(LineChart(title: "Selection-rate ratio per course week", caption: "Ratio of each group's selection rate to the reference group's, per week; the band is the four-fifths rule.",
                         xLabel: "course week", yLabel: "selection-rate ratio", xs: (1...10).map(Double.init),
                         series: [.init(name: "female / male", values: [0.95, 0.92, 0.88, 0.84, 0.79, 0.81, 0.77, 0.8, 0.83, 0.86]),
                                  .init(name: "\(evil) / male", values: [1.1, 1.2, 1.27, .nan, 1.3, 1.18, 1.12, 1.05, 1.01, 0.98])],
                         tolerance: 0.8...1.25, toleranceLabel: "four-fifths band 0.8–1.25").figure())
    fairness.subsection(sub)
    doc.add(clusters)
    doc.add(fairness)
    doc.add(explain)
    doc.add(Section(title: evil, blocks: [.list(["one", evil])]))
    doc.footer = ["CohortLens test gallery", "inputs: none (synthetic, seeded)"]
    return doc
  }
}
