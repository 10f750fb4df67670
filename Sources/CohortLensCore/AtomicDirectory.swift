#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Output of a folder of files (a report) that never loses a file it was not told it may replace.
///
/// ``write(_:to:replacing:)`` first writes every file into a temporary folder, then puts them in place
/// in one of two ways:
///
/// - **Swap** (the target is missing, an empty folder, or holds only entries listed in `replacing`):
///   the temporary folder `.<name>.tmp-<pid>-<random>` beside the target is renamed into place
///   (`rename(2)`; an existing target is first renamed aside to `.<name>.old-…`, and afterwards only
///   its listed entries are removed). Readers see the old folder or the complete new one, never a mix.
/// - **Merge** (the target holds entries not listed in `replacing`): the files are staged in
///   `<target>/.<name>.tmp-…` and moved into the target one by one with `rename(2)` — each file is
///   replaced atomically, the set of files is not — then the listed entries that the new files did not
///   replace are removed. Unlisted entries are never removed or overwritten: when a new file's path (or
///   a folder on its way) is taken by an unlisted entry, the write throws before anything is moved.
///
/// Permissions: the new folder (swap) and each folder and file that takes the place of an existing one get
/// that one's permission bits (a 0700 report folder or a 0600 `report.json` stays so); new ones get 0755
/// and 0644 minus the umask. Temporary names are cut to fit in 255 bytes.
///
/// On any failure before the first rename the temporary folder is removed and the target is untouched.
/// The temporary folder and everything written into it are registered with ``InterruptCleanup`` until
/// they are moved, so an interrupted run removes them (up to the table's capacity; see there).
public enum AtomicDirectory {
  /// What is at a path.
  public enum State: Equatable, Sendable {
    case missing, emptyDirectory, nonEmptyDirectory, notADirectory
  }

  /// The state of `path` (a symbolic link is followed).
  public static func state(of path: String) -> State {
    var st = stat()
    guard stat(path, &st) == 0 else { return .missing }
    guard (st.st_mode & S_IFMT) == S_IFDIR else { return .notADirectory }
    return entries(of: path).isEmpty ? .emptyDirectory : .nonEmptyDirectory
  }

  /// What a path names, without following a symbolic link.
  public enum Kind: Equatable, Sendable {
    case missing, folder, file, symbolicLink, other
  }

  /// The kind of `path` itself (`lstat(2)`: a symbolic link is reported as one, not followed).
  public static func kind(of path: String) -> Kind {
    var st = stat()
    guard lstat(path, &st) == 0 else { return .missing }
    switch st.st_mode & S_IFMT {
    case S_IFDIR: return .folder
    case S_IFREG: return .file
    case S_IFLNK: return .symbolicLink
    default: return .other
    }
  }

  /// `path` without trailing `/`, and, when it is a symbolic link, the real path of what the link
  /// points to (all links resolved); `nil` when it is a link to nothing.
  public static func followingLink(_ path: String) -> String? {
    var target = path
    while target.count > 1 && target.hasSuffix("/") { target.removeLast() }
    guard kind(of: target) == .symbolicLink else { return target }
    guard let real = realpath(target, nil) else { return nil }
    defer { free(real) }
    return String(cString: real)
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

  /// The first entry of the folder `path` (relative path, depth-first in name order) that is not in
  /// `listed`; a listed real folder is looked into, anything else is not. `nil` when every entry is
  /// listed.
  public static func firstUnlisted(in path: String, listed: Set<String>) -> String? {
    func walk(_ relative: String) -> String? {
      for name in entries(of: relative.isEmpty ? path : path + "/" + relative) {
        let entry = relative.isEmpty ? name : relative + "/" + name
        guard listed.contains(entry) else { return entry }
        if kind(of: path + "/" + entry) == .folder, let found = walk(entry) { return found }
      }
      return nil
    }
    return walk("")
  }

  /// Writes `files` (relative path → bytes) into the folder `path`; see the type's description.
  ///
  /// `replacing` lists the entries already in `path` (relative paths of files and folders, e.g.
  /// `report.json`, `tables`, `tables/a.csv`) that this write may overwrite or remove: the caller's own
  /// earlier output. Everything else in `path` is kept. A symbolic link `path` is followed: the folder
  /// it points to is written, the link itself is kept.
  /// - Returns: `nil`, or — only when entries appeared in `path` while it was being swapped — the
  ///   folder beside `path` that keeps them (nothing unlisted is deleted; the caller should say where
  ///   they are).
  /// - Throws: `OutputError` naming the path and the failing step (`path` is a file, a link to nothing,
  ///   a new file's place is taken by an unlisted entry, a system call failed).
  @discardableResult
  public static func write(
    _ files: [(path: String, bytes: [UInt8])], to path: String, replacing: Set<String> = []
  ) throws -> String? {
    guard let target = followingLink(path) else {
      throw OutputError(path: path, message: "a symbolic link to nothing; create the folder it names or remove the link")
    }
    let parent = FileIO.directory(of: target)
    let base = target.split(separator: "/").last.map(String.init) ?? ""
    guard !base.isEmpty, base != ".", base != ".." else {
      throw OutputError(path: path, message: "not a folder path that can be replaced; name a folder such as report/")
    }
    for file in files {
      let parts = file.path.split(separator: "/", omittingEmptySubsequences: false)
      guard !parts.isEmpty, !parts.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) else {
        throw OutputError(path: path + "/" + file.path, message: "not a relative file path")
      }
    }
    let prefix = target.lastIndex(of: "/").map { String(target[...$0]) } ?? ""
    let tag = "\(getpid())-\(String(UInt64.random(in: 0 ... .max), radix: 36))"
    let swap: Bool
    switch state(of: target) {
    case .missing, .emptyDirectory: swap = true
    case .nonEmptyDirectory:
      swap = firstUnlisted(in: target, listed: replacing) == nil
      if !swap { try checkPlaces(files, in: target, shown: path, replacing: replacing) }
    case .notADirectory:
      throw OutputError(path: path, message: "a file, not a folder; name a folder")
    }
    // Swap: stage beside the target; merge: inside it (same file system as the files it replaces).
    // Names cut to fit in 255 bytes, as AtomicFile's.
    let temp = swap ? prefix + AtomicFile.hiddenName(base, suffix: ".tmp-\(tag)")
      : target + "/" + AtomicFile.hiddenName(base, suffix: ".tmp-\(tag)")
    var registrations = [InterruptCleanup.register(temp, kind: .directory)]
    defer { for r in registrations.reversed() { InterruptCleanup.unregister(r) } }
    // What replaces an existing folder or file gets its permission bits (a private 0700 report stays
    // private). Folders are filled while they are the writer's own (0700) and given those bits only
    // when complete, just before the swap, so that a read-only previous report (0555) can be replaced
    // too; a new folder is made 0755 less the umask, as `mkdir` makes it. The merge's staging folders
    // stay the writer's own until their files are moved out.
    var finalModes: [(folder: String, mode: mode_t)] = []
    let tempMode = swap ? folderPermissions(of: target) : nil
    guard mkdir(temp, tempMode == nil && swap ? 0o755 : 0o700) == 0 else {
      let folder = swap ? parent : target
      throw OutputError(path: path, message: "cannot create a folder in '\(folder)': " + FileIO.errorText(errno))
    }
    if let m = tempMode { finalModes.append((temp, m)) }
    do {
      for file in files {
        let parts = file.path.split(separator: "/").map(String.init)
        var dir = temp
        var relative = ""
        for part in parts.dropLast() {
          dir += "/" + part
          relative += (relative.isEmpty ? "" : "/") + part
          let mode = swap ? folderPermissions(of: target + "/" + relative) : nil
          if mkdir(dir, mode == nil && swap ? 0o755 : 0o700) == 0 {
            if let m = mode { finalModes.append((dir, m)) }
            registrations.append(InterruptCleanup.register(dir, kind: .directory))
          } else if errno != EEXIST {
            throw OutputError(path: dir, message: "cannot create the folder: " + FileIO.errorText(errno))
          }
        }
        registrations.append(InterruptCleanup.register(temp + "/" + file.path))
        try AtomicFile.write(file.bytes, to: temp + "/" + file.path, sync: true,
                             mode: AtomicFile.permissions(of: target + "/" + file.path))
      }
    } catch {
      removeTree(temp)
      throw error
    }
    // Innermost first: a parent without search permission would block its children's chmod.
    for (folder, mode) in finalModes.reversed() { _ = chmod(folder, mode) }
    guard swap else {
      try moveInto(target, from: temp, files, shown: path, replacing: replacing)
      return nil
    }
    switch state(of: target) {
    case .missing, .emptyDirectory:
      if rename(temp, target) != 0 {
        let reason = FileIO.errorText(errno)
        removeTree(temp)
        throw OutputError(path: path, message: "cannot move the finished report into place: " + reason)
      }
      return nil
    case .nonEmptyDirectory where firstUnlisted(in: target, listed: replacing) == nil:
      let old = prefix + AtomicFile.hiddenName(base, suffix: ".old-\(tag)")
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
      // The previous report may be read-only (0555, its tables/ too): its own folders are made writable
      // again so that its entries can go.
      for relative in [""] + replacing.sorted() where kind(of: old + "/" + relative) == .folder {
        let folder = relative.isEmpty ? old : old + "/" + relative
        _ = chmod(folder, (folderPermissions(of: folder) ?? 0) | 0o700)
      }
      removeListed(replacing, in: old)
      return rmdir(old) == 0 ? nil : old
    case .nonEmptyDirectory, .notADirectory:
      // Entries the caller did not list appeared while the files were written: keep them.
      try moveInto(target, from: temp, files, shown: path, replacing: replacing)
      return nil
    }
  }

  /// Throws when a file of `files` cannot be put in `target` without overwriting or removing an
  /// entry not in `replacing`: its place, or a folder on its way, is taken.
  static func checkPlaces(
    _ files: [(path: String, bytes: [UInt8])], in target: String, shown: String, replacing: Set<String>
  ) throws {
    guard state(of: target) != .notADirectory else {
      throw OutputError(path: shown, message: "a file, not a folder; name a folder")
    }
    for file in files {
      let parts = file.path.split(separator: "/").map(String.init)
      var relative = ""
      for (i, part) in parts.enumerated() {
        relative += (relative.isEmpty ? "" : "/") + part
        let k = kind(of: target + "/" + relative)
        if k == .missing { break }
        if i < parts.count - 1 {
          guard k == .folder else {
            throw OutputError(
              path: shown + "/" + relative,
              message: "is in the way of '\(file.path)' (it is not a folder) and is kept; move it away or choose another folder")
          }
        } else if k == .folder || !replacing.contains(relative) {
          throw OutputError(
            path: shown + "/" + relative,
            message: "would be overwritten by the new '\(file.path)' and is kept; move it away or choose another folder")
        }
      }
    }
  }

  /// Moves every staged file from `temp` to its place in `target` (folders created as needed), then
  /// removes the entries of `replacing` that no new file replaced and the staging folder.
  static func moveInto(
    _ target: String, from temp: String, _ files: [(path: String, bytes: [UInt8])], shown: String,
    replacing: Set<String>
  ) throws {
    do {
      try checkPlaces(files, in: target, shown: shown, replacing: replacing)
    } catch {
      removeTree(temp)
      throw error
    }
    var kept = Set<String>()
    var created: [String] = []
    func fail(_ relative: String, _ what: String, _ n: Int) -> OutputError {
      let reason = FileIO.errorText(errno)
      removeTree(temp)
      // Folders made for the new files go again while still empty (nothing was moved into them).
      for dir in created.reversed() { rmdir(target + "/" + dir) }
      return OutputError(
        path: shown + "/" + relative,
        message: what + reason + (n == 0 ? "" : "; the \(n) file(s) before it were already replaced"))
    }
    for (n, file) in files.enumerated() {
      let parts = file.path.split(separator: "/").map(String.init)
      var relative = ""
      for part in parts.dropLast() {
        relative += (relative.isEmpty ? "" : "/") + part
        kept.insert(relative)
        if mkdir(target + "/" + relative, 0o755) == 0 {
          created.append(relative)
        } else if errno != EEXIST {
          throw fail(relative, "cannot create the folder: ", n)
        }
      }
      kept.insert(file.path)
      guard rename(temp + "/" + file.path, target + "/" + file.path) == 0 else {
        throw fail(file.path, "cannot move the new file into place: ", n)
      }
    }
    removeListed(replacing.subtracting(kept), in: target)
    removeTree(temp)
  }

  /// Removes the entries `listed` (relative paths) from `folder`, deepest first; a folder only once it
  /// is empty (so an unlisted entry inside it keeps it). Best effort.
  static func removeListed(_ listed: Set<String>, in folder: String) {
    let depth = { (p: String) in p.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "/") ? 1 : 0) } }
    for relative in listed.sorted(by: { (depth($0), $0) > (depth($1), $1) }) {
      let full = folder + "/" + relative
      switch kind(of: full) {
      case .missing: continue
      case .folder: rmdir(full)
      default: unlink(full)
      }
    }
  }

  /// The permission bits of the folder at `path` (links followed), or `nil` when there is none.
  static func folderPermissions(of path: String) -> mode_t? {
    var st = stat()
    guard stat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return nil }
    return st.st_mode & 0o777
  }

  /// Removes `path` and everything below it (best effort; symbolic links are removed, not followed).
  public static func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      // A staging folder may already carry a read-only previous report's bits (0555).
      if st.st_mode & 0o700 != 0o700 { _ = chmod(path, (st.st_mode & 0o777) | 0o700) }
      for name in entries(of: path) { removeTree(path + "/" + name) }
      rmdir(path)
    } else {
      unlink(path)
    }
  }
}
