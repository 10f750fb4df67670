#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Removes the temporary files and folders of unfinished atomic writes, and kills and reaps
/// registered child processes (model workers), when the process is interrupted (SIGINT, SIGTERM,
/// SIGHUP), so that Ctrl-C or `kill` never leaves a partial output, a stray `.name.tmp-…` or an
/// orphaned worker behind.
///
/// `AtomicFile` and `AtomicDirectory` register each temporary path before they create it and
/// unregister it once it has been renamed into place or removed. When the tool has called
/// ``install()``, a signal handler walks the table, `unlink(2)`s the registered files, `rmdir(2)`s
/// the registered folders (deepest first), restores the signal's default action and re-raises it, so
/// the process still ends "killed by SIGTERM" as its parent expects.
///
/// Async-signal safety: the handler touches only a fixed table allocated once by `install()`
/// (128 slots of 4096 bytes: a state word and a NUL-terminated path or a pid each) and calls only
/// `kill`, `waitpid`, `unlink`, `rmdir`, `signal` and `raise`, which POSIX lists as
/// async-signal-safe; it takes no lock and
/// allocates nothing. Registration copies the path into a free slot and only then publishes it
/// (the state word is written after a `pthread_mutex_unlock`, a full barrier), so the handler never
/// sees a half-written path. A path longer than 4095 bytes, or a 129th concurrent temporary path,
/// is simply not registered (the write still works; only the clean-up on interruption is lost).
///
/// This is the one piece of process-global mutable state in the library, by necessity: signal
/// dispositions are per process. The table (512 KiB of address space, allocated on first use) is
/// kept whether or not the handlers are installed, so registration costs one lock and one copy per
/// atomic write; library users that never call `install()` get no signal handlers.
public enum InterruptCleanup {
  /// What the handler does with a registered path.
  public enum Kind: Int, Sendable {
    /// `unlink(2)` it.
    case file = 1
    /// `rmdir(2)` it, after every registered file (and deeper folders) is gone.
    case directory = 2
    /// A child process (a model worker): `kill(-pid, SIGKILL)` (its process group, when it leads one),
    /// `kill(pid, SIGKILL)`, then `waitpid` (reaped, no zombie, no orphan left computing).
    case child = 3
  }

  /// A registration, to pass to ``unregister(_:)``. `nil` registrations (table full, path too
  /// long) are accepted there too.
  public struct Token: Sendable, Equatable {
    let slot: Int
  }

  static let slots = 128
  static let slotBytes = 4096
  /// Signals whose default action ends the process and after which outputs must not be left half-written.
  public static let signals: [Int32] = [SIGINT, SIGTERM, SIGHUP]

  /// Registers `path` for removal if the process is interrupted. O(slots + path length).
  public static func register(_ path: String, kind: Kind = .file) -> Token? {
    let table = Table.shared
    let bytes = Array(path.utf8)
    guard !bytes.isEmpty, bytes.count < slotBytes, !bytes.contains(0) else { return nil }
    let slot: Int? = table.lock.withLock {
      for s in 0..<slots where table.state[s] == 0 && !table.reserved[s] {
        table.reserved[s] = true
        let dst = table.paths + s * slotBytes
        bytes.withUnsafeBufferPointer { src in
          src.withMemoryRebound(to: CChar.self) { dst.update(from: $0.baseAddress!, count: bytes.count) }
        }
        dst[bytes.count] = 0
        return s
      }
      return nil
    }
    guard let slot else { return nil }
    // Published after the unlock above: the path bytes are complete before the state says so.
    table.lock.withLock { table.state[slot] = kind.rawValue }
    return Token(slot: slot)
  }

  /// Registers the child process `pid` to be killed and reaped if the process is interrupted, with its
  /// process group when it leads one (a model worker spawned with `POSIX_SPAWN_SETPGROUP`: the worker and
  /// every process it started in its group). Unregister it (``unregister(_:)``) as soon as it has been
  /// reaped. O(slots).
  public static func registerChild(_ pid: Int32) -> Token? {
    guard pid > 0 else { return nil }
    let table = Table.shared
    let slot: Int? = table.lock.withLock {
      for s in 0..<slots where table.state[s] == 0 && !table.reserved[s] {
        table.reserved[s] = true
        table.pids[s] = pid
        return s
      }
      return nil
    }
    guard let slot else { return nil }
    table.lock.withLock { table.state[slot] = Kind.child.rawValue }
    return Token(slot: slot)
  }

  /// Forgets a registration (the path was renamed into place or removed). O(1).
  public static func unregister(_ token: Token?) {
    guard let token else { return }
    let table = Table.shared
    table.lock.withLock {
      table.state[token.slot] = 0
      table.reserved[token.slot] = false
    }
  }

  /// The paths currently registered, with their kinds (for tests and diagnostics).
  public static func registeredPaths() -> [(path: String, kind: Kind)] {
    let table = Table.shared
    return table.lock.withLock {
      (0..<slots).compactMap { s -> (path: String, kind: Kind)? in
        guard let kind = Kind(rawValue: table.state[s]) else { return nil }
        if kind == .child { return ("pid \(table.pids[s])", kind) }
        return (String(cString: table.paths + s * slotBytes), kind)
      }
    }
  }

  /// Allocates the table and installs the handler for SIGINT, SIGTERM and SIGHUP (keeping a signal
  /// ignored if it was ignored when the process started, as shells expect for background jobs),
  /// and unblocks the three signals on the calling thread: a process inherits its parent's signal
  /// mask, and parents that spawn from a thread-pool thread (libdispatch workers, hence Foundation's
  /// `Process` in a test runner or a server) pass most signals on *blocked*, which would make
  /// `kill -TERM` a no-op. Idempotent. Call it once, early, from the main thread of the executable.
  public static func install() {
    // Allocate the table now: the handler must not run a lazy initialiser.
    let table = Table.shared
    table.lock.withLock {
      guard !table.installed else { return }
      table.installed = true
      for sig in signals {
        var old = sigaction()
        sigaction(sig, nil, &old)
        if unsafeBitCast(old.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self) {
          continue
        }
        var action = sigaction()
        action.__sigaction_handler.sa_handler = interruptHandler
        sigemptyset(&action.sa_mask)
        for other in signals { sigaddset(&action.sa_mask, other) }
        action.sa_flags = 0
        sigaction(sig, &action, nil)
      }
      var unblock = sigset_t()
      sigemptyset(&unblock)
      for sig in signals { sigaddset(&unblock, sig) }
      pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }
  }

  /// Removes every registered path now (what the signal handler does, without the signal):
  /// files first, then folders, repeatedly so nested folders go deepest first. With `prefix`
  /// (tests only; allocates, so not for the handler) only paths starting with it are touched.
  /// Without it, async-signal-safe.
  static func removeRegistered(only prefix: String? = nil) {
    if prefix != nil {
      Table.shared.lock.withLock { removeRegisteredUnlocked(only: prefix) }
    } else {
      removeRegisteredUnlocked(only: nil)
    }
  }

  private static func removeRegisteredUnlocked(only prefix: String?) {
    let table = Table.shared
    func selected(_ s: Int) -> Bool {
      guard let prefix else { return true }
      return String(cString: table.paths + s * slotBytes).hasPrefix(prefix)
    }
    if prefix == nil {
      for s in 0..<slots where table.state[s] == Kind.child.rawValue {
        let pid = table.pids[s]
        // Its group first (no other group can have that id while the child is unreaped; ESRCH if it leads none).
        if pid > 0 { kill(-pid, SIGKILL) }
        if pid > 0 && kill(pid, SIGKILL) == 0 {
          var status: Int32 = 0
          _ = waitpid(pid, &status, 0)
        }
      }
    }
    for s in 0..<slots where table.state[s] == Kind.file.rawValue && selected(s) {
      unlink(table.paths + s * slotBytes)
    }
    var progress = true
    var rounds = 0
    while progress && rounds < slots {
      progress = false
      rounds += 1
      for s in 0..<slots where table.state[s] == Kind.directory.rawValue && selected(s) {
        if rmdir(table.paths + s * slotBytes) == 0 {
          table.state[s] = -1
          progress = true
        }
      }
    }
  }

  /// The process-wide slot table, allocated once and never freed. Every field is accessed under
  /// `lock`, except by the signal handler (which cannot lock).
  final class Table: @unchecked Sendable {
    static let shared = Table()
    let lock = Lock()
    var installed = false
    let state: UnsafeMutablePointer<Int>
    let reserved: UnsafeMutablePointer<Bool>
    let paths: UnsafeMutablePointer<CChar>
    let pids: UnsafeMutablePointer<Int32>

    init() {
      state = .allocate(capacity: InterruptCleanup.slots)
      state.initialize(repeating: 0, count: InterruptCleanup.slots)
      reserved = .allocate(capacity: InterruptCleanup.slots)
      reserved.initialize(repeating: false, count: InterruptCleanup.slots)
      // calloc, not allocate + initialize: a block this size is a fresh anonymous mapping, already
      // zero, so its pages are touched only when a slot is first used (a 512 KiB memset cost every
      // command ≈0.2 ms of start-up and 128 page faults).
      let bytes = InterruptCleanup.slots * InterruptCleanup.slotBytes
      guard let zeroed = calloc(bytes, 1) else { fatalError("InterruptCleanup: cannot allocate \(bytes) bytes") }
      paths = zeroed.bindMemory(to: CChar.self, capacity: bytes)
      pids = .allocate(capacity: InterruptCleanup.slots)
      pids.initialize(repeating: 0, count: InterruptCleanup.slots)
    }
  }
}

/// The SIGINT/SIGTERM/SIGHUP handler: remove the registered temporary paths, then die of the same
/// signal with its default action.
private func interruptHandler(_ sig: Int32) {
  InterruptCleanup.removeRegistered(only: nil)
  signal(sig, SIG_DFL)
  raise(sig)
}
