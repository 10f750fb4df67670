import CohortLensCore
import Foundation
import Testing

@Suite("cohortlens cluster")
struct ClusterCommandTests {
  static let effort = CLI.fixture("flipped-classroom/effort_features.csv")
  static let effortArgs = ["cluster", "--features", effort, "--id", "user", "--columns", "effort_time,effort_clicks", "--scale", "standard"]

  @Test func jsonCarriesSchemaProvenanceAndSweep() throws {
    let r = try CLI.run(Self.effortArgs + ["--k", "2...4", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["schema"] as? String == "cohortlens.cluster/1")
    let tool = j["tool"] as? [String: Any]
    #expect(tool?["version"] as? String != nil)
    #expect(j["seed"] as? Int == 0)
    let inputs = j["inputs"] as? [[String: Any]]
    #expect(inputs?.first?["sha256"] as? String == (try SHA256.hex(ofFile: Self.effort)))
    let ids = j["ids"] as? [String]
    #expect(ids?.count == 288)
    let ev = j["eigenvalues"] as? [Double] ?? []
    #expect(ev.count >= 8)
    #expect(zip(ev, ev.dropFirst()).allSatisfy { $0 <= $1 })
    #expect(abs(ev[0]) < 1e-10)
    let sweep = j["sweep"] as? [[String: Any]] ?? []
    #expect(sweep.map { $0["k"] as? Int } == [2, 3, 4])
    for entry in sweep {
      let labels = entry["labels"] as? [Int] ?? []
      #expect(labels.count == 288)
      #expect(Set(labels).count == entry["k"] as? Int)
      let s = entry["silhouette"] as? Double ?? .nan
      #expect(s > -1 && s <= 1)
    }
    let suggested = j["suggested_k"] as? [String: Any]
    #expect(suggested?["eigengap"] as? Int != nil)
    #expect(suggested?["silhouette"] as? Int != nil)
    // 288 learners: `auto` resolves to the dense solver; an explicit choice is reported as such.
    #expect(j["eigensolver_used"] as? String == "dense")
    let iterative = try CLI.run(Self.effortArgs + ["--k", "2...4", "--format", "json", "--eigensolver", "iterative"])
    #expect(iterative.status == 0, "\(iterative.stderr)")
    let ji = try CLI.json(iterative.stdout)
    #expect(ji["eigensolver_used"] as? String == "iterative")
    let evi = ji["eigenvalues"] as? [Double] ?? []
    #expect(evi.count == ev.count && zip(ev, evi).allSatisfy { abs($0 - $1) <= 1e-10 })
  }

  /// Long `--n-init` runs are not silent: `--progress` reports the k-means restarts every 10 % (from 100
  /// restarts on), on stderr only; the report is the same bytes with or without it.
  @Test func progressReportsKMeansRestarts() throws {
    let args = Self.effortArgs + ["--k", "2...5", "--n-init", "50", "--format", "json"]
    let r = try CLI.run(args + ["--progress"])
    #expect(r.status == 0, "\(r.stderr)")
    let lines = r.stderr.split(separator: "\n").filter { $0.contains("k-means: ") }
    #expect(lines.count == 10, "\(r.stderr)")
    #expect(lines.last?.hasSuffix("k-means: 100% of 200 restarts (4 k × --n-init 50)") == true, "\(r.stderr)")
    #expect(lines.first?.hasSuffix("k-means: 10% of 200 restarts (4 k × --n-init 50)") == true, "\(r.stderr)")
    let quiet = try CLI.run(args)
    #expect(quiet.stdout == r.stdout)
    #expect(!quiet.stderr.contains("k-means: "))
    // The default 10 restarts for a few k: no restart lines.
    let small = try CLI.run(Self.effortArgs + ["--k", "2...4", "--progress"])
    #expect(!small.stderr.contains("k-means: "))
  }

  @Test func sameSeedGivesIdenticalBytes() throws {
    let a = try CLI.run(Self.effortArgs + ["--k", "2...5", "--format", "json", "--seed", "7"])
    let b = try CLI.run(Self.effortArgs + ["--k", "2...5", "--format", "json", "--seed", "7"])
    #expect(a.status == 0)
    #expect(a.stdout == b.stdout)
  }

  @Test(arguments: ["table", "csv", "markdown"])
  func otherFormatsRender(format: String) throws {
    let r = try CLI.run(Self.effortArgs + ["--k", "2,3", "--format", format])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("silhouette"))
    if format == "csv" { #expect(r.stdout.hasPrefix("k,silhouette,davies_bouldin,calinski_harabasz")) }
    if format == "markdown" { #expect(r.stdout.contains("| k ")) }
  }

  @Test func outputFileAndLabelsAreWritten() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("c.json").path
    let labels = dir.appendingPathComponent("labels.csv").path
    let r = try CLI.run(Self.effortArgs + ["--k", "2,3", "--format", "json", "--output", out, "--labels-out", labels])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let j = try CLI.json(String(contentsOfFile: out, encoding: .utf8))
    #expect(j["schema"] as? String == "cohortlens.cluster/1")
    let lines = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n")
    #expect(lines.first == "id,k2,k3")
    #expect(lines.count == 289)
  }

  /// `--no-fsync` changes durability only: the same report and labels bytes, no temporary file left behind
  /// (through the direct reading of the command line and through swift-argument-parser's).
  @Test func noFsyncWritesTheSameFiles() throws {
    let dir = try CLI.temporaryDirectory()
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    let base = Self.effortArgs + ["--k", "2,3", "--format", "json", "--seed", "3"]
    #expect(try CLI.run(base + ["--output", path("a.json"), "--labels-out", path("a.csv")]).status == 0)
    let direct = try CLI.run(base + ["--output", path("b.json"), "--labels-out", path("b.csv"), "--no-fsync"])
    #expect(direct.status == 0, "\(direct.stderr)")
    let parsed = try CLI.run(base + ["--output=\(path("c.json"))", "--labels-out", path("c.csv"), "--no-fsync"])
    #expect(parsed.status == 0, "\(parsed.stderr)")
    func text(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }
    for name in ["b", "c"] {
      #expect(try text(name + ".csv") == text("a.csv"))
      // The reports differ only in the output parameters they record.
      let j = try CLI.json(text(name + ".json")), a = try CLI.json(text("a.json"))
      for key in ["ids", "eigenvalues", "suggested_k", "sweep", "warnings"] {
        let mine = try JSONSerialization.data(withJSONObject: try #require(j[key]), options: [.sortedKeys])
        let theirs = try JSONSerialization.data(withJSONObject: try #require(a[key]), options: [.sortedKeys])
        #expect(mine == theirs, "\(key)")
      }
    }
    let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
    #expect(names == ["a.csv", "a.json", "b.csv", "b.json", "c.csv", "c.json"])
  }

  /// `--labels-out` and the report are written together: when the report cannot be written (a folder that
  /// does not exist, a full device), the labels file is not created either, and an existing one is kept.
  @Test func labelsAreNotWrittenWhenTheReportFails() throws {
    let dir = try CLI.temporaryDirectory()
    let labels = dir.appendingPathComponent("labels.csv").path
    let missing = dir.appendingPathComponent("missing/c.json").path
    let r = try CLI.run(Self.effortArgs + ["--k", "2,3", "--format", "json", "--output", missing, "--labels-out", labels])
    #expect(r.status == 73, "\(r.stderr)")
    #expect(r.stderr.contains("missing/c.json: cannot create a file in"), "\(r.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    // The report onto a full device: the stream fails before the labels are renamed into place.
    try "previous\n".write(toFile: labels, atomically: false, encoding: .utf8)
    let full = try CLI.run(Self.effortArgs + ["--k", "2", "--output", "/dev/full", "--labels-out", labels])
    #expect(full.status == 73, "\(full.stderr)")
    #expect(try String(contentsOfFile: labels, encoding: .utf8) == "previous\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["labels.csv"])
    // The labels' folder missing: nothing is computed or written, the report is not printed.
    let early = try CLI.run(Self.effortArgs + ["--k", "2", "--labels-out", dir.appendingPathComponent("no/l.csv").path])
    #expect(early.status == 73)
    #expect(early.stdout.isEmpty)
  }

  /// Options that have no effect on the chosen input are usage errors, never silently ignored: feature-table
  /// options with --series (naming the series alternative), series options with --features, and options of
  /// the rbf affinity with a precomputed matrix.
  @Test func optionsThatDoNotApplyAreUsageErrors() throws {
    let series = ["cluster", "--series", CLI.fixture("flipped-classroom/hours_biweek_students.csv"), "--id", "student_id",
      "--time", "biweek_of_year", "--value", "hours", "--k", "2"]
    let cases: [([String], String)] = [
      (series + ["--scale", "none"], "--scale scales the columns of --features; learner series are normalised with --normalize l2|zscore|none"),
      (series + ["--drop-missing"], "with --series a missing step inside a series is filled with --fill zero|previous"),
      (Self.effortArgs + ["--k", "2", "--normalize", "zscore"], "--normalize describes learner time series; give --series FILE"),
      (Self.effortArgs + ["--k", "2", "--metric", "dtw", "--threads", "2"], "--metric, --threads describe learner time series"),
      (["cluster", "--affinity", "precomputed", "--matrix", "m.csv", "--k", "2", "--scale", "none", "--gamma", "2"],
        "--scale, --gamma apply to the rbf affinity of --features; --affinity precomputed uses the matrix as given"),
    ]
    for (args, message) in cases {
      let r = try CLI.run(args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
      #expect(r.stdout.isEmpty)
    }
    // The defaults, given explicitly where they apply, are accepted.
    let ok = try CLI.run(series + ["--metric", "dtw", "--normalize", "l2", "--fill", "error", "--zero-series", "error", "--format", "json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect((try CLI.json(ok.stdout)["parameters"] as? [String: Any])?["normalize"] as? String == "l2")
  }

  @Test func kNotBelowNIsAUsageErrorNamingN() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n1,0,1\n2,1,0\n3,5,5\n", "small.csv", in: dir)
    let out = dir.appendingPathComponent("never.json").path
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2...3", "--output", out])
    #expect(r.status == 64)
    #expect(r.stderr.contains("n = 3"))
    #expect(!FileManager.default.fileExists(atPath: out))
    let r1 = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "1"])
    #expect(r1.status == 64)
  }

  @Test func nonNumericCellPointsAtLineAndColumn() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n1,0,1\n2,1,0\n3,x7,5\n4,2,2\n", "bad.csv", in: dir)
    let out = dir.appendingPathComponent("never.json").path
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--output", out])
    #expect(r.status == 65)
    #expect(r.stderr.contains("bad.csv:4:"), "\(r.stderr)")
    #expect(r.stderr.contains("x7"))
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  @Test func missingValuesStopUnlessDropped() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n1,0,1\n2,NA,0\n3,5,5\n4,2,\n5,9,9\n6,1,1\n", "gaps.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("--drop-missing"))
    let ok = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--drop-missing", "--format", "json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let j = try CLI.json(ok.stdout)
    #expect(j["ids"] as? [String] == ["1", "3", "5", "6"])
    #expect(j["dropped_ids"] as? [String] == ["2", "4"])
    // The table and the Markdown report list the dropped ids too.
    let table = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--drop-missing"])
    #expect(table.stdout.contains("Dropped (missing values, --drop-missing): 2 learner(s): 2, 4\n"), "\(table.stdout)")
    let md = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--drop-missing", "--format", "markdown"])
    #expect(md.status == 0)
    #expect(md.stdout.contains("**Dropped** (missing values, --drop-missing): 2 learner(s): 2, 4\n"), "\(md.stdout)")
  }

  @Test func labelsOutKeepsDroppedLearnersInInputOrder() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n1,0,1\n2,NA,0\n3,5,5\n4,2,\n5,9,9\n6,1,1\n", "gaps.csv", in: dir)
    let labels = dir.appendingPathComponent("labels.csv").path
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2,3", "--drop-missing", "--labels-out", labels,
                         "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let sweep = try #require(try CLI.json(r.stdout)["sweep"] as? [[String: Any]])
    let k2 = try #require(sweep.first?["labels"] as? [Int]), k3 = try #require(sweep.last?["labels"] as? [Int])
    let lines = try String(contentsOfFile: labels, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
    // Every input learner, in input order; 2 and 4 (missing values) with empty label cells.
    #expect(lines == [
      "id,k2,k3", "1,\(k2[0]),\(k3[0])", "2,,", "3,\(k2[1]),\(k3[1])", "4,,", "5,\(k2[2]),\(k3[2])",
      "6,\(k2[3]),\(k3[3])", "",
    ])
  }

  @Test func duplicateIdsAreAnError() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,0\n2,1\n1,5\n4,2\n", "dup.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("'1'"), "\(r.stderr)")
  }

  @Test func unknownColumnListsTheAvailableOnes() throws {
    let r = try CLI.run(["cluster", "--features", Self.effort, "--id", "user", "--columns", "effort_tme", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("effort_time"), "\(r.stderr)")
  }

  @Test func disconnectedGraphWarnsAndStillClusters() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,0\n2,0.1\n3,0.2\n4,10\n5,10.1\n6,10.2\n", "two.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--scale", "none", "--graph", "epsilon:0.5", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("warning"))
    let j = try CLI.json(r.stdout)
    let warnings = j["warnings"] as? [String] ?? []
    #expect(warnings.contains { $0.contains("connected") })
    let labels = (j["sweep"] as? [[String: Any]])?.first?["labels"] as? [Int] ?? []
    #expect(labels.count == 6)
    #expect(Set(labels[0..<3]).count == 1 && Set(labels[3..<6]).count == 1 && labels[0] != labels[3])
  }

  /// A learner far from the others under a large --gamma: connected (its affinity is 1e-25, not 0), but its
  /// embedding coordinate is rounding noise; the warning says so on stderr and in JSON.
  @Test func weaklyConnectedLearnerWarns() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,0\n2,0.1\n3,0.2\n4,1\n5,1.1\n6,1.2\nfar,5\n", "far.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--scale", "none", "--gamma", "4", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("1 learner has almost no affinity to the others"), "\(r.stderr)")
    let warnings = try CLI.json(r.stdout)["warnings"] as? [String] ?? []
    #expect(warnings.contains { $0.hasPrefix("1 learner has almost no affinity") })
    #expect(!warnings.contains { $0.contains("connected components") })
  }

  @Test func nonSymmetricPrecomputedMatrixIsSymmetrisedWithAWarning() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write(
      "id,a,b,c,d\na,1,0.9,0.1,0\nb,0.7,1,0,0.1\nc,0.1,0,1,0.8\nd,0,0.1,0.8,1\n", "w.csv", in: dir)
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", f, "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("symmetric"))
    let j = try CLI.json(r.stdout)
    #expect(j["ids"] as? [String] == ["a", "b", "c", "d"])
    let labels = (j["sweep"] as? [[String: Any]])?.first?["labels"] as? [Int] ?? []
    #expect(labels.count == 4 && labels[0] == labels[1] && labels[2] == labels[3] && labels[0] != labels[2])
  }

  /// With a precomputed matrix, --truth labels come from --features/--id: a missing label is an error at its
  /// cell (as with a feature table), a matrix id absent from the table is named, and --features or --id
  /// without --truth (never read) or --truth without them are usage errors before any work.
  @Test func precomputedTruthLabelsAreCheckedAndLocated() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let m = try CLI.write("id,a,b,c,d\na,1,0.9,0.1,0\nb,0.9,1,0,0.1\nc,0.1,0,1,0.8\nd,0,0.1,0.8,1\n", "w.csv", in: dir)
    let base = ["cluster", "--affinity", "precomputed", "--matrix", m, "--k", "2"]
    let good = try CLI.write("id,t\nd,y\nc,y\nb,x\na,x\nzz,q\n", "good.csv", in: dir)
    let ok = try CLI.run(base + ["--features", good, "--id", "id", "--truth", "t", "--format", "json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(((try CLI.json(ok.stdout)["sweep"] as? [[String: Any]])?.first?["ari"] as? Double) == 1.0)

    let holed = try CLI.write("id,t\na,x\nb,x\nc,\nd,y\n", "holed.csv", in: dir)
    let missing = try CLI.run(base + ["--features", holed, "--id", "id", "--truth", "t"])
    #expect(missing.status == 65)
    #expect(missing.stderr.contains("holed.csv:4:3: learner 'c' has no value in the --truth column 't'"), "\(missing.stderr)")
    #expect(missing.stdout.isEmpty)

    let short = try CLI.write("id,t\na,x\nb,x\nd,y\n", "short.csv", in: dir)
    let absent = try CLI.run(base + ["--features", short, "--id", "id", "--truth", "t"])
    #expect(absent.status == 65)
    #expect(absent.stderr.contains("1 matrix id(s) are not in the 'id' column, e.g. c"), "\(absent.stderr)")

    let unread = try CLI.run(base + ["--features", good, "--id", "id"])
    #expect(unread.status == 64)
    #expect(unread.stderr.contains("--features, --id only supply the --truth labels with --affinity precomputed"), "\(unread.stderr)")
    let noTable = try CLI.run(base + ["--truth", "t"])
    #expect(noTable.status == 64)
    #expect(noTable.stderr.contains("--truth with --affinity precomputed needs --features FILE and --id COLUMN"), "\(noTable.stderr)")
  }

  /// A graph with more connected components than the largest k: every gap among the first k_max + 1
  /// eigenvalues is rounding noise, so the eigengap suggestion is undefined, with its reason in every format
  /// and a warning, never an arbitrary k.
  @Test func eigengapIsUndefinedWhenEveryGapIsNoise() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Four pairs of learners, no similarity between pairs.
    let ids = (0..<8).map { "u\($0)" }
    var text = "id," + ids.joined(separator: ",") + "\n"
    for i in 0..<8 { text += ids[i] + "," + (0..<8).map { j in i / 2 == j / 2 ? "1" : "0" }.joined(separator: ",") + "\n" }
    let m = try CLI.write(text, "pairs.csv", in: dir)
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", m, "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let suggested = try CLI.json(r.stdout)["suggested_k"] as? [String: Any]
    #expect(suggested?["eigengap"] is NSNull, "\(String(describing: suggested))")
    #expect((suggested?["eigengap_undefined_reason"] as? String)?.hasPrefix("the first 3 Laplacian eigenvalues are 0 up to rounding (the graph has 4 connected components)") == true)
    #expect(r.stderr.contains("warning: eigengap undefined: the first 3 Laplacian eigenvalues"), "\(r.stderr)")
    let table = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", m, "--k", "2"])
    #expect(table.stdout.contains("eigengap   → undefined (the first 3 Laplacian eigenvalues are 0 up to rounding"), "\(table.stdout)")
    let enough = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", m, "--k", "2...4", "--format", "json"])
    #expect((try CLI.json(enough.stdout)["suggested_k"] as? [String: Any])?["eigengap"] as? Int == 4)
    let help = try CLI.run(["cluster", "--help"])
    #expect(help.stdout.replacingOccurrences(of: "\n", with: " ").split(separator: " ").joined(separator: " ")
      .contains("undefined (with the reason) when every such gap is rounding noise"), "\(help.stdout)")
  }

  /// A feature table with no numeric column besides the id: the error names the columns it left out (text,
  /// empty or unnamed), the reason there is nothing to cluster.
  @Test func noNumericColumnNamesTheColumnsLeftOut() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,b,\n1,x,NA,4\n2,y,,5\n3,z,NA,6\n", "text.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("has no numeric column besides 'id' (left out: a, b, #4 — not numeric or without a name); name the features with --columns"), "\(r.stderr)")
  }

  /// The id and the --truth labels are not features: naming them in --columns is a usage error (before, a numeric
  /// id became a coordinate and the truth labels leaked into the clustering they are compared with, exit 0).
  @Test func idAndTruthColumnsAreNotFeatures() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b,truth\n"
    for i in 0..<12 { csv += "\(i),\(Double(i % 3) * 5 + Double(i) * 0.01),\(Double(i % 2)),\(i % 3)\n" }
    let f = try CLI.write(csv, "f.csv", in: dir)
    let withId = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,id", "--k", "2"])
    #expect(withId.status == 64)
    #expect(withId.stderr.contains("--columns selects 'id', the --id column: ids name learners, they are not features"), "\(withId.stderr)")
    #expect(withId.stdout.isEmpty)
    let withTruth = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,b,truth", "--truth", "truth", "--k", "2"])
    #expect(withTruth.status == 64)
    #expect(withTruth.stderr.contains("--columns selects 'truth', the --truth column"), "\(withTruth.stderr)")
    // By position too (#1 is the id column).
    let byPosition = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "#1,a", "--k", "2"])
    #expect(byPosition.status == 64 && byPosition.stderr.contains("the --id column"), "\(byPosition.stderr)")
    let fine = try CLI.run(["cluster", "--features", f, "--id", "id", "--columns", "a,b", "--truth", "truth", "--k", "2"])
    #expect(fine.status == 0, "\(fine.stderr)")
  }

  /// The audit's eigenvalue figure names the Laplacian the step used and says when the eigengap is undefined.
  @Test func auditEigenvalueCaptionNamesTheLaplacianUsed() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var csv = "id,a,b\n"
    for i in 0..<12 { csv += "s\(i),\(Double(i % 3) * 5 + Double(i) * 0.01),\(Double(i % 2))\n" }
    _ = try CLI.write(csv, "f.csv", in: dir)
    _ = try CLI.write("""
      steps:
        - cluster:
            features: f.csv
            id: id
            k: 2...3
            laplacian: unnormalized
            graph: knn:2
      """, "audit.yaml", in: dir)
    let out = dir.appendingPathComponent("report")
    let r = try CLI.run(["audit", "--config", dir.appendingPathComponent("audit.yaml").path, "--out", out.path])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
    #expect(html.contains("Smallest eigenvalues of the unnormalised graph Laplacian D − W"), "\(html.count)")
    #expect(!html.contains("Smallest eigenvalues of the normalised graph Laplacian"))
  }

  /// Matrix ids that differ only in Unicode normalisation are two learners (code points, as every id), with
  /// their columns matched by exact id even when the header lists them in another order.
  @Test func precomputedMatrixKeepsExactIdsApart() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let nfc = "Am\u{E9}lie", nfd = "Ame\u{301}lie"
    // Rows: nfc, nfd, c, d; header: d, nfd, c, nfc. nfc is close to c, nfd to d.
    let text = "id,d,\(nfd),c,\(nfc)\n\(nfc),0,0,0.9,1\n\(nfd),0.9,1,0,0\nc,0,0,1,0.9\nd,1,0.9,0,0\n"
    let m = try CLI.write(text, "w.csv", in: dir)
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", m, "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("symmetric"), "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect((j["ids"] as? [String])?.map { Array($0.unicodeScalars) } == [nfc, nfd, "c", "d"].map { Array($0.unicodeScalars) })
    let labels = (j["sweep"] as? [[String: Any]])?.first?["labels"] as? [Int] ?? []
    #expect(labels.count == 4 && labels[0] == labels[2] && labels[1] == labels[3] && labels[0] != labels[1], "\(labels)")
  }

  /// Errors about a header id point at its character column (before: the field number, `w.csv:1:4` for the
  /// fourth field wherever it stands).
  @Test func precomputedHeaderErrorsPointAtTheName() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let stray = try CLI.write("id,a,bb,zz\na,1,0,0\nbb,0,1,0\nc,0,0,1\n", "w.csv", in: dir)
    var r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", stray, "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("w.csv:1:9: header id 'zz' has no row"), "\(r.stderr)")
    let twice = try CLI.write("id,a,bb,a\na,1,0,0\nbb,0,1,0\nc,0,0,1\n", "t.csv", in: dir)
    r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", twice, "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("t.csv:1:9: id 'a' appears twice in the header"), "\(r.stderr)")
  }

  /// Series learners whose ids differ only in Unicode normalisation are two learners, each with its
  /// own --truth label (code points, as pandas' groupby).
  @Test func seriesTruthLabelsKeepExactIdsApart() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    var rows = "id,t,v,type\n"
    let learners = ["Am\u{E9}lie", "Ame\u{301}lie", "b", "c", "d", "e"]
    for (k, id) in learners.enumerated() {
      for t in 0..<4 { rows += "\(id),\(t),\(Double(k % 2 == 0 ? t : 3 - t) + 0.1 * Double(k)),\(k % 2 == 0 ? "A" : "B")\n" }
    }
    let f = try CLI.write(rows, "s.csv", in: dir)
    let r = try CLI.run(["cluster", "--series", f, "--id", "id", "--time", "t", "--value", "v", "--truth", "type",
                         "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect((j["ids"] as? [String])?.count == 6)
  }

  @Test func headerOnlyFileIsAnInputError() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n", "header.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("header.csv:1: the file has a header but no data rows"), "\(r.stderr)")
  }

  @Test func constantColumnsAndIdenticalLearnersAreReported() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,b\n1,1,5\n2,1,5\n3,1,5\n4,1,5\n", "same.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", f, "--id", "id", "--k", "2", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let warnings = try CLI.json(r.stdout)["warnings"] as? [String] ?? []
    #expect(warnings.contains { $0.contains("constant column(s) carry no information: a, b") })
    #expect(warnings.contains { $0.contains("only 1 distinct learner(s)") })
  }
}
