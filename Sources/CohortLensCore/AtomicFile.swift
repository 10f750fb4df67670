#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All-or-nothing file output: readers see either the old file or the complete new one.
public enum AtomicFile {
  /// Writes `bytes` to `path` atomically.
  ///
  /// Steps: create `.<name>.tmp-<pid>-<random>` in the target's directory (`O_EXCL`; mode 0644 minus
  /// umask, or, when it replaces a regular file, that file's permission bits: see
  /// ``createTemporary(_:replacing:flags:mode:)``; `<name>` cut so that the name fits in 255 bytes), write
  /// everything, `fsync`, `close`, `rename(2)` over `path`, then `fsync` the
  /// directory (best effort). On any failure the temporary file is removed and nothing is left at
  /// `path` that was not there before. The temporary file is registered with ``InterruptCleanup``
  /// while it exists, so an interrupted run (SIGINT/SIGTERM/SIGHUP, once the tool installed the
  /// handler) removes it too. O(bytes).
  /// With `sync: false` both `fsync` calls are skipped: the write is still all-or-nothing for readers and on
  /// any failure of the process (temporary file + `rename`), but after an operating-system crash or power
  /// loss the file may be missing or empty (for derived outputs that are cheap to recompute).
  /// - Throws: `OutputError` naming `path` and the failing step.
  ///
  /// The destination is resolved first (see ``destination(of:)``): a symbolic link is followed and
  /// its target replaced (the link stays); a character device, FIFO or socket (`/dev/null`,
  /// `/dev/stdout`, a named pipe) is written in place, never replaced by a regular file; a
  /// directory is an error.
  public static func write(_ bytes: [UInt8], to requested: String, sync: Bool = true) throws {
    try write(bytes, to: requested, sync: sync, mode: nil)
  }

  /// `write(_:to:sync:)`; `mode`, when given, is the new file's permission bits (a file that replaces
  /// an existing one keeps that one's bits in any case).
  static func write(_ bytes: [UInt8], to requested: String, sync: Bool, mode: mode_t?) throws {
    let path: String
    switch try destination(of: requested) {
    case .stream(let p): return try writeStream(bytes, to: p)
    case .file(let p): path = p
    }
    let directory = FileIO.directory(of: path)
    let temp = try temporaryPath(for: path, tag: "tmp")
    let registration = InterruptCleanup.register(temp)
    defer { InterruptCleanup.unregister(registration) }
    let fd = createTemporary(temp, replacing: path, flags: O_WRONLY, mode: mode)
    guard fd >= 0 else {
      throw OutputError(path: path, message: "cannot create a file in '\(directory)': " + FileIO.errorText(errno))
    }
    var failure = writeAll(bytes, to: fd)
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

  /// Writes several files that belong together (`D.npy` and `D.ids.txt`; a report and its labels): all of them
  /// or none.
  ///
  /// Steps: every destination is resolved (``destination(of:)``) and checked (``checkWritable(_:)``) before
  /// anything is written; every regular file is then written (and, with `sync`, synced) to its own temporary
  /// file beside it; the streams (devices, FIFOs, `/dev/stdout`) are written in place; `beforeRenaming` runs
  /// (for an output that is not a file, e.g. the report on standard output); only then are the temporary
  /// files renamed into place and, with `sync`, their directories synced. A failure before the renames —
  /// a folder that does not exist, a full disk, a closed pipe, a throwing `beforeRenaming` — removes every
  /// temporary file and leaves each path as it was. (A stream written before a later failure keeps what it
  /// received: a device or pipe cannot be taken back.) Temporary files are registered with
  /// ``InterruptCleanup`` while they exist. O(total bytes).
  /// - Throws: `OutputError` naming the path and the failing step, or what `beforeRenaming` throws.
  public static func write(
    files: [(path: String, bytes: [UInt8])], sync: Bool = true, beforeRenaming: () throws -> Void = {}
  ) throws {
    let (regular, streams) = try partition(files)
    for f in regular { try checkWritable(f.path) }
    for f in streams { try checkWritable(f.path) }
    // Staged files are removed if the run is interrupted before they are all renamed.
    var registrations: [InterruptCleanup.Token?] = []
    defer { for r in registrations { InterruptCleanup.unregister(r) } }
    let staged = try stage(regular, sync: sync, registrations: &registrations)
    do {
      for s in streams { try writeStream(s.bytes, to: s.path) }
      try beforeRenaming()
    } catch {
      for s in staged { unlink(s.temp) }
      throw error
    }
    try renameAll(staged)
    if sync { syncDirectories(of: staged.map(\.path)) }
  }

  /// Checks, before anything is written, that `path` can be written: for a regular file (existing or not, links
  /// followed), that its folder exists, is a folder and is writable, and that its name fits the folder's
  /// file-name limit (`pathconf(_PC_NAME_MAX)`, 255 bytes on common file systems); for a device, FIFO or socket, that it is
  /// writable. Creates nothing. Commands call it for every output before their work, so that a mistyped folder
  /// fails at once; the writes check again (a folder can disappear meanwhile).
  /// - Throws: `OutputError` naming `path` and the reason (exit status 73).
  public static func checkWritable(_ requested: String) throws {
    switch try destination(of: requested) {
    case .stream(let p):
      if access(p, W_OK) != 0 {
        throw OutputError(path: p, message: "cannot open for writing: " + FileIO.errorText(errno))
      }
    case .file(let p):
      let directory = FileIO.directory(of: p)
      var st = stat()
      guard stat(directory, &st) == 0 else {
        throw OutputError(path: p, message: "cannot create a file in '\(directory)': " + FileIO.errorText(errno))
      }
      guard (st.st_mode & S_IFMT) == S_IFDIR else {
        throw OutputError(path: p, message: "cannot create a file in '\(directory)': " + FileIO.errorText(ENOTDIR))
      }
      if access(directory, W_OK | X_OK) != 0 {
        throw OutputError(path: p, message: "cannot create a file in '\(directory)': " + FileIO.errorText(errno))
      }
      // A name longer than the folder's file-name limit would only fail at the final rename, after the work
      // (and, for outputs written together, after the report went to standard output).
      let name = p.split(separator: "/").last.map(String.init) ?? p
      let limit = nameLimit(ofFolder: directory)
      if name.utf8.count > limit {
        throw OutputError(
          path: p,
          message: "the file name is \(name.utf8.count) bytes long, more than the \(limit) bytes a file name may have in '\(directory)'; choose a shorter name")
      }
    }
  }

  /// The longest file name (bytes) of the file system holding `directory` (`pathconf(_PC_NAME_MAX)`), or
  /// ``nameMax`` when the system does not say.
  public static func nameLimit(ofFolder directory: String) -> Int {
    let limit = pathconf(directory, Int32(_PC_NAME_MAX))
    return limit > 0 ? limit : nameMax
  }

  /// `fsync` of each distinct folder of `paths` (best effort), so that renames into them survive a crash.
  static func syncDirectories(of paths: [String]) {
    var done = Set<String>()
    for p in paths {
      let directory = FileIO.directory(of: p)
      guard done.insert(directory).inserted else { continue }
      let dfd = open(directory, O_RDONLY | O_CLOEXEC)
      if dfd >= 0 {
        _ = fsync(dfd)
        close(dfd)
      }
    }
  }

  /// Where the bytes for an output path go.
  public enum Destination: Equatable, Sendable {
    /// A regular file (existing or not) at this path, replaced atomically by temporary file + rename.
    case file(String)
    /// A character device, FIFO or socket at this path, opened and written in place.
    case stream(String)
  }

  /// Resolves an output path: an existing character device, FIFO or socket (followed through any
  /// links, e.g. `/dev/stdout` on a pipe), or an existing file named under `/dev/` or `/proc/`
  /// (`/dev/stdout` redirected to a file), is a ``Destination/stream``; otherwise symbolic links are
  /// followed (up to 40 levels, relative targets taken from the link's directory; a dangling link
  /// names the file to create), so the link survives and its target is replaced, a
  /// ``Destination/file``.
  /// - Throws: `OutputError` when the path is empty, names a directory (also one that does not exist: a
  /// path ending in `/`), or has a link loop.
  public static func destination(of path: String) throws -> Destination {
    guard !path.isEmpty else { throw OutputError(path: path, message: "no file name given; name the output file") }
    var st = stat()
    let exists = stat(path, &st) == 0  // follows every link, including /proc/self/fd/N
    if path.hasSuffix("/") && !exists {
      // A folder was meant: say what is wrong with it, as for the folder of a file.
      let reason = errno
      if reason == ENOENT {
        throw OutputError(path: path, message: "the folder '\(MessageText.visible(path))' does not exist; create it and name a file inside it")
      }
      throw OutputError(path: path, message: "cannot use the folder '\(MessageText.visible(path))': " + FileIO.errorText(reason))
    }
    if exists {
      switch st.st_mode & S_IFMT {
      case S_IFDIR: throw OutputError(path: path, message: "is a directory; name a file inside it")
      case S_IFREG:
        // An open descriptor named through /dev or /proc (/dev/stdout redirected to a file) is
        // written through, as the shell's redirection expects.
        if path.hasPrefix("/dev/") || path.hasPrefix("/proc/") { return .stream(path) }
      default: return .stream(path)
      }
    }
    var current = path
    for _ in 0..<40 {
      var st = stat()
      guard lstat(current, &st) == 0 else { return .file(current) }  // absent: created
      switch st.st_mode & S_IFMT {
      case S_IFLNK:
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(current, &buffer, buffer.count - 1)
        guard n > 0 else {
          throw OutputError(path: path, message: "cannot read the symbolic link: " + FileIO.errorText(errno))
        }
        let target = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") {
          current = target
        } else {
          let slash = current.lastIndex(of: "/")
          current = (slash.map { String(current[...$0]) } ?? "") + target
        }
      case S_IFDIR:
        throw OutputError(path: path, message: "is a directory; name a file inside it")
      case S_IFREG:
        return .file(current)
      default:
        return .stream(current)
      }
    }
    throw OutputError(path: path, message: "too many levels of symbolic links; name a regular file")
  }

  /// Writes `bytes` to an existing device, FIFO or socket in place (no temporary file, no `fsync`;
  /// `O_APPEND`, so `/dev/stdout` redirected with `>>` appends as the shell would).
  static func writeStream(_ bytes: [UInt8], to path: String) throws {
    let fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
    guard fd >= 0 else { throw OutputError(path: path, message: "cannot open for writing: " + FileIO.errorText(errno)) }
    var failure = writeAll(bytes, to: fd)
    if close(fd) != 0 && failure == nil { failure = "close failed: " + FileIO.errorText(errno) }
    if let failure { throw OutputError(path: path, message: failure) }
  }

  /// Writes all of `bytes` to `fd` (continuing after short writes and `EINTR`); the failure's text, or
  /// `nil`.
  static func writeAll(_ bytes: [UInt8], to fd: Int32) -> String? {
    bytes.withUnsafeBytes { raw -> String? in
      var done = 0
      while done < raw.count {
        let n = systemWrite(fd, raw.baseAddress! + done, raw.count - done)
        if n < 0 {
          if errno == EINTR { continue }
          return "write failed: " + FileIO.errorText(errno)
        }
        done += n
      }
      return nil
    }
  }

  /// `files` split by ``destination(of:)``: regular files (at their resolved paths) and streams.
  static func partition(
    _ files: [(path: String, bytes: [UInt8])]
  ) throws -> (regular: [(path: String, bytes: [UInt8])], streams: [(path: String, bytes: [UInt8])]) {
    var regular: [(path: String, bytes: [UInt8])] = []
    var streams: [(path: String, bytes: [UInt8])] = []
    for f in files {
      switch try destination(of: f.path) {
      case .file(let p): regular.append((p, f.bytes))
      case .stream(let p): streams.append((p, f.bytes))
      }
    }
    return (regular, streams)
  }

  /// Writes each file to a temporary file beside it (`O_EXCL`, mode as ``createTemporary(_:replacing:flags:mode:)``; synced with `sync`;
  /// registered with `InterruptCleanup` through `registrations`); on a failure removes the ones already
  /// written and throws an `OutputError` naming the file's path.
  static func stage(
    _ files: [(path: String, bytes: [UInt8])], sync: Bool, registrations: inout [InterruptCleanup.Token?]
  ) throws -> [(temp: String, path: String)] {
    var staged: [(temp: String, path: String)] = []
    do {
      for f in files {
        let temp = try temporaryPath(for: f.path, tag: "staged")
        registrations.append(InterruptCleanup.register(temp))
        let fd = createTemporary(temp, replacing: f.path, flags: O_WRONLY)
        guard fd >= 0 else {
          throw OutputError(path: f.path, message: "cannot create a file in '\(FileIO.directory(of: f.path))': "
            + FileIO.errorText(errno))
        }
        var failure = writeAll(f.bytes, to: fd)
        pauseForInterruptTests()
        if sync && failure == nil && fsync(fd) != 0 { failure = "fsync failed: " + FileIO.errorText(errno) }
        if close(fd) != 0 && failure == nil { failure = "close failed: " + FileIO.errorText(errno) }
        if let failure {
          unlink(temp)
          throw OutputError(path: f.path, message: failure)
        }
        staged.append((temp, f.path))
      }
    } catch {
      for s in staged { unlink(s.temp) }
      throw error
    }
    return staged
  }

  /// A hidden temporary name beside `path`, `.<name>.<tag>-<pid>-<random>`, so that the rename
  /// onto `path` stays within one directory (atomic); `<name>` is cut so that the whole name fits in
  /// 255 bytes (``hiddenName(_:suffix:)``). Throws an `OutputError` when `path` names no file (empty,
  /// or ending in `/`).
  static func temporaryPath(for path: String, tag: String) throws -> String {
    let base = path.split(separator: "/").last.map(String.init) ?? path
    guard !base.isEmpty, !path.hasSuffix("/") else { throw OutputError(path: path, message: "not a file path") }
    let prefix = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    return prefix + hiddenName(base, suffix: ".\(tag)-\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))")
  }

  /// The longest file name (bytes) of the file systems written to (`NAME_MAX` of Linux and macOS).
  static let nameMax = 255

  /// `.<base><suffix>`, with `base` cut at a Unicode scalar boundary so that the name fits in
  /// ``nameMax`` bytes; the suffix (which makes the name unique) is kept whole.
  static func hiddenName(_ base: String, suffix: String) -> String {
    let room = nameMax - 1 - suffix.utf8.count
    guard base.utf8.count > room else { return "." + base + suffix }
    var bytes = 0
    var kept = String.UnicodeScalarView()
    for u in base.unicodeScalars {
      let width = UTF8.width(u)
      if bytes + width > room { break }
      bytes += width
      kept.append(u)
    }
    return "." + String(kept) + suffix
  }

  /// The permission bits (`rwx` for user, group, others) of the regular file at `path` (links
  /// followed), or `nil` when there is none.
  static func permissions(of path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else { return nil }
    return st.st_mode & 0o777
  }

  /// Creates the temporary file `temp` (`O_CREAT | O_EXCL | O_CLOEXEC` and `flags`) for an output that will
  /// be renamed onto `path`. When `path` is an existing regular file, the new file gets its permission bits
  /// (`fchmod`, so the umask does not narrow them): replacing a file never widens who may read it (a 0600
  /// file stays 0600). Otherwise it gets `mode`, or 0644 minus the umask. The owner is the writing user (as for
  /// any new file). Returns the descriptor, or -1 with `errno` set.
  static func createTemporary(_ temp: String, replacing path: String, flags: Int32, mode: mode_t? = nil) -> Int32 {
    let kept = permissions(of: path)
    let wanted = kept ?? mode
    let fd = open(temp, flags | O_CREAT | O_EXCL | O_CLOEXEC, wanted ?? 0o644)
    if fd >= 0, let wanted { _ = fchmod(fd, wanted) }
    return fd
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
