import CohortLensCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Bounded memory, interrupted runs and thread-count determinism of the `cohortlens` binary.
@Suite("hardening", .serialized)
struct HardeningCLITests {
  /// A feature table of `n` learners in three loose groups (deterministic, no RNG needed).
  static func featureTable(_ n: Int, in dir: URL) throws -> String {
    var text = "id,a,b,c\n"
    for i in 0..<n {
      let g = Double(i % 3)
      let a = g * 2 + sin(Double(i) * 0.37)
      let b = -g + cos(Double(i) * 0.11) * 0.8
      let c = Double((i * 7919) % 1000) / 1000
      text += "s\(i),\(a),\(b),\(c)\n"
    }
    return try CLI.write(text, "features-\(n).csv", in: dir)
  }

  /// Names in `dir` other than the inputs: outputs and any `.name.tmp-…` left behind.
  static func leftovers(in dir: URL, besides inputs: Set<String>) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { !inputs.contains($0) }.sorted()
  }

  /// A hostile, deeply nested audit configuration or explain model file is a located error (exit 64 and 65), not a
  /// stack overflow of the configuration reader (signal 11).
  @Test func deeplyNestedConfigurationsAreErrorsNotCrashes() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let n = 100_000
    let config = try CLI.write(String(repeating: "[", count: n) + String(repeating: "]", count: n), "deep.json", in: dir)
    let audit = try CLI.run(["audit", "--config", config, "--out", dir.appendingPathComponent("out").path, "--check"])
    #expect(audit.status == 64, "\(audit.stderr)")
    #expect(audit.stderr.hasPrefix(config + ":1:101: lists and mappings are nested more than 100 levels deep here"), "\(audit.stderr)")
    let indented = try CLI.write((0..<5000).map { String(repeating: " ", count: $0) + "a:" }.joined(separator: "\n") + " 1\n", "deep.yaml", in: dir)
    let block = try CLI.run(["audit", "--config", indented, "--out", dir.appendingPathComponent("out").path, "--check"])
    #expect(block.status == 64, "\(block.stderr)")
    #expect(block.stderr.hasPrefix(indented + ":101:101: lists and mappings are nested more than 100 levels deep here"), "\(block.stderr)")
    let features = try Self.featureTable(6, in: dir)
    let model = try CLI.write("{\"features\": " + String(repeating: "[", count: n) + String(repeating: "]", count: n) + "}", "model.json", in: dir)
    let explain = try CLI.run(["explain", "--features", features, "--id", "id", "--model", model, "--student", "s1"])
    #expect(explain.status == 65, "\(explain.stderr)")
    #expect(explain.stderr.contains("nested more than 100 levels deep"), "\(explain.stderr)")
    #expect(explain.stdout.isEmpty)
  }

  @Test func maxMemoryStopsBeforeTheAffinityAndWritesNothing() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let features = try Self.featureTable(2000, in: dir)
    let out = dir.appendingPathComponent("out.json").path
    let labels = dir.appendingPathComponent("labels.csv").path
    let r = try CLI.run(["cluster", "--features", features, "--id", "id", "--k", "2...4", "--max-memory", "1M",
                         "--format", "json", "--output", out, "--labels-out", labels])
    #expect(r.status == 64)
    #expect(r.stdout.isEmpty)
    // 2000 learners, iterative solver: 2 dense copies + thin parts ≈ 61.6 MiB.
    #expect(r.stderr.contains("clustering 2000 learners"), "\(r.stderr)")
    #expect(r.stderr.contains("needs about 61.6 MiB, more than the memory limit 1 MiB (--max-memory 1M)"), "\(r.stderr)")
    #expect(r.stderr.contains("cluster a random sample of the learners"), "\(r.stderr)")
    #expect(try Self.leftovers(in: dir, besides: ["features-2000.csv"]) == [])
    // The same run within the limit succeeds.
    let ok = try CLI.run(["cluster", "--features", features, "--id", "id", "--k", "2", "--max-memory", "1G",
                          "--format", "json", "--output", out])
    #expect(ok.status == 0, "\(ok.stderr)")
    #expect(FileManager.default.fileExists(atPath: out))
  }

  @Test func maxMemoryAppliesToPrecomputedMatrices() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let n = 300
    var text = "id," + (0..<n).map { "p\($0)" }.joined(separator: ",") + "\n"
    for i in 0..<n {
      text += "p\(i)," + (0..<n).map { j in i == j ? "1" : (i % 2 == j % 2 ? "0.9" : "0.1") }.joined(separator: ",") + "\n"
    }
    let matrix = try CLI.write(text, "w.csv", in: dir)
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", matrix, "--k", "2", "--max-memory", "100K"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("clustering 300 learners"), "\(r.stderr)")
    #expect(r.stderr.contains("--max-memory 100K"), "\(r.stderr)")
  }

  @Test func badMaxMemoryIsAUsageError() throws {
    let r = try CLI.run(["cluster", "--features", CLI.fixture("flipped-classroom/effort_features.csv"), "--id", "user",
                         "--columns", "effort_time,effort_clicks", "--k", "2", "--max-memory", "lots"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--max-memory 'lots' is not a memory size"), "\(r.stderr)")
  }

  /// Starts `cohortlens args…` in the package root, sends `signal` after `delay` seconds and
  /// returns how it ended.
  static func interrupt(_ args: [String], after delay: Double, signal: Int32, environment: [String: String] = [:])
    throws -> (reason: Process.TerminationReason, status: Int32, elapsed: Double)
  {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = args
    p.currentDirectoryURL = CLI.root
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_NUM_THREADS"] = "1"
    for (k, v) in environment { env[k] = v }
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    let start = Date()
    try p.run()
    Thread.sleep(forTimeInterval: delay)
    kill(p.processIdentifier, signal)
    p.waitUntilExit()
    return (p.terminationReason, p.terminationStatus, Date().timeIntervalSince(start))
  }

  @Test func sigtermDuringALongRunLeavesNoOutput() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let features = try Self.featureTable(6000, in: dir)
    let out = dir.appendingPathComponent("out.json").path
    let r = try Self.interrupt(["cluster", "--features", features, "--id", "id", "--k", "2...6", "--format", "json",
                                "--output", out], after: 1.5, signal: SIGTERM)
    #expect(r.reason == .uncaughtSignal && r.status == SIGTERM, "ended \(r.reason) \(r.status) after \(r.elapsed) s")
    #expect(try Self.leftovers(in: dir, besides: ["features-6000.csv"]) == [])
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func signalWhileTheTemporaryFileExistsRemovesIt(signal: Int32) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.json").path
    // An existing output must survive unchanged.
    try Data("previous\n".utf8).write(to: URL(fileURLWithPath: out))
    let args = ["cluster", "--features", CLI.fixture("flipped-classroom/effort_features.csv"), "--id", "user",
                "--columns", "effort_time,effort_clicks", "--k", "2", "--format", "json", "--output", out]
    // The write pauses 20 s between writing the temporary file and renaming it; the signal lands
    // inside that pause (the clustering itself takes well under a second on 288 learners), so the
    // temporary file exists at that moment and only the handler can remove it.
    var sawTemporary = false
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = args
    p.currentDirectoryURL = CLI.root
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["COHORTLENS_TEST_PAUSE_BEFORE_RENAME"] = "20000"
    p.environment = env
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    let deadline = Date().addingTimeInterval(15)
    while Date() < deadline {
      if try Self.leftovers(in: dir, besides: ["out.json"]).contains(where: { $0.hasPrefix(".out.json.tmp-") }) {
        sawTemporary = true
        break
      }
      Thread.sleep(forTimeInterval: 0.02)
    }
    kill(p.processIdentifier, signal)
    p.waitUntilExit()
    #expect(sawTemporary, "the temporary file never appeared")
    #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == signal)
    #expect(try Self.leftovers(in: dir, besides: ["out.json"]) == [])
    #expect(try String(contentsOfFile: out, encoding: .utf8) == "previous\n")
  }

  @Test func sigtermKillsAndReapsTheModelWorker() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let pidFile = dir.appendingPathComponent("pid").path
    let model = try CLI.write("""
      import os, time
      def predict(rows):
          open(\(String(reflecting: pidFile)), 'w').write(str(os.getpid()))
          time.sleep(300)
      """, "user_model.py", in: dir)
    let out = dir.appendingPathComponent("out.json").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = ["explain", "--features", ExplainCommandTests.fc, "--id", "user", "--columns",
                   "sessions,time_in_problem,submissions", "--student", "7", "--num-features", "2",
                   "--num-samples", "200", "--timeout", "120", "--format", "json", "--output", out,
                   "--model-command", "python3 Examples/engines/model_worker.py --python \(model):predict"]
    p.currentDirectoryURL = CLI.root
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    var workerPid: Int32 = 0
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline && workerPid == 0 {
      if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text) { workerPid = pid }
      Thread.sleep(forTimeInterval: 0.05)
    }
    #expect(workerPid > 0, "the worker never answered")
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGTERM)
    if workerPid > 0 {
      let alive = kill(workerPid, 0) == 0
      #expect(!alive, "the model worker \(workerPid) outlived cohortlens")
      if alive { kill(workerPid, SIGKILL) }
    }
    #expect(try Self.leftovers(in: dir, besides: ["pid", "user_model.py"]) == [])
  }

  /// Spectral results must not depend on `OPENBLAS_NUM_THREADS` (they did, in the last bits of
  /// the eigenvalues and scores, before the eigensolvers and the sweep were pinned to one BLAS
  /// thread). Both solvers, a k sweep and a single k (the single-k path used to keep BLAS threaded).
  /// Two mechanisms now guarantee it in the command — the pinning, and `BLASThreads.releaseWorkers()`
  /// at start-up — so this fails only if both are lost; the pinning alone is no longer checked
  /// through the command.
  @Test func sameSeedSameBytesWithOneOrTwoBLASThreads() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let features = try Self.featureTable(900, in: dir)
    for solver in ["dense", "iterative"] {
      for k in ["2...5", "3"] {
        var outputs: [String: String] = [:]
        for threads in ["1", "2"] {
          let r = try CLI.run(["cluster", "--features", features, "--id", "id", "--k", k, "--seed", "7",
                               "--eigensolver", solver, "--format", "json"],
                              environment: ["OPENBLAS_NUM_THREADS": threads])
          #expect(r.status == 0, "\(r.stderr)")
          #expect(r.stdout.contains("\"silhouette\""))
          outputs[threads] = r.stdout
        }
        #expect(outputs["1"] == outputs["2"], "solver \(solver), k \(k): JSON differs between 1 and 2 BLAS threads")
      }
    }
  }

  /// DTW clustering: `--threads 1` and `--threads 2` (the DTW engine's workers), each with 1 and 2
  /// BLAS threads, give the same bytes.
  @Test func dtwClusteringSameBytesForAnyThreadCount() throws {
    var outputs: Set<String> = []
    for (threads, blas) in [("1", "1"), ("2", "2"), ("2", "1"), ("1", "2")] {
      let r = try CLI.run(["cluster", "--series", CLI.fixture("flipped-classroom/time_series_fc.csv"), "--id", "user",
                           "--time", "week", "--value", "sessions,time_in_problem", "--radius", "3", "--k", "2...4",
                           "--seed", "3", "--threads", threads, "--format", "json"],
                          environment: ["OPENBLAS_NUM_THREADS": blas])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("\"silhouette\""))
      outputs.insert(r.stdout)
    }
    #expect(outputs.count == 1)
  }

  @Test func maxMemoryAppliesToSeriesClustering() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let out = dir.appendingPathComponent("out.json").path
    let r = try CLI.run(["cluster", "--series", CLI.fixture("flipped-classroom/time_series_fc.csv"), "--id", "user",
                         "--time", "week", "--value", "sessions", "--k", "2", "--max-memory", "10K", "--output", out])
    #expect(r.status == 64)
    #expect(r.stderr.contains("clustering 288 learners"), "\(r.stderr)")
    #expect(r.stderr.contains("more than the memory limit 10 KiB (--max-memory 10K)"), "\(r.stderr)")
    #expect(try Self.leftovers(in: dir, besides: []) == [])
  }
}
