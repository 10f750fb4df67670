#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All-or-nothing file output: readers see either the old file or the complete new one.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  ///
  /// Steps: create `.<name>.tmp-<pid>-<random>` in the target's directory (`O_EXCL`, mode 0644
  /// minus umask), write everything, `fsync`, `close`, `rename(2)` over `path`, then `fsync` the
  /// directory (best effort). On any failure the temporary file is removed and nothing is left at
  /// `path` that was not there before. O(bytes).
  /// - Throws: `OutputError` naming `path` and the failing step.
  public static func write(_ bytes: [UInt8], to path: String) throws {
    let directory = FileIO.directory(of: path)
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard !base.isEmpty, !path.hasSuffix("/") else {
      throw OutputError(path: path, message: "not a file path")
    }
    let prefix = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    let temp = prefix + ".\(base).tmp-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
    let fd = open(temp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
      throw OutputError(path: path, message: "cannot create a file in '\(directory)': " + FileIO.errorText(errno))
    }
    var failure: String? = nil
    bytes.withUnsafeBytes { raw in
      var done = 0
      while done < raw.count {
        let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          failure = "write failed: " + FileIO.errorText(errno)
          return
        }
        done += n
      }
    }
    if failure == nil && fsync(fd) != 0 { failure = "fsync failed: " + FileIO.errorText(errno) }
    if close(fd) != 0 && failure == nil { failure = "close failed: " + FileIO.errorText(errno) }
    if failure == nil && rename(temp, path) != 0 { failure = "rename failed: " + FileIO.errorText(errno) }
    if let failure {
      unlink(temp)
      throw OutputError(path: path, message: failure)
    }
    let dfd = open(directory, O_RDONLY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }

  /// Writes several files that belong together (e.g. `D.npy` and `D.ids.txt`): every file is first
  /// written and synced to its own temporary file; only when all are complete are they renamed into
  /// place, so a failure while writing leaves none of them behind.
  public static func write(files: [(path: String, bytes: [UInt8])]) throws {
    var staged: [(temp: String, path: String)] = []
    do {
      for f in files {
        let base = f.path.split(separator: "/").last.map(String.init) ?? f.path
        let prefix = f.path.lastIndex(of: "/").map { String(f.path[...$0]) } ?? ""
        let temp = prefix + ".\(base).staged-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
        try write(f.bytes, to: temp)
        staged.append((temp, f.path))
      }
    } catch {
      for s in staged { unlink(s.temp) }
      throw error
    }
    for (i, s) in staged.enumerated() where rename(s.temp, s.path) != 0 {
      let reason = FileIO.errorText(errno)
      for rest in staged[i...] { unlink(rest.temp) }
      throw OutputError(path: s.path, message: "rename failed: " + reason)
    }
  }

  /// Writes the UTF-8 encoding of `text` to `path` atomically (see `write(_:to:)-[UInt8]`).
  public static func write(_ text: String, to path: String) throws {
    try write(Array(text.utf8), to: path)
  }
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
