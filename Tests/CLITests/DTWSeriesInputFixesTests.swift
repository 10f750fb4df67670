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
  }
}
