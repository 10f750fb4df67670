import Foundation
import Testing

/// The `--help` texts state what the commands do: the same rules as docs/ and the code.
@Suite("cohortlens --help texts")
struct HelpTextTests {
  /// `help` with its line breaks and indentation folded to single spaces.
  private func folded(_ help: String) -> String {
    help.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
  }

  /// `--eigensolver auto` switches at `IterativeEigen.minimumIterativeOrder(count:)`: 1800 learners for
  /// k up to 15 (m = 30 eigenpairs), not 50·(m + 4) = 1700; the help says the rule the code follows.
  @Test func clusterEigensolverThresholdMatchesTheCode() throws {
    let help = folded(try CLI.run(["cluster", "--help"]).stdout)
    #expect(help.contains("dense LAPACK dsyevr below max(500, 50·(m + max(4, ⌈m/5⌉))) learners for m = max(2·kmax, kmax+1) eigenpairs"), "\(help)")
    #expect(!help.contains("50·(m+4)"), "\(help)")
  }
}

extension HelpTextTests {
  /// With `--wide` and no `--columns`, an empty column between two numeric ones is a step (a gap in every
  /// series: an error naming it unless `--fill`); the help texts of `dtw` and `cluster` say so.
  @Test func wideDefaultStepColumnsIncludeEmptyColumns() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,w1,w2,w3,w4\na,1,2,,3\nb,2,3,,4\nc,1,1,,1\n", "wide.csv", in: dir)
    let r = try CLI.run(["dtw", "--series", f, "--id", "id", "--wide", "--radius", "1"])
    #expect(r.status == 65 && r.stderr.contains("has a gap at step 'w3'"), "\(r.stderr)")
    let dtw = folded(try CLI.run(["dtw", "--help"]).stdout)
    #expect(dtw.contains("(default: every numeric column except --id, in header order, and every empty column between two of them: a step without data, a gap)"), "\(dtw)")
    let cluster = folded(try CLI.run(["cluster", "--help"]).stdout)
    #expect(cluster.contains("every numeric column except --id and --truth, in header order, and every empty column between two of them"), "\(cluster)")
  }
}
