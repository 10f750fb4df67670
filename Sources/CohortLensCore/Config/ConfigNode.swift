/// A position in a configuration file: 1-based line and 1-based character (Unicode scalar) column.
public struct ConfigMark: Sendable, Hashable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public var description: String { "\(line):\(column)" }
}

/// A bad configuration file: a syntax error, an unknown key, a value of the wrong kind.
///
/// `description` renders as `file:line:column: message; hint`, like ``InputError``. Exit status 64
/// (`EX_USAGE`): the configuration is how the user drives the tool, so a wrong one is a usage error.
public struct ConfigError: CohortLensError, Equatable {
  public var file: String
  public var mark: ConfigMark?
  public var message: String
  public var hint: String?

  public init(file: String, mark: ConfigMark?, message: String, hint: String? = nil) {
    self.file = file
    self.mark = mark
    self.message = message
    self.hint = hint
  }

  public var exitCode: Int32 { 64 }

  public var description: String {
    var s = file
    if let mark { s += ":\(mark.line):\(mark.column)" }
    s += ": " + message
    if let hint { s += "; " + hint }
    return s
  }
}

/// A node of a parsed configuration document (YAML subset or JSON): a scalar, a mapping with keys in
/// file order, or a sequence; every node and key carries its position for error messages.
///
/// Scalars keep their source text; typed access (``int(_:)``, ``double(_:)``, ``bool(_:)``) converts
/// on demand and reports the node's position when the text is not of the wanted kind. A plain `null`,
/// `~` or empty value is ``Value/null``.
public struct ConfigNode: Sendable, Equatable {
  /// One `key: value` entry of a mapping.
  public struct Entry: Sendable, Equatable {
    public var key: String
    public var keyMark: ConfigMark
    public var value: ConfigNode
    public init(key: String, keyMark: ConfigMark, value: ConfigNode) {
      self.key = key
      self.keyMark = keyMark
      self.value = value
    }
  }

  public enum Value: Sendable, Equatable {
    case null
    /// Scalar text; `quoted` when it was written in quotes (never a number, boolean or null then).
    case scalar(String, quoted: Bool)
    case mapping([Entry])
    case sequence([ConfigNode])
  }

  public var value: Value
  public var mark: ConfigMark
  /// The file the node came from (for error messages).
  public var file: String

  public init(value: Value, mark: ConfigMark, file: String) {
    self.value = value
    self.mark = mark
    self.file = file
  }

  /// An error located at this node.
  public func error(_ message: String, hint: String? = nil) -> ConfigError {
    ConfigError(file: file, mark: mark, message: message, hint: hint)
  }

  /// What kind of node this is, in words, for messages.
  public var kindDescription: String {
    switch value {
    case .null: return "an empty value"
    case .scalar(let s, _): return MessageText.quoted(s)
    case .mapping: return "a mapping"
    case .sequence: return "a list"
    }
  }

  /// The entries of a mapping; `context` names the key in messages (e.g. `steps.fairness`).
  public func mapping(_ context: String) throws -> [Entry] {
    if case .mapping(let entries) = value { return entries }
    throw error("\(context) must be a mapping of 'key: value' lines, got \(kindDescription)")
  }

  /// The items of a sequence. A scalar is accepted as a one-item list when `allowScalar`.
  public func sequence(_ context: String, allowScalar: Bool = false) throws -> [ConfigNode] {
    switch value {
    case .sequence(let items): return items
    case .scalar where allowScalar: return [self]
    default: throw error("\(context) must be a list, got \(kindDescription)")
    }
  }

  /// Scalar text (numbers and booleans as written).
  public func string(_ context: String) throws -> String {
    if case .scalar(let s, _) = value { return s }
    throw error("\(context) must be a single value, got \(kindDescription)")
  }

  /// A list of strings: a sequence of scalars, or one scalar holding a comma-separated list.
  public func stringList(_ context: String) throws -> [String] {
    switch value {
    case .scalar(let s, _):
      return s.split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
    case .sequence(let items):
      return try items.map { try $0.string("an item of \(context)") }
    default:
      throw error("\(context) must be a list of names, got \(kindDescription)")
    }
  }

  /// A whole number in decimal digits with an optional sign. A number with a leading zero (`010`, `08`) is refused:
  /// YAML 1.1 readers such as PyYAML take `010` for the octal 8 (and `08` for text), YAML 1.2 for 10.
  public func int(_ context: String) throws -> Int {
    let s = try string(context)
    guard let v = Int(s) else { throw error("\(context) must be a whole number, got \(MessageText.quoted(s))") }
    let digits = s.unicodeScalars.drop { $0 == "+" || $0 == "-" }
    if digits.count > 1 && digits.first == "0" {
      throw error("\(context) must be a whole number without leading zeros, got \(MessageText.quoted(s))",
                  hint: "write \(v); YAML 1.1 readers take a leading 0 for an octal number (010 is 8 there)")
    }
    return v
  }

  public func double(_ context: String) throws -> Double {
    let s = try string(context)
    guard let v = DecimalParser.parse(s), v.isFinite else { throw error("\(context) must be a number, got \(MessageText.quoted(s))") }
    return v
  }

  public func bool(_ context: String) throws -> Bool {
    let s = try string(context)
    switch s.lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: throw error("\(context) must be true or false, got \(MessageText.quoted(s))")
    }
  }

  /// The value under `key` in a mapping, or nil.
  public subscript(key: String) -> ConfigNode? {
    guard case .mapping(let entries) = value else { return nil }
    return entries.first { $0.key == key }?.value
  }
}

extension String {
  /// Without leading/trailing spaces and tabs.
  func trimmingBlanks() -> String {
    var s = Substring(self)
    while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
    while let l = s.last, l == " " || l == "\t" { s.removeLast() }
    return String(s)
  }
}
