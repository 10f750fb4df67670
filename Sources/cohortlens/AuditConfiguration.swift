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
/// a list (`by: [gender, country]`, passed comma-separated), `true` for a flag (`intersect: true`),
/// `false` or an empty value to leave it out. Every step is parsed and validated by its command's own
/// rules before any work starts; errors point at `file:line:column` of the config.
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
    /// Audit-only settings of the step (see ``auditKeys``), by key.
    var extras: [String: ConfigNode] = [:]
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

  /// Option names whose values are input or output paths, resolved against the config's folder.
  static let pathOptions: Set<String> = [
    "predictions", "groups", "features", "series", "matrix", "model", "labels-out",
  ]

  /// Reads a configuration: `node` parsed from `file`; `baseDirectory` is where relative paths start.
  static func load(node: ConfigNode, file: String, baseDirectory: String, knownCommands: Set<String>) throws -> AuditConfiguration {
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
          var step = try parseStep(command: only.key, node: only.value, baseDirectory: baseDirectory)
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
    return AuditConfiguration(file: file, title: title, seed: seed, steps: steps)
  }

  private static func parseStep(command: String, node: ConfigNode, baseDirectory: String) throws -> Step {
    var name = command
    var title: String?
    var arguments: [String] = []
    var marks: [String: ConfigMark] = [:]
    var extras: [String: ConfigNode] = [:]
    let entries: [ConfigNode.Entry]
    if case .null = node.value { entries = [] } else { entries = try node.mapping("the options of '\(command)'") }
    for entry in entries {
      let key = entry.key
      switch key {
      case "name":
        name = try entry.value.string("name")
        continue
      case "title":
        title = try entry.value.string("title")
        continue
      case "output", "format", "progress":
        throw ConfigError(
          file: node.file, mark: entry.keyMark, message: "'\(key)' is set by the audit itself",
          hint: "remove it; every step's tables and JSON go into the audit's --out folder")
      default: break
      }
      if auditKeys[command]?.contains(key) == true {
        extras[key] = entry.value
        continue
      }
      if key.hasPrefix("-") {
        throw ConfigError(
          file: node.file, mark: entry.keyMark, message: "write the option without dashes: '\(key.drop { $0 == "-" })'")
      }
      marks[key] = entry.keyMark
      switch entry.value.value {
      case .null:
        continue
      case .scalar(let text, let quoted):
        if !quoted && (text == "true" || text == "false") {
          if text == "true" { arguments.append("--\(key)") }
          continue
        }
        arguments.append("--\(key)")
        arguments.append(pathOptions.contains(key) ? resolve(text, against: baseDirectory) : text)
      case .sequence:
        let items = try entry.value.stringList(key)
        if pathOptions.contains(key) {
          throw entry.value.error("'\(key)' takes one path, not a list")
        }
        arguments.append("--\(key)")
        arguments.append(items.joined(separator: ","))
      case .mapping:
        throw entry.value.error("'\(key)' takes a value or a list, not a mapping")
      }
    }
    return Step(
      command: command, name: name, title: title, arguments: arguments, node: node, optionMarks: marks, extras: extras)
  }

  /// `path` relative to `base` unless absolute.
  static func resolve(_ path: String, against base: String) -> String {
    if path.hasPrefix("/") || base.isEmpty || base == "." { return path }
    return base.hasSuffix("/") ? base + path : base + "/" + path
  }

  /// The folder of `path` ("." when it has none).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
  }
}
