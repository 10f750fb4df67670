import Foundation
import Testing

@Suite("Number text, enum-valued flags, configuration scalars, time stamps")
struct RoughEdgesCLITests {
  /// A subnormal minimum holds one significant digit: the table and Markdown print `-1e-320` (as JSON and CSV
  /// do), not `-9.99989e-321`, whose last five digits are not part of the number.
  @Test func inspectPrintsSubnormalsWithTheDigitsTheyHold() throws {
    let dir = try CLI.temporaryDirectory()
    let file = try CLI.write("id,x,y\na,-1e-320,5e-324\nb,1,2\n", "sub.csv", in: dir)
    for format in ["table", "markdown"] {
      let r = try CLI.run(["inspect", file, "--format", format])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("-1e-320"), "\(r.stdout)")
      #expect(r.stdout.contains("5e-324"), "\(r.stdout)")
      #expect(!r.stdout.contains("9.99989"), "\(r.stdout)")
      #expect(!r.stdout.contains("4.94066"), "\(r.stdout)")
    }
    let csv = try CLI.run(["inspect", file, "--format", "csv"])
    #expect(csv.stdout.contains(",-1e-320,"), "\(csv.stdout)")
    let json = try CLI.run(["inspect", file, "--format", "json"])
    #expect(json.stdout.contains("\"min\": -1e-320"), "\(json.stdout)")
  }

  /// The keywords of enum-valued flags are read ignoring case in every command (`--format JSON` was a usage
  /// error, exit 64, while `--graph KNN:5` was accepted); JSON echoes the lower-case spelling; a word that is no
  /// keyword in any case is still a usage error.
  @Test func keywordFlagsIgnoreCase() throws {
    let blobs = CLI.fixture("synthetic/blobs_overlapping.csv")
    let scores = try CLI.run(["scores", "--features", blobs, "--id", "id", "--columns", "x0,x1", "--labels", "truth",
                              "--scale", "STANDARD", "--format", "JSON"])
    #expect(scores.status == 0, "\(scores.stderr)")
    let sj = try CLI.json(scores.stdout)
    #expect((sj["parameters"] as? [String: Any])?["scale"] as? String == "standard", "\(scores.stdout.prefix(600))")
    let md = try CLI.run(["inspect", blobs, "--format", "Markdown"])
    #expect(md.status == 0 && md.stdout.hasPrefix("## "), "\(md.stderr)")
    let dtw = try CLI.run(["dtw", "--series", CLI.fixture("flipped-classroom/hours_biweek_students.csv"), "--id", "student_id",
                           "--time", "biweek_of_year", "--value", "hours", "--radius", "Full", "--normalize", "ZScore",
                           "--fill", "Error", "--zero-series", "KEEP", "--knn", "1", "--format", "Csv"])
    #expect(dtw.status == 0, "\(dtw.stderr)")
    #expect(dtw.stdout.hasPrefix("id,rank,neighbour,distance\n"), "\(dtw.stdout.prefix(200))")
    let fairness = try CLI.run([
      "fairness", "--predictions", CLI.fixture("flipped-classroom/model_predictions.csv"),
      "--groups", CLI.fixture("flipped-classroom/demographics.csv"), "--join", "ROW",
      "--label", "demographics.grade", "--positive", ">=4", "--prediction", "model_predictions.grade",
      "--predicted-positive", "<0.5", "--by", "gender", "--missing", "Drop", "--fail-on", "Fail", "--format", "JSON",
    ])
    #expect(fairness.status == 0 || fairness.status == 3, "\(fairness.stderr)")
    let fp = try CLI.json(fairness.stdout)["parameters"] as? [String: Any]
    #expect(fp?["join"] as? String == "row")
    #expect(fp?["missing"] as? String == "drop")
    let bad = try CLI.run(["inspect", blobs, "--format", "JSONL"])
    #expect(bad.status == 64)
  }

  /// Time stamps a hundredth of a microsecond apart are two steps in `dtw` and `cluster --series`: one learner's
  /// two rows are not a duplicate, and another learner's step in between is a gap, not merged silently.
  @Test func isoTimeStampsWithSubMicrosecondFractionsStayApart() throws {
    let dir = try CLI.temporaryDirectory()
    let one = try CLI.write("id,t,v\na,2024-01-01T00:00:00.00000001Z,1\na,2024-01-01T00:00:00.00000002Z,2\nb,2024-01-01T00:00:00.00000001Z,3\nb,2024-01-01T00:00:00.00000002Z,5\n", "one.csv", in: dir)
    let r = try CLI.run(["dtw", "--series", one, "--id", "id", "--time", "t", "--value", "v", "--normalize", "none", "--radius", "full", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("\"length_range\": [2, 2]"), "\(r.stdout.prefix(800))")
    let apart = try CLI.write("id,t,v\na,2024-01-01T00:00:00.00000001Z,1\nb,2024-01-01T00:00:00.00000002Z,2\na,2024-01-01T00:00:01Z,1\nb,2024-01-01T00:00:01Z,5\n", "apart.csv", in: dir)
    let g = try CLI.run(["dtw", "--series", apart, "--id", "id", "--time", "t", "--value", "v", "--normalize", "none", "--radius", "full"])
    #expect(g.status == 65)
    #expect(g.stderr.contains("learner 'a' has a gap at time '2024-01-01T00:00:00.00000002Z'"), "\(g.stderr)")
  }
}
