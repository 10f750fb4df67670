/// The CohortLens version, written into every JSON output (`"tool": {"version": …}`).
public enum CohortLensVersion {
  public static let string = "0.1.0"
}
