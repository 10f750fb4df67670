import Foundation
import Testing

/// A worker writes nothing to its stdout but one answer frame per request. Bytes after an answer — a stray print,
/// a second copy of the answer — stop the run with exit 65 and no output, wherever they land: before the next
/// request (they would be read as its answer), or after the last answer, up to the worker's exit.
@Suite(.serialized) struct ExplainWorkerStrayOutputTests {
  /// Answers every request with valid probabilities; `mode` adds stray output: `last N` writes `XTRA` 0.3 s after
  /// its N-th answer, `at-exit` writes `JUNK-AT-EOF` when its input ends, `clean` nothing.
  static let worker = """
    import struct, sys, time
    mode = sys.argv[1]
    \(CLI.pythonWorkerIO)
    count = 0
    while True:
        header = read(12)
        if header is None:
            if mode == "at-exit":
                stdout.write(b"JUNK-AT-EOF")
                stdout.flush()
            sys.exit(0)
        rows, cols = struct.unpack("<II", header[4:])
        read(8 * rows * cols)
        count += 1
        values = []
        for r in range(rows):
            p = 0.3 + 0.4 * ((r * 7919) % 101) / 100.0
            values += [1.0 - p, p]
        answer = b"CLA1" + struct.pack("<II", rows, 2) + struct.pack("<%dd" % len(values), *values)
        stdout.write(answer)
        stdout.flush()
        if mode == "last" and count == int(sys.argv[2]):
            time.sleep(0.3)
            stdout.write(b"XTRA")
            stdout.flush()
    """

  static func run(_ mode: String, in dir: URL) throws -> (result: CLIResult, output: String) {
    let script = try CLI.write(worker, "worker.py", in: dir)
    let output = dir.appendingPathComponent("out.json").path
    let r = try CLI.run(["explain", "--features", ExplainCommandTests.fc, "--id", "user",
                         "--columns", "sessions,time_in_problem,submissions", "--student", "7,12", "--batch", "1",
                         "--num-features", "2", "--num-samples", "200", "--format", "json", "--output", output,
                         "--model-command", "python3 \(script) \(mode)"])
    return (r, output)
  }

  @Test func bytesAfterTheLastAnswerStopTheRun() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (r, output) = try Self.run("last 2", in: dir)
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("wrote 4 byte(s) to its output after its last answer ('XTRA')"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: output))
  }

  @Test func bytesWrittenWhenTheInputEndsStopTheRun() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (r, output) = try Self.run("at-exit", in: dir)
    #expect(r.status == 65, "\(r.stderr)")
    #expect(r.stderr.contains("wrote 11 byte(s) to its output after its last answer ('JUNK-AT-EOF')"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: output))
  }

  @Test func aCleanWorkerStillSucceeds() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let (r, output) = try Self.run("clean", in: dir)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(FileManager.default.fileExists(atPath: output))
  }
}
