import Foundation
import Testing

/// Commands on features with a huge common offset or huge magnitudes: translation-invariant scores equal
/// those of the un-offset data, representable results are computed, and squared distances beyond the
/// Double range are a located error, never inf/nan printed as numbers.
@Suite("large offsets and huge values")
struct LargeValuesCommandTests {
  /// 40 learners in 3 groups: x0 on a 1/64 grid (so that x0 + 1.7e12 is exact), x1 ordinary.
  static func features(x0Offset: Double = 0, extra: String? = nil) -> String {
    var s = "id,x0,x1" + (extra != nil ? ",c" : "") + ",truth\n"
    for i in 0..<40 {
      let g = i % 3
      let x0 = Double(g * 3) + Double((i * 37) % 29) / 64 + x0Offset
      let x1 = Double(g) * 2 - Double((i * 13) % 17) / 10
      s += "s\(i),\(x0),\(x1)" + (extra.map { ",\($0)" } ?? "") + ",\(g)\n"
    }
    return s
  }

  static func scores(_ path: String, columns: String = "x0,x1") throws -> [Double] {
    let r = try CLI.run(["scores", "--features", path, "--id", "id", "--columns", columns, "--labels", "truth", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    return ["silhouette", "davies_bouldin", "calinski_harabasz"].map { j[$0] as? Double ?? .nan }
  }

  static func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-9) -> Bool {
    zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(abs($0), abs($1)) }
  }

  @Test func scoresIgnoreAnEpochMillisecondsOffset() throws {
    let dir = try CLI.temporaryDirectory()
    let base = try Self.scores(try CLI.write(Self.features(), "base.csv", in: dir))
    #expect(base.allSatisfy { $0.isFinite } && base[0] > 0.3)
    let epoch = try Self.scores(try CLI.write(Self.features(x0Offset: 1.7e12), "epoch.csv", in: dir))
    #expect(Self.close(base, epoch), "\(base) vs \(epoch)")
    for c in ["1e10", "1e50", "1e308"] {
      let withColumn = try Self.scores(try CLI.write(Self.features(extra: c), "c.csv", in: dir), columns: "x0,c,x1")
      #expect(Self.close(base, withColumn), "constant \(c): \(base) vs \(withColumn)")
    }
  }

  @Test func scoresOfHugeSpreadAreFinite() throws {
    let dir = try CLI.temporaryDirectory()
    var text = "id,x0,x1,truth\n"
    for i in 0..<12 { text += "s\(i),\(i % 2 == 0 ? "-1e300" : "1e300"),\(Double(i) / 7),\(i % 3)\n" }
    let path = try CLI.write(text, "spread.csv", in: dir)
    let r = try CLI.run(["scores", "--features", path, "--id", "id", "--columns", "x0,x1", "--labels", "truth", "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stdout.contains("nan") && !r.stdout.contains("inf"), "\(r.stdout)")
  }

  @Test func inspectMeanOfHugeValues() throws {
    let dir = try CLI.temporaryDirectory()
    let path = try CLI.write("id,x0\n" + (0..<24).map { "s\($0),1e308\n" }.joined(), "huge.csv", in: dir)
    let r = try CLI.run(["inspect", path, "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let cols = try CLI.json(r.stdout)["columns"] as? [[String: Any]] ?? []
    #expect(cols.last?["mean"] as? Double == 1e308)
    let t = try CLI.run(["inspect", path])
    #expect(t.stdout.contains("1e+308") && !t.stdout.contains("nan"), "\(t.stdout)")
  }

  @Test func clusterScalesHugeColumns() throws {
    // --scale standard (the default): a constant column of 1e308 becomes 0, a column of ±1e300 ±1.
    let dir = try CLI.temporaryDirectory()
    for extra in ["1e308", "alternating"] {
      var text = "id,x0,x1,c\n"
      for i in 0..<30 {
        let c = extra == "alternating" ? (i % 2 == 0 ? "-1e300" : "1e300") : extra
        text += "s\(i),\(Double(i % 3) * 4 + Double(i % 7) / 10),\(Double(i % 5) / 3),\(c)\n"
      }
      let path = try CLI.write(text, "f.csv", in: dir)
      let r = try CLI.run(["cluster", "--features", path, "--id", "id", "--k", "2,3", "--format", "csv"])
      #expect(r.status == 0, "\(extra): \(r.stderr)")
      #expect(!r.stdout.contains("nan") && !r.stdout.contains("inf"), "\(r.stdout)")
    }
  }

  @Test func unscaledHugeSpreadIsALocatedError() throws {
    // --scale none keeps ±1e300: squared distances overflow even after centring.
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = "id,x0,x1\n"
    for i in 0..<12 { text += "s\(i),\(i % 2 == 0 ? "-1e300" : "1e300"),\(Double(i) / 3)\n" }
    let path = try CLI.write(text, "spread.csv", in: dir)
    let out = dir.appendingPathComponent("out.json").path
    let r = try CLI.run(["cluster", "--features", path, "--id", "id", "--k", "2", "--scale", "none", "--format", "json",
                         "--output", out])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("spread.csv:2:"), "\(r.stderr)")
    #expect(r.stderr.contains("column 'x0' holds -1e+300") && r.stderr.contains("--scale standard"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func scoresOfAHeaderOnlyFileAreALocatedInputError() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let path = try CLI.write("id,x0,x1,truth\n", "empty.csv", in: dir)
    let r = try CLI.run(["scores", "--features", path, "--id", "id", "--columns", "x0,x1", "--labels", "truth"])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("empty.csv:1: the file has a header but no data rows"), "\(r.stderr)")
  }

  /// Long-format series of 4 learners × 6 steps; learner 'b' holds `value` at its odd steps.
  static func series(_ value: String) -> String {
    var s = "learner,step,hours\n"
    for (l, name) in ["a", "b", "c", "d"].enumerated() {
      for t in 0..<6 { s += "\(name),\(t),\(name == "b" && t % 2 == 1 ? value : String(Double(l + t) / 2))\n" }
    }
    return s
  }

  @Test func overflowingSeriesDistancesAreALocatedError() throws {
    let dir = try CLI.temporaryDirectory()
    let path = try CLI.write(Self.series("1e300"), "s.csv", in: dir)
    let args = ["--series", path, "--id", "learner", "--time", "step", "--value", "hours", "--normalize", "none"]
    // line 9 = header + learner a (6 rows) + b's first row, then b's step 1; character 5 of "b,1,1e300".
    let want = "\(path):9:5: column 'hours' holds 1e+300 (learner 'b')"
    let npy = dir.appendingPathComponent("D.npy").path
    for extra in [["--radius", "1"], ["--radius", "full", "--output", npy], ["--radius", "1", "--knn", "2"]] {
      let r = try CLI.run(["dtw"] + args + extra)
      #expect(r.status == 65, "\(extra): \(r.stdout)")
      #expect(r.stderr.contains(want) && r.stderr.contains("--normalize l2"), "\(extra): \(r.stderr)")
      #expect(!r.stdout.contains("inf"))
    }
    #expect(!FileManager.default.fileExists(atPath: npy))
    for metric in ["dtw", "euclidean", "mean"] {
      let r = try CLI.run(["cluster"] + args + ["--metric", metric, "--k", "2"])
      #expect(r.status == 65, "\(metric): \(r.stdout)")
      #expect(r.stderr.contains(want), "\(metric): \(r.stderr)")
    }
    // Normalised, the same series are fine.
    let l2 = try CLI.run(["dtw", "--series", path, "--id", "learner", "--time", "step", "--value", "hours", "--radius", "1"])
    #expect(l2.status == 0, "\(l2.stderr)")
  }

  @Test func clusterSeriesProfilesOfHugeValues() throws {
    let dir = try CLI.temporaryDirectory()
    var text = "learner,step,hours\n"
    for name in ["a", "b", "c", "d", "e"] { for t in 0..<4 { text += "\(name),\(t),1e308\n" } }
    let path = try CLI.write(text, "s.csv", in: dir)
    let r = try CLI.run(["cluster", "--series", path, "--id", "learner", "--time", "step", "--value", "hours",
      "--normalize", "none", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    let clusters = (((j["profiles"] as? [String: Any])?["by_k"] as? [[String: Any]])?.first?["clusters"] as? [[String: Any]]) ?? []
    #expect(clusters.count == 2)
    for c in clusters { #expect((c["mean"] as? [Double]) == [1e308, 1e308, 1e308, 1e308], "\(c)") }
  }
}
