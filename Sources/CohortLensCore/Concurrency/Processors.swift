#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How many processors to size worker pools for.
///
/// The online processors, `sysconf(_SC_NPROCESSORS_ONLN)`, at least 1 (as the DTW engine counts them): one call.
/// `ProcessInfo.activeProcessorCount` also reads the cgroup CPU-quota files through Foundation's file APIs,
/// ≈ 0.2 ms per process, a measurable part of a 20 ms `cluster` run. The count only sizes parallel work (k-means
/// restarts, whose result does not depend on it; silhouette tiles, whose per-worker partial sums are added at the
/// end, so the last bits of a silhouette may differ between machines with different processor counts).
public enum Processors {
  /// The processor count (see the type's documentation).
  public static func available() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }
}
