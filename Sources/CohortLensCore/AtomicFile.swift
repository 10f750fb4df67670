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
  /// `path` that was not there before. The temporary file is registered with ``InterruptCleanup``
  /// while it exists, so an interrupted run (SIGINT/SIGTERM/SIGHUP, once the tool installed the
  /// handler) removes it too. O(bytes).
  /// With `sync: false` both `fsync` calls are skipped: the write is still all-or-nothing for readers and on
  /// any failure of the process (temporary file + `rename`), but after an operating-system crash or power
  /// loss the file may be missing or empty (for derived outputs that are cheap to recompute).
  /// - Throws: `OutputError` naming `path` and the failing step.
  public static func write(_ bytes: [UInt8], to path: String, sync: Bool = true) throws {
    let directory = FileIO.directory(of: path)
    let temp = try temporaryPath(for: path, tag: "tmp")
    let registration = InterruptCleanup.register(temp)
    defer { InterruptCleanup.unregister(registration) }
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
    pauseForInterruptTests()
    if sync && failure == nil && fsync(fd) != 0 { failure = "fsync failed: " + FileIO.errorText(errno) }
    if close(fd) != 0 && failure == nil { failure = "close failed: " + FileIO.errorText(errno) }
    if failure == nil && rename(temp, path) != 0 { failure = "rename failed: " + FileIO.errorText(errno) }
    if let failure {
      unlink(temp)
      throw OutputError(path: path, message: failure)
    }
    guard sync else { return }
    let dfd = open(directory, O_RDONLY | O_CLOEXEC)
    if dfd >= 0 {
      _ = fsync(dfd)
      close(dfd)
    }
  }

  /// Writes several files that belong together (e.g. `D.npy` and `D.ids.txt`): every file is first
  /// written and synced to its own temporary file; only when all are complete are they renamed into
  /// place, so a failure while writing leaves none of them behind. `sync` as in `write(_:to:sync:)`.
  public static func write(files: [(path: String, bytes: [UInt8])], sync: Bool = true) throws {
    // Staged files are removed if the run is interrupted before they are all renamed.
    var registrations: [InterruptCleanup.Token?] = []
    defer { for r in registrations { InterruptCleanup.unregister(r) } }
    let staged = try stage(files, sync: sync, registrations: &registrations)
    try renameAll(staged)
  }

  /// Writes each file to a temporary file beside it (registered with `InterruptCleanup` through
  /// `registrations`); on a failure removes the ones already written and rethrows.
  static func stage(
    _ files: [(path: String, bytes: [UInt8])], sync: Bool, registrations: inout [InterruptCleanup.Token?]
  ) throws -> [(temp: String, path: String)] {
    var staged: [(temp: String, path: String)] = []
    do {
      for f in files {
        let temp = try temporaryPath(for: f.path, tag: "staged")
        registrations.append(InterruptCleanup.register(temp))
        try write(f.bytes, to: temp, sync: sync)
        staged.append((temp, f.path))
      }
    } catch {
      for s in staged { unlink(s.temp) }
      throw error
    }
    return staged
  }

  /// A hidden temporary name beside `path`, `.<name>.<tag>-<pid>-<random>`, so that the rename
  /// onto `path` stays within one directory (atomic). Throws an `OutputError` when `path` names no
  /// file (empty, or ending in `/`).
  static func temporaryPath(for path: String, tag: String) throws -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard !base.isEmpty, !path.hasSuffix("/") else { throw OutputError(path: path, message: "not a file path") }
    let prefix = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    return prefix + ".\(base).\(tag)-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
  }

  /// Renames every staged temporary file onto its path, in order; on a failure removes the
  /// temporary files not yet renamed and throws an `OutputError` naming the path.
  static func renameAll(_ staged: [(temp: String, path: String)]) throws {
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

/// Test hook: with `COHORTLENS_TEST_PAUSE_BEFORE_RENAME=<milliseconds>` in the environment, every
/// atomic write sleeps that long after writing its temporary file and before renaming it (at most
/// 60 s), so that tests can interrupt a run exactly while a temporary file exists. Unset in normal
/// use (one `getenv` per write).
private func pauseForInterruptTests() {
  guard let value = getenv("COHORTLENS_TEST_PAUSE_BEFORE_RENAME"), let ms = Int(String(cString: value)), ms > 0 else { return }
  usleep(useconds_t(min(ms, 60_000)) * 1000)
}

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif
