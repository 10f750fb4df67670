#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// How many processors to size worker pools for.
///
/// The online processors, `sysconf(_SC_NPROCESSORS_ONLN)`, at least 1: one call.
/// `ProcessInfo.activeProcessorCount` also reads the cgroup CPU-quota files through Foundation's file APIs,
/// ≈ 0.2 ms per process, a measurable part of a 20 ms `cluster` run. The count only sizes parallel work: the DTW
/// engine's workers when `--threads` is not given and the k-means restarts, whose results do not depend on it, and
/// the silhouette tiles, whose per-worker partial sums are added at the end, so the last bits of a silhouette may
/// differ between machines with different processor counts.
public enum Processors {
  /// The processor count (see the type's documentation).
  public static func available() -> Int {
    max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
  }
}
