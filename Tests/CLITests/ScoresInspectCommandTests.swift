import Foundation
import Testing

@Suite("cohortlens scores and inspect")
struct ScoresInspectCommandTests {
  @Test func scoresMatchScikitLearnOnAKnownLabelling() throws {
    // Golden: silhouette_score / davies_bouldin_score / calinski_harabasz_score of the true labels of
    // Fixtures/synthetic/blobs_overlapping.csv (scikit-learn 1.9.1, raw x0, x1).
    let r = try CLI.run([
      "scores", "--features", CLI.fixture("synthetic/blobs_overlapping.csv"), "--id", "id", "--columns", "x0,x1",
      "--labels", "truth", "--truth", "truth", "--format", "json",
    ])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["schema"] as? String == "cohortlens.scores/1")
    #expect(j["n"] as? Int == 300)
    #expect(abs((j["silhouette"] as? Double ?? .nan) - 0.11112624631056996) < 1e-9)
    #expect(abs((j["davies_bouldin"] as? Double ?? .nan) - 1.6820738412680627) < 1e-9)
    #expect(abs((j["calinski_harabasz"] as? Double ?? .nan) - 169.17775334028258) < 1e-7)
    #expect(j["ari"] as? Double == 1.0)
    let clusters = j["clusters"] as? [[String: Any]] ?? []
    #expect(clusters.map { $0["label"] as? String } == ["0", "1", "2", "3", "4"])
    #expect(clusters.allSatisfy { $0["size"] as? Int == 60 })
  }

  @Test func scoresNeedTwoToNMinusOneLabels() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,g\n1,0,x\n2,1,x\n3,5,x\n", "one.csv", in: dir)
    let r = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "a", "--labels", "g"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("1 for n = 3"), "\(r.stderr)")
  }

  @Test func inspectTypesEveryColumnAndCountsMissingCells() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("\u{FEFF}id,score,name,empty\r\n1,3.5,\"Smith, J\",\r\n2,NA,x,\r\n3,-1,\"say \"\"hi\"\"\",\r\n", "t.csv", in: dir)
    let r = try CLI.run(["inspect", f, "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["schema"] as? String == "cohortlens.inspect/1")
    #expect(j["rows"] as? Int == 3)
    let cols = j["columns"] as? [[String: Any]] ?? []
    #expect(cols.map { $0["name"] as? String } == ["id", "score", "name", "empty"])
    #expect(cols.map { $0["type"] as? String } == ["numeric", "numeric", "text", "empty"])
    #expect(cols[1]["missing"] as? Int == 1)
    #expect(cols[1]["min"] as? Double == -1 && cols[1]["max"] as? Double == 3.5)
    #expect(cols[1]["mean"] as? Double == 1.25)
    #expect(cols[2]["examples"] as? [String] == ["Smith, J", "x", "say \"hi\""])
    #expect(cols[3]["missing"] as? Int == 3)
  }

  /// A quoted field with a line break stays on its row in the aligned table (shown as `\n`).
  @Test func inspectTableKeepsMultiLineCellsOnTheirRow() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,\"multi\nline\"\n2,\"x|y\"\n", "nl.csv", in: dir)
    let r = try CLI.run(["inspect", f])
    #expect(r.status == 0)
    let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("a ") })
    #expect(row.hasSuffix("2: multi\\nline, x|y"))
    #expect(!r.stdout.contains("\nline, x|y"))
  }

  @Test func unbalancedQuoteIsReportedWithItsLine() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,2\n2,\"3\n3,4\n", "q.csv", in: dir)
    let r = try CLI.run(["inspect", f])
    #expect(r.status == 65)
    #expect(r.stderr.contains("q.csv:3"), "\(r.stderr)")
  }

  @Test func missingFileIsAnInputError() throws {
    let r = try CLI.run(["inspect", "/nonexistent/file.csv"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("/nonexistent/file.csv: cannot read"))
  }

  @Test func versionAndHelp() throws {
    let v = try CLI.run(["--version"])
    #expect(v.status == 0 && v.stdout.hasPrefix("0."))
    let h = try CLI.run(["cluster", "--help"])
    #expect(h.status == 0 && h.stdout.contains("--graph"))
  }
}
