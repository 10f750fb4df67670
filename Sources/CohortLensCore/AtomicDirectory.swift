#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// All-or-nothing output of a folder of files (a report): readers see the old folder or the
/// complete new one, never a half-written mix.
///
/// Steps: create `.<name>.tmp-<pid>-<random>` beside the target, write every file into it
/// (sub-folders created as needed), then swap it into place: `rename(2)` when the target does not
/// exist or is an empty folder; otherwise the old folder is first renamed aside
/// (`.<name>.old-…`), the new one renamed into place and the old one removed. On any failure before
/// the swap the temporary folder is removed and the target is untouched. The temporary folder and
/// everything written into it are registered with ``InterruptCleanup`` until the swap, so an
/// interrupted run removes them (up to the table's capacity; see there).
public enum AtomicDirectory {
  /// What is at a path.
  public enum State: Equatable, Sendable {
    case missing, emptyDirectory, nonEmptyDirectory, notADirectory
  }

  /// The state of `path`.
  public static func state(of path: String) -> State {
    var st = stat()
    guard stat(path, &st) == 0 else { return .missing }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return .notADirectory }
    return entries(of: path).isEmpty ? .emptyDirectory : .nonEmptyDirectory
  }

  /// Names in the folder `path` (without `.` and `..`); empty when it cannot be read.
  public static func entries(of path: String) -> [String] {
    guard let dir = opendir(path) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafePointer(to: entry.pointee.d_name) {
        $0.withMemoryRebound(to: CChar.self, capacity: Int(NAME_MAX) + 1) { String(cString: $0) }
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  /// Writes `files` (relative path → bytes) as the folder `path`, replacing what is there.
  /// The caller decides beforehand whether replacing an existing folder is allowed.
  /// - Throws: `OutputError` naming the path and the failing step.
  public static func write(_ files: [(path: String, bytes: [UInt8])], to path: String) throws {
    var target = path
    while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
    let parent = FileIO.directory(of: target)
    let base = target.split(separator: "/").last.map(String.init) ?? target
    guard !base.isEmpty, base != ".", base != ".." else {
      throw OutputError(path: path, message: "not a folder path that can be replaced; name a folder such as report/")
    }
    let prefix = target.lastIndex(of: "/").map { String(target[...$0]) } ?? ""
    let tag = "\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
    let temp = prefix + ".\(base).tmp-\(tag)"
    var registrations = [InterruptCleanup.register(temp, kind: .directory)]
    defer { for r in registrations.reversed() { InterruptCleanup.unregister(r) } }
    guard mkdir(temp, 0o755) == 0 else {
      throw OutputError(path: path, message: "cannot create a folder in '\(parent)': " + FileIO.errorText(errno))
    }
    do {
      for file in files {
        let parts = file.path.split(separator: "/").map(String.init)
        guard !parts.isEmpty, !parts.contains(".."), !file.path.hasPrefix("/") else {
          throw OutputError(path: path + "/" + file.path, message: "not a relative file path")
        }
        var dir = temp
        for part in parts.dropLast() {
          dir += "/" + part
          if mkdir(dir, 0o755) == 0 {
            registrations.append(InterruptCleanup.register(dir, kind: .directory))
          } else if errno != EEXIST {
            throw OutputError(path: dir, message: "cannot create the folder: " + FileIO.errorText(errno))
          }
        }
        registrations.append(InterruptCleanup.register(temp + "/" + file.path))
        try AtomicFile.write(file.bytes, to: temp + "/" + file.path)
      }
    } catch {
      removeTree(temp)
      throw error
    }
    switch state(of: target) {
    case .missing, .emptyDirectory:
      if rename(temp, target) != 0 {
        let reason = FileIO.errorText(errno)
        removeTree(temp)
        throw OutputError(path: path, message: "cannot move the finished report into place: " + reason)
      }
    case .nonEmptyDirectory, .notADirectory:
      let old = prefix + ".\(base).old-\(tag)"
      guard rename(target, old) == 0 else {
        let reason = FileIO.errorText(errno)
        removeTree(temp)
        throw OutputError(path: path, message: "cannot move the previous folder aside: " + reason)
      }
      guard rename(temp, target) == 0 else {
        let reason = FileIO.errorText(errno)
        _ = rename(old, target)
        removeTree(temp)
        throw OutputError(path: path, message: "cannot move the finished report into place: " + reason)
      }
      removeTree(old)
    }
  }

  /// Removes `path` and everything below it (best effort; symbolic links are removed, not followed).
  public static func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      for name in entries(of: path) { removeTree(path + "/" + name) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}
