import CohortLensCore

/// The audit configuration: the report's title, a seed and the ordered steps, each step naming a
/// command (`fairness`, `cluster`, `explain`, …) and that command's options under their flag names.
///
/// ```yaml
/// title: Flipped classroom, spring term
/// seed: 0
/// steps:
///   - fairness:
///       name: bilstm-by-gender          # optional: the step's name in the report (default: the command)
///       predictions: data/predictions.csv   # paths are relative to this file's folder
///       join: row
///       by: [gender, country]
///   - cluster:
///       series: data/weekly.csv
///       k: 2...6
/// ```
///
/// Options are written as in the single commands without the leading `--`: a value (`k: 2...6`),
/// a list (`by: [gender, country]`, passed comma-separated), or for a flag a YAML 1.2 boolean
/// (`intersect: true`; `false` leaves it out). An empty value leaves any option out. Every step is
/// parsed and validated by its command's own rules before any work starts; errors point at
/// `file:line:column` of the config.
struct AuditConfiguration {
  /// One step: a command with its arguments, as it would be typed after `cohortlens <command>`.
  struct Step {
    var command: String
    var name: String
    var title: String?
    var arguments: [String]
    /// The config node of the step's options (for located errors), nil for built-in steps.
    var node: ConfigNode?
    /// Option name → its key position in the config.
    var optionMarks: [String: ConfigMark]
    /// Option name → the values it lists, each with its position: a list's items at their own
    /// positions, the comma-separated parts of a single value at the option's key, and a value of several
    /// parts also as a whole (as passed) at the key. Used to point a
    /// step's runtime error about a name (a column that is not there) at the entry that gave it.
    var optionValueMarks: [String: [(value: String, mark: ConfigMark)]] = [:]
    /// The position of the step's command key (`- fairness:`), for errors about the step as a whole.
    var mark: ConfigMark?
    /// Audit-only settings of the step (see ``auditKeys``), parsed and checked when the configuration is loaded.
    var settings = Settings()
  }

  /// The audit-only settings of a step, checked before any work (``load(node:file:baseDirectory:knownCommands:flags:)``).
  struct Settings {
    /// `profile:` of a cluster step.
    var profile: ClusterProfileSpec?
    /// `clusters:` of a fairness or explain step: the name of an earlier cluster step, and the value's
    /// node (for errors).
    var clusters: (name: String, node: ConfigNode)?
    /// `show:` of an explain step: how many students are drawn in the report.
    var show = 6
  }

  /// Settings that belong to the audit, not to the command, per command:
  /// - `cluster.profile`: `{table, id, outcome, positive, by}` — per-cluster outcome rate and demographic
  ///   composition (χ², Cramér's V) from a learner table;
  /// - `fairness.clusters` / `explain.clusters`: the name of an earlier cluster step whose clusters
  ///   become one more sensitive attribute (fairness) or grouping (explain);
  /// - `explain.show`: how many students to draw in the report (default 6, the most confident
  ///   predictions of the explained class first).
  static let auditKeys: [String: Set<String>] = [
    "cluster": ["profile"],
    "fairness": ["clusters"],
    "explain": ["clusters", "show"],
  ]

  var file: String
  var title: String
  var seed: UInt32?
  var steps: [Step]

  /// Option names whose values are input paths, resolved against the config's folder.
  static let pathOptions: Set<String> = [
    "predictions", "groups", "features", "series", "matrix", "model",
  ]

  /// Options of the single commands that write files of their own, refused in a step, with where the
  /// audit puts what they would write.
  static let refusedOptions: [String: String] = [
    "output": "every step's result goes into the audit's --out folder (report.json, tables/)",
    "format": "every step's result goes into the audit's --out folder (report.json, tables/)",
    "progress": "pass --progress to the audit instead",
  ]

  /// Reads a configuration: `node` parsed from `file`; `baseDirectory` is where relative paths start.
  /// `flags` names, per command, the options that are flags (they take `true` or `false`, not a value).
  static func load(
    node: ConfigNode, file: String, baseDirectory: String, knownCommands: Set<String>, flags: [String: Set<String>]
  ) throws -> AuditConfiguration {
    let root = try node.mapping("the audit configuration")
    var title = "CohortLens audit"
    var seed: UInt32?
    var steps: [Step] = []
    var names: [String: ConfigMark] = [:]
    for entry in root {
      switch entry.key {
      case "title":
        title = try entry.value.string("title")
      case "seed":
        let s = try entry.value.int("seed")
        guard s >= 0, s <= Int(UInt32.max) else {
          throw entry.value.error("seed must be between 0 and \(UInt32.max), got \(s)")
        }
        seed = UInt32(s)
      case "steps":
        for item in try entry.value.sequence("steps") {
          let body = try item.mapping("a step")
          guard body.count == 1, let only = body.first else {
            throw item.error(
              "a step is one command with its options, e.g. '- fairness:' followed by indented options",
              hint: "start each step with '- ' and the command name")
          }
          guard knownCommands.contains(only.key) else {
            throw ConfigError(
              file: file, mark: only.keyMark, message: "unknown step '\(only.key)'",
              hint: "steps are \(knownCommands.sorted().joined(separator: ", "))")
          }
          var step = try parseStep(
            command: only.key, node: only.value, baseDirectory: baseDirectory, flags: flags[only.key] ?? [])
          step.mark = only.keyMark
          if let previous = names[step.name] {
            throw ConfigError(
              file: file, mark: only.keyMark,
              message: "a second step named '\(step.name)' (the first is at line \(previous.line))",
              hint: "give each step of the same command a distinct 'name:'")
          }
          names[step.name] = only.keyMark
          if step.node == nil { step.node = only.value }
          steps.append(step)
        }
      default:
        throw ConfigError(
          file: file, mark: entry.keyMark, message: "unknown setting '\(entry.key)'",
          hint: "the top level holds title, seed and steps")
      }
    }
    if steps.isEmpty {
      throw ConfigError(file: file, mark: node.mark, message: "the configuration has no steps", hint: "add a 'steps:' list")
    }
    try checkClusterReferences(steps)
    return AuditConfiguration(file: file, title: title, seed: seed, steps: steps)
  }

  /// Every `clusters:` must name a cluster step that runs earlier.
  private static func checkClusterReferences(_ steps: [Step]) throws {
    for (i, step) in steps.enumerated() {
      guard let (name, node) = step.settings.clusters else { continue }
      let message = "step '\(step.name)' (\(step.command)): 'clusters: \(name)' names no earlier cluster step"
      let earlier = steps[..<i].filter { $0.command == "cluster" }.map { "'\($0.name)'" }
      let hint = earlier.isEmpty
        ? "add a cluster step before this one and name it here"
        : "name a cluster step that runs before this one: \(earlier.joined(separator: ", "))"
      guard let j = steps.firstIndex(where: { $0.name == name }) else {
        throw node.error(message + ": no step is named '\(name)'", hint: hint)
      }
      if j > i {
        throw node.error(
          message + ": '\(name)' runs after this step (line \(steps[j].mark?.line ?? 0))",
          hint: steps[j].command == "cluster" ? "move the cluster step '\(name)' before this one" : hint)
      }
      if steps[j].command != "cluster" {
        let kind = steps[j].command
        let article = kind.first.map { "aeiou".contains($0) } == true ? "an" : "a"
        throw node.error(message + ": '\(name)' is \(article) \(kind) step", hint: hint)
      }
    }
  }

  private static func parseStep(command: String, node: ConfigNode, baseDirectory: String, flags: Set<String>) throws -> Step {
    var name = command
    var title: String?
    var arguments: [String] = []
    var marks: [String: ConfigMark] = [:]
    var valueMarks: [String: [(value: String, mark: ConfigMark)]] = [:]
    var settings = Settings()
    let entries: [ConfigNode.Entry]
    if case .null = node.value { entries = [] } else { entries = try node.mapping("the options of '\(command)'") }
    // The name first: errors about the step's settings name the step.
    if let entry = entries.first(where: { $0.key == "name" }) {
      name = try entry.value.string("name")
      if name.isEmpty { throw entry.value.error("a step's name must not be empty", hint: "leave 'name:' out to use the command's name") }
    }
    for entry in entries {
      let key = entry.key
      switch key {
      case "name":
        continue
      case "title":
        title = try entry.value.string("title")
        continue
      case "labels-out" where command == "cluster":
        throw ConfigError(
          file: node.file, mark: entry.keyMark, message: "step '\(name)' (\(command)): 'labels-out' is set by the audit itself",
          hint: "remove it; the audit writes every k's labels to tables/<step>-labels.csv in its --out folder "
            + "(columns id,k2,k3,…; report.json names the file under the step's \"tables\") and into report.json "
            + "(the step's result.sweep[].labels)")
      default:
        if let place = refusedOptions[key] {
          throw ConfigError(
            file: node.file, mark: entry.keyMark, message: "step '\(name)' (\(command)): '\(key)' is set by the audit itself",
            hint: "remove it; \(place)")
        }
      }
      if auditKeys[command]?.contains(key) == true {
        do {
          try parseSetting(key, entry.value, into: &settings, baseDirectory: baseDirectory)
        } catch var error as ConfigError {
          error.message = "step '\(name)' (\(command)): " + error.message
          throw error
        }
        continue
      }
      if key.hasPrefix("-") {
        throw ConfigError(
          file: node.file, mark: entry.keyMark, message: "write the option without dashes: '\(key.drop { $0 == "-" })'")
      }
      marks[key] = entry.keyMark
      if flags.contains(key) {
        if try flag(entry, step: name, command: command) { arguments.append("--\(key)") }
        continue
      }
      switch entry.value.value {
      case .null:
        continue
      case .scalar(let text, _):
        arguments += option(key, pathOptions.contains(key) ? resolve(text, against: baseDirectory) : text)
        // Each comma-separated part, and the whole text (an option that takes one name gets all of it).
        valueMarks[key] = text.split(separator: ",").map { (Table.trimmedBlanks($0), entry.keyMark) }
          + (text.contains(",") ? [(text, entry.keyMark)] : [])
      case .sequence(let nodes):
        let items = try entry.value.stringList(key)
        if pathOptions.contains(key) {
          throw entry.value.error("'\(key)' takes one path, not a list")
        }
        arguments += option(key, items.joined(separator: ","))
        // Each item at its own position; and the joined text at the key, for an option that takes one
        // name and so got the whole list as one (`by: [gender, category]` of explain: no column
        // 'gender,category').
        valueMarks[key] = zip(items, nodes).map { ($0, $1.mark) }
          + (items.count > 1 ? [(items.joined(separator: ","), entry.keyMark)] : [])
      case .mapping:
        throw entry.value.error("'\(key)' takes a value or a list, not a mapping")
      }
    }
    return Step(
      command: command, name: name, title: title, arguments: arguments, node: node, optionMarks: marks,
      optionValueMarks: valueMarks, settings: settings)
  }

  /// `--key value`, or `--key=value` when the value starts with `-` (which the parser would otherwise
  /// take for an option, e.g. `threshold: -0.5`).
  static func option(_ key: String, _ value: String) -> [String] {
    value.hasPrefix("-") ? ["--\(key)=\(value)"] : ["--\(key)", value]
  }

  /// The booleans of YAML 1.2's core schema, the values a flag takes.
  static let trueValues: Set<String> = ["true", "True", "TRUE"]
  static let falseValues: Set<String> = ["false", "False", "FALSE"]

  /// Whether the flag `entry` is set: a plain YAML 1.2 boolean, or empty (not set). Anything else
  /// (`yes`, `on`, `1`, a quoted text, a list) is refused at the key.
  private static func flag(_ entry: ConfigNode.Entry, step: String, command: String) throws -> Bool {
    var got = entry.value.kindDescription
    switch entry.value.value {
    case .null: return false
    case .scalar(let text, let quoted):
      if !quoted && trueValues.contains(text) { return true }
      if !quoted && falseValues.contains(text) { return false }
      if quoted { got = "the quoted text \"\(text)\"" }
    default: break
    }
    throw ConfigError(
      file: entry.value.file, mark: entry.keyMark,
      message: "step '\(step)' (\(command)): '\(entry.key)' is a flag and takes true or false, got \(got)",
      hint: "write '\(entry.key): true' (or True, TRUE) to set it, '\(entry.key): false' (or False, FALSE, or nothing) to leave it out; yes, no, on, off and numbers are not booleans")
  }

  /// Parses and checks one audit-only setting (``auditKeys``); errors point at the value.
  private static func parseSetting(
    _ key: String, _ value: ConfigNode, into settings: inout Settings, baseDirectory: String
  ) throws {
    switch key {
    case "profile":
      settings.profile = try ClusterProfileSpec(node: value, base: baseDirectory)
    case "clusters":
      let name = try value.string("clusters")
      if name.isEmpty { throw value.error("clusters must name a cluster step, got an empty value") }
      settings.clusters = (name, value)
    case "show":
      let show = try value.int("show")
      guard show >= 0 else {
        throw value.error("show must be 0 or more, got \(show)", hint: "the number of students drawn in the report (0: none)")
      }
      settings.show = show
    default:
      throw value.error("'\(key)' is not an audit setting")
    }
  }

  /// `path` relative to `base` unless absolute.
  /// `path` as written in a configuration in the folder `base`: unchanged when absolute, else `base/path`.
  /// Leading `..` steps of `path` climb `base` itself when no folder of `base` is a symbolic link (then
  /// `base/..` is `base`'s parent), so `Examples/audit` + `../../Fixtures/x.csv` is `Fixtures/x.csv`, and
  /// messages and `report.json` name the file as a user would. Otherwise the `..` steps are kept.
  static func resolve(_ path: String, against base: String) -> String {
    if path.hasPrefix("/") || base.isEmpty || base == "." { return path }
    var parts = base.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
    let absolute = base.hasPrefix("/")
    var rest = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    // Only through real folders: each prefix of base must be a folder, not a link (`AtomicDirectory.kind` does
    // not follow links).
    let climbable = !parts.contains("..") && parts.indices.allSatisfy { i in
      AtomicDirectory.kind(of: (absolute ? "/" : "") + parts.prefix(i + 1).joined(separator: "/")) == .folder
    }
    if climbable {
      while let first = rest.first, first == ".." || first == ".", rest.count > 1 {
        if first == ".." {
          guard !parts.isEmpty else { break }
          parts.removeLast()
        }
        rest.removeFirst()
      }
    }
    let head = (absolute ? "/" : "") + parts.joined(separator: "/")
    let tail = rest.joined(separator: "/")
    if parts.isEmpty { return absolute ? "/" + tail : tail }
    return head + "/" + tail
  }

  /// Where relative paths in the configuration file `path` start: its folder, or the current directory
  /// (".") when the configuration is read through a file descriptor — `--config <(…)` names `/dev/fd/N`
  /// (a pipe, which has no folder of its own), as do `/proc/self/fd/N`, `/proc/<pid>/fd/N`,
  /// `/proc/thread-self/fd/N` and `/dev/stdin`. O(length of `path`).
  static func baseDirectory(ofConfiguration path: String) -> String {
    let parts = path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }
    guard path.hasPrefix("/") else { return directory(of: path) }
    let throughDescriptor: Bool
    switch parts.count {
    case 2: throughDescriptor = parts[0] == "dev" && parts[1] == "stdin"
    case 3: throughDescriptor = parts[0] == "dev" && parts[1] == "fd"
    case 4:
      throughDescriptor = parts[0] == "proc" && parts[2] == "fd"
        && (parts[1] == "self" || parts[1] == "thread-self" || parts[1].allSatisfy(\.isASCII) && parts[1].allSatisfy(\.isNumber))
    default: throughDescriptor = false
    }
    return throughDescriptor ? "." : directory(of: path)
  }

  /// The folder of `path` ("." when it has none).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
