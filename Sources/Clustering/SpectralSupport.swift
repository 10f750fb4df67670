import Dispatch
#if canImport(Glibc)
  import Glibc
#endif
import LinearAlgebra

/// Invalid input to a step of the spectral pipeline.
public enum SpectralError: Error, Equatable, Sendable, CustomStringConvertible {
  /// An argument is out of range or inconsistent with the data; the message says which and why.
  case invalidArgument(String)
  /// A graph-construction string (`full`, `epsilon:E`, `knn:K`) could not be parsed.
  case invalidGraphSpecification(String)
  /// A matrix contains NaN or ±∞.
  case nonFiniteValues(String)
  /// The eigensolver failed.
  case eigensolverFailed(String)

  public var description: String {
    switch self {
    case .invalidArgument(let m): return m
    case .invalidGraphSpecification(let m): return m
    case .nonFiniteValues(let m): return m
    case .eigensolverFailed(let m): return "eigensolver failed: \(m)"
    }
  }
}

/// A caveat about the result of a spectral step. The computation still ran; callers decide
/// whether and how to show it (`description` is a one-line human-readable message).
public enum SpectralWarning: Equatable, Sendable, CustomStringConvertible {
  /// A precomputed affinity failed scikit-learn's `check_symmetric` test and was replaced by
  /// `0.5·(A + Aᵀ)`; `maxAbsoluteDifference` = max |a_ij − a_ji| before the repair.
  case asymmetricAffinitySymmetrized(maxAbsoluteDifference: Double)
  /// The graph has `components` > 1 connected components (`isolatedNodes` of them single nodes
  /// without edges); the eigenvalue 0 then has multiplicity `components`.
  case disconnectedGraph(components: Int, isolatedNodes: Int)
  /// The iterative eigensolver, chosen by `auto`, failed (`reason`: its error, e.g. no convergence
  /// within its block-product limit); the same operator was solved densely (LAPACK `dsyevr`)
  /// instead, so the results are exact to rounding but took O(n³).
  case iterativeSolverFellBack(reason: String)
  /// `count` connected learners have a degree below ``SpectralEmbedding/weakDegreeRatio`` times the
  /// largest degree (`smallestRatio` = the smallest degree over the largest). The embedding
  /// divides their eigenvector entries by √degree, which magnifies the entries' rounding
  /// (≈1e-16 of the vector) by √(largest / degree) ≥ 1e8: their coordinates keep fewer than 8
  /// significant digits, so their labels can follow the eigensolver's last bits (in scikit-learn
  /// too, which does not warn). Typically a `--gamma` far too large for the spread of the features.
  case weaklyConnectedNodes(count: Int, smallestRatio: Double)

  public var description: String {
    switch self {
    case .asymmetricAffinitySymmetrized(let d):
      return "affinity matrix is not symmetric (max |a_ij - a_ji| = \(d)); using 0.5*(A + A^T)"
    case .disconnectedGraph(let c, let iso):
      let extra = iso > 0 ? " (\(iso) isolated node\(iso == 1 ? "" : "s"))" : ""
      return "graph has \(c) connected components\(extra); spectral embedding may not work as expected"
    case .iterativeSolverFellBack(let reason):
      return "the iterative eigensolver failed (\(reason)); the dense solver (LAPACK dsyevr) was used instead"
    case .weaklyConnectedNodes(let count, let ratio):
      let who = count == 1 ? "1 learner has" : "\(count) learners have"
      return "\(who) almost no affinity to the others (smallest degree = \(ratio) of the largest, below \(SpectralEmbedding.weakDegreeRatio)): "
        + "the embedding divides by √degree, so their coordinates and labels carry mostly rounding noise; a smaller --gamma (or a --graph knn:K) connects them"
    }
  }
}

/// Which eigensolver computes the spectrum of the Laplacian: LinearAlgebra's
/// ``EigenSolverChoice`` (`auto`, `dense`, `iterative`).
///
/// - `dense`: `SymmetricEigen.lowest` (LAPACK `dsyevr`, range 'I') on the Laplacian; O(n³).
/// - `iterative`: block Lanczos (`IterativeEigen.largest`) on `M = D^{-1/2} W D^{-1/2}` (zero
///   diagonal), `λ = 1 − μ`; O(n²) per block product, ≈15 products on clustered data.
/// - `auto`: dense below `IterativeEigen.minimumIterativeOrder(count:)` = max(500, 50·(count + max(4, ⌈count/5⌉)))
///   nodes (the measured break-even; 1200 nodes for 20 eigenpairs), iterative from there on.
public typealias SpectralEigenSolver = EigenSolverChoice

extension EigenSolverChoice {
  /// The concrete solver used for `count` eigenpairs of a graph of `n` nodes (never ``auto``).
  ///
  /// ``auto`` follows `SymmetricEigen.resolvedSolver` (the measured dense/iterative break-even).
  /// Either way the iterative solver is only used when `count ≤ n / 2` (a Krylov subspace needs
  /// room beyond the wanted block); otherwise the dense solver runs.
  public func resolved(n: Int, count: Int) -> EigenSolverChoice {
    let wanted = SymmetricEigen.resolvedSolver(self, order: n, count: count)
    return wanted == .iterative && 2 * count <= n ? .iterative : .dense
  }
}

/// Raw pointer to a row-major buffer, shared by worker threads that write disjoint rows.
struct SpectralSharedRows: @unchecked Sendable {
  let base: UnsafeMutablePointer<Double>
}

/// Runs `body(row)` for every row in `0..<count`, interleaved over `workers` threads
/// (`DispatchQueue.concurrentPerform`). Rows must be independent. Serial when `workers == 1`
/// or the work is small (`count · costPerRow < 1_000_000`).
func spectralForEachRow(
  _ count: Int, costPerRow: Int, workers: Int = 2, _ body: @Sendable (Int) -> Void
) {
  let w = max(1, min(workers, count))
  if w == 1 || count * max(1, costPerRow) < 1_000_000 {
    for i in 0..<count { body(i) }
    return
  }
  DispatchQueue.concurrentPerform(iterations: w) { t in
    var i = t
    while i < count {
      body(i)
      i += w
    }
  }
}

extension Matrix {
  /// `true` when every element is finite.
  var spectralAllFinite: Bool { storage.allSatisfy { $0.isFinite } }
}

#if canImport(Glibc)
  /// `MADV_COLLAPSE` (Linux ≥ 6.1; glibc's headers do not name it): make a range huge pages now, copying
  /// the pages already there. Older kernels reject it (`EINVAL`), which only leaves the small pages.
  private let madviseCollapse: Int32 = 25
#endif

/// A fresh `count`-element `Double` array whose elements are all written by `fill` (which must
/// initialise every element; nothing is zero-filled first).
///
/// Large buffers (≥ 4 MiB) are transparent-huge-page candidates on Linux (`madvise(MADV_HUGEPAGE)`
/// before first touch), which turns the ~n²/512 page faults of an n × n matrix into ~n²/2¹⁸. The
/// array's capacity is rounded up so that its allocation (32-byte array header + elements) is a whole
/// number of 2 MiB less glibc's 32 bytes of chunk overhead: glibc then serves it by its own anonymous
/// mapping of exactly that many 2 MiB, which Linux (≥ 6.7) places on a 2 MiB boundary, so the advice
/// covers the whole matrix, not just its 2 MiB-aligned interior (the extra capacity, < 2 MiB, is
/// never touched, so never backed by memory). The last 2 MiB is advised only when the matrix uses at
/// least 128 KiB of it (one huge-page fault, which zeroes 2 MiB, costs about as much as 31 small ones).
/// Where the mapping is not aligned the interior still gets huge pages. Elsewhere this is a plain
/// allocation.
///
/// The first 2 MiB holds the allocator's chunk header and the array's header, written before `fill`
/// runs: a region with a page already mapped is never given a huge page at fault time, so its other
/// 511 pages would fault one by one (≈ 1.9 µs each here). It is collapsed into a huge page right after
/// the advice (`MADV_COLLAPSE`, Linux ≥ 6.1), while the header page is its only page.
///
/// Measured (first touch of 8 MB, one thread, 2-core Zen 4 guest, min of 20): 4 KiB pages 2.80 ms,
/// the 2 MiB-aligned interior advised 0.66 ms, the whole buffer aligned and advised 0.17 ms. With the
/// headers written first (as here, 25 runs each): advised only 1.32 ms min / 1.59 ms median (511 small
/// faults in the first 2 MiB), advised and the first 2 MiB collapsed 0.34 / 0.47 ms. In the n = 1000
/// `cluster` benchmark process: 1,304 → 801 page faults (perf stat, 10 runs).
func spectralUninitializedStorage(count: Int, _ fill: (UnsafeMutablePointer<Double>) -> Void) -> [Double] {
  let bytes = Swift.max(1, count) * MemoryLayout<Double>.stride
  var capacity = Swift.max(1, count)
  #if canImport(Glibc)
    let huge = 2 << 20
    let overhead = 64  // Swift's array header (32) + glibc's chunk header and size rounding (32)
    let large = bytes >= 4 << 20
    if large { capacity = ((bytes + overhead + huge - 1) / huge * huge - overhead) / MemoryLayout<Double>.stride }
  #endif
  return [Double](unsafeUninitializedCapacity: capacity) { buf, initialized in
    let base = buf.baseAddress!
    #if canImport(Glibc)
      if large {
        let page = 4096
        let first = Int(bitPattern: base) & ~(page - 1)
        let end = Int(bitPattern: base) + bytes
        var last = end & ~(huge - 1)
        if end - last >= 128 << 10 {
          last = (Int(bitPattern: base + capacity) + page - 1) & ~(page - 1)  // the allocation's end
        }
        if last > first {
          _ = madvise(UnsafeMutableRawPointer(bitPattern: first), last - first, Int32(MADV_HUGEPAGE))
          // The first 2 MiB already has a page (the allocator's and the array's headers), so its first touch
          // cannot be a huge-page fault: collapse it into a huge page now, while only that page is there.
          if first & (huge - 1) == 0 && last - first >= huge {
            _ = madvise(UnsafeMutableRawPointer(bitPattern: first), huge, madviseCollapse)
          }
        }
      }
    #endif
    fill(base)
    initialized = count
  }
}
