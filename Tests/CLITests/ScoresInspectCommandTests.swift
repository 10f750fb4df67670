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

  /// The CSV holds what the other formats hold: the overall scores and each cluster's size and mean silhouette.
  @Test func csvHoldsTheScoresAndEveryCluster() throws {
    let args = ["scores", "--features", CLI.fixture("synthetic/blobs_overlapping.csv"), "--id", "id", "--columns", "x0,x1",
                "--labels", "truth"]
    let csv = try CLI.run(args + ["--format", "csv"])
    #expect(csv.status == 0, "\(csv.stderr)")
    let rows = csv.stdout.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(rows.first == ["cluster", "score", "value"])
    #expect(rows[1] == ["", "silhouette", "0.11112624631056998"])
    #expect(rows.count == 1 + 3 + 2 * 5)
    let json = try CLI.json(try CLI.run(args + ["--format", "json"]).stdout)
    let clusters = json["clusters"] as? [[String: Any]] ?? []
    #expect(clusters.count == 5)
    for c in clusters {
      let label = c["label"] as? String ?? "?"
      #expect(rows.contains([label, "size", "\(c["size"] as? Int ?? -1)"]), "\(label)")
      let value = rows.first { $0[0] == label && $0[1] == "silhouette" }.flatMap { Double($0[2]) }
      #expect(value.map { abs($0 - ((c["silhouette"] as? NSNumber)?.doubleValue ?? .nan)) <= 1e-15 } == true, "\(label)")
    }
  }

  /// The Markdown heading shows the file name as written: emphasis characters in it are escaped.
  @Test func inspectMarkdownHeadingEscapesTheFileName() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,x\na,1\n", "__init__*v2*.csv", in: dir)
    let r = try CLI.run(["inspect", f, "--format", "markdown"])
    #expect(r.status == 0, "\(r.stderr)")
    let heading = r.stdout.split(separator: "\n").first.map(String.init) ?? ""
    #expect(heading.hasPrefix("## /") && heading.hasSuffix("/\\_\\_init\\_\\_\\*v2\\*.csv: 1 rows × 2 columns"), "\(heading)")
  }

  /// Labels are told apart exactly as written (code points, as scikit-learn's label encoding of
  /// Python strings): a precomposed and a decomposed 'é' are two clusters.
  @Test func labelsThatDifferOnlyInNormalisationAreTwoClusters() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,x0,x1,lab\na,0,0,caf\u{E9}\nb,0,1,caf\u{E9}\nc,10,10,cafe\u{301}\nd,10,11,cafe\u{301}\n", "l.csv", in: dir)
    let r = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "x0,x1", "--labels", "lab", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    // silhouette_score([[0,0],[0,1],[10,10],[10,11]], [0,0,1,1]) = 0.9292895427118657 (scikit-learn 1.9.1)
    #expect(abs((j["silhouette"] as? Double ?? .nan) - 0.9292895427118657) < 1e-12)
    #expect((j["clusters"] as? [[String: Any]])?.count == 2)
  }

  /// Clusters are listed numerically only when every label is a number, else by code point, whatever the order
  /// of the rows: mixed labels once compared pairwise (2 < 10 as numbers, 10 < 1a < 2 as text) in no total order.
  @Test func clusterOrderIsTotalForMixedLabels() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    func order(_ labels: [String]) throws -> [String] {
      var csv = "id,x0,x1,lab\n"
      for i in 0..<40 { csv += "r\(i),\(i % 7),\(i % 5),\(labels[i % labels.count])\n" }
      let f = try CLI.write(csv, "mixed.csv", in: dir)
      let r = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "x0,x1", "--labels", "lab", "--format", "json"])
      #expect(r.status == 0, "\(r.stderr)")
      return (try CLI.json(r.stdout)["clusters"] as? [[String: Any]] ?? []).compactMap { $0["label"] as? String }
    }
    let sorted = ["03", "10", "1a", "2", "b"]
    #expect(try order(["2", "10", "1a", "b", "03"]) == sorted)
    #expect(try order(["b", "1a", "03", "10", "2"]) == sorted)
    #expect(try order(["10", "2", "03"]) == ["2", "03", "10"])
  }

  /// A file written by pandas' `to_csv()` has an unnamed index column: `--id '#1'` selects it (as in fairness).
  @Test func unnamedIndexColumnByPosition() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write(",x0,x1,lab\n0,0,0,a\n1,0,1,a\n2,10,10,b\n3,10,11,b\n", "p.csv", in: dir)
    let r = try CLI.run(["scores", "--features", f, "--id", "#1", "--columns", "x0,x1", "--labels", "lab", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(abs((j["silhouette"] as? Double ?? .nan) - 0.9292895427118657) < 1e-12)
    let bad = try CLI.run(["scores", "--features", f, "--id", "#9", "--columns", "x0,x1", "--labels", "lab"])
    #expect(bad.status == 65)
    #expect(bad.stderr.contains("no column named '#9'") && bad.stderr.contains("available columns: #1 (no name), 'x0', 'x1', 'lab'"),
            "\(bad.stderr)")
    // The column without a name is never suggested as '' (it is #1).
    let typo = try CLI.run(["scores", "--features", f, "--id", "q", "--columns", "x0,x1", "--labels", "lab"])
    #expect(typo.status == 65 && !typo.stderr.contains("did you mean ''"), "\(typo.stderr)")
    // Selected by position, a column is named as the table names it; #2 and x0 are one column.
    let named = try CLI.run(["scores", "--features", f, "--id", "#1", "--columns", "#2,x1", "--labels", "lab", "--format", "json"])
    #expect(named.status == 0, "\(named.stderr)")
    #expect((try CLI.json(named.stdout)["parameters"] as? [String: Any])?["columns"] as? [String] == ["x0", "x1"])
    let twice = try CLI.run(["scores", "--features", f, "--id", "#1", "--columns", "#2,x0", "--labels", "lab"])
    #expect(twice.status == 64 && twice.stderr.contains("--columns selects column 'x0' twice ('#2' and 'x0')"), "\(twice.stderr)")
  }

  /// A label column with one label, or a label per learner, is a data problem (exit 65), located at the first
  /// scored learner's label cell.
  @Test func scoresNeedTwoToNMinusOneLabels() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a,g\n1,0,x\n2,1,x\n3,5,x\n", "one.csv", in: dir)
    let r = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "a", "--labels", "g"])
    #expect(r.status == 65)
    #expect(r.stderr.hasPrefix(f + ":2:5: the label column 'g' holds one label ('x') for all 3 learner(s)"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let all = try CLI.write("id,a,g\n1,0,p\n2,1,q\n3,5,r\n", "all.csv", in: dir)
    let r2 = try CLI.run(["scores", "--features", all, "--id", "id", "--columns", "a", "--labels", "g"])
    #expect(r2.status == 65)
    #expect(r2.stderr.hasPrefix(all + ":2:5: every learner has a label of its own in 'g' (3 distinct labels for n = 3)"), "\(r2.stderr)")
  }

  /// `--drop-missing` reports whom it left out: a warning on stderr, the ids in the table and Markdown output,
  /// `dropped_ids` in JSON; the scores are those of the remaining learners (scikit-learn on rows a, c, d, e).
  @Test func scoresDropMissingListsTheDroppedLearners() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,x0,x1,lab\na,0,0,1\nb,,0,1\nc,5,5,2\nd,5,5.1,2\ne,5,6,2\n", "miss.csv", in: dir)
    let args = ["scores", "--features", f, "--id", "id", "--columns", "x0,x1", "--labels", "lab", "--drop-missing"]
    let table = try CLI.run(args)
    #expect(table.status == 0, "\(table.stderr)")
    #expect(table.stderr.contains("warning: dropped 1 learner(s) with missing values (--drop-missing)"))
    #expect(table.stdout.contains("Dropped (missing values, --drop-missing): 1 learner(s): b\n"))
    let md = try CLI.run(args + ["--format", "markdown"])
    #expect(md.stdout.contains("**Dropped** (missing values, --drop-missing): 1 learner(s): b\n"))
    let j = try CLI.json(try CLI.run(args + ["--format", "json"]).stdout)
    #expect(j["dropped_ids"] as? [String] == ["b"])
    #expect(j["n"] as? Int == 4)
    #expect(abs((j["silhouette"] as? Double ?? .nan) - 0.6826440192601558) < 1e-12)
    #expect(abs((j["davies_bouldin"] as? Double ?? .nan) - 0.057563271030331424) < 1e-12)
    #expect(abs((j["calinski_harabasz"] as? Double ?? .nan) - 133.02472527472523) < 1e-9)
    // Nothing dropped: an empty list, no warning, no line.
    let full = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "x1", "--labels", "lab", "--format", "json"])
    #expect(try CLI.json(full.stdout)["dropped_ids"] as? [String] == [])
    #expect(!full.stderr.contains("warning"))
  }

  /// Every warning of `scores` is on stderr and in JSON `warnings`, as `cluster` reports them: learners left out
  /// by `--drop-missing`, and the text and unnamed columns the default feature selection leaves out (never
  /// silently).
  @Test func scoresWarningsAreOnStderrAndInJSON() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,x,y,note,,lab\na,1,2,hi,5,p\nb,,1,yo,5,p\nc,5,6,zz,6,q\nd,6,5,qq,7,q\ne,3,3,aa,8,q\nf,1,1,bb,9,p\n",
                          "w.csv", in: dir)
    let r = try CLI.run(["scores", "--features", f, "--id", "id", "--labels", "lab", "--drop-missing", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let j = try CLI.json(r.stdout)
    #expect(j["parameters"].flatMap { ($0 as? [String: Any])?["columns"] as? [String] } == ["x", "y"])
    let warnings = j["warnings"] as? [String] ?? []
    #expect(warnings == [
      "non-numeric column(s) not used as features: note (choose columns with --columns)",
      "column(s) without a name not used as features: #5 (choose them with --columns '#5')",
      "dropped 1 learner(s) with missing values (--drop-missing)",
    ])
    for w in warnings { #expect(r.stderr.contains("cohortlens scores: warning: \(w)"), "\(w)") }
    // Nothing to warn about: an empty list and a quiet stderr.
    let quiet = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "y", "--labels", "lab", "--format", "json"])
    #expect(quiet.status == 0, "\(quiet.stderr)")
    #expect(try CLI.json(quiet.stdout)["warnings"] as? [String] == [])
    #expect(!quiet.stderr.contains("warning"))
  }

  /// Headers written with blanks around them (` x0 `) are selected by their names (`--columns x0`, `' x0 '`),
  /// with `--id`, `--labels`, `--truth` too; a default feature set leaves the padded id and label columns out.
  @Test func headersWithBlanksAroundThemCanBeSelected() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id, x0 ,lab, truth \na,0,1,p\nb,1,1,p\nc,5,2,q\nd,6,2,q\n", "hsp.csv", in: dir)
    for columns in [" x0 ", "x0"] {
      let r = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", columns, "--labels", "lab", "--truth", "truth", "--format", "json"])
      #expect(r.status == 0, "\(r.stderr)")
      let j = try CLI.json(r.stdout)
      #expect(j["n"] as? Int == 4)
      #expect(abs((j["silhouette"] as? Double ?? .nan) - 0.797979797979798) < 1e-12)
      #expect(j["ari"] as? Double == 1.0)
    }
    let g = try CLI.write(" id , x0 , lab \na,0,1\nb,1,1\nc,5,2\nd,6,2\n", "pad.csv", in: dir)
    let d = try CLI.run(["scores", "--features", g, "--id", "id", "--labels", "lab", "--format", "json"])
    #expect(d.status == 0, "\(d.stderr)")
    #expect((try CLI.json(d.stdout)["parameters"] as? [String: Any])?["columns"] as? [String] == [" x0 "])
    let typo = try CLI.run(["scores", "--features", f, "--id", "id", "--columns", "x1", "--labels", "lab"])
    #expect(typo.status == 65)
    #expect(typo.stderr.contains("no column named 'x1'; did you mean ' x0 '?"), "\(typo.stderr)")
    // Series columns use the same lookup.
    let s = try CLI.write("id , week, hours \na,0,1\na,1,2\nb,0,2\nb,1,1\nc,0,5\nc,1,4\n", "s.csv", in: dir)
    let dtw = try CLI.run(["dtw", "--series", s, "--id", "id", "--time", "week", "--value", "hours", "--radius", "1", "--format", "json"])
    #expect(dtw.status == 0, "\(dtw.stderr)")
    #expect((try CLI.json(dtw.stdout)["summary"] as? [String: Any])?["n"] as? Int == 3)
  }

  /// A missing label or reference value is not a missing feature value: the hint says what fixes it and does
  /// not offer --drop-missing (which is given here and does not cover those columns).
  @Test func missingLabelOrTruthNamesTheRealFix() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,x0,x1,lab,truth\na,0,0,1,p\nb,1,0,,p\nc,5,5,2,q\nd,5,5.1,2,\ne,5,6,2,q\n", "m.csv", in: dir)
    let base = ["scores", "--features", f, "--id", "id", "--columns", "x0,x1", "--drop-missing"]
    let lab = try CLI.run(base + ["--labels", "lab"])
    #expect(lab.status == 65)
    #expect(lab.stderr == f + ":3:7: learner 'b' has no label in 'lab'; fill the cell or remove the learner's row (--drop-missing only leaves out learners with missing feature values)\n")
    let g = try CLI.write("id,x0,x1,lab,truth\na,0,0,1,p\nb,1,0,1,p\nc,5,5,2,q\nd,5,5.1,2,\ne,5,6,2,q\n", "t.csv", in: dir)
    let truth = try CLI.run(["scores", "--features", g, "--id", "id", "--columns", "x0,x1", "--labels", "lab", "--truth", "truth", "--drop-missing"])
    #expect(truth.status == 65)
    #expect(truth.stderr.hasPrefix(g + ":5:11: learner 'd' has no value in 'truth'; fill the cell, remove the learner's row, or leave out --truth"), "\(truth.stderr)")
    #expect(!truth.stderr.contains("or use --drop-missing"))
    let cluster = try CLI.run(["cluster", "--features", g, "--id", "id", "--columns", "x0,x1", "--truth", "truth", "--k", "2"])
    #expect(cluster.status == 65)
    #expect(cluster.stderr.hasPrefix(g + ":5:11: learner 'd' has no value in the --truth column 'truth'; fill the cell, remove the learner's row, or leave out --truth"), "\(cluster.stderr)")
    #expect(!cluster.stderr.contains("after adding the column"))
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

  /// A column without a name of its own (blank header, or one another column has too) is named `#N` in the
  /// results, as it is selected in every command; JSON keeps the header as written in `header`.
  @Test func inspectNamesUnnamedAndDuplicatedColumnsByPosition() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,a,a, ,b\n1,2,3,4,x\n2,5,6,7,y\n", "dup.csv", in: dir)
    let r = try CLI.run(["inspect", f, "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let cols = try CLI.json(r.stdout)["columns"] as? [[String: Any]] ?? []
    #expect(cols.map { $0["name"] as? String } == ["id", "#2", "#3", "#4", "b"])
    #expect(cols.map { $0["header"] as? String } == ["id", "a", "a", " ", "b"])
    let table = try CLI.run(["inspect", f])
    let names = table.stdout.split(separator: "\n").dropFirst(3).map { $0.split(separator: " ", maxSplits: 1).first.map(String.init) ?? "" }
    #expect(names == ["id", "#2", "#3", "#4", "b"], "\(table.stdout)")
    #expect(table.stdout.contains("#2 'a'") && table.stdout.contains("#3 'a'") && table.stdout.contains("#4 (no name)"), "\(table.stdout)")
    // CSV is for machines: the column field is the name as selected (`#N`), as JSON's `name`.
    let csv = try CLI.run(["inspect", f, "--format", "csv"])
    let firstFields = csv.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",", maxSplits: 1).first.map(String.init) ?? "" }
    #expect(firstFields == ["id", "#2", "#3", "#4", "b"], "\(csv.stdout)")
    // …and, as JSON's `header`, the header as written in a column of its own.
    let lines = csv.stdout.split(separator: "\n")
    #expect(lines.first == "column,header,type,present,missing,min,max,mean,distinct / examples", "\(csv.stdout)")
    #expect(lines.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false)[1] } == ["id", "a", "a", "\" \"", "b"], "\(csv.stdout)")
  }

  /// The examples after the distinct count read one way: a value holding a comma, a double quote or blanks at
  /// its edges is listed in double quotes (inner ones doubled); JSON keeps the values as written.
  @Test func inspectExamplesWithCommasAreQuoted() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let f = try CLI.write("id,name\n1,\"Smith, J\"\n2,x\n3,\"say \"\"hi\"\"\"\n4,\" y \"\n", "names.csv", in: dir)
    let table = try CLI.run(["inspect", f])
    #expect(table.status == 0, "\(table.stderr)")
    let row = try #require(table.stdout.split(separator: "\n").first { $0.hasPrefix("name ") })
    #expect(row.hasSuffix("4: \"Smith, J\", x, \"say \"\"hi\"\"\", \" y \""), "\(row)")
    let json = try CLI.run(["inspect", f, "--format", "json"])
    let cols = try CLI.json(json.stdout)["columns"] as? [[String: Any]] ?? []
    #expect(cols.last?["examples"] as? [String] == ["Smith, J", "x", "say \"hi\"", " y "])
  }

  /// A quoted field with a line break stays on its row in the aligned table (shown as `\n`), quoted as an
  /// example holding a comma is.
  @Test func inspectTableKeepsMultiLineCellsOnTheirRow() throws {
    let dir = try CLI.temporaryDirectory()
    let f = try CLI.write("id,a\n1,\"multi\nline\"\n2,\"x|y\"\n", "nl.csv", in: dir)
    let r = try CLI.run(["inspect", f])
    #expect(r.status == 0)
    let row = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("a ") })
    #expect(row.hasSuffix("2: \"multi\\nline\", x|y"), "\(row)")
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
