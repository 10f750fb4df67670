import ArgumentParser

/// The plain `--name value` command lines of one subcommand, read without swift-argument-parser's reflection.
///
/// swift-argument-parser builds each command's argument set by reflecting over its properties (`Mirror`, generic
/// metadata, protocol-conformance lookups that scan every conformance record of the binary), three times for the
/// chosen subcommand, and parses two pseudo-commands looking for `--generate-completion-script`. For
/// `cohortlens cluster` with 11 options that is most of the process start-up. Measured on the shared 2-core
/// x86-64 build machine (release binaries, old and new interleaved): a `cluster` line that stops at once (its
/// feature file does not exist) takes 6.30 → 3.97 ms (min) and 6.57 → 4.14 ms (median) wall, 60 rounds; the
/// benchmark run on `Benchmarks/data/blobs8_n1000.csv` 41.5 → 35.7 ms wall min and 42.5 → 39.5 ms CPU median
/// (40 rounds, under load from other builds).
///
/// The direct reading takes only what cannot mean anything else: after the subcommand, every token is either a
/// known option name followed by a value that is neither empty nor starts with `-`, or a known flag; no name
/// twice. The values are converted with the same `init?(argument:)` the parser calls. Anything else (help,
/// `--version`, `--name=value`, a value starting with `-`, an unknown or repeated name, a value the type rejects,
/// a failed `validate()`) returns nil and the command line goes to swift-argument-parser, which then gives the
/// result, the help or the error exactly as before. O(number of arguments).
struct DirectArguments {
  /// Option name (without `--`) → value; flags map to the empty string.
  let values: [String: String]
  /// A value that its type rejected (the caller then falls back to the full parser).
  private(set) var rejected = false

  /// Reads `tokens` (the arguments after the subcommand), or nil when they are not plain `--name value` pairs
  /// and flags among `options` and `flags`.
  init?(_ tokens: ArraySlice<String>, options: Set<String>, flags: Set<String>) {
    var values: [String: String] = [:]
    var i = tokens.startIndex
    while i < tokens.endIndex {
      let token = tokens[i]
      guard token.hasPrefix("--") else { return nil }
      let name = String(token.dropFirst(2))
      guard values[name] == nil else { return nil }
      if flags.contains(name) {
        values[name] = ""
        i += 1
      } else if options.contains(name) {
        guard i + 1 < tokens.endIndex else { return nil }
        let value = tokens[i + 1]
        guard !value.isEmpty, !value.hasPrefix("-") else { return nil }
        values[name] = value
        i += 2
      } else {
        return nil
      }
    }
    self.values = values
  }

  /// Whether flag `name` was given.
  func flag(_ name: String) -> Bool { values[name] != nil }

  /// The value of option `name` read as `T` (`T.init?(argument:)`, as swift-argument-parser reads it), or nil
  /// when it was not given; a value that `T` rejects sets ``rejected``.
  mutating func optional<T: ExpressibleByArgument>(_ name: String, as type: T.Type = T.self) -> T? {
    guard let text = values[name] else { return nil }
    guard let value = T(argument: text) else {
      rejected = true
      return nil
    }
    return value
  }

  /// The value of option `name` read as `T`, or `defaultValue` when it was not given.
  mutating func value<T: ExpressibleByArgument>(_ name: String, default defaultValue: T) -> T {
    optional(name, as: T.self) ?? defaultValue
  }
}

extension ClusterSettings {
  /// The option names of `cluster` that take a value (the long names swift-argument-parser derives).
  static let directOptions: Set<String> = [
    "features", "id", "columns", "scale", "affinity", "gamma", "matrix", "graph", "laplacian", "k", "seed", "n-init",
    "truth", "eigensolver", "labels-out", "series", "time", "value", "fill", "normalize", "zero-series", "metric",
    "radius", "threads", "max-memory", "format", "output",
  ]
  /// The flags of `cluster`.
  static let directFlags: Set<String> = ["drop-missing", "wide", "progress", "fsync", "no-fsync"]

  /// `cohortlens cluster …` read by ``DirectArguments`` (every option set, as the parser sets it, and validated),
  /// or nil when `arguments` (without the program name) need swift-argument-parser. A new option of `cluster`
  /// must be added here, to ``directOptions`` and to ``ClusterSettings`` (the direct-parse tests compare every
  /// property with the parser's ``ClusterCommand/settings``). No swift-argument-parser type is instantiated.
  static func direct(_ arguments: [String]) -> ClusterSettings? {
    guard arguments.first == "cluster",
      var a = DirectArguments(arguments.dropFirst(), options: directOptions, flags: directFlags)
    else { return nil }
    var c = ClusterSettings()
    c.features = a.optional("features")
    c.id = a.optional("id")
    c.columns = a.optional("columns")
    c.scaleOption = a.optional("scale")
    c.affinity = a.value("affinity", default: Defaults.affinity)
    c.gamma = a.optional("gamma")
    c.matrix = a.optional("matrix")
    c.graph = a.value("graph", default: Defaults.graph)
    c.laplacian = a.value("laplacian", default: Defaults.laplacian)
    c.k = a.value("k", default: Defaults.k)
    c.seed = a.value("seed", default: Defaults.seed)
    c.nInit = a.value("n-init", default: Defaults.nInit)
    c.truth = a.optional("truth")
    c.eigensolver = a.value("eigensolver", default: Defaults.eigensolver)
    c.dropMissing = a.flag("drop-missing")
    c.labelsOut = a.optional("labels-out")
    c.series = a.optional("series")
    c.time = a.optional("time")
    c.value = a.optional("value")
    c.wide = a.flag("wide")
    c.fillOption = a.optional("fill")
    c.normalizeOption = a.optional("normalize")
    c.zeroSeriesOption = a.optional("zero-series")
    c.metricOption = a.optional("metric")
    c.radius = a.optional("radius")
    c.threads = a.optional("threads")
    c.maxMemory = a.optional("max-memory")
    var output = OutputSettings()
    output.format = a.value("format", default: OutputOptions.Defaults.format)
    output.output = a.optional("output")
    output.progress = a.flag("progress")
    // Both spellings of the inverted flag: the parser's rule (the last one wins) is left to the parser.
    if a.flag("fsync") && a.flag("no-fsync") { return nil }
    output.fsync = !a.flag("no-fsync")
    c.output = output
    guard !a.rejected else { return nil }
    // The parser validates the option group while decoding it, then the command.
    do {
      try c.output.validate()
      try c.validate()
    } catch {
      return nil
    }
    return c
  }
}
