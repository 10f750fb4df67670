import Foundation
import Testing

/// `Examples/engines/sklearn_worker.py` without scikit-learn: a pickled standard-library class
/// with `predict_proba` (helper module on PYTHONPATH) gives the same explanation as the built-in
/// JSON model with the same coefficients, and a `predict_proba` that raises is reported.
@Suite(.serialized) struct ExplainSklearnWorkerTests {
  static let fc = "Fixtures/flipped-classroom/aggregated_fc.csv"
  static let columns = ["sessions", "time_in_problem", "submissions", "clicks_weekend"]
  static let coefficients = [0.081, -0.000045, 0.032, -0.0021]
  static let intercept = -0.37

  /// The helper module: a logistic model and a model whose predict_proba raises.
  static let module = """
    import math


    class Logistic:
        def __init__(self, coef, intercept):
            self.coef = list(coef)
            self.intercept = intercept

        def predict_proba(self, X):
            out = []
            for row in X:
                z = self.intercept
                for c, v in zip(self.coef, row):
                    z += c * float(v)
                p = 1.0 / (1.0 + math.exp(-z))
                out.append([1.0 - p, p])
            return out


    class Broken:
        def predict_proba(self, X):
            raise ValueError("model expects 7 features, got %d" % len(X[0]))

    """

  /// Writes the helper module and pickles `expression` (built from it) into the directory.
  static func pickle(_ expression: String, to name: String, in dir: URL) throws -> String {
    _ = try CLI.write(module, "cl_test_models.py", in: dir)
    let path = dir.appendingPathComponent(name).path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c",
                   "import pickle, sys, cl_test_models as m\npickle.dump(\(expression), open(sys.argv[1], 'wb'))", path]
    var env = ProcessInfo.processInfo.environment
    env["PYTHONPATH"] = dir.path
    p.environment = env
    try p.run()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "pickling \(expression) failed")
    return path
  }

  static func run(_ model: [String], dir: URL, extra: [String] = [], environment: [String: String] = [:]) throws -> CLIResult {
    try CLI.run([
      "explain", "--features", fc, "--id", "user", "--columns", columns.joined(separator: ","),
      "--student", "7,12,40", "--num-features", "3", "--num-samples", "600", "--seed", "9", "--format", "json",
      "--batch", "2",
    ] + model + extra, environment: environment.merging(["PYTHONPATH": dir.path]) { $1 })
  }

  @Test func pickledModelMatchesTheBuiltInModel() throws {
    let dir = try CLI.temporaryDirectory()
    let json = try CLI.write("""
      {"type": "logistic", "features": [\(Self.columns.map { "\"\($0)\"" }.joined(separator: ", "))],
       "coefficients": [\(Self.coefficients.map { "\($0)" }.joined(separator: ", "))], "intercept": \(Self.intercept)}
      """, "model.json", in: dir)
    let pkl = try Self.pickle("m.Logistic(\(Self.coefficients), \(Self.intercept))", to: "model.pkl", in: dir)
    let builtIn = try Self.run(["--model", json], dir: dir)
    #expect(builtIn.status == 0, "\(builtIn.stderr)")
    let reference = try CLI.json(builtIn.stdout)["explanations"] as! [[String: Any]]
    #expect(reference.count == 3)
    // With NumPy if this python3 has it, and with the standard-library path in any case.
    for env in [[:], ["COHORTLENS_WORKER_NO_NUMPY": "1"]] {
      let r = try Self.run(["--model-command", "python3 Examples/engines/sklearn_worker.py \(pkl)"], dir: dir,
                           environment: env)
      #expect(r.status == 0, "\(r.stderr)")
      let got = try CLI.json(r.stdout)["explanations"] as! [[String: Any]]
      let worst = ExplainCommandTests.compare(got, reference)
      print("sklearn_worker \(env.isEmpty ? "default" : "stdlib") vs built-in model: max |diff| = \(worst)")
      #expect(worst <= 1e-12)
    }
  }

  @Test func predictProbaRaisingIsReportedWithTheCommandAndStderr() throws {
    let dir = try CLI.temporaryDirectory()
    let pkl = try Self.pickle("m.Broken()", to: "broken.pkl", in: dir)
    let out = dir.appendingPathComponent("explanations.json").path
    let command = "python3 Examples/engines/sklearn_worker.py \(pkl)"
    let r = try Self.run(["--model-command", command, "--output", out], dir: dir)
    #expect(r.status == 65)
    #expect(r.stderr.contains("model worker '\(command)'"), "\(r.stderr)")
    #expect(r.stderr.contains("ValueError: model expects 7 features, got 4"), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: out))
  }
}
