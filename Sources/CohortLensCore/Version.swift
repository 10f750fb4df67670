public enum CohortLensCoreInfo { public static let version = "0.1.0" }
