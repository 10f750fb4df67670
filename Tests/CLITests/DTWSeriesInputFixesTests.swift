import Foundation
import Testing

/// `dtw` / `cluster --series`: z-scores of constant series, empty step columns of the wide format, the
/// summary's mean distance, `--metric mean` with z-scores and oversized radii.
@Suite("cohortlens dtw: series input and summary fixes")
struct DTWSeriesInputFixesTests {
  static let fc = CLI.fixture("flipped-classroom/time_series_fc.csv")

  /// Reads the CSV matrix `id,<ids…>` written by `dtw --output D.csv`.
  static func matrix(_ path: String) throws -> [[Double]] {
    let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").dropFirst()
    return lines.map { $0.split(separator: ",").dropFirst().map { Double(String($0))! } }
  }

  /// The number after `"key": ` in JSON text, parsed by `Double(_:)` (correctly rounded; Foundation's JSON reader
  /// can be one ulp off).
  static func number(_ key: String, in json: String) -> Double? {
    guard let range = json.range(of: "\"\(key)\": ") else { return nil }
    let rest = json[range.upperBound...]
    return Double(String(rest.prefix { !",\n}".contains($0) }))
  }

  /// Learner a studies 0.1 h in each of 27 biweeks, b 2 h: both are flat, so their z-scores are zeros and their
  /// DTW distance 0. tslearn's `TimeSeriesScalerMeanVariance` averages 27 × 0.1 to a value one rounding away
  /// from 0.1 and returns −1 at every step for a (distance √27 ≈ 5.196 to b); so did `dtw` before the fix.
  @Test func flatLearnersAreZeroUnderZScore() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var text = "id,t,hours\n"
    for t in 0..<27 { text += "a,\(t),0.1\nb,\(t),2\nc,\(t),\(t % 3)\n" }
    let input = try CLI.write(text, "flat.csv", in: dir)
    let out = dir.appendingPathComponent("D.csv").path
    let r = try CLI.run(["dtw", "--series", input, "--id", "id", "--time", "t", "--value", "hours", "--normalize", "zscore",
      "--radius", "0", "--output", out])
    #expect(r.status == 0, "\(r.stderr)")
    let d = try Self.matrix(out)
    #expect(d[0][1] == 0, "flat 0.1 vs flat 2: \(d[0][1])")
    // c = 0,1,2,0,1,2,… has z-scores ±1.2247, 0: its distance to a flat learner is √27 (its z-scores' norm).
    #expect(abs(d[0][2] - 27.0.squareRoot()) < 1e-12 && d[0][2] == d[1][2])
    // The output says where it deliberately differs from tslearn: 27 × 0.1 averages to 0.10000000000000002 in
    // NumPy (tslearn: ±1), 27 × 2 to exactly 2 (tslearn: zeros too), so only learner a is named.
    #expect(r.stderr.contains("warning: 1 learner(s) have a constant series feature, z-scored to zeros ('a')"), "\(r.stderr)")
    #expect(r.stderr.contains("tslearn's TimeSeriesScalerMeanVariance gives ±1"))
    let json = try CLI.run(["cluster", "--series", input, "--id", "id", "--time", "t", "--value", "hours",
      "--normalize", "zscore", "--radius", "0", "--k", "2", "--format", "json"])
    #expect(json.status == 0, "\(json.stderr)")
    let warnings = try CLI.json(json.stdout)["warnings"] as? [String] ?? []
    #expect(warnings.contains { $0.hasPrefix("1 learner(s) have a constant series feature, z-scored to zeros ('a')") }, "\(warnings)")
    // l2 follows NumPy: no such warning.
    let l2 = try CLI.run(["dtw", "--series", input, "--id", "id", "--time", "t", "--value", "hours", "--radius", "0",
      "--output", out])
    #expect(l2.status == 0 && !l2.stderr.contains("constant series"), "\(l2.stderr)")
  }

  /// A step column with no value at all (a week without data) stays on the time axis of `--wide` by default: a
  /// gap inside every series (exit 65 naming it, or filled by `--fill`), a shorter series at the end. Before the
  /// fix it was dropped silently and the later steps moved one step earlier (exit 0, 3 steps, distance √21).
  @Test func emptyWideStepColumnIsAGapNotDropped() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write("id,w1,w2,w3,w4,note\na,1,,3,4,x\nb,2,,1,0,y\n", "wide.csv", in: dir)
    let base = ["dtw", "--series", input, "--id", "id", "--wide", "--normalize", "none", "--radius", "0"]
    let refused = try CLI.run(base + ["--format", "json"])
    #expect(refused.status == 65)
    #expect(refused.stderr.contains("wide.csv:2:5: learner 'a' has a gap at step 'w2'"), "\(refused.stderr)")
    #expect(refused.stdout.isEmpty)
    // --fill previous: a = 1,1,3,4 and b = 2,2,1,0 → √(1 + 1 + 4 + 16) = √22.
    let filled = try CLI.run(base + ["--fill", "previous", "--format", "json"])
    #expect(filled.status == 0, "\(filled.stderr)")
    let summary = try CLI.json(filled.stdout)["summary"] as? [String: Any]
    #expect(summary?["length_range"] as? [Int] == [4, 4])
    #expect(Self.number("max", in: filled.stdout) == 22.0.squareRoot())
    // An empty last column shortens every series (as trailing missing steps do); the text column is not a step.
    let trailing = try CLI.write("id,w1,w2,w3,note\na,1,2,,x\nb,2,1,,y\n", "trailing.csv", in: dir)
    let short = try CLI.run(["dtw", "--series", trailing, "--id", "id", "--wide", "--normalize", "none", "--radius", "0",
      "--format", "json"])
    #expect(short.status == 0, "\(short.stderr)")
    #expect((try CLI.json(short.stdout)["summary"] as? [String: Any])?["length_range"] as? [Int] == [2, 2])
    // An empty column before the first step (a metadata column nobody filled in) is not a step: no gap error,
    // no extra step with --fill zero.
    let metadata = try CLI.write("id,group,w1,w2,w3\na,,1,2,3\nb,NA,2,1,0\n", "metadata.csv", in: dir)
    for fill in [[String](), ["--fill", "zero"]] {
      let r = try CLI.run(["dtw", "--series", metadata, "--id", "id", "--wide", "--normalize", "none", "--radius", "0",
        "--format", "json"] + fill)
      #expect(r.status == 0, "\(fill): \(r.stderr)")
      #expect((try CLI.json(r.stdout)["summary"] as? [String: Any])?["length_range"] as? [Int] == [3, 3], "\(fill)")
    }
  }

  /// The summary's mean distance is NumPy's `np.mean(D[np.triu_indices(n, 1)])`: the pairwise sum of the upper
  /// triangle in row order. Recomputed here from the matrix file with NumPy's summation order; before the fix
  /// (a sequential sum) it was 9.1e-15 off for these 41,328 distances.
  @Test func summaryMeanIsNumPysMean() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("D.csv").path
    let args = ["dtw", "--series", Self.fc, "--id", "user", "--time", "week", "--value", "time_in_video,time_in_problem,sessions",
      "--radius", "0"]
    let m = try CLI.run(args + ["--output", out])
    #expect(m.status == 0, "\(m.stderr)")
    let d = try Self.matrix(out)
    var upper: [Double] = []
    for i in d.indices { upper.append(contentsOf: d[i][(i + 1)...]) }
    #expect(upper.count == 41_328)
    func numpySum(_ a: ArraySlice<Double>) -> Double {
      let n = a.count, s = a.startIndex
      if n < 8 { return a.reduce(0, +) }
      if n <= 128 {
        var r = Array(a[s..<(s + 8)])
        var i = 8
        while i < n - n % 8 {
          for k in 0..<8 { r[k] += a[s + i + k] }
          i += 8
        }
        var total = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n {
          total += a[s + i]
          i += 1
        }
        return total
      }
      let half = n / 2 - (n / 2) % 8
      return numpySum(a[s..<(s + half)]) + numpySum(a[(s + half)...])
    }
    let want = numpySum(upper[...]) / Double(upper.count)
    let r = try CLI.run(args + ["--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.number("mean", in: r.stdout) == want)
    #expect(Self.number("min", in: r.stdout) == upper.min() && Self.number("max", in: r.stdout) == upper.max())
  }

  /// `--metric mean` compares each learner's mean; under `--normalize zscore` every mean is 0 (up to rounding),
  /// so the sweep would cluster rounding noise (before: exit 0, k = 2 "chosen" with silhouette 0.71 on 12
  /// random learners). Now a usage error naming the fix, with nothing on stdout.
  @Test func meanOfZScoresIsAUsageError() throws {
    let r = try CLI.run(["cluster", "--series", Self.fc, "--id", "user", "--time", "week", "--value", "sessions",
      "--metric", "mean", "--normalize", "zscore", "--k", "2...3"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--metric mean with --normalize zscore"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let raw = try CLI.run(["cluster", "--series", Self.fc, "--id", "user", "--time", "week", "--value", "sessions",
      "--metric", "mean", "--normalize", "none", "--k", "2", "--format", "csv"])
    #expect(raw.status == 0, "\(raw.stderr)")
    // Refused while the options are validated, so an audit's --check (which runs every step's validation
    // before any work) refuses it too, at the step (before: --check passed, the run failed at that step).
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = try CLI.write("""
      steps:
        - cluster:
            series: \(Self.fc)
            id: user
            time: week
            value: sessions
            metric: mean
            normalize: zscore
            k: 2...3
      """, "audit.yaml", in: dir)
    let check = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("r").path, "--check"])
    #expect(check.status == 64, "\(check.stderr)")
    #expect(check.stderr.contains("--metric mean with --normalize zscore"), "\(check.stderr)")
  }

  /// A radius beyond Int is refused with the way out (`full`), not with "must be a non-negative integer".
  @Test func oversizedRadiusNamesFull() throws {
    let r = try CLI.run(["dtw", "--series", Self.fc, "--id", "user", "--time", "week", "--value", "sessions",
      "--radius", "99999999999999999999"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--radius 99999999999999999999 is beyond the largest integer"), "\(r.stderr)")
    #expect(r.stderr.contains("--radius full"))
  }

  /// `--metric euclidean` on series of unequal lengths: the way out named is `--metric dtw` or complete
  /// series; `--fill` does not lengthen a series whose last steps are missing (before, the message suggested
  /// "--fill for gaps", which leaves the lengths unequal).
  @Test func euclideanOnUnequalLengthsNamesTheWayOut() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write("id,t,v\na,1,1\na,2,2\na,3,3\nb,1,2\nb,2,1\nc,1,3\nc,2,1\nc,3,1\n", "short.csv", in: dir)
    let args = ["cluster", "--series", input, "--id", "id", "--time", "t", "--value", "v", "--metric", "euclidean", "--k", "2"]
    for extra in [[], ["--fill", "zero"]] {
      let r = try CLI.run(args + extra)
      #expect(r.status == 64)
      #expect(r.stderr.contains("needs series of equal length (here 2–3 steps); use --metric dtw (unequal lengths are fine)"), "\(r.stderr)")
      #expect(r.stderr.contains("--fill fills gaps inside a series, not missing last steps"))
      #expect(r.stdout.isEmpty)
    }
  }

  /// The JSON of `dtw --wide` records the step columns it read (as `cluster --series --wide` does), for the
  /// summary and for `--knn`; before, `parameters` had no `columns` and the default choice was not recorded.
  @Test func wideJSONRecordsTheStepColumns() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write("id,w1,w2,w3,note\na,1,2,3,x\nb,2,1,2,y\nc,0,1,1,z\n", "wide.csv", in: dir)
    for extra in [["--radius", "1"], ["--radius", "1", "--knn", "1"], ["--radius", "0", "--columns", "w3,w1"]] {
      let r = try CLI.run(["dtw", "--series", input, "--id", "id", "--wide", "--format", "json"] + extra)
      #expect(r.status == 0, "\(r.stderr)")
      let parameters = try CLI.json(r.stdout)["parameters"] as? [String: Any]
      #expect(parameters?["columns"] as? [String] == (extra.contains("--columns") ? ["w3", "w1"] : ["w1", "w2", "w3"]))
    }
  }
}
