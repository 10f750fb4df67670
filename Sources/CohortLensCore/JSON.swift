/// A JSON document that keeps object keys in insertion order.
///
/// Build values with the cases or with literals (`["k": 1, "list": [1.5, nil]]` keeps `k` first).
/// `serialized(pretty:)` writes RFC 8259 JSON: strings escaped (`"`, `\`, and control characters
/// U+0000…U+001F as `\n`, `\r`, `\t`, `\b`, `\f` or `\u00XX`), doubles in round-trip precision
/// (`NumberFormatting.roundTrip`), and non-finite doubles as `null`. O(size of the document).
public indirect enum JSONValue: Sendable, Equatable {
  /// `null`.
  case null
  /// `true` / `false`.
  case bool(Bool)
  /// An integer, written in decimal.
  case int(Int)
  /// A double in round-trip precision; NaN and infinities are written as `null`.
  case double(Double)
  /// A string, escaped as described above.
  case string(String)
  /// An array.
  case array([JSONValue])
  /// An object; pairs keep their order (duplicate keys are written as given).
  case object([(String, JSONValue)])

  /// Structural equality; `.double(.nan)` equals itself, object key order matters.
  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.int(x), .int(y)): return x == y
    case let (.double(x), .double(y)): return x == y || (x.isNaN && y.isNaN)
    case let (.string(x), .string(y)): return x == y
    case let (.array(x), .array(y)): return x == y
    case let (.object(x), .object(y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// `value` as `.double`, or `.null` when `nil`.
  public static func number(_ value: Double?) -> JSONValue { value.map { .double($0) } ?? .null }

  /// The value for `key` in an object (first match), `nil` otherwise.
  public subscript(key: String) -> JSONValue? {
    guard case let .object(pairs) = self else { return nil }
    return pairs.first { $0.0 == key }?.1
  }

  /// `true` for null, booleans, numbers and strings.
  var isScalar: Bool {
    switch self {
    case .array, .object: return false
    default: return true
    }
  }

  /// JSON text. `pretty`: 2-space indentation, `"key": value`, one element per line (arrays
  /// whose elements are all scalars on one line, `[1, 2, 3]`), empty
  /// containers as `[]`/`{}`; otherwise compact with no spaces. No trailing newline.
  public func serialized(pretty: Bool = true) -> String {
    var out = ""
    write(to: &out, pretty: pretty, indent: 0)
    return out
  }

  private func write(to out: inout String, pretty: Bool, indent: Int) {
    switch self {
    case .null: out += "null"
    case let .bool(b): out += b ? "true" : "false"
    case let .int(i): out += String(i)
    case let .double(d): out += d.isFinite ? NumberFormatting.roundTrip(d) : "null"
    case let .string(s): JSONValue.writeString(s, to: &out)
    case let .array(items):
      if items.isEmpty {
        out += "[]"
        return
      }
      // Arrays of scalars (ids, labels, eigenvalues) stay on one line even when pretty.
      let inline = pretty && items.allSatisfy(\.isScalar)
      out += "["
      for (k, item) in items.enumerated() {
        if k > 0 { out += inline ? ", " : "," }
        if pretty && !inline { newline(&out, indent + 1) }
        item.write(to: &out, pretty: pretty, indent: indent + 1)
      }
      if pretty && !inline { newline(&out, indent) }
      out += "]"
    case let .object(pairs):
      if pairs.isEmpty {
        out += "{}"
        return
      }
      out += "{"
      for (k, pair) in pairs.enumerated() {
        if k > 0 { out += "," }
        if pretty { newline(&out, indent + 1) }
        JSONValue.writeString(pair.0, to: &out)
        out += pretty ? ": " : ":"
        pair.1.write(to: &out, pretty: pretty, indent: indent + 1)
      }
      if pretty { newline(&out, indent) }
      out += "}"
    }
  }

  private func newline(_ out: inout String, _ indent: Int) {
    out += "\n"
    out += String(repeating: "  ", count: indent)
  }

  /// Appends `s` as a quoted, escaped JSON string.
  static func writeString(_ s: String, to out: inout String) {
    out += "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case "\u{08}": out += "\\b"
      case "\u{0C}": out += "\\f"
      default:
        if scalar.value < 0x20 {
          let hex = String(scalar.value, radix: 16, uppercase: false)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    out += "\""
  }
}

extension JSONValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
  ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral,
  ExpressibleByDictionaryLiteral
{
  public init(nilLiteral: ()) { self = .null }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int) { self = .int(value) }
  public init(floatLiteral value: Double) { self = .double(value) }
  public init(stringLiteral value: String) { self = .string(value) }
  public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
  /// Keeps the literal's key order.
  public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
}
