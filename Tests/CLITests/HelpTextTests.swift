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
