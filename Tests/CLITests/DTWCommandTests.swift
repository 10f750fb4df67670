import CohortLensCore
import Foundation
import Testing

/// The lecture 11 golden (Scripts/golden/dtw_lecture11.py): sklearn/tslearn pipeline on hours_biweek_students.csv.
struct Lecture11PipelineGolden: Decodable {
  struct PerK: Decodable {
    let k: Int
    let labels: [Int]
    let silhouette: Double
    let ari_truth: Double
    let alternative_labels: [[Int]]
    let alternative_silhouettes: [Double]
  }
  struct Case: Decodable {
    let radius: Int
    let eigenvalues: [Double]
    let per_k: [PerK]
  }
  struct Section: Decodable {
    let ids: [String]
    let truth: [Int]
    let gamma: Double
    let cases: [Case]
  }
  struct MatrixCase: Decodable {
    let radius: Int?
    let tslearn: [[Double]]
  }
  struct Dataset: Decodable {
    let name: String
    let ids: [String]
    let cases: [MatrixCase]
  }
  let lecture11: Section
  let matrices: [Dataset]

  static func load() throws -> Lecture11PipelineGolden {
    let url = CLI.root.appendingPathComponent("Fixtures/golden/dtw_lecture11.json")
    return try JSONDecoder().decode(Lecture11PipelineGolden.self, from: Data(contentsOf: url))
  }
}

/// Adjusted Rand index (Hubert & Arabie), for label comparisons in the tests.
func adjustedRand(_ a: [Int], _ b: [Int]) -> Double {
  var table: [[Int]: Int] = [:]
  var ra: [Int: Int] = [:], rb: [Int: Int] = [:]
  for (x, y) in zip(a, b) {
    table[[x, y], default: 0] += 1
    ra[x, default: 0] += 1
    rb[y, default: 0] += 1
  }
  func c2(_ n: Int) -> Double { Double(n * (n - 1)) / 2 }
  let index = table.values.map(c2).reduce(0, +)
  let sa = ra.values.map(c2).reduce(0, +), sb = rb.values.map(c2).reduce(0, +)
  let expected = sa * sb / c2(a.count)
  let maxIndex = (sa + sb) / 2
  return maxIndex == expected ? 1 : (index - expected) / (maxIndex - expected)
}

@Suite("cohortlens dtw and cluster --series")
struct DTWCommandTests {
  static let hours = CLI.fixture("flipped-classroom/hours_biweek_students.csv")
  static let fc = CLI.fixture("flipped-classroom/time_series_fc.csv")
  static let hoursArgs = ["--series", hours, "--id", "student_id", "--time", "biweek_of_year", "--value", "hours"]

  /// Lecture 11 end to end through the binary: eigenvalues within 1e-8, silhouette per k within 1e-6 and labels
  /// ARI ≥ 0.999 against tslearn cdist_dtw → exp(−D²) → SpectralClustering(affinity='precomputed', random_state=0),
  /// for w = 0, 6, 27. Where scikit-learn's own labels change under a rounding-level perturbation of W
  /// (the golden's `alternative_labels`, only w = 27, k = 8), matching one of the reference's label sets is
  /// required instead (with that set's silhouette); every other k must match the unperturbed labels.
  @Test(arguments: [0, 6, 27])
  func lecture11Pipeline(radius: Int) throws {
    let golden = try Lecture11PipelineGolden.load()
    let g = try #require(golden.lecture11.cases.first { $0.radius == radius })
    let r = try CLI.run(["cluster"] + Self.hoursArgs + ["--metric", "dtw", "--radius", String(radius), "--k", "2...9",
      "--truth", "student_type", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["ids"] as? [String] == golden.lecture11.ids)
    let parameters = j["parameters"] as? [String: Any]
    #expect(parameters?["metric"] as? String == "dtw")
    #expect(parameters?["radius"] as? Int == radius)
    #expect(parameters?["gamma"] as? Double == 1.0)
    let ev = j["eigenvalues"] as? [Double] ?? []
    #expect(ev.count >= 18)
    for (mine, want) in zip(ev, g.eigenvalues) { #expect(abs(mine - want) <= 1e-8, "w=\(radius) eigenvalue") }
    let sweep = j["sweep"] as? [[String: Any]] ?? []
    #expect(sweep.count == 8)
    #expect(g.per_k.filter { !$0.alternative_labels.isEmpty }.map(\.k) == (radius == 27 ? [8] : []))
    for (entry, want) in zip(sweep, g.per_k) {
      #expect(entry["k"] as? Int == want.k)
      let labels = entry["labels"] as? [Int] ?? []
      let silhouette = entry["silhouette"] as? Double ?? .nan
      if adjustedRand(labels, want.labels) >= 0.999 {
        #expect(abs(silhouette - want.silhouette) <= 1e-6, "w=\(radius) k=\(want.k)")
        #expect(abs((entry["ari"] as? Double ?? .nan) - want.ari_truth) <= 1e-12)
      } else {
        let alternative = want.alternative_labels.firstIndex { adjustedRand(labels, $0) >= 0.999 }
        #expect(alternative != nil, "w=\(radius) k=\(want.k): ARI \(adjustedRand(labels, want.labels)) and no alternative")
        if let a = alternative {
          #expect(abs(silhouette - want.alternative_silhouettes[a]) <= 1e-6, "w=\(radius) k=\(want.k)")
        }
      }
      #expect(abs((entry["ari"] as? Double ?? .nan) - adjustedRand(golden.lecture11.truth, labels)) <= 1e-12)
    }
    let profiles = j["profiles"] as? [String: Any]
    #expect((profiles?["steps"] as? [String])?.count == 27)
    let byK = profiles?["by_k"] as? [[String: Any]] ?? []
    let k3 = try #require(byK.first { $0["k"] as? Int == 3 }?["clusters"] as? [[String: Any]])
    #expect(k3.compactMap { $0["size"] as? Int }.reduce(0, +) == 30)
    #expect(k3.allSatisfy { ($0["mean"] as? [Double])?.count == 27 })
  }

  /// `cluster --series --graph knn:K` against kneighbors_graph(D, K, metric='precomputed', include_self=True),
  /// W = 0.5(A + Aᵀ), SpectralClustering(affinity='precomputed', random_state=0) (Scripts/golden/dtw_knn_graph.py):
  /// eigenvalues within 1e-8 and the same labels. The raw-hours case is the one where ranking by the affinity
  /// exp(−D²) (underflowing to 0 for 9 of the 30 learners' neighbours) picks other neighbours.
  @Test func knnGraphOfDTWDistancesEqualsScikitLearn() throws {
    struct Golden: Decodable {
      struct PerK: Decodable { let k: Int; let labels: [Int] }
      struct Case: Decodable {
        let normalize: String
        let radius: Int?
        let knn: Int
        let rank_by_affinity_differs: Int
        let eigenvalues: [Double]
        let per_k: [PerK]
      }
      let ids: [String]
      let cases: [Case]
    }
    let url = CLI.root.appendingPathComponent("Fixtures/golden/dtw_knn_graph.json")
    let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url))
    #expect(golden.cases.count == 3)
    #expect(golden.cases.first?.rank_by_affinity_differs == 9)
    for c in golden.cases {
      let ks = c.per_k.map { String($0.k) }.joined(separator: ",")
      let r = try CLI.run(["cluster"] + Self.hoursArgs + ["--metric", "dtw", "--normalize", c.normalize,
        "--radius", c.radius.map(String.init) ?? "full", "--graph", "knn:\(c.knn)", "--k", ks, "--format", "json"])
      #expect(r.status == 0, "\(r.stderr)")
      let j = try CLI.json(r.stdout)
      #expect(j["ids"] as? [String] == golden.ids)
      #expect((j["parameters"] as? [String: Any])?["knn_ranked_by"] as? String == "dtw_distance")
      let ev = j["eigenvalues"] as? [Double] ?? []
      #expect(ev.count >= 2 * c.per_k.count)
      for (mine, want) in zip(ev, c.eigenvalues) {
        #expect(abs(mine - want) <= 1e-8, "\(c.normalize) r=\(String(describing: c.radius)) eigenvalue \(mine) vs \(want)")
      }
      let sweep = j["sweep"] as? [[String: Any]] ?? []
      #expect(sweep.count == c.per_k.count)
      for (entry, want) in zip(sweep, c.per_k) {
        #expect(entry["k"] as? Int == want.k)
        #expect(entry["labels"] as? [Int] == want.labels, "\(c.normalize) r=\(String(describing: c.radius)) k=\(want.k)")
      }
    }
  }

  @Test func clusterSeriesProfilesMatchTheRawMeans() throws {
    let r = try CLI.run(["cluster"] + Self.hoursArgs + ["--metric", "dtw", "--radius", "6", "--k", "3", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    let labels = ((j["sweep"] as? [[String: Any]])?.first?["labels"] as? [Int]) ?? []
    let ids = j["ids"] as? [String] ?? []
    // Raw hours of learner ids[i] at biweek t, from the CSV.
    let text = try String(contentsOfFile: Self.hours, encoding: .utf8)
    var hours: [String: [Int: Double]] = [:]
    for line in text.split(separator: "\n").dropFirst() {
      let f = line.split(separator: ",")
      hours[String(f[0]), default: [:]][Int(f[1])!] = Double(f[2])!
    }
    let clusters = (((j["profiles"] as? [String: Any])?["by_k"] as? [[String: Any]])?.first?["clusters"] as? [[String: Any]]) ?? []
    #expect(clusters.count == 3)
    for (c, cluster) in clusters.enumerated() {
      let members = ids.indices.filter { labels[$0] == c }
      #expect(cluster["size"] as? Int == members.count)
      let mean = cluster["mean"] as? [Double] ?? []
      for t in [0, 13, 26] {
        let want = members.map { hours[ids[$0]]![t]! }.reduce(0, +) / Double(members.count)
        #expect(abs(mean[t] - want) <= 1e-12 * abs(want))
      }
    }
  }

  @Test func clusterSeriesEuclideanAndMeanMetrics() throws {
    for metric in ["euclidean", "mean"] {
      let r = try CLI.run(["cluster"] + Self.hoursArgs + ["--metric", metric, "--k", "3", "--truth", "student_type", "--format", "json"])
      #expect(r.status == 0, "\(r.stderr)")
      let j = try CLI.json(r.stdout)
      let p = j["parameters"] as? [String: Any]
      #expect(p?["metric"] as? String == metric)
      #expect(p?["radius"] is NSNull)
      let ari = (j["sweep"] as? [[String: Any]])?.first?["ari"] as? Double ?? .nan
      #expect(ari > -1 && ari <= 1)
    }
  }

  @Test func matrixCSVEqualsTslearn() throws {
    let golden = try Lecture11PipelineGolden.load()
    let ds = try #require(golden.matrices.first { $0.name == "hours_l2" })
    let want = try #require(ds.cases.first { $0.radius == 6 })
    let dir = try CLI.temporaryDirectory()
    let path = dir.appendingPathComponent("D.csv").path
    let r = try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "6", "--output", path, "--threads", "2"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
    #expect(lines.count == 31)
    #expect(lines[0] == "id," + ds.ids.joined(separator: ","))
    var worst = 0.0
    for (i, line) in lines.dropFirst().enumerated() {
      let cells = line.split(separator: ",")
      #expect(String(cells[0]) == ds.ids[i])
      for (j, c) in cells.dropFirst().enumerated() { worst = max(worst, abs(Double(c)! - want.tslearn[i][j])) }
      #expect(Double(cells[i + 1]) == 0)
    }
    // The L2 norm is NumPy's OpenBLAS ddot: identical where both pick the same kernel for the CPU (measured 0
    // here), within an ulp per value otherwise.
    print("dtw CLI vs tslearn, hours_l2 radius 6: max |diff| = \(worst)")
    #expect(worst <= 1e-12)
  }

  @Test func npyIsFloat64COrderWithIds() throws {
    let dir = try CLI.temporaryDirectory()
    let npy = dir.appendingPathComponent("D.npy").path
    let csv = dir.appendingPathComponent("D.csv").path
    #expect(try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "full", "--output", npy]).status == 0)
    #expect(try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "full", "--output", csv]).status == 0)
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: npy)))
    #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
    let headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
    #expect((10 + headerLength) % 64 == 0)
    let header = String(decoding: bytes[10..<(10 + headerLength)], as: UTF8.self)
    #expect(header.hasPrefix("{'descr': '<f8', 'fortran_order': False, 'shape': (30, 30), }"))
    #expect(header.hasSuffix("\n"))
    #expect(bytes.count == 10 + headerLength + 900 * 8)
    let ids = try String(contentsOfFile: dir.appendingPathComponent("D.ids.txt").path, encoding: .utf8)
    #expect(ids.split(separator: "\n").count == 30)
    let rows = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").dropFirst()
    let csvValues = rows.flatMap { $0.split(separator: ",").dropFirst().map { Double($0)! } }
    var npyValues: [Double] = []
    for k in 0..<900 {
      var bits: UInt64 = 0
      for b in 0..<8 { bits |= UInt64(bytes[10 + headerLength + k * 8 + b]) << (8 * UInt64(b)) }
      npyValues.append(Double(bitPattern: bits))
    }
    #expect(npyValues == csvValues)
  }

  /// `--no-fsync` changes durability only: the same bytes, both files, no temporary file left; thread count
  /// does not matter either (the .npy is computed into the mapped output file).
  @Test func npyNoFsyncAndThreadsGiveTheSameBytes() throws {
    let dir = try CLI.temporaryDirectory()
    let a = dir.appendingPathComponent("A.npy").path, b = dir.appendingPathComponent("B.npy").path
    #expect(try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "2", "--threads", "1", "--output", a]).status == 0)
    let r = try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "2", "--threads", "2", "--no-fsync", "--output", b])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
    #expect(try String(contentsOfFile: dir.appendingPathComponent("A.ids.txt").path, encoding: .utf8)
      == String(contentsOfFile: dir.appendingPathComponent("B.ids.txt").path, encoding: .utf8))
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(names == ["A.ids.txt", "A.npy", "B.ids.txt", "B.npy"])
  }

  @Test func knnNeighboursCSVEqualsTheMatrix() throws {
    let dir = try CLI.temporaryDirectory()
    let csv = dir.appendingPathComponent("D.csv").path
    let nn = dir.appendingPathComponent("neighbours.csv").path
    #expect(try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "2", "--output", csv]).status == 0)
    let r = try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "2", "--knn", "4", "--output", nn])
    #expect(r.status == 0, "\(r.stderr)")
    let m = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",").map(String.init) }
    let ids = Array(m[0].dropFirst())
    let lines = try String(contentsOfFile: nn, encoding: .utf8).split(separator: "\n")
    #expect(lines[0] == "id,rank,neighbour,distance")
    #expect(lines.count == 1 + 30 * 4)
    for (i, id) in ids.enumerated() {
      let row = m[i + 1].dropFirst().map { Double($0)! }
      let order = (0..<30).filter { $0 != i }.sorted { (row[$0], $0) < (row[$1], $1) }.prefix(4)
      for (rank, j) in order.enumerated() {
        #expect(lines[1 + i * 4 + rank] == "\(id),\(rank + 1),\(ids[j]),\(m[i + 1][j + 1])")
      }
    }
  }

  @Test func summaryJSONHasProvenance() throws {
    let r = try CLI.run(["dtw"] + Self.hoursArgs + ["--radius", "6", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["schema"] as? String == "cohortlens.dtw/1")
    #expect((j["inputs"] as? [[String: Any]])?.first?["sha256"] as? String == (try SHA256.hex(ofFile: Self.hours)))
    let s = j["summary"] as? [String: Any]
    #expect(s?["n"] as? Int == 30)
    #expect(s?["pairs"] as? Int == 435)
    #expect(s?["band_cells"] as? Int == 435 * (27 * 13 - 42))
    #expect(s?["radius"] as? Int == 6)
  }

  @Test func multivariateRealSeries() throws {
    let r = try CLI.run(["cluster", "--series", Self.fc, "--id", "user", "--time", "week",
      "--value", "sessions,time_in_problem,time_in_video", "--normalize", "zscore", "--metric", "dtw", "--radius", "2",
      "--k", "2...4", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect((j["ids"] as? [String])?.count == 288)
    let profiles = j["profiles"] as? [String: Any]
    #expect(profiles?["features"] as? [String] == ["sessions", "time_in_problem", "time_in_video"])
    let first = ((profiles?["by_k"] as? [[String: Any]])?.first?["clusters"] as? [[String: Any]])?.first
    #expect((first?["mean"] as? [[Double]])?.first?.count == 3)
  }

  // MARK: - Bad input (issue §6): exit code, message, no output file

  func expectFailure(_ args: [String], status: Int32, contains fragment: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("out.csv").path
    let r = try CLI.run(args + ["--output", out])
    #expect(r.status == status, "\(args): \(r.stderr)", sourceLocation: sourceLocation)
    #expect(r.stderr.contains(fragment), "stderr: \(r.stderr)", sourceLocation: sourceLocation)
    #expect(!FileManager.default.fileExists(atPath: out), sourceLocation: sourceLocation)
    let left = try FileManager.default.contentsOfDirectory(atPath: dir.path)
    #expect(left.isEmpty, "\(left)", sourceLocation: sourceLocation)
  }

  @Test func nonNumericValueIsLocated() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,t,v\na,0,1\na,1,oops\nb,0,1\nb,1,2\n", "s.csv", in: dir)
    try expectFailure(["dtw", "--series", f, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "s.csv:3:5: column 'v' row 2: 'oops' is not a number")
    // The hint fits a series value (there is no --columns in the long format): correct it or mark it missing.
    let r = try CLI.run(["dtw", "--series", f, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"])
    #expect(r.stderr.hasSuffix("'oops' is not a number; correct the cell, or mark it missing (empty or NA) and fill gaps with --fill zero|previous\n"), "\(r.stderr)")
    #expect(!r.stderr.contains("--columns"))
    let wide = try CLI.write("id,w0,w1\na,1,inf\nb,2,3\n", "w.csv", in: dir)
    let w = try CLI.run(["dtw", "--series", wide, "--id", "id", "--wide", "--columns", "w0,w1", "--radius", "1"])
    #expect(w.status == 65)
    #expect(w.stderr.hasSuffix("w.csv:2:5: column 'w1' row 1: 'inf' is not a finite number; replace it with a finite value, or mark it missing (empty or NA) and fill gaps with --fill zero|previous\n"), "\(w.stderr)")
  }

  @Test func radiusMustBeANonNegativeInteger() throws {
    for bad in ["-1", "1.5", "six", ""] {
      try expectFailure(["dtw"] + Self.hoursArgs + ["--radius", bad], status: 64,
        contains: "--radius must be a non-negative integer")
    }
    try expectFailure(["cluster"] + Self.hoursArgs + ["--radius", "-2", "--k", "3"], status: 64,
      contains: "--radius must be a non-negative integer")
  }

  @Test func emptySeriesAndGapsAndDuplicates() throws {
    let dir = try CLI.temporaryDirectory()
    let empty = try CLI.write("id,t,v\na,0,\na,1,\nb,0,1\nb,1,2\n", "e.csv", in: dir)
    try expectFailure(["dtw", "--series", empty, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "learner 'a' has no value in 'v' (an empty series)")
    let header = try CLI.write("id,t,v\n", "h.csv", in: dir)
    try expectFailure(["dtw", "--series", header, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "no data rows")
    let gap = try CLI.write("id,t,v\na,0,1\na,2,1\nb,0,1\nb,1,2\nb,2,3\n", "g.csv", in: dir)
    try expectFailure(["dtw", "--series", gap, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "learner 'a' has a gap at time '1'")
    let dup = try CLI.write("id,t,v\na,0,1\na,0,2\nb,0,1\n", "d.csv", in: dir)
    try expectFailure(["dtw", "--series", dup, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "two rows for time '0' (lines 2 and 3)")
    let zero = try CLI.write("id,t,v\na,0,0\na,1,0\nb,0,1\nb,1,2\nc,0,0\nc,1,0\n", "z.csv", in: dir)
    try expectFailure(["dtw", "--series", zero, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "z.csv:2:1: 2 learner(s) have an all-zero series, which has no L2 norm: 'a', 'c'")
    // Located at the first such learner's first row, also when it is not the file's first learner.
    let later = try CLI.write("id,t,v\nb,0,1\nb,1,2\n\"c\",0,0\nc,1,0\n", "z2.csv", in: dir)
    try expectFailure(["cluster", "--series", later, "--id", "id", "--time", "t", "--value", "v", "--radius", "1", "--k", "2"],
      status: 65, contains: "z2.csv:4:1: 1 learner(s) have an all-zero series")
    let kept = try CLI.run(["dtw", "--series", zero, "--id", "id", "--time", "t", "--value", "v", "--radius", "1", "--zero-series", "keep"])
    #expect(kept.status == 0, "\(kept.stderr)")
  }

  @Test func tooFewLearnersAndKnnTooLarge() throws {
    let dir = try CLI.temporaryDirectory()
    let one = try CLI.write("id,t,v\na,0,1\na,1,2\n", "one.csv", in: dir)
    try expectFailure(["dtw", "--series", one, "--id", "id", "--time", "t", "--value", "v", "--radius", "1"],
      status: 65, contains: "one.csv:2:1: only 1 learner series ('a'); DTW distances need at least 2")
    try expectFailure(["dtw"] + Self.hoursArgs + ["--radius", "1", "--knn", "30"], status: 64,
      contains: "--knn 30 asks for 30 neighbours but there are only 30 learners")
  }

  @Test func unknownColumnSuggestsTheName() throws {
    try expectFailure(["dtw", "--series", Self.hours, "--id", "student_id", "--time", "biweek_of_year", "--value", "hour",
      "--radius", "1"], status: 65, contains: "no column named 'hour'; did you mean 'hours'?")
    try expectFailure(["cluster", "--series", Self.hours, "--id", "student", "--time", "biweek_of_year", "--value", "hours",
      "--k", "3"], status: 65, contains: "no column named 'student'")
  }

  @Test func euclideanNeedsEqualLengths() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,t,v\na,0,1\na,1,2\na,2,3\nb,0,1\nb,1,2\nc,0,3\nc,1,1\nc,2,2\nd,0,1\nd,1,1\nd,2,2\n", "u.csv", in: dir)
    try expectFailure(["cluster", "--series", f, "--id", "id", "--time", "t", "--value", "v", "--metric", "euclidean", "--k", "2"],
      status: 64, contains: "--metric euclidean needs series of equal length")
  }
}

@Suite("cohortlens dtw output options")
struct DTWOutputOptionTests {
  @Test func matrixFileFormatFollowsTheExtension() throws {
    let dir = try CLI.temporaryDirectory()
    let csv = dir.appendingPathComponent("D.csv").path
    let args = ["dtw"] + DTWCommandTests.hoursArgs + ["--radius", "3", "--output", csv]
    #expect(try CLI.run(args + ["--format", "csv"]).status == 0)
    #expect(try String(contentsOfFile: csv, encoding: .utf8).hasPrefix("id,0,1,2"))
    let json = dir.appendingPathComponent("D.json").path
    let r = try CLI.run(["dtw"] + DTWCommandTests.hoursArgs + ["--radius", "3", "--output", json, "--format", "json"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("the matrix is written as CSV"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: json))
    let jsonFormat = try CLI.run(args + ["--format", "json"])
    #expect(jsonFormat.status == 64)
    #expect(jsonFormat.stderr.contains("--format json applies to the summary printed without --output and to --knn"))
    // A matrix has no JSON or Markdown form: the usage error names the two it has; nothing is written.
    for name in ["D.json", "D.md"] {
      let path = dir.appendingPathComponent(name).path
      let m = try CLI.run(["dtw"] + DTWCommandTests.hoursArgs + ["--radius", "3", "--output", path])
      #expect(m.status == 64)
      #expect(m.stderr.contains("the matrix is written as CSV (.csv, or a name without .json/.md) or as NumPy (.npy)"), "\(m.stderr)")
      #expect(!FileManager.default.fileExists(atPath: path))
    }
    // .npy with --format: the file is the NumPy matrix whatever --format says, so --format is refused.
    let npy = dir.appendingPathComponent("D.npy").path
    #expect(try CLI.run(Array(args.dropLast(2)) + ["--output", npy, "--format", "csv"]).status == 64)
    #expect(!FileManager.default.fileExists(atPath: npy))
    // Any other name is the CSV matrix (e.g. a pipe or /dev/stdout).
    let txt = dir.appendingPathComponent("D.txt").path
    #expect(try CLI.run(Array(args.dropLast(2)) + ["--output", txt]).status == 0)
    #expect(try String(contentsOfFile: txt, encoding: .utf8) == String(contentsOfFile: csv, encoding: .utf8))
  }

  /// `--knn`: the format follows an explicit --format, else the extension of --output (.csv, .json, .md, other:
  /// the aligned table); a .npy output is a usage error (it holds the matrix only) and writes nothing.
  @Test func knnFormatFollowsTheExtensionAndNpyIsRefused() throws {
    let dir = try CLI.temporaryDirectory()
    let base = ["dtw"] + DTWCommandTests.hoursArgs + ["--radius", "3", "--knn", "2"]
    let npy = dir.appendingPathComponent("nn.npy").path
    let refused = try CLI.run(base + ["--output", npy])
    #expect(refused.status == 64)
    #expect(refused.stderr.contains("a .npy file holds the n×n matrix only; --knn writes a table of neighbours"), "\(refused.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    let csv = dir.appendingPathComponent("nn.csv").path
    #expect(try CLI.run(base + ["--output", csv]).status == 0)
    let csvText = try String(contentsOfFile: csv, encoding: .utf8)
    #expect(csvText.hasPrefix("id,rank,neighbour,distance\n0,1,1,"))
    #expect(csvText.split(separator: "\n").count == 61)
    let json = dir.appendingPathComponent("NN.JSON").path
    #expect(try CLI.run(base + ["--output", json]).status == 0)
    let j = try CLI.json(try String(contentsOfFile: json, encoding: .utf8))
    #expect(j["schema"] as? String == "cohortlens.dtw/1")
    let first = (j["neighbours"] as? [[String: Any]])?.first
    #expect(first?["id"] as? String == "0")
    #expect(((first?["neighbours"] as? [[String: Any]])?.first?["id"]) as? String == "1")
    let md = dir.appendingPathComponent("nn.md").path
    #expect(try CLI.run(base + ["--output", md]).status == 0)
    #expect(try String(contentsOfFile: md, encoding: .utf8).hasPrefix("| id | rank | neighbour | distance |\n| --- | ---: | --- | ---: |\n"))
    let txt = dir.appendingPathComponent("nn.txt").path
    #expect(try CLI.run(base + ["--output", txt]).status == 0)
    #expect(try String(contentsOfFile: txt, encoding: .utf8).hasPrefix("id  rank  neighbour"))
    // An explicit --format wins over the extension.
    #expect(try CLI.run(base + ["--output", txt, "--format", "csv"]).status == 0)
    #expect(try String(contentsOfFile: txt, encoding: .utf8) == csvText)
  }
}
