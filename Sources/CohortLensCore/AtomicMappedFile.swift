#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension AtomicFile {
  /// Writes a large file atomically by letting `fill` produce its bytes in place, in a shared memory mapping of
  /// the temporary file (no intermediate buffer, no copy into the page cache), together with small
  /// `companions` written as by `write(files:sync:beforeRenaming:)` — all of them appear, renamed into place, or none.
  ///
  /// Steps: check every destination (``checkWritable(_:)``, before the fill); create
  /// `.<name>.staged-<pid>-<random>` next to `path` (`O_EXCL`; mode 0644 minus umask, or the permission
  /// bits of the regular file it replaces: ``createTemporary(_:replacing:flags:mode:)``), reserve
  /// `size` bytes with `posix_fallocate` (so a full disk is an error here, never a `SIGBUS` while filling),
  /// `mmap` it, call `fill` with the `size` bytes (initially zero), `munmap`, `fsync` (if `sync`), `close`;
  /// stage the companions and write the stream companions; then rename everything into place. On any failure (including a throwing `fill`)
  /// every temporary file is removed and the error rethrown; temporaries are registered with
  /// ``InterruptCleanup`` while they exist. `sync: false` skips the `fsync` calls (atomic, not durable across
  /// an OS crash or power loss). O(size) (the caller's `fill`), plus the page faults of the mapping.
  /// - Throws: `OutputError` naming the path and the failing step, or whatever `fill` throws.
  public static func write(
    mapped requested: String, size: Int, companions: [(path: String, bytes: [UInt8])] = [], sync: Bool = true,
    fill: (UnsafeMutableRawBufferPointer) throws -> Void
  ) throws {
    // Destinations resolved as in `write(_:to:sync:)`: links followed, devices and FIFOs written in place; every
    // destination checked before the (possibly long) fill.
    try checkWritable(requested)
    for c in companions { try checkWritable(c.path) }
    let path: String
    switch try destination(of: requested) {
    case .stream(let p):
      var bytes = [UInt8](repeating: 0, count: size)
      try bytes.withUnsafeMutableBytes { try fill($0) }
      try write(files: companions, sync: sync)
      return try writeStream(bytes, to: p)
    case .file(let p):
      path = p
    }
    let (regularCompanions, streamCompanions) = try partition(companions)
    let temp = try temporaryPath(for: path, tag: "staged")
    let registration = InterruptCleanup.register(temp)
    defer { InterruptCleanup.unregister(registration) }
    let fd = createTemporary(temp, replacing: path, flags: O_RDWR)
    guard fd >= 0 else {
      throw OutputError(path: path, message: "cannot create a file in '\(FileIO.directory(of: path))': "
        + FileIO.errorText(errno))
    }
    func fail(_ message: String) -> OutputError {
      close(fd)
      unlink(temp)
      return OutputError(path: path, message: message)
    }
    var map: UnsafeMutableRawPointer? = nil
    if size > 0 {
      let reserved = posix_fallocate(fd, 0, off_t(size))
      if reserved != 0 { throw fail("cannot reserve \(size) bytes: " + FileIO.errorText(reserved)) }
      let m = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
      guard let m, m != UnsafeMutableRawPointer(bitPattern: -1) else {
        throw fail("mmap failed: " + FileIO.errorText(errno))
      }
      map = m
    }
    do {
      try fill(UnsafeMutableRawBufferPointer(start: map, count: map == nil ? 0 : size))
    } catch {
      if let map { munmap(map, size) }
      close(fd)
      unlink(temp)
      throw error
    }
    if let map { munmap(map, size) }
    if sync && fsync(fd) != 0 { throw fail("fsync failed: " + FileIO.errorText(errno)) }
    if close(fd) != 0 {
      unlink(temp)
      throw OutputError(path: path, message: "close failed: " + FileIO.errorText(errno))
    }
    // Companions staged (written and, with `sync`, synced); then everything renamed together.
    var registrations: [InterruptCleanup.Token?] = []
    defer { for r in registrations { InterruptCleanup.unregister(r) } }
    var staged: [(temp: String, path: String)]
    do {
      staged = try stage(regularCompanions, sync: sync, registrations: &registrations)
    } catch {
      unlink(temp)
      throw error
    }
    staged.append((temp, path))
    // Streams before the renames, as in `write(files:sync:beforeRenaming:)`: a failing stream leaves no file.
    do {
      for c in streamCompanions { try writeStream(c.bytes, to: c.path) }
    } catch {
      for s in staged { unlink(s.temp) }
      throw error
    }
    try renameAll(staged)
    if sync { syncDirectories(of: staged.map(\.path)) }
  }
}
