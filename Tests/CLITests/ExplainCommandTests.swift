import Foundation
import Testing

/// `cohortlens explain` end to end: parity with lime 0.2.0.1 (Fixtures/golden/lime.json) through
/// the built-in model and through the Python worker, determinism, and bad input.
@Suite(.serialized) struct ExplainCommandTests {
  static let fc = "Fixtures/flipped-classroom/aggregated_fc.csv"
  static let fcModel = "Fixtures/models/flipped_pass.json"

  static func golden() throws -> [[String: Any]] {
    let data = try Data(contentsOf: URL(fileURLWithPath: CLI.fixture("golden/lime.json")))
    let g = try JSONSerialization.jsonObject(with: data) as! [String: Any]
    return g["cases"] as! [[String: Any]]
  }

  /// Runs `explain --lime-compat --seed 42` for a golden case and returns the largest difference.
  static func parity(_ info: [String: Any], modelArgs: [String]) throws -> Double {
    let students = info["students"] as! [String]
    let r = try CLI.run([
      "explain", "--features", "Fixtures/" + (info["features_file"] as! String), "--id", info["id"] as! String,
      "--columns", (info["columns"] as! [String]).joined(separator: ","),
      "--student", students.joined(separator: ","), "--num-features", String(info["num_features"] as! Int),
      "--lime-compat", "--seed", "42", "--format", "json",
      "--discretizer", info["discretizer"] as? String ?? "quartile",
    ] + modelArgs)
    #expect(r.status == 0, "\(r.stderr)")
    let out = try CLI.json(r.stdout)
    #expect(out["schema"] as? String == "cohortlens.explain/1")
    let got = out["explanations"] as! [[String: Any]]
    let want = info["explanations"] as! [[String: Any]]
    for (g, w) in zip(got, want) {
      let gf = g["features"] as! [[String: Any]]
      #expect(gf.map { $0["condition"] as! String } == w["conditions"] as! [String])
      #expect(gf.map { $0["rank"] as! Int } == Array(1...gf.count))
    }
    return compare(got, want)
  }

  /// Same students with the same features in the same order; returns `largestDifference` over them.
  static func compare(_ got: [[String: Any]], _ want: [[String: Any]]) -> Double {
    #expect(got.count == want.count)
    var worst = 0.0
    for (g, w) in zip(got, want) {
      #expect(g["student"] as? String == w["student"] as? String)
      let gf = g["features"] as! [[String: Any]], wf = w["features"] as! [[String: Any]]
      #expect(gf.map { $0["feature"] as! String } == wf.map { $0["feature"] as! String })
      worst = max(worst, largestDifference(g, w))
    }
    return worst
  }

  /// Largest |difference| of the feature weights (in order), intercept, score, local prediction and
  /// probability of two explanations (JSON objects).
  static func largestDifference(_ g: [String: Any], _ w: [String: Any]) -> Double {
    let gf = g["features"] as! [[String: Any]], wf = w["features"] as! [[String: Any]]
    var worst = 0.0
    for (a, b) in zip(gf, wf) { worst = max(worst, abs((a["weight"] as! Double) - (b["weight"] as! Double))) }
    for key in ["intercept", "score", "local_prediction", "probability"] {
      worst = max(worst, abs((g[key] as! Double) - (w[key] as! Double)))
    }
    return worst
  }

  @Test func limeCompatMatchesLimeWithTheBuiltInModel() throws {
    for info in try Self.golden() {
      let worst = try Self.parity(info, modelArgs: ["--model", info["model"].map { "Fixtures/" + ($0 as! String) }!])
      print("explain CLI parity \(info["name"]!) k=\(info["num_features"]!): max |diff| = \(worst)")
      #expect(worst <= 1e-6)
    }
  }

  @Test func limeCompatMatchesLimeThroughThePythonWorker() throws {
    for info in try Self.golden() where info["discretizer"] as? String == "quartile" {
      let model = "Fixtures/" + (info["model"] as! String)
      let worst = try Self.parity(info, modelArgs: [
        "--model-command", "python3 Examples/engines/model_worker.py \(model)", "--batch", "2",
      ])
      print("explain bridge parity \(info["name"]!) k=\(info["num_features"]!): max |diff| = \(worst)")
      #expect(worst <= 1e-6)
    }
  }

  static func explain(_ extra: [String]) throws -> CLIResult {
    try CLI.run(["explain", "--features", fc, "--id", "user", "--model", fcModel, "--num-samples", "1000"] + extra)
  }

  /// Without `--num-features`, a table of fewer than 10 feature columns is explained with all of
  /// them, as lime's `num_features=10` does (its `auto` selection is then highest weights, 10 > 6);
  /// an explicit count above the columns stays a usage error. (Checked by hand against lime 0.2.0.1
  /// on this table: weights, intercept and score agree to 6e-14.)
  @Test func defaultFeatureCountIsCappedAtTheColumnsAsInLime() throws {
    let base = ["explain", "--features", "Tests/Corpus/explain/features.csv", "--id", "id", "--student", "s1",
                "--model", "Tests/Corpus/explain/model.json", "--lime-compat", "--seed", "42", "--format", "json"]
    let byDefault = try CLI.run(base)
    let explicit = try CLI.run(base + ["--num-features", "3", "--feature-selection", "highest-weights"])
    #expect(byDefault.status == 0 && explicit.status == 0, "\(byDefault.stderr)\(explicit.stderr)")
    let d = try CLI.json(byDefault.stdout), e = try CLI.json(explicit.stdout)
    let dx = (d["explanations"] as! [[String: Any]])[0], ex = (e["explanations"] as! [[String: Any]])[0]
    #expect((dx["features"] as! [[String: Any]]).count == 3)
    #expect(NSDictionary(dictionary: dx).isEqual(to: ex))
    let params = d["parameters"] as! [String: Any]
    #expect(params["num_features"] as? Int == 3)
    #expect(params["feature_selection"] as? String == "highest-weights")
    let tooMany = try CLI.run(base + ["--num-features", "4"])
    #expect(tooMany.status == 64)
    #expect(tooMany.stderr.contains("--num-features 4 is more than the 3 feature columns"))
  }

  @Test func defaultStreamIsPerStudentAndIndependentOfBatchAndThreads() throws {
    let alone = try Self.explain(["--student", "7", "--format", "json"])
    let both = try Self.explain(["--student", "1,7", "--format", "json", "--batch", "1", "--threads", "1"])
    let both2 = try Self.explain(["--student", "1,7", "--format", "json", "--batch", "2", "--threads", "2"])
    #expect(alone.status == 0 && both.status == 0 && both2.status == 0, "\(alone.stderr)\(both.stderr)")
    let a = (try CLI.json(alone.stdout)["explanations"] as! [[String: Any]])[0]
    let b = (try CLI.json(both.stdout)["explanations"] as! [[String: Any]])[1]
    #expect(b["student"] as? String == "7")
    #expect(NSDictionary(dictionary: a).isEqual(to: b))
    #expect(both.stdout == both2.stdout)
    // Another seed gives another sample (a different surrogate).
    let other = try Self.explain(["--student", "7", "--format", "json", "--seed", "5"])
    let c = (try CLI.json(other.stdout)["explanations"] as! [[String: Any]])[0]
    #expect((c["intercept"] as! Double) != (a["intercept"] as! Double))
  }

  /// A kernel width whose square underflows gave NaN weights and a NaN score with exit 0; it is a usage error.
  @Test func kernelWidthWhoseSquareUnderflowsIsRefused() throws {
    for w in ["1e-300", "1e-163"] {
      let r = try Self.explain(["--student", "7", "--kernel-width", w])
      #expect(r.status == 64, "\(w): \(r.stderr)")
      #expect(r.stderr.contains("is too small: its square underflows to 0"), "\(r.stderr)")
      #expect(r.stdout.isEmpty)
    }
    // A subnormal square is fine: the student's own weight is 1, the others 0.
    let ok = try Self.explain(["--student", "7", "--kernel-width", "1e-154", "--format", "json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let e = (try CLI.json(ok.stdout)["explanations"] as? [[String: Any]])?.first ?? [:]
    #expect((e["intercept"] as? Double)?.isFinite == true && ((e["effective_sample_size"] as? Double) ?? 0) >= 1)
  }

  /// A neighbourhood that cannot fit in memory is a usage error before any work (it aborted in the allocation).
  @Test func numSamplesBeyondMemoryIsRefused() throws {
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", Self.fcModel, "--student", "7",
                         "--num-samples", "5000000000"])
    #expect(r.status == 64, "\(r.stderr)")
    #expect(r.stderr.contains("--num-samples 5000000000 needs about") && r.stderr.contains("more than the memory limit"),
            "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let worker = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--student", "7", "--num-samples", "5000000000",
                              "--model-command", "python3 Examples/engines/model_worker.py \(Self.fcModel)"])
    #expect(worker.status == 64 && worker.stderr.contains("more than a model worker's frame can hold"), "\(worker.stderr)")
    // Students sampled together count: four neighbourhoods of 150 million samples do not fit where one might.
    let batch = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", Self.fcModel, "--student", "1,2,3,4",
                             "--num-samples", "150000000"])
    #expect(batch.status == 64 && batch.stderr.contains("(4 × 150000000 samples × (11 + 8) doubles)"), "\(batch.stderr)")
    let huge = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", Self.fcModel, "--student", "7",
                            "--num-samples", "9223372036854775807"])
    #expect(huge.status == 64 && huge.stderr.contains("needs more than 8 EiB"), "\(huge.stderr)")
  }

  /// The example worker serves probabilities only: a linear model file is refused at start-up with a message
  /// that points at the built-in --model (it used to answer raw values the bridge then rejected as probabilities).
  @Test func exampleWorkerRefusesALinearModel() throws {
    let dir = try CLI.temporaryDirectory()
    let model = try CLI.write(#"{"type":"linear","features":["sessions","submissions"],"coefficients":[[0.05,-0.01]],"intercept":[0.1]}"#,
                              "lin.json", in: dir)
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--columns", "sessions,submissions", "--student", "7",
                         "--num-samples", "200", "--model-command", "python3 Examples/engines/model_worker.py \(model)"])
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("is a linear model: its answers are raw values") && r.stderr.contains("built-in --model"), "\(r.stderr)")
    let builtIn = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                               "--num-samples", "200"])
    #expect(builtIn.status == 0, "\(builtIn.stderr)")
  }

  /// Stability figures are the same bytes in every process (CSI summed features in a dictionary's order, which
  /// changes with each process's hash seed).
  @Test func stabilityIsIdenticalAcrossProcesses() throws {
    // Small neighbourhoods give fractional per-feature CSIs, whose sum order shows in the last digit (3 of 8
    // processes differed before).
    let args = ["explain", "--features", Self.fc, "--id", "user", "--model", Self.fcModel, "--num-samples", "60",
                "--student", "7,12,30", "--stability", "8", "--num-features", "8", "--format", "json"]
    let first = try CLI.run(args)
    #expect(first.status == 0, "\(first.stderr)")
    #expect(first.stdout.contains("\"csi\": 99.24242424242424"), "\(first.stdout.prefix(200))")
    for _ in 0..<7 {
      let again = try CLI.run(args)
      #expect(again.stdout == first.stdout)
    }
  }

  @Test func tableShowsConditionsDirectionsAndSummary() throws {
    let r = try Self.explain(["--student", "7", "--num-features", "3", "--class-names", "fail,pass"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("class 'pass'"))
    #expect(r.stdout.contains("|local − model|"))
    #expect(r.stdout.contains("/1000"))
    let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("7 ") }
    #expect(rows.count == 4)  // 3 feature rows + 1 summary row
    #expect(rows[0].contains("+") || rows[0].contains("\u{2212}"))
    let csv = try Self.explain(["--student", "7", "--num-features", "3", "--format", "csv"])
    let lines = csv.stdout.split(separator: "\n")
    #expect(lines[0] == "student,class,probability,rank,feature,condition,value,weight,direction,intercept,local_prediction,abs_difference,score,score_undefined_reason,effective_sample_size")
    #expect(lines.count == 4)
  }

  @Test func stabilityWeeksAndGroups() throws {
    let dir = try CLI.temporaryDirectory()
    // A small weekly table: clicks_InWeek1..3, quiz_InWeek1..3.
    var text = "id,clicks_InWeek1,clicks_InWeek2,clicks_InWeek3,quiz_InWeek1,quiz_InWeek2,quiz_InWeek3\n"
    var groups = "id,gender\n"
    var state: UInt64 = 12345
    func next() -> Double {
      state = state &* 6364136223846793005 &+ 1442695040888963407
      return Double(state >> 11) / Double(1 << 53)
    }
    for i in 0..<60 {
      let v = (0..<6).map { _ in String(Int(next() * 20)) }
      text += "s\(i)," + v.joined(separator: ",") + "\n"
      groups += "s\(i),\(i % 2 == 0 ? "F" : "M")\n"
    }
    let features = try CLI.write(text, "weeks.csv", in: dir)
    let groupFile = try CLI.write(groups, "groups.csv", in: dir)
    let model = try CLI.write("""
      {"type":"logistic","features":["clicks_InWeek1","clicks_InWeek2","clicks_InWeek3","quiz_InWeek1","quiz_InWeek2","quiz_InWeek3"],
       "coefficients":[0.1,0.2,0.3,-0.1,-0.2,0.25],"intercept":-1.0}
      """, "m.json", in: dir)
    let r = try CLI.run(["explain", "--features", features, "--id", "id", "--model", model, "--all",
                         "--num-features", "3", "--num-samples", "500", "--stability", "3",
                         "--group-weeks", "_InWeek(\\d+)$", "--groups", groupFile, "--by", "gender", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let out = try CLI.json(r.stdout)
    let stability = out["stability"] as! [[String: Any]]
    #expect(stability.count == 60)
    for s in stability {
      let vsi = s["vsi"] as! Double
      #expect(vsi >= 0 && vsi <= 100)
      let features = s["features"] as! [[String: Any]]
      #expect(features.map { $0["selected"] as! Int }.reduce(0, +) == 9)  // 3 runs × 3 features
    }
    let weeks = out["weeks"] as! [[String: Any]]
    let first = weeks[0]["by_week"] as! [[String: Any]]
    #expect(Set(first.map { $0["week"] as! Int }).isSubset(of: [1, 2, 3]))
    #expect(first.map { $0["features"] as! Int }.reduce(0, +) == 3)
    let byFeature = weeks[0]["by_feature"] as! [[String: Any]]
    #expect(Set(byFeature.map { $0["feature"] as! String }).isSubset(of: ["clicks", "quiz"]))
    let disparity = out["disparity"] as! [String: Any]
    let rows = disparity["rows"] as! [[String: Any]]
    #expect(Set(rows.map { $0["group"] as! String }) == ["F", "M"])
    #expect(rows.allSatisfy { ($0["students"] as! Int) == 30 })
  }

  /// A multinomial (softmax) model: --class by name picks the column, probabilities are the
  /// model's for that class, --exclude drops a feature.
  @Test func multinomialModelClassByName() throws {
    let dir = try CLI.temporaryDirectory()
    let model = try CLI.write("""
      {"type":"logistic","features":["sessions","submissions"],"coefficients":[[0.05,-0.01],[-0.02,0.03],[0,0]],
       "intercept":[0.1,-0.2,0],"classes":["low","mid","high"],"scaler":{"mean":[30,60],"scale":[10,25]}}
      """, "m.json", in: dir)
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                         "--class", "mid", "--num-features", "2", "--num-samples", "500", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    let e = (try CLI.json(r.stdout)["explanations"] as! [[String: Any]])[0]
    #expect(e["class"] as? Int == 1 && e["class_name"] as? String == "mid")
    let probs = e["probabilities"] as! [Double]
    // Student 7: sessions 51, submissions 50.
    let z = [(51.0 - 30) / 10, (50.0 - 60) / 25]
    let scores = [0.05 * z[0] - 0.01 * z[1] + 0.1, -0.02 * z[0] + 0.03 * z[1] - 0.2, 0.0]
    let ex = scores.map { Foundation.exp($0) }, total = ex.reduce(0, +)
    for k in 0..<3 { #expect(abs(probs[k] - ex[k] / total) < 1e-15) }
    #expect(abs((e["probability"] as! Double) - probs[1]) < 1e-15)
    let bad = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                           "--class", "top", "--num-features", "2"])
    #expect(bad.status == 64)
    #expect(bad.stderr.contains("class names: low, mid, high"))
    let ex2 = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                           "--exclude", "submissions", "--num-features", "1"])
    #expect(ex2.status == 64)
    #expect(ex2.stderr.contains("differ from the chosen columns"))
  }

  /// `#N` selects a column as every other name does: --exclude drops the column it selects, --columns names
  /// the features as the header does; a model file's features must be headers (never positions).
  @Test func columnsByPositionAreTheColumnsThemselves() throws {
    let dir = try CLI.temporaryDirectory()
    let model = try CLI.write(#"{"type":"logistic","features":["sessions","time_in_problem"],"coefficients":[[0.05,-0.01]],"intercept":[0.1]}"#,
                              "m.json", in: dir)
    // sessions is column 6, time_in_problem column 7, submissions column 13.
    let byPosition = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                                  "--columns", "#6,#7", "--num-samples", "300", "--format", "json"])
    #expect(byPosition.status == 0, "\(byPosition.stderr)")
    let features = ((try CLI.json(byPosition.stdout)["explanations"] as? [[String: Any]])?.first?["features"] as? [[String: Any]] ?? [])
      .compactMap { $0["feature"] as? String }
    #expect(Set(features) == ["sessions", "time_in_problem"], "\(features)")
    let excluded = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", model, "--student", "7",
                                "--exclude", "#7", "--num-samples", "300"])
    #expect(excluded.status == 64 && excluded.stderr.contains("differ from the chosen columns"), "\(excluded.stderr)")
    let positional = try CLI.write(##"{"type":"logistic","features":["#6","#7"],"coefficients":[[0.05,-0.01]],"intercept":[0.1]}"##,
                                   "p.json", in: dir)
    let r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", positional, "--student", "7"])
    #expect(r.status == 65 && r.stderr.contains("the model's feature '#6' is not a column"), "\(r.stderr)")
  }

  /// lime's tied-bin quirk: with --lime-compat the model is fed 0 for a bin whose min equals its
  /// max (warning, counted per student); the default mode feeds the tied value.
  @Test func tiedBinsAreFedZeroOnlyInCompatMode() throws {
    let dir = try CLI.temporaryDirectory()
    var text = "id,a,b\n"
    for i in 0..<20 { text += "s\(i),\(i < 8 ? 1 : i),\(i * 3 % 7)\n" }
    let table = try CLI.write(text, "t.csv", in: dir)
    let model = try CLI.write(#"{"type":"logistic","features":["a","b"],"coefficients":[0.2,-0.3],"intercept":0.1}"#, "m.json", in: dir)
    let args = ["explain", "--features", table, "--id", "id", "--model", model, "--student", "s3,s12",
                "--num-features", "1", "--num-samples", "300", "--format", "json"]
    let compat = try CLI.run(args + ["--lime-compat"])
    #expect(compat.status == 0, "\(compat.stderr)")
    #expect(compat.stderr.contains("were fed to the model as 0 instead of the tied value"))
    let fed = (try CLI.json(compat.stdout)["explanations"] as! [[String: Any]]).map { $0["zero_fed_values"] as! Int }
    #expect(fed.allSatisfy { $0 > 50 })  // 40% of 299 samples land in the tied bin a <= 1
    let plain = try CLI.run(args)
    #expect(plain.status == 0)
    #expect(!plain.stderr.contains("fed to the model as 0"))
    #expect((try CLI.json(plain.stdout)["explanations"] as! [[String: Any]]).allSatisfy { $0["zero_fed_values"] as! Int == 0 })
  }

  // MARK: bad input

  @Test func unknownStudentNamesTheClosestIds() throws {
    let r = try Self.explain(["--student", "1000"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("no student '1000'"))
    #expect(r.stderr.contains("closest ids: '100'"))
    #expect(r.stdout.isEmpty)
  }

  @Test func numFeaturesAboveTheFeatureCountIsAUsageError() throws {
    let r = try Self.explain(["--student", "7", "--num-features", "12"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--num-features 12 is more than the 11 feature columns"))
  }

  @Test func constantColumnMissingValuesAndTooFewRows() throws {
    let dir = try CLI.temporaryDirectory()
    let model = try CLI.write(#"{"type":"logistic","features":["a","b"],"coefficients":[1,2],"intercept":0}"#, "m.json", in: dir)
    let constant = try CLI.write("id,a,b\n1,3,1\n2,3,2\n3,3,5\n", "c.csv", in: dir)
    // A constant column is explained as lime does it: the student's bin in every sample, weight exactly 0.
    var r = try CLI.run(["explain", "--features", constant, "--id", "id", "--model", model, "--student", "1",
                         "--num-features", "2", "--feature-selection", "none", "--format", "json"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("'a' has one value in every row: every sample keeps the student's bin, so its weight is 0"))
    let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
    let features = try #require(((doc["explanations"] as? [[String: Any]])?.first?["features"]) as? [[String: Any]])
    let a = try #require(features.first { $0["feature"] as? String == "a" })
    #expect((a["weight"] as? NSNumber)?.doubleValue == 0 && a["direction"] as? String == "0" && a["condition"] as? String == "a <= 3.00")
    #expect(((doc["warnings"] as? [String]) ?? []).contains { $0.contains("'a' has one value in every row") })
    // Without a discretizer, scikit-learn's scaler gives it scale 1 and samples vary it by N(0, 1).
    r = try CLI.run(["explain", "--features", constant, "--id", "id", "--model", model, "--student", "1",
                     "--num-features", "1", "--discretizer", "none"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("samples vary it by N(0, 1) around that value"))
    // A column whose sums overflow is located at its header cell.
    let huge = try CLI.write("id,a,b\n1,1.6e308,1\n2,1.7e308,2\n3,1.5e308,5\n", "h.csv", in: dir)
    r = try CLI.run(["explain", "--features", huge, "--id", "id", "--model", model, "--student", "1", "--num-features", "1"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("h.csv:1:4: feature 'a': its mean or standard deviation over the 3 rows is not a finite number"), "\(r.stderr)")
    let missing = try CLI.write("id,a,b\n1,3,1\n2,,2\n3,4,5\n", "m.csv", in: dir)
    r = try CLI.run(["explain", "--features", missing, "--id", "id", "--model", model, "--student", "1", "--num-features", "1"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("m.csv:3:"))
    #expect(r.stderr.contains("missing values"))
    // explain has no --drop-missing: the hint names what it does have.
    #expect(r.stderr.contains("fill the cells, or leave the columns out with --columns or --exclude"))
    #expect(!r.stderr.contains("--drop-missing"))
    let one = try CLI.write("id,a,b\n1,3,1\n", "o.csv", in: dir)
    r = try CLI.run(["explain", "--features", one, "--id", "id", "--model", model, "--student", "1", "--num-features", "1"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("LIME needs at least 2"))
  }

  /// Writes a Python model function for `model_worker.py --python` and runs explain with it.
  static func worker(_ body: String, extra: [String] = [], output: String? = nil) throws -> CLIResult {
    let dir = try CLI.temporaryDirectory()
    let file = try CLI.write("import sys, time, os\n" + body + "\n", "user_model.py", in: dir)
    var args = ["explain", "--features", fc, "--id", "user", "--columns",
                "sessions,time_in_problem,submissions", "--student", "7", "--num-features", "2", "--num-samples", "200",
                "--model-command", "python3 Examples/engines/model_worker.py --python \(file):predict"] + extra
    if let o = output { args += ["--output", o] }
    return try CLI.run(args)
  }

  @Test func workerAnsweringTheWrongShapeIsReported() throws {
    var r = try Self.worker("def predict(rows):\n    return [[0.5, 0.5] for _ in rows[1:]]")
    #expect(r.status == 65)
    #expect(r.stderr.contains("answered 199 rows for a request of 200"))
    r = try Self.worker("def predict(rows):\n    return [[0.2, 0.3, 0.5] for _ in rows]", extra: ["--class-names", "fail,pass"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("answered 3 classes per row, expected 2"))
    // Without --class-names the first answer fixes the number of classes for every later one.
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("never.json").path
    r = try Self.worker("""
      calls = [0]
      def predict(rows):
          calls[0] += 1
          return [[0.4, 0.6] if calls[0] == 1 else [0.2, 0.3, 0.5] for _ in rows]
      """, extra: ["--student", "7,12", "--batch", "1", "--class", "0", "--format", "json"], output: out)
    #expect(r.status == 65)
    #expect(r.stderr.contains("answered 3 classes per row after answering 2 before"))
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  /// A linear model's value is offset by 1e9: the weights are those of the offset-free model, and a column
  /// whose bin never changes (≥ 75 % of the rows at its maximum, so every row is in the first bin) gets
  /// exactly 0 and is never chosen. Before the design was centred, it came first with weight 0.28.
  @Test func largeModelValuesChangeOnlyTheIntercept() throws {
    let dir = try CLI.temporaryDirectory()
    var csv = "id,m,a,b\n"
    for i in 0..<200 {
      let m = i % 7 == 3 ? Double(i % 5) : 5.0
      csv += "u\(i),\(m),\(Double((i * 37) % 101) / 9),\((i * 13) % 6)\n"
    }
    let features = try CLI.write(csv, "f.csv", in: dir)
    func run(_ intercept: String) throws -> [String: Any] {
      let model = try CLI.write(
        #"{"type":"linear","features":["m","a","b"],"coefficients":[[0.6,0.3,0.0]],"intercept":["# + intercept + "]}",
        "m\(intercept).json", in: dir)
      let r = try CLI.run(["explain", "--features", features, "--id", "id", "--model", model, "--student", "u0",
                           "--num-features", "2", "--feature-selection", "highest-weights", "--format", "json"])
      #expect(r.status == 0, "\(r.stderr)")
      let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
      #expect(doc["model_output"] as? String == "prediction")
      return try #require((doc["explanations"] as? [[String: Any]])?.first)
    }
    let plain = try run("0"), offset = try run("1e9")
    let names = { (e: [String: Any]) in ((e["features"] as? [[String: Any]]) ?? []).compactMap { $0["feature"] as? String } }
    #expect(names(plain) == ["a", "b"] && names(offset) == ["a", "b"])
    let weights = { (e: [String: Any]) in ((e["features"] as? [[String: Any]]) ?? []).compactMap { ($0["weight"] as? NSNumber)?.doubleValue } }
    // The answers themselves are rounded to 1.2e-7 (the spacing of doubles at 1e9).
    for (u, v) in zip(weights(plain), weights(offset)) { #expect(abs(u - v) < 1e-7, "\(u) vs \(v)") }
    // The readable table names the model's output a prediction, not a probability.
    let model = try CLI.write(#"{"type":"linear","features":["m","a","b"],"coefficients":[[0.6,0.3,0.0]],"intercept":[1]}"#, "l.json", in: dir)
    let r = try CLI.run(["explain", "--features", features, "--id", "id", "--model", model, "--student", "u0", "--num-features", "2"])
    #expect(r.stdout.contains("weight = change of the model's prediction when the condition holds"))
    #expect(r.stdout.contains("model prediction") && !r.stdout.contains("probability"))
    let bad = try CLI.run(["explain", "--features", features, "--id", "id", "--model", model, "--student", "u0", "--class", "1"])
    #expect(bad.status == 64 && bad.stderr.contains("the model has 1 output (a linear model's one prediction); leave out --class"))
  }

  /// With a kernel so narrow that only the student's own sample keeps a weight, R² is 0/0: undefined, with
  /// the reason (scikit-learn would print 1.0).
  @Test func scoreIsUndefinedWhenOnlyTheStudentCarriesWeight() throws {
    let r = try Self.explain(["--student", "7", "--num-features", "3", "--discretizer", "none", "--kernel-width", "1e-160",
                              "--format", "csv"])
    #expect(r.status == 0, "\(r.stderr)")
    let rows = r.stdout.split(separator: "\n").dropFirst()
    #expect(!rows.isEmpty && rows.allSatisfy { $0.contains(",undefined,every sample whose answer differs from the student's has kernel weight 0") })
  }

  @Test func probabilitiesOutOfRangeFailAndNotSummingToOneWarns() throws {
    var r = try Self.worker("def predict(rows):\n    return [[-0.5, 1.5] for _ in rows]")
    #expect(r.status == 65)
    #expect(r.stderr.contains("probabilities must be finite and in [0, 1]"))
    r = try Self.worker("def predict(rows):\n    return [[float('nan'), 0.5] for _ in rows]")
    #expect(r.status == 65)
    r = try Self.worker("def predict(rows):\n    return [[0.5, 0.6 - 0.0001 * (i % 3)] for i, _ in enumerate(rows)]")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("do not sum to 1"))
    // Within np.allclose's tolerance (1e-8 + 1e-5) lime stays silent, and so does explain.
    r = try Self.worker("def predict(rows):\n    return [[0.4, 0.6 + 5e-6] for _ in rows]")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(!r.stderr.contains("do not sum to 1"))
  }

  @Test func workerCrashNamesTheCommandAndItsStderr() throws {
    let dir = try CLI.temporaryDirectory()
    let out = dir.appendingPathComponent("result.txt").path
    let r = try Self.worker("def predict(rows):\n    raise RuntimeError('model file is corrupt')", output: out)
    #expect(r.status == 65)
    #expect(r.stderr.contains("model worker 'python3 Examples/engines/model_worker.py"))
    #expect(r.stderr.contains("RuntimeError: model file is corrupt"))
    #expect(!FileManager.default.fileExists(atPath: out))
    let missing = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--student", "7",
                               "--model-command", "no-such-program-xyz --serve"])
    #expect(missing.status == 64)
    #expect(missing.stderr.contains("cannot start the model worker 'no-such-program-xyz --serve'"))
  }

  @Test func hangingWorkerIsKilledAfterTheTimeoutAndReaped() throws {
    let dir = try CLI.temporaryDirectory()
    let pidFile = dir.appendingPathComponent("pid").path
    let start = Date()
    let r = try Self.worker("""
      def predict(rows):
          open(\(String(reflecting: pidFile)), 'w').write(str(os.getpid()))
          sys.stderr.write('loading weights...\\n'); sys.stderr.flush()
          time.sleep(300)
      """, extra: ["--timeout", "1"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("did not answer within 1 s"))
    #expect(r.stderr.contains("loading weights..."))
    #expect(Date().timeIntervalSince(start) < 30)
    let pid = Int32(try String(contentsOfFile: pidFile, encoding: .utf8))!
    #expect(kill(pid, 0) == -1)  // gone: killed and reaped
  }

  @Test func modelFileErrors() throws {
    let dir = try CLI.temporaryDirectory()
    let bad = try CLI.write(#"{"type":"logistic","features":["sessions"],"coefficients":[1,2]}"#, "bad.json", in: dir)
    var r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", bad, "--student", "7"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("bad.json:1:59: coefficient row has 2 value(s) for 1 feature(s)"), "\(r.stderr)")
    let other = try CLI.write(#"{"type":"logistic","features":["nope"],"coefficients":[1]}"#, "o.json", in: dir)
    r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", other, "--student", "7"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("the model's feature 'nope' is not a column"))
    let infinite = try CLI.write(#"{"type":"logistic","features":["sessions","submissions"],"coefficients":[[1e400,2]]}"#, "inf.json", in: dir)
    r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", infinite, "--student", "7"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("inf.json:1:75: coefficient of 'sessions' is inf, not a finite number"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    let twice = try CLI.write(#"{"type":"logistic","features":["sessions","sessions"],"coefficients":[[1,2]]}"#, "twice.json", in: dir)
    r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--model", twice, "--student", "7"])
    #expect(r.status == 65)
    #expect(r.stderr.contains("twice.json:1:43: feature 'sessions' is listed twice in 'features' (positions 1 and 2)"), "\(r.stderr)")
    r = try CLI.run(["explain", "--features", Self.fc, "--id", "user", "--columns", "sessions,submissions,sessions",
                     "--model-command", "python3 Examples/engines/model_worker.py m.json", "--student", "7"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--columns names 'sessions' twice"))
  }

  /// A model whose probability does not move over the neighbourhood: the surrogate's R² is 0/0,
  /// reported as undefined with its reason in every format (lime prints 0.0 or 1.0 by rounding).
  @Test func constantModelAnswersGiveAnUndefinedScore() throws {
    let dir = try CLI.temporaryDirectory()
    let flat = try CLI.write(#"{"type":"logistic","features":["sessions","submissions"],"coefficients":[[0,0]],"intercept":[-0.85]}"#, "flat.json", in: dir)
    let base = ["explain", "--features", Self.fc, "--id", "user", "--model", flat, "--student", "7,12", "--num-samples", "300"]
    let run = try CLI.run(base + ["--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let json = try CLI.json(run.stdout)
    let explanations = try #require(json["explanations"] as? [[String: Any]])
    #expect(explanations.count == 2)
    for e in explanations {
      #expect(e["score"] is NSNull)
      let reason = try #require(e["score_undefined_reason"] as? String)
      #expect(reason.hasPrefix("the model answered the same value (0.29943285752602705) for every sample"))
    }
    let table = try CLI.run(base)
    #expect(table.status == 0)
    #expect(table.stdout.contains("7: score undefined — the model answered the same value"))
    let csv = try CLI.run(base + ["--format", "csv"])
    let rows = csv.stdout.split(separator: "\n").dropFirst()
    #expect(!rows.isEmpty)
    #expect(rows.allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[12] == "undefined" })
    // The reason is in the CSV too, in the column after the score.
    #expect(rows.allSatisfy {
      $0.split(separator: ",", omittingEmptySubsequences: false)[13].hasPrefix("the model answered the same value (0.29943285752602705)")
        || $0.split(separator: ",", omittingEmptySubsequences: false)[13].hasPrefix("\"the model answered the same value (0.29943285752602705)")
    }, "\(rows.first ?? "")")
  }
}
