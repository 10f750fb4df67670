import Foundation
import Testing

/// Runs the built `cohortlens` binary and captures its output.
struct CLIResult {
  var status: Int32
  var stdout: String
  var stderr: String
}

enum CLI {
  /// Python for the model-bridge test workers (after `import sys`): binary `stdin` and `stdout`, and `read(n)`,
  /// exactly `n` bytes of the input or `None` at its end.
  static let pythonWorkerIO = """
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    def read(n):
        data = b""
        while len(data) < n:
            chunk = stdin.read(n - len(data))
            if not chunk:
                return None
            data += chunk
        return data
    """

  /// The package root (two levels above this file's folder).
  static let root: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Path of the `cohortlens` executable built next to the test bundle.
  static let binary: String = {
    let candidates = [
      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cohortlens"),
      Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("cohortlens"),
      Bundle.main.bundleURL.appendingPathComponent("cohortlens"),
      root.appendingPathComponent(".build/debug/cohortlens"),
    ]
    for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
    return candidates.last!.path
  }()

  static func fixture(_ relative: String) -> String { root.appendingPathComponent("Fixtures").appendingPathComponent(relative).path }

  /// Runs `cohortlens args…` in the package root with `OPENBLAS_NUM_THREADS=1`.
  static func run(_ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: binary)
    p.arguments = args
    p.currentDirectoryURL = root
    var env = ProcessInfo.processInfo.environment
    env["OPENBLAS_NUM_THREADS"] = "1"
    for (k, v) in environment { env[k] = v }
    p.environment = env
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    p.standardInput = FileHandle.nullDevice
    try p.run()
    // Read both pipes concurrently so a large output cannot block the child.
    nonisolated(unsafe) var errData = Data()
    let group = DispatchGroup()
    group.enter()
    DispatchQueue.global().async {
      errData = err.fileHandleForReading.readDataToEndOfFile()
      group.leave()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    group.wait()
    p.waitUntilExit()
    return CLIResult(
      status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// A fresh temporary directory for a test.
  static func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("cohortlens-tests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }

  /// Writes `text` to `name` inside `dir` and returns its path.
  static func write(_ text: String, _ name: String, in dir: URL) throws -> String {
    let url = dir.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url.path
  }

  /// Parses JSON output into Foundation objects.
  static func json(_ text: String) throws -> [String: Any] {
    let obj = try JSONSerialization.jsonObject(with: Data(text.utf8))
    guard let dict = obj as? [String: Any] else { throw CLIError("top-level JSON is not an object") }
    return dict
  }
}

struct CLIError: Error, CustomStringConvertible {
  let description: String
  init(_ d: String) { description = d }
}
