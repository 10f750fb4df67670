import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// A model worker that starts processes of its own (a launcher's child, a process pool) must not leave them
/// behind: the worker leads its own process group, and a timeout, the end of the run and an interruption all
/// kill the whole group.
@Suite(.serialized) struct ExplainWorkerGroupTests {
  /// A worker that forks a grandchild first (it writes its pid to `grandchild.pid`, keeps the worker's pipes
  /// open and sleeps), then either never answers (`silent`; it writes `request` when a request arrived) or
  /// answers every request and exits at the end of its input (`answer`).
  static let worker = """
    import os, struct, sys, time
    here = os.path.dirname(os.path.abspath(__file__))
    if os.fork() == 0:
        with open(os.path.join(here, "grandchild.pid.tmp"), "w") as f:
            f.write(str(os.getpid()))
        os.rename(os.path.join(here, "grandchild.pid.tmp"), os.path.join(here, "grandchild.pid"))
        time.sleep(300)
        os._exit(0)
    mode = sys.argv[1]
    \(CLI.pythonWorkerIO)
    while True:
        header = read(12)
        if header is None:
            sys.exit(0)
        rows, cols = struct.unpack("<II", header[4:])
        read(8 * rows * cols)
        if mode == "silent":
            open(os.path.join(here, "request"), "w").close()
            time.sleep(300)
        values = []
        for r in range(rows):
            p = 0.3 + 0.4 * ((r * 7919) % 101) / 100.0
            values += [1.0 - p, p]
        stdout.write(b"CLA1" + struct.pack("<II", rows, 2) + struct.pack("<%dd" % len(values), *values))
        stdout.flush()
    """

  static func arguments(mode: String, dir: URL, extra: [String] = []) throws -> [String] {
    let script = try CLI.write(worker, "worker.py", in: dir)
    return ["explain", "--features", ExplainCommandTests.fc, "--id", "user", "--columns", "sessions,time_in_problem,submissions",
            "--student", "7", "--num-features", "2", "--num-samples", "200", "--format", "json",
            "--output", dir.appendingPathComponent("out.json").path, "--model-command", "python3 \(script) \(mode)"] + extra
  }

  /// The grandchild's pid, once it has written it (up to 30 s).
  static func grandchild(in dir: URL) -> Int32? {
    let path = dir.appendingPathComponent("grandchild.pid").path
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline {
      if let text = try? String(contentsOfFile: path, encoding: .utf8), let pid = Int32(text) { return pid }
      Thread.sleep(forTimeInterval: 0.05)
    }
    return nil
  }

  /// Whether `pid` still runs (a zombie waiting for a reaper has ended), giving a signal up to 2 s to land.
  static func running(_ pid: Int32) -> Bool {
    let deadline = Date().addingTimeInterval(2)
    while true {
      var alive = kill(pid, 0) == 0
      if alive, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
         let close = stat.lastIndex(of: ")") {
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        if state == "Z" || state == "X" { alive = false }
      }
      if !alive || Date() >= deadline { return alive }
      Thread.sleep(forTimeInterval: 0.05)
    }
  }

  /// Checks that the grandchild is gone (and kills it if not, so a failing run leaves nothing behind).
  static func expectGone(_ pid: Int32?, _ context: String) {
    guard let pid else {
      Issue.record("the worker's grandchild never started (\(context))")
      return
    }
    let alive = running(pid)
    #expect(!alive, "the worker's grandchild \(pid) outlived cohortlens (\(context))")
    if alive { kill(pid, SIGKILL) }
  }

  @Test func aTimeoutKillsTheWorkersWholeProcessGroup() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let start = Date()
    let r = try CLI.run(try Self.arguments(mode: "silent", dir: dir, extra: ["--timeout", "2"]))
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("did not answer within 2 s (--timeout) and was killed"), "\(r.stderr)")
    #expect(Date().timeIntervalSince(start) < 30)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))
    Self.expectGone(Self.grandchild(in: dir), "timeout")
  }

  @Test func theEndOfTheRunKillsWhatTheWorkerLeftRunning() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let r = try CLI.run(try Self.arguments(mode: "answer", dir: dir))
    #expect(r.status == 0, "\(r.stderr)")
    let out = try CLI.json(try String(contentsOfFile: dir.appendingPathComponent("out.json").path, encoding: .utf8))
    let explanations = out["explanations"] as? [[String: Any]]
    #expect(explanations?.count == 1 && (explanations?.first?["features"] as? [Any])?.count == 2)
    Self.expectGone(Self.grandchild(in: dir), "end of the run")
  }

  /// The worker starts with descriptors 0, 1 and 2 only: a descriptor cohortlens inherited (here 9, opened by the
  /// shell that execs cohortlens) is not passed on, so nothing the worker starts can hold a caller's pipe.
  @Test func theWorkerGetsNoDescriptorBeyondItsThreePipes() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = try CLI.write("""
      import os, sys
      extra = []
      for fd in range(3, 1024):
          try:
              os.fstat(fd)
              extra.append(fd)
          except OSError:
              pass
      sys.stderr.write("descriptors beyond 2: %r\\n" % extra)
      sys.exit(3)
      """, "fds.py", in: dir)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "exec 9</dev/null; exec \"$0\" \"$@\"", CLI.binary, "explain", "--features", ExplainCommandTests.fc,
                   "--id", "user", "--columns", "sessions,submissions", "--student", "7", "--num-samples", "50",
                   "--model-command", "python3 \(script)"]
    p.currentDirectoryURL = CLI.root
    let err = Pipe()
    p.standardOutput = FileHandle.nullDevice
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 65, "\(text)")
    #expect(text.contains("exited before answering a request of 50 rows (exit status 3)"), "\(text)")
    #expect(text.contains("descriptors beyond 2: []"), "\(text)")
  }

  @Test(arguments: [SIGTERM, SIGINT])
  func anInterruptionKillsTheWorkersWholeProcessGroup(signal: Int32) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: CLI.binary)
    p.arguments = try Self.arguments(mode: "silent", dir: dir, extra: ["--timeout", "120"])
    p.currentDirectoryURL = CLI.root
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let grandchild = Self.grandchild(in: dir)
    let request = dir.appendingPathComponent("request").path
    let deadline = Date().addingTimeInterval(30)
    while Date() < deadline && !FileManager.default.fileExists(atPath: request) { Thread.sleep(forTimeInterval: 0.05) }
    #expect(FileManager.default.fileExists(atPath: request), "the worker never received a request")
    kill(p.processIdentifier, signal)
    p.waitUntilExit()
    #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == signal)
    #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out.json").path))
    Self.expectGone(grandchild, "signal \(signal)")
  }
}
