import CohortLensCore

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A model LIME can ask: rows in, one row of outputs (class probabilities, or one value for a
/// regression model) out.
public protocol ProbabilityModel: Sendable {
  /// Outputs per row when known in advance (classes; 1 for a regression model), else nil.
  var outputCount: Int? { get }
  /// True when outputs are class probabilities (checked to lie in [0, 1] and sum to 1).
  var isClassifier: Bool { get }
  /// Outputs for `rowCount` rows of `columns` values (row-major); returns row-major
  /// `rowCount × outputs` values and the number of outputs per row.
  func predict(_ rows: [Double], rowCount: Int, columns: Int) throws -> (values: [Double], outputs: Int)
}

/// A model's answer, or a model file, that cannot be used.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
  /// The entry of a model file an error is about (``LinearModel/init(json:)`` turns it into a line and column).
  public enum Field: Sendable, Equatable {
    case features, classes
    /// The `index`-th name of `features`.
    case feature(Int)
    /// Coefficient row `row` (0-based), or its `column`-th value.
    case coefficients(row: Int?, column: Int?)
    /// The intercept (or its `index`-th value).
    case intercept(Int?)
    /// `scaler.mean` / `scaler.scale` (or their `index`-th value).
    case scalerMean(Int?), scalerScale(Int?)
  }

  public var message: String
  public var hint: String?
  /// The model file entry the error is about, when it is about one.
  public var field: Field?
  /// 1-based line and column of that entry in the model file, when known.
  public var line: Int?
  public var column: Int?
  public init(_ message: String, hint: String? = nil, field: Field? = nil) {
    self.message = message
    self.hint = hint
    self.field = field
  }
  public var description: String { hint.map { "\(message); \($0)" } ?? message }
}

/// Checks a model's answer: the requested number of rows, the expected number of outputs, finite
/// values, probabilities in [0, 1]. Rows whose probabilities do not sum to 1 within 1e-6 are
/// counted and returned (lime only warns about them).
/// - Returns: the largest |Σ row − 1| (0 for regression models).
public func validateModelOutput(
  _ values: [Double], rows: Int, outputs: Int, expectedRows: Int, expectedOutputs: Int?, classifier: Bool
) throws -> Double {
  if rows != expectedRows {
    throw ModelError("the model answered \(rows) rows for a request of \(expectedRows)",
                     hint: "the model must return one row of probabilities per input row")
  }
  if let e = expectedOutputs, e != outputs {
    throw ModelError("the model answered \(outputs) classes per row, expected \(e)",
                     hint: "check --class-names and the model's classes")
  }
  if values.count != rows * outputs {
    throw ModelError("the model answered \(values.count) values, expected \(rows) × \(outputs)")
  }
  guard classifier else {
    if let bad = values.firstIndex(where: { !$0.isFinite }) {
      throw ModelError("the model answered a non-finite value (\(values[bad])) in row \(bad / max(outputs, 1))")
    }
    return 0
  }
  var worst = 0.0
  for r in 0..<rows {
    var s = 0.0
    for c in 0..<outputs {
      let v = values[r * outputs + c]
      if !v.isFinite {
        throw ModelError("the model answered a non-finite probability (\(v)) in row \(r), class \(c)",
                         hint: "the model must return finite probabilities")
      }
      if v < 0 || v > 1 {
        throw ModelError("the model answered probability \(v) outside [0, 1] in row \(r), class \(c)",
                         hint: "return predict_proba, not decision scores or logits")
      }
      s += v
    }
    worst = Swift.max(worst, Swift.abs(s - 1))
  }
  return worst
}

/// Built-in linear models read from JSON (`--model FILE.json`), as exported from scikit-learn:
///
///     {"type": "logistic" | "linear", "features": [names…],
///      "coefficients": [c…] or [[c…] per class], "intercept": b or [b per class],
///      "classes": [optional class names], "scaler": {"mean": […], "scale": […]} (optional)}
///
/// Inputs are standardised first when a scaler is given: z = (x − mean)/scale. Logistic with one
/// coefficient row: P(class 1) = σ(z·c + b), outputs [1 − p, p] (scikit-learn binary
/// `predict_proba`); with K rows: softmax(z·Cᵀ + b) (multinomial). Linear: one output z·c + b
/// (K rows: K outputs).
public struct LinearModel: ProbabilityModel, Equatable {
  public enum Kind: String, Sendable { case logistic, linear }
  public var kind: Kind
  public var features: [String]
  /// K × p coefficient rows.
  public var coefficients: [[Double]]
  public var intercepts: [Double]
  public var classes: [String]?
  public var scalerMean: [Double]?
  public var scalerScale: [Double]?
  /// Keys of the JSON file that are not part of the format (`"classs"`, `"coef"`), with their line and column:
  /// ignored, and worth a warning, since a misspelt optional key would otherwise go unnoticed. Empty when the
  /// model was built in code.
  public var unknownKeys: [UnknownKey] = []

  /// A key of a model file that the format does not know.
  public struct UnknownKey: Sendable, Equatable {
    public var key: String
    public var line: Int
    public var column: Int
  }

  /// The keys of the JSON format.
  public static let jsonKeys = ["type", "features", "coefficients", "intercept", "classes", "scaler"]

  public init(kind: Kind, features: [String], coefficients: [[Double]], intercepts: [Double],
              classes: [String]? = nil, scalerMean: [Double]? = nil, scalerScale: [Double]? = nil) throws {
    self.kind = kind
    self.features = features
    self.coefficients = coefficients
    self.intercepts = intercepts
    self.classes = classes
    self.scalerMean = scalerMean
    self.scalerScale = scalerScale
    let p = features.count
    guard p > 0 else { throw ModelError("'features' is empty", hint: "list the feature names the model was fitted on", field: .features) }
    var seen: [String: Int] = [:]
    for (i, name) in features.enumerated() {
      if let first = seen[name] {
        throw ModelError("feature '\(name)' is listed twice in 'features' (positions \(first + 1) and \(i + 1))",
                         hint: "each feature must appear once, in the order of the coefficients", field: .feature(i))
      }
      seen[name] = i
    }
    guard !coefficients.isEmpty else {
      throw ModelError("'coefficients' is empty: it needs one value per feature (\(p))", field: .coefficients(row: nil, column: nil))
    }
    if let r = coefficients.firstIndex(where: { $0.count != p }) {
      throw ModelError(
        "coefficient row\(coefficients.count > 1 ? " \(r + 1)" : "") has \(coefficients[r].count) value(s) for \(p) feature(s)",
        hint: "every coefficient row needs one value per feature, in the order of 'features'", field: .coefficients(row: r, column: nil))
    }
    for (r, row) in coefficients.enumerated() {
      if let j = row.firstIndex(where: { !$0.isFinite }) {
        throw ModelError("coefficient of '\(features[j])'\(coefficients.count > 1 ? " in row \(r + 1)" : "") is \(row[j]), not a finite number",
                         hint: "export the fitted model's coef_ (finite values; JSON numbers beyond ±1.8e308 read as infinite)",
                         field: .coefficients(row: r, column: j))
      }
    }
    guard intercepts.count == coefficients.count else {
      throw ModelError("\(coefficients.count) coefficient row(s) but \(intercepts.count) intercept(s)",
                       hint: "give one intercept per coefficient row", field: .intercept(nil))
    }
    if let r = intercepts.firstIndex(where: { !$0.isFinite }) {
      throw ModelError("intercept\(intercepts.count > 1 ? " \(r + 1)" : "") is \(intercepts[r]), not a finite number",
                       hint: "export the fitted model's intercept_ (finite values)", field: .intercept(intercepts.count > 1 ? r : nil))
    }
    if let m = scalerMean, m.count != p {
      throw ModelError("scaler.mean has \(m.count) value(s) for \(p) feature(s)", hint: "give one mean per feature", field: .scalerMean(nil))
    }
    if let m = scalerMean, let j = m.firstIndex(where: { !$0.isFinite }) {
      throw ModelError("scaler.mean of '\(features[j])' is \(m[j]), not a finite number",
                       hint: "export the fitted StandardScaler's mean_ (finite values)", field: .scalerMean(j))
    }
    if let s = scalerScale, s.count != p {
      throw ModelError("scaler.scale has \(s.count) value(s) for \(p) feature(s)", hint: "give one scale per feature",
                       field: .scalerScale(nil))
    }
    if let s = scalerScale, let j = s.firstIndex(where: { !($0 != 0 && $0.isFinite) }) {
      throw ModelError("scaler.scale of '\(features[j])' is \(s[j]); scales must be finite and non-zero",
                       hint: "export the fitted StandardScaler's scale_ (1 for a constant column)", field: .scalerScale(j))
    }
    if let c = classes, c.count != outputCount! {
      throw ModelError("\(c.count) class names for \(outputCount!) outputs", hint: "list one name per output of the model",
                       field: .classes)
    }
  }

  /// Parses the JSON model format above (read with ``ConfigParser``, so a syntax error names its
  /// line and column).
  public init(json text: String) throws {
    let v: ConfigNode
    do { v = try ConfigParser.parse(text, file: "model") } catch let e as ConfigError {
      throw ModelError("not valid JSON: \(e.mark.map { "line \($0.line), column \($0.column): " } ?? "")\(e.message)")
    }
    guard case .mapping = v.value else { throw ModelError("the model must be a JSON object").located(at: v) }
    func numbers(_ x: ConfigNode?, _ what: String) throws -> [Double] {
      guard let x else { throw ModelError("'\(what)' is missing: it must be an array of numbers").located(at: v) }
      guard case let .sequence(items) = x.value else { throw ModelError("'\(what)' must be an array of numbers").located(at: x) }
      return try items.map { item in
        guard case let .scalar(s, quoted) = item.value, !quoted, let d = DecimalParser.parse(s) else {
          throw ModelError("'\(what)' must hold numbers only").located(at: item)
        }
        return d
      }
    }
    func number(_ x: ConfigNode?) -> Double? {
      guard let x, case let .scalar(s, quoted) = x.value, !quoted else { return nil }
      return DecimalParser.parse(s)
    }
    func string(_ x: ConfigNode?) -> String? {
      guard let x, case let .scalar(s, _) = x.value else { return nil }
      return s
    }
    guard let t = string(v["type"]), let kind = Kind(rawValue: t) else {
      throw ModelError("'type' must be \"logistic\" or \"linear\"").located(at: v["type"] ?? v)
    }
    guard let namesNode = v["features"], case let .sequence(names) = namesNode.value else {
      throw ModelError("'features' must list the feature names").located(at: v["features"] ?? v)
    }
    let features = try names.map { n -> String in
      guard case let .scalar(s, quoted) = n.value, quoted else { throw ModelError("'features' must hold strings").located(at: n) }
      return s
    }
    var coefficients: [[Double]]
    if let c = v["coefficients"], case let .sequence(rows) = c.value, let first = rows.first, case .sequence = first.value {
      coefficients = try rows.map { try numbers($0, "coefficients") }
    } else {
      coefficients = [try numbers(v["coefficients"], "coefficients")]
    }
    var intercepts: [Double]
    if let b = number(v["intercept"]) {
      intercepts = [b]
    } else if v["intercept"] == nil {
      intercepts = [Double](repeating: 0, count: coefficients.count)
    } else {
      intercepts = try numbers(v["intercept"], "intercept")
    }
    var classes: [String]?
    if let c = v["classes"], case let .sequence(items) = c.value {
      classes = items.map { item in
        guard case let .scalar(s, quoted) = item.value else { return "?" }
        if quoted { return s }
        if let i = Int(s) { return String(i) }
        return DecimalParser.parse(s).map(NumberFormatting.roundTrip) ?? s
      }
    }
    var mean: [Double]?, scale: [Double]?
    if let s = v["scaler"], s.value != .null {
      mean = try numbers(s["mean"], "scaler.mean")
      scale = try numbers(s["scale"], "scaler.scale")
    }
    do {
      try self.init(kind: kind, features: features, coefficients: coefficients, intercepts: intercepts,
                    classes: classes, scalerMean: mean, scalerScale: scale)
      if case let .mapping(entries) = v.value {
        unknownKeys = entries.filter { !Self.jsonKeys.contains($0.key) }
          .map { UnknownKey(key: $0.key, line: $0.keyMark.line, column: $0.keyMark.column) }
      }
      if let s = v["scaler"], case let .mapping(entries) = s.value {
        unknownKeys += entries.filter { !["mean", "scale"].contains($0.key) }
          .map { UnknownKey(key: "scaler." + $0.key, line: $0.keyMark.line, column: $0.keyMark.column) }
      }
    } catch let e as ModelError {
      // The entry the error is about, as written in the file.
      func item(_ node: ConfigNode?, _ i: Int?) -> ConfigNode? {
        guard let node, let i, case let .sequence(items) = node.value, items.indices.contains(i) else { return node }
        return items[i]
      }
      let coefficientsNode = v["coefficients"]
      var node: ConfigNode?
      switch e.field {
      case .features: node = namesNode
      case .feature(let i): node = item(namesNode, i)
      case .classes: node = v["classes"]
      case .coefficients(let row, let column):
        // One row written flat (`[c…]`) or rows of rows (`[[c…], …]`).
        var nested = false
        if case let .sequence(rows)? = coefficientsNode?.value, case .sequence? = rows.first?.value { nested = true }
        let rowNode = coefficients.count == 1 && !nested ? coefficientsNode : item(coefficientsNode, row)
        node = item(rowNode, column)
      case .intercept(let i): node = item(v["intercept"], i)
      case .scalerMean(let i): node = item(v["scaler"]?["mean"], i)
      case .scalerScale(let i): node = item(v["scaler"]?["scale"], i)
      case nil: node = nil
      }
      throw node.map { e.located(at: $0) } ?? e
    }
  }

  public var outputCount: Int? {
    kind == .logistic && coefficients.count == 1 ? 2 : coefficients.count
  }
  public var isClassifier: Bool { kind == .logistic }

  public func predict(_ rows: [Double], rowCount: Int, columns: Int) throws -> (values: [Double], outputs: Int) {
    let p = features.count
    guard columns == p else { throw ModelError("the model has \(p) features, asked with \(columns)") }
    let k = coefficients.count
    let outputs = outputCount!
    var out = [Double](repeating: 0, count: rowCount * outputs)
    var z = [Double](repeating: 0, count: p)
    var scores = [Double](repeating: 0, count: k)
    for r in 0..<rowCount {
      for j in 0..<p {
        var x = rows[r * p + j]
        if let m = scalerMean { x -= m[j] }
        if let s = scalerScale { x /= s[j] }
        z[j] = x
      }
      for c in 0..<k {
        var s = 0.0
        let row = coefficients[c]
        for j in 0..<p { s += z[j] * row[j] }
        scores[c] = s + intercepts[c]
      }
      switch (kind, k) {
      case (.linear, _):
        for c in 0..<k { out[r * outputs + c] = scores[c] }
      case (.logistic, 1):
        let prob = 1 / (1 + exp(-scores[0]))
        out[r * 2] = 1 - prob
        out[r * 2 + 1] = prob
      case (.logistic, _):
        let m = scores.max()!
        var s = 0.0
        for c in 0..<k {
          let e = exp(scores[c] - m)
          scores[c] = e
          s += e
        }
        for c in 0..<k { out[r * outputs + c] = scores[c] / s }
      }
    }
    return (out, outputs)
  }
}

extension ModelError {
  /// The error with the line and column of `node` in the model file.
  func located(at node: ConfigNode) -> ModelError {
    var e = self
    e.line = node.mark.line
    e.column = node.mark.column
    return e
  }
}
