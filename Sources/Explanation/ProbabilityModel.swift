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

/// A model's answer that cannot be used.
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
  public var message: String
  public var hint: String?
  public init(_ message: String, hint: String? = nil) {
    self.message = message
    self.hint = hint
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
    guard !coefficients.isEmpty, coefficients.allSatisfy({ $0.count == p }) else {
      throw ModelError("every coefficient row needs one value per feature (\(p))")
    }
    guard intercepts.count == coefficients.count else {
      throw ModelError("\(coefficients.count) coefficient row(s) but \(intercepts.count) intercept(s)")
    }
    if let m = scalerMean, m.count != p { throw ModelError("scaler.mean needs \(p) values") }
    if let s = scalerScale, s.count != p || s.contains(where: { !($0 != 0 && $0.isFinite) }) {
      throw ModelError("scaler.scale needs \(p) non-zero values")
    }
    if let c = classes, c.count != outputCount! {
      throw ModelError("\(c.count) class names for \(outputCount!) outputs")
    }
  }

  /// Parses the JSON model format above.
  public init(json text: String) throws {
    let v: JSONValue
    do { v = try JSONParser.parse(text) } catch let e as JSONParser.Failure {
      throw ModelError("not valid JSON: \(e.message) at byte \(e.offset)")
    }
    func numbers(_ x: JSONValue?, _ what: String) throws -> [Double] {
      guard case let .array(items)? = x else { throw ModelError("'\(what)' must be an array of numbers") }
      return try items.map {
        switch $0 {
        case let .int(i): return Double(i)
        case let .double(d): return d
        default: throw ModelError("'\(what)' must hold numbers only")
        }
      }
    }
    func number(_ x: JSONValue?) -> Double? {
      switch x {
      case let .int(i)?: return Double(i)
      case let .double(d)?: return d
      default: return nil
      }
    }
    guard case let .string(t)? = v["type"], let kind = Kind(rawValue: t) else {
      throw ModelError("'type' must be \"logistic\" or \"linear\"")
    }
    guard case let .array(names)? = v["features"] else { throw ModelError("'features' must list the feature names") }
    let features = try names.map { n -> String in
      guard case let .string(s) = n else { throw ModelError("'features' must hold strings") }
      return s
    }
    var coefficients: [[Double]]
    if case let .array(rows)? = v["coefficients"], case .array? = rows.first {
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
    if case let .array(c)? = v["classes"] {
      classes = c.map {
        switch $0 {
        case let .string(s): return s
        case let .int(i): return String(i)
        case let .double(d): return NumberFormatting.roundTrip(d)
        default: return "?"
        }
      }
    }
    var mean: [Double]?, scale: [Double]?
    if let s = v["scaler"], s != .null {
      mean = try numbers(s["mean"], "scaler.mean")
      scale = try numbers(s["scale"], "scaler.scale")
    }
    try self.init(kind: kind, features: features, coefficients: coefficients, intercepts: intercepts,
                  classes: classes, scalerMean: mean, scalerScale: scale)
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

/// A small JSON reader (RFC 8259) into `JSONValue`; integers without fraction or exponent become
/// `.int` when they fit, other numbers `.double` (parsed by `strtod`).
public enum JSONParser {
  public struct Failure: Error, Sendable {
    public var message: String
    public var offset: Int
  }

  public static func parse(_ text: String) throws -> JSONValue {
    var p = Parser(bytes: Array(text.utf8))
    p.skip()
    let v = try p.value()
    p.skip()
    if p.i != p.bytes.count { throw Failure(message: "unexpected trailing text", offset: p.i) }
    return v
  }

  struct Parser {
    let bytes: [UInt8]
    var i = 0

    mutating func skip() {
      while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 }
    }

    mutating func expect(_ s: String) throws {
      for b in s.utf8 {
        guard i < bytes.count, bytes[i] == b else { throw Failure(message: "expected '\(s)'", offset: i) }
        i += 1
      }
    }

    mutating func value() throws -> JSONValue {
      guard i < bytes.count else { throw Failure(message: "unexpected end", offset: i) }
      switch bytes[i] {
      case UInt8(ascii: "{"):
        i += 1
        var pairs: [(String, JSONValue)] = []
        skip()
        if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
          i += 1
          return .object(pairs)
        }
        while true {
          skip()
          let key = try string()
          skip()
          try expect(":")
          skip()
          pairs.append((key, try value()))
          skip()
          guard i < bytes.count else { throw Failure(message: "unterminated object", offset: i) }
          if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
          if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(pairs) }
          throw Failure(message: "expected ',' or '}'", offset: i)
        }
      case UInt8(ascii: "["):
        i += 1
        var items: [JSONValue] = []
        skip()
        if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
          i += 1
          return .array(items)
        }
        while true {
          skip()
          items.append(try value())
          skip()
          guard i < bytes.count else { throw Failure(message: "unterminated array", offset: i) }
          if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
          if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
          throw Failure(message: "expected ',' or ']'", offset: i)
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try expect("true"); return .bool(true)
      case UInt8(ascii: "f"): try expect("false"); return .bool(false)
      case UInt8(ascii: "n"): try expect("null"); return .null
      default: return try number()
      }
    }

    mutating func number() throws -> JSONValue {
      let start = i
      var integral = true
      while i < bytes.count {
        let c = bytes[i]
        if (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+") {
          i += 1
        } else if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
          integral = false
          i += 1
        } else {
          break
        }
      }
      guard i > start else { throw Failure(message: "unexpected character", offset: i) }
      let text = String(decoding: bytes[start..<i], as: UTF8.self)
      if integral, let v = Int(text) { return .int(v) }
      var end: UnsafeMutablePointer<CChar>?
      let d = text.withCString { cs -> Double in
        let v = strtod(cs, &end)
        if end! - UnsafeMutablePointer(mutating: cs) != text.utf8.count { end = nil }
        return v
      }
      guard end != nil else { throw Failure(message: "invalid number '\(text)'", offset: start) }
      return .double(d)
    }

    mutating func string() throws -> String {
      guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw Failure(message: "expected a string", offset: i) }
      i += 1
      var out: [UInt8] = []
      while i < bytes.count {
        let c = bytes[i]
        i += 1
        if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
        if c != UInt8(ascii: "\\") {
          out.append(c)
          continue
        }
        guard i < bytes.count else { break }
        let e = bytes[i]
        i += 1
        switch e {
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "u"):
          guard i + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16)
          else { throw Failure(message: "bad \\u escape", offset: i) }
          i += 4
          var scalarValue = code
          if code >= 0xD800 && code < 0xDC00, i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"),
            let low = UInt32(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
          {
            scalarValue = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            i += 6
          }
          out.append(contentsOf: Array(String(Unicode.Scalar(scalarValue).map(Character.init) ?? "\u{FFFD}").utf8))
        default: out.append(e)
        }
      }
      throw Failure(message: "unterminated string", offset: i)
    }
  }
}
