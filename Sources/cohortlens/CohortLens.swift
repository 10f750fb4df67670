import ArgumentParser
import LinearAlgebra
import CohortLensCore
#if canImport(Glibc)
  import Glibc
  private let systemExit = Glibc.exit
  private let systemQuickExit = Glibc._exit
#elseif canImport(Darwin)
  import Darwin
  private let systemExit = Darwin.exit
  private let systemQuickExit = Darwin._exit
#endif

/// Marker for OpenBLAS's start-up (CBlockKernel, `cbk_openblas_start.h`): this program runs every BLAS call on the
/// calling thread, so a statically linked OpenBLAS starts without creating its worker pool (which
/// ``BLASThreads/releaseWorkers()`` would stop at once). Never called; only its presence in the binary counts.
@_cdecl("cohortlens_blas_on_calling_thread")
public func cohortlensBLASOnCallingThread() {}

/// glibc's allocator set for a short-lived process that allocates and frees many working buffers of 100 KiB – 2 MiB
/// (CSV read buffers, the Rayleigh–Ritz matrices of the eigensolver, score tiles): below 4 MiB they come from the
/// heap, and up to 64 MiB of freed heap is kept, so a later buffer reuses pages already mapped instead of a fresh
/// `mmap` whose every 4 KiB page faults on first touch (≈ 1.9 µs each on the 2-core guest where this was measured).
/// Buffers of 4 MiB and more (the n × n affinity) are still mapped on their own, as the huge-page advice of the
/// spectral pipeline expects. Fixed thresholds also switch off glibc's dynamic threshold, which otherwise depends on
/// the sizes freed earlier. Measured: the n = 1000 `cluster` benchmark run 978 → 879 page faults (perf stat,
/// 20 runs). Elsewhere (macOS, musl) nothing is changed.
private func configureAllocator() {
  #if canImport(Glibc)
    // mallopt(3) is declared in <malloc.h>, which the Glibc module does not include: looked up once.
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }  // RTLD_DEFAULT
    let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
    let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD (malloc.h)
    _ = mallopt(mmapThreshold, 4 << 20)
    _ = mallopt(trimThreshold, 64 << 20)
  #endif
}

/// `cohortlens`: the command-line audit bench for learning-analytics models.
///
/// The executable is thin: it parses flags, calls the library modules and formats their
/// results. Library modules never print or exit; this target does both:
/// results on stdout (or `--output FILE`, written atomically), warnings, errors and progress
/// on stderr; exit 0 on success, 64 on usage errors, 65 on bad input data.
@main
struct CohortLens: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "cohortlens",
    abstract: "Audit learning-analytics models: clusters of learners, fairness, explanations.",
    discussion: """
      Every command reads CSV with a header (UTF-8, optional BOM, LF or CRLF, quoted fields) and \
      writes --format table|csv|json|markdown to stdout or --output FILE. Bad input gives \
      'file:line:column: what is wrong' on stderr and exit code 65; usage errors exit 64.
      """,
    version: CohortLensVersion.string,
    subcommands: [
      AuditCommand.self, ClusterCommand.self, DTWCommand.self, FairnessCommand.self, ExplainCommand.self,
      ScoresCommand.self, InspectCommand.self,
    ]
  )
  static func main() {
    InterruptCleanup.install()  // no partial outputs on SIGINT/SIGTERM
    configureAllocator()
    // All of CohortLens's parallel work runs in Swift: OpenBLAS runs on this thread. A statically linked OpenBLAS
    // started without workers (``cohortlensBLASOnCallingThread``); a shared one (debug builds) started its pool
    // before `main`: stop its idle, spinning workers before the arguments are parsed.
    BLASThreads.releaseWorkers()
    do {
      // The common `cluster --name value …` line is read directly (no reflection, no swift-argument-parser
      // types); any other goes to the parser.
      if let cluster = ClusterSettings.direct(Array(CommandLine.arguments.dropFirst())) {
        try cluster.run()
      } else {
        var command = try parseAsRoot(nil)
        try command.run()
      }
      // Success: every result went out with write(2) (unbuffered) and every output file is closed and renamed
      // into place. End here, without libc's exit handlers: they only release memory the kernel releases with
      // the process anyway (OpenBLAS's 2 × 128 MiB buffers, the loader's destructors), ≈ 0.1 ms of a `cluster`
      // run. Nothing is buffered in stdio (flushed all the same), and the exit status is 0 as before.
      fflush(nil)
      systemQuickExit(0)
    } catch {
      // Help and version text (exit status 0) go to standard output; one that cannot be written there (a full
      // disk, a closed pipe) is a failed output, exit 73, as for every command's result.
      if exitCode(for: error) == .success {
        let message = fullMessage(for: error)
        guard message.isEmpty || writeAll(message + "\n", to: STDOUT_FILENO) else {
          let reason = String(cString: strerror(errno))
          printError("standard output: cannot write the \(message.hasPrefix(CohortLensVersion.string) ? "version" : "help") (\(reason))")
          systemExit(73)
        }
        systemExit(0)
      }
      exit(withError: error)
    }
  }
}
