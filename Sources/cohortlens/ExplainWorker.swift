import CohortLensCore
import Explanation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// Frame magics of the model bridge (docs/model-bridge.md): 4 ASCII bytes each.
enum BridgeFrame {
  /// Request: "CLQ1", rows u32 LE, cols u32 LE, rows×cols float64 LE (row-major).
  static let request: [UInt8] = Array("CLQ1".utf8)
  /// Response: "CLA1", rows u32 LE, classes u32 LE, rows×classes float64 LE (row-major).
  static let response: [UInt8] = Array("CLA1".utf8)
}

/// Splits a command line into argv without a shell: blanks separate words; '…' quotes literally,
/// "…" quotes with backslash escapes of " and \\; a backslash outside quotes escapes the next character.
func splitCommandLine(_ text: String) throws -> [String] {
  var words: [String] = []
  var current = ""
  var inWord = false
  var it = Array(text.unicodeScalars)[...]
  while let c = it.popFirst() {
    switch c {
    case " ", "\t", "\n":
      if inWord {
        words.append(current)
        current = ""
        inWord = false
      }
    case "'":
      inWord = true
      var closed = false
      while let d = it.popFirst() {
        if d == "'" { closed = true; break }
        current.unicodeScalars.append(d)
      }
      if !closed { throw UsageError("--model-command: unterminated ' quote", hint: "close the quote") }
    case "\"":
      inWord = true
      var closed = false
      while let d = it.popFirst() {
        if d == "\"" { closed = true; break }
        if d == "\\", let e = it.first, e == "\"" || e == "\\" {
          current.unicodeScalars.append(e)
          it = it.dropFirst()
          continue
        }
        current.unicodeScalars.append(d)
      }
      if !closed { throw UsageError("--model-command: unterminated \" quote", hint: "close the quote") }
    case "\\":
      inWord = true
      if let e = it.popFirst() { current.unicodeScalars.append(e) }
    default:
      inWord = true
      current.unicodeScalars.append(c)
    }
  }
  if inWord { words.append(current) }
  return words
}

/// Adds a change of working directory to `actions` (`posix_spawn_file_actions_addchdir_np`: glibc 2.29,
/// musl 1.1.24, macOS 10.15), looked up at run time because the C library's headers declare it only
/// for GNU sources. Returns an errno value, `ENOSYS` when the C library has no such action.
private func spawnAddChdir(_ actions: inout posix_spawn_file_actions_t, _ path: String) -> Int32 {
  typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
  guard let handle = dlopen(nil, RTLD_LAZY) else { return ENOSYS }
  defer { dlclose(handle) }
  guard let symbol = dlsym(handle, "posix_spawn_file_actions_addchdir_np") else { return ENOSYS }
  let addChdir = unsafeBitCast(symbol, to: AddChdir.self)
  return path.withCString { addChdir(&actions, $0) }
}

/// Makes the worker start with descriptors 0, 1 and 2 only: `posix_spawn_file_actions_addclosefrom_np(3)`
/// (glibc 2.34, looked up at run time as above) after the pipes are in place; where the C library has no such
/// action, every descriptor from 3 on that is open here is marked close-on-exec instead (this process execs
/// nothing else, so the flag changes nothing for it). Without either, descriptors cohortlens inherited — a
/// caller's pipe among them — would stay open in the worker and in everything it starts, and a caller reading
/// cohortlens's output to its end could wait for those processes.
private func spawnCloseOtherDescriptors(_ actions: inout posix_spawn_file_actions_t) {
  typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
  if let handle = dlopen(nil, RTLD_LAZY) {
    defer { dlclose(handle) }
    if let symbol = dlsym(handle, "posix_spawn_file_actions_addclosefrom_np"),
       unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3) == 0
    {
      return
    }
  }
  let limit = min(Int(sysconf(Int32(_SC_OPEN_MAX))), 1 << 16)
  guard limit > 3 else { return }
  for fd in Int32(3)..<Int32(limit) {
    let flags = fcntl(fd, F_GETFD)
    if flags >= 0 && flags & FD_CLOEXEC == 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
  }
}

/// A model served by a long-running worker process over binary frames on its stdin/stdout
/// (`--model-command`). The worker is started once (posix_spawnp, argv split without a shell),
/// each request waits at most `timeout` seconds (poll), and the worker is always reaped: on
/// `close()`, on any error (killed with SIGKILL first) and on deinit.
///
/// `directory`, when given, is the worker's working directory: its program (when the name holds a
/// `/`) and its relative arguments resolve there, as after `cd directory`. Without it the worker
/// starts in cohortlens's own working directory.
final class WorkerModel: ProbabilityModel, @unchecked Sendable {
  let command: String
  let argv: [String]
  let timeout: Double
  let expectedOutputs: Int?
  let isClassifier = true
  private var pid: pid_t = 0
  private var toWorker: Int32 = -1
  private var fromWorker: Int32 = -1
  private var errFromWorker: Int32 = -1
  private var stderrTail: [UInt8] = []
  /// Classes per row of the worker's first answer: without `--class-names`, it fixes the number
  /// every later answer must have (a model does not change its classes between requests).
  private var firstAnswerOutputs: Int?
  private var reaped = false { didSet { if reaped { InterruptCleanup.unregister(interruptKill) } } }
  /// The wait status, once the worker was reaped while a request was pending (it exited on its own).
  private var exitStatus: Int32?
  /// Kills and reaps the worker if cohortlens is interrupted (SIGINT/SIGTERM/SIGHUP).
  private var interruptKill: InterruptCleanup.Token?
  private let lock = Lock()

  var outputCount: Int? { expectedOutputs }

  init(command: String, timeout: Double, expectedOutputs: Int?, directory: String? = nil) throws {
    self.command = command
    self.timeout = timeout
    self.expectedOutputs = expectedOutputs
    argv = try splitCommandLine(command)
    guard !argv.isEmpty else { throw UsageError("--model-command is empty", hint: "give a program and its arguments") }
    signal(SIGPIPE, SIG_IGN)  // a dead worker must give EPIPE, not kill us
    var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
    guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
      throw UsageError("cannot create pipes for the model worker: \(String(cString: strerror(errno)))")
    }
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
    for fd in [inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1]] {
      posix_spawn_file_actions_addclose(&actions, fd)
    }
    spawnCloseOtherDescriptors(&actions)
    if let directory {
      let rc = spawnAddChdir(&actions, directory)
      if rc != 0 {
        for fd in [inPipe[0], inPipe[1], outPipe[0], outPipe[1], errPipe[0], errPipe[1]] { closeFD(fd) }
        throw UsageError(
          "cannot start the model worker '\(command)' in the folder '\(directory)': \(String(cString: strerror(rc)))",
          hint: "this system cannot start a program in another folder; give the worker's paths from the working directory")
      }
    }
    // The worker leads a process group of its own (pgid = its pid), so that a timeout, a protocol error, the end
    // of the run or an interruption can signal everything it started: a launcher's child, a pool of processes
    // (`sh -c`, multiprocessing, R's parallel) would otherwise outlive cohortlens holding the pipes open. SIGPIPE
    // is back at its default in the worker (cohortlens ignores it for itself).
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setpgroup(&attributes, 0)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    sigaddset(&defaults, SIGPIPE)
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
    var cargs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
    defer { for p in cargs { free(p) } }
    var child: pid_t = 0
    let rc = posix_spawnp(&child, argv[0], &actions, &attributes, &cargs, environ)
    closeFD(inPipe[0])
    closeFD(outPipe[1])
    closeFD(errPipe[1])
    if rc != 0 {
      closeFD(inPipe[1])
      closeFD(outPipe[0])
      closeFD(errPipe[0])
      let place = directory.map { " in the folder '\($0)'" } ?? ""
      throw UsageError("cannot start the model worker '\(command)'\(place): \(String(cString: strerror(rc)))",
                       hint: "check the program name and that it is on PATH")
    }
    pid = child
    interruptKill = InterruptCleanup.registerChild(child)
    toWorker = inPipe[1]
    fromWorker = outPipe[0]
    errFromWorker = errPipe[0]
    for fd in [toWorker, fromWorker, errFromWorker] {
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
      _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
    }
  }

  deinit { shutdown() }

  /// Closes the worker's stdin, waits up to 2 s for it to exit, then kills it; always reaps.
  func shutdown() {
    lock.withLock {
      guard pid > 0, !reaped else { return }
      if toWorker >= 0 {
        closeFD(toWorker)
        toWorker = -1
      }
      for _ in 0..<200 {
        if reapIfExited() != nil { break }
        usleep(10_000)
      }
      if !reaped { _ = killAndReap() }
      closeReaders()
    }
  }

  private func closeReaders() {
    if fromWorker >= 0 { closeFD(fromWorker); fromWorker = -1 }
    if errFromWorker >= 0 { closeFD(errFromWorker); errFromWorker = -1 }
    if toWorker >= 0 { closeFD(toWorker); toWorker = -1 }
  }

  /// Kills (if still running) and reaps the worker; returns a description of how it ended.
  private func terminate(kill force: Bool) -> String {
    if reaped, let status = exitStatus {
      // Already reaped by the request loop: it exited on its own.
      drainStderr()
      closeReaders()
      return Self.describe(status)
    }
    guard pid > 0, !reaped else { return "" }
    var status: Int32 = 0
    if force { killGroup() }
    // Collect what is left on stderr (non-blocking), then reap.
    drainStderr()
    if !force {
      // Give a crashing worker a moment to exit on its own.
      for _ in 0..<100 {
        if let s = reapIfExited() {
          status = s
          break
        }
        usleep(10_000)
      }
    }
    if !reaped { status = killAndReap() }
    drainStderr()
    closeReaders()
    return Self.describe(status)
  }

  /// SIGKILL to the worker's whole process group (the worker and every process it started that stayed in its
  /// group). Only while the worker is not reaped: until then its pid, and so the group id, cannot be reused.
  private func killGroup() {
    guard pid > 0, !reaped else { return }
    kill(-pid, SIGKILL)
    kill(pid, SIGKILL)  // in case it left its group (setpgid/setsid)
  }

  /// Kills the worker's process group and reaps the worker; returns its wait status.
  private func killAndReap() -> Int32 {
    killGroup()
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    reaped = true
    return status
  }

  /// If the worker has exited: kills what is left of its process group (a child it started that still holds
  /// the pipes), then reaps it and returns its wait status. The exit is seen with `waitid(WNOWAIT)`, which leaves
  /// the worker a zombie, so the group id stays its own until the group is signalled. Nil while it runs.
  private func reapIfExited() -> Int32? {
    guard pid > 0, !reaped else { return nil }
    var info = siginfo_t()
    guard waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0, info.si_signo == SIGCHLD else { return nil }
    kill(-pid, SIGKILL)
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    reaped = true
    return status
  }

  /// Bytes of the worker's output as text: two hex digits per byte outside printable ASCII, and a backslash
  /// doubled, so the text is unambiguous.
  static func shown<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { b -> String in
      if b == UInt8(ascii: "\\") { return "\\\\" }
      if b >= 32 && b < 127 { return String(UnicodeScalar(b)) }
      return "\\x" + (b < 16 ? "0" : "") + String(b, radix: 16)
    }.joined()
  }

  /// Reads what is waiting on the worker's output without blocking (at most 64 KiB): nil when nothing is
  /// (or at its end), else the bytes.
  private func pendingOutput() -> [UInt8]? {
    guard fromWorker >= 0 else { return nil }
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    let n = read(fromWorker, &buf, buf.count)
    return n > 0 ? Array(buf[0..<n]) : nil
  }

  /// The message for bytes a worker wrote outside an answer (`count` of them, starting with `first`).
  private static func strayOutput(_ count: Int, first: [UInt8], after what: String) -> String {
    let more = count > first.count ? "…" : ""
    return "wrote \(count) byte(s) to its output after \(what) ('\(shown(first.prefix(16)))\(more)'): a worker writes nothing but one answer frame per request to its stdout (diagnostics go to stderr)"
  }

  /// Ends a successful run: closes the worker's stdin (its signal to exit), reads its output until the end
  /// (up to 2 s, as ``shutdown()``, then kills the group) and reaps it. Bytes written to its output after the
  /// last answer — a stray print, a second copy of an answer — are an error: the same bytes written before a
  /// later request would have been taken for (part of) that request's answer.
  func finish() throws {
    try lock.withLock {
      guard pid > 0, !reaped else { return }
      if toWorker >= 0 {
        closeFD(toWorker)
        toWorker = -1
      }
      var stray = 0
      var first: [UInt8] = []
      var buf = [UInt8](repeating: 0, count: 1 << 16)
      func take(_ n: Int) {
        stray += n
        if first.count < 16 { first.append(contentsOf: buf[0..<min(n, 16 - first.count)]) }
      }
      let deadline = monotonicSeconds() + 2
      var outputOpen = fromWorker >= 0
      while true {
        if outputOpen {
          var fds = [pollfd(fd: fromWorker, events: Int16(POLLIN), revents: 0)]
          if poll(&fds, 1, 10) > 0 {
            let n = read(fromWorker, &buf, buf.count)
            if n > 0 {
              take(n)
            } else if n == 0 || (errno != EAGAIN && errno != EINTR) {
              outputOpen = false
            }
          }
        } else {
          usleep(10_000)
        }
        // Once it has exited, what is left of its group is killed (reapIfExited), so the output ends soon after.
        if !reaped { _ = hasExited(within: 0) }
        if (reaped && !outputOpen) || monotonicSeconds() >= deadline { break }
      }
      if !reaped { _ = killAndReap() }
      while outputOpen {
        let n = read(fromWorker, &buf, buf.count)
        if n > 0 { take(n) } else { outputOpen = false }
      }
      if stray > 0 {
        throw failure(Self.strayOutput(stray, first: first, after: "its last answer"), kill: true)
      }
      drainStderr()
      closeReaders()
    }
  }

  /// `exit status N` or `signal N` for a wait status.
  static func describe(_ status: Int32) -> String {
    let low = status & 0x7f
    if low == 0 { return "exit status \((status >> 8) & 0xff)" }
    return "signal \(low)"
  }

  /// Whether the worker has exited (reaping it and keeping its status), waiting up to `seconds` for it.
  private func hasExited(within seconds: Double) -> Bool {
    guard pid > 0, !reaped else { return reaped }
    let until = monotonicSeconds() + seconds
    while true {
      if let status = reapIfExited() {
        exitStatus = status
        return true
      }
      if monotonicSeconds() >= until { return false }
      usleep(10_000)
    }
  }

  private func drainStderr() {
    guard errFromWorker >= 0 else { return }
    var buf = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = read(errFromWorker, &buf, buf.count)
      if n <= 0 { break }
      appendStderr(buf[0..<n])
    }
  }

  private func appendStderr(_ bytes: ArraySlice<UInt8>) {
    stderrTail.append(contentsOf: bytes)
    if stderrTail.count > 4096 { stderrTail.removeFirst(stderrTail.count - 4096) }
  }

  private func failure(_ what: String, kill force: Bool) -> ModelError {
    let ended = terminate(kill: force)
    var lines = String(decoding: stderrTail, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
    if lines.count > 12 { lines = Array(lines.suffix(12)) }
    let tail = lines.isEmpty ? "(no stderr output)" : lines.joined(separator: "\n  ")
    return ModelError("model worker '\(command)' \(what)\(ended.isEmpty ? "" : " (\(ended))"); its stderr ends with:\n  \(tail)",
                      hint: nil)
  }

  func predict(_ rows: [Double], rowCount: Int, columns: Int) throws -> (values: [Double], outputs: Int) {
    try lock.withLock { try exchange(rows, rowCount: rowCount, columns: columns) }
  }

  private func exchange(_ rows: [Double], rowCount: Int, columns: Int) throws -> (values: [Double], outputs: Int) {
    guard pid > 0, !reaped else {
      if let status = exitStatus {
        throw ModelError(
          "model worker '\(command)' exited after answering a request (\(Self.describe(status))) and cannot answer the next",
          hint: "a worker must serve every request until its input closes (docs/model-bridge.md)")
      }
      throw ModelError("model worker '\(command)' is not running")
    }
    // Nothing may wait on its output before a request: bytes there (a stray print, a second copy of the previous
    // answer) would be read as this request's answer.
    if let early = pendingOutput() {
      throw failure(Self.strayOutput(early.count, first: Array(early.prefix(16)), after: "its answer to the previous request"),
                    kill: true)
    }
    var frame = BridgeFrame.request
    frame.reserveCapacity(12 + rows.count * 8)
    appendU32(&frame, UInt32(rowCount))
    appendU32(&frame, UInt32(columns))
    rows.withUnsafeBufferPointer { p in
      #if _endian(big)
        for v in p { appendU64(&frame, v.bitPattern) }
      #else
        frame.append(contentsOf: UnsafeRawBufferPointer(p))
      #endif
    }
    let deadline = monotonicSeconds() + timeout
    var written = 0
    var header: [UInt8] = []
    var payload: [UInt8] = []
    var expected = -1
    var responseRows = 0, responseClasses = 0
    var buf = [UInt8](repeating: 0, count: 1 << 16)
    var exitNoticed = false
    // How much of its answer the worker wrote, when it wrote part of it.
    func partial() -> String? {
      let got = header.count + payload.count
      guard got > 0 else { return nil }
      return "it wrote \(got) " + (expected >= 0 ? "of the \(12 + expected) bytes of its answer" : "byte(s) of its answer's 12-byte header")
    }
    func unanswered() -> String {
      partial().map { "finishing its answer to a request of \(rowCount) rows (\($0))" } ?? "answering a request of \(rowCount) rows"
    }
    while expected < 0 || payload.count < expected {
      var fds: [pollfd] = []
      if written < frame.count { fds.append(pollfd(fd: toWorker, events: Int16(POLLOUT), revents: 0)) }
      fds.append(pollfd(fd: fromWorker, events: Int16(POLLIN), revents: 0))
      if errFromWorker >= 0 { fds.append(pollfd(fd: errFromWorker, events: Int16(POLLIN), revents: 0)) }
      let left = deadline - monotonicSeconds()
      if left <= 0 {
        throw failure("did not \(partial().map { "finish its answer (\($0))" } ?? "answer") within \(timeout == timeout.rounded() && timeout < 1e9 ? String(Int(timeout)) : NumberFormatting.roundTrip(timeout)) s (--timeout) and was killed", kill: true)
      }
      // Wake at least every 100 ms to notice a worker that exited while a process it started still holds its
      // output open (no end-of-file then), rather than waiting out the whole --timeout.
      let r = poll(&fds, nfds_t(fds.count), Int32(min(left * 1000 + 1, 100)))
      if r < 0 {
        if errno == EINTR { continue }
        throw failure("could not be polled: \(String(cString: strerror(errno)))", kill: true)
      }
      if r == 0 {
        // Exited: an answer it wrote before exiting is still in the pipe and makes the next poll return at once,
        // so the exit is an error only after one more quiet poll.
        if hasExited(within: 0) {
          if exitNoticed { throw failure("exited before \(unanswered())", kill: false) }
          exitNoticed = true
        }
        continue
      }
      for f in fds where f.revents != 0 {
        if f.fd == toWorker {
          let n = frame.withUnsafeBytes { write(toWorker, $0.baseAddress! + written, $0.count - written) }
          if n > 0 {
            written += n
          } else if n < 0 && errno != EAGAIN && errno != EINTR {
            throw failure("stopped reading its input (\(String(cString: strerror(errno))))", kill: false)
          }
        } else if f.fd == errFromWorker {
          let n = read(errFromWorker, &buf, buf.count)
          if n > 0 {
            appendStderr(buf[0..<n])
          } else if n == 0 {
            closeFD(errFromWorker)
            errFromWorker = -1
          }
        } else if f.fd == fromWorker {
          let n = read(fromWorker, &buf, buf.count)
          if n == 0 {
            // End of its output: exited, or closed stdout and kept running (then it is stopped).
            if hasExited(within: 1) {
              throw failure("exited before \(unanswered())", kill: false)
            }
            throw failure("closed its output before \(unanswered()), and was stopped", kill: true)
          }
          if n < 0 {
            if errno == EAGAIN || errno == EINTR { continue }
            throw failure("could not be read: \(String(cString: strerror(errno)))", kill: true)
          }
          var chunk = buf[0..<n]
          if header.count < 12 {
            let take = min(12 - header.count, chunk.count)
            header.append(contentsOf: chunk.prefix(take))
            chunk = chunk.dropFirst(take)
            if header.count == 12 {
              if Array(header[0..<4]) != BridgeFrame.response {
                throw failure("answered a frame starting with '\(Self.shown(header[0..<4]))' instead of 'CLA1' (does it print to stdout?)", kill: true)
              }
              responseRows = Int(readU32(header, 4))
              responseClasses = Int(readU32(header, 8))
              if responseRows != rowCount {
                throw failure("answered \(responseRows) rows for a request of \(rowCount)", kill: true)
              }
              if let e = expectedOutputs, responseClasses != e {
                throw failure("answered \(responseClasses) classes per row, expected \(e)", kill: true)
              }
              if expectedOutputs == nil, let e = firstAnswerOutputs, responseClasses != e {
                throw failure("answered \(responseClasses) classes per row after answering \(e) before", kill: true)
              }
              if responseClasses < 1 || responseClasses > 100_000 {
                throw failure("answered an impossible number of classes (\(responseClasses))", kill: true)
              }
              // The header alone must not make cohortlens allocate what it cannot hold (an abort, not a message):
              // the announced answer, and the doubles it becomes, within the memory limit.
              let (bytes, overflow) = (responseRows * responseClasses).multipliedReportingOverflow(by: 16)
              let budget = MemoryBudget.defaultBudget()
              if overflow || !budget.allows(bytes: bytes) {
                throw failure(
                  "announced \(responseClasses) classes per row for \(responseRows) rows, an answer needing \(MemoryBudget.formatBytes(overflow ? Int.max : bytes)) (its bytes and the numbers they become) that does not fit in the memory limit \(MemoryBudget.formatBytes(budget.limit)) (\(budget.origin))",
                  kill: true)
              }
              expected = responseRows * responseClasses * 8
              payload.reserveCapacity(expected)
            }
          }
          if !chunk.isEmpty {
            if expected >= 0 && payload.count + chunk.count > expected {
              throw failure("answered more bytes than its frame header announced", kill: true)
            }
            payload.append(contentsOf: chunk)
          }
        }
      }
    }
    var values = [Double](repeating: 0, count: responseRows * responseClasses)
    payload.withUnsafeBytes { raw in
      for i in 0..<values.count {
        values[i] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)))
      }
    }
    for (i, v) in values.enumerated() where !v.isFinite || v < 0 || v > 1 {
      throw failure("answered \(v) for row \(i / responseClasses), class \(i % responseClasses): probabilities must be finite and in [0, 1]",
                    kill: true)
    }
    if firstAnswerOutputs == nil { firstAnswerOutputs = responseClasses }
    return (values, responseClasses)
  }
}

func appendU32(_ a: inout [UInt8], _ v: UInt32) {
  withUnsafeBytes(of: v.littleEndian) { a.append(contentsOf: $0) }
}

func appendU64(_ a: inout [UInt8], _ v: UInt64) {
  withUnsafeBytes(of: v.littleEndian) { a.append(contentsOf: $0) }
}

func readU32(_ a: [UInt8], _ at: Int) -> UInt32 {
  UInt32(a[at]) | UInt32(a[at + 1]) << 8 | UInt32(a[at + 2]) << 16 | UInt32(a[at + 3]) << 24
}

func monotonicSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_MONOTONIC, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// `close(2)` (named apart from `WorkerModel.shutdown`).
func closeFD(_ fd: Int32) {
  #if canImport(Glibc)
    _ = Glibc.close(fd)
  #elseif canImport(Musl)
    _ = Musl.close(fd)
  #else
    _ = Darwin.close(fd)
  #endif
}
