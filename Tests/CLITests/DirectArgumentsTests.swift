import ArgumentParser
import Testing

@testable import cohortlens

/// `cluster` command lines read directly (``ClusterSettings/direct(_:)``) equal swift-argument-parser's reading
/// (``ClusterCommand/settings``), property by property, and every other command line is left to the parser.
@Suite("Direct argument reading")
struct DirectArgumentsTests {
  /// Every stored property, including the output options'.
  static func properties(_ c: ClusterSettings) -> [String] {
    Mirror(reflecting: c).children.map { "\($0.label ?? "?")=\(String(reflecting: $0.value))" }
      + Mirror(reflecting: c.output).children.map { "output.\($0.label ?? "?")=\(String(reflecting: $0.value))" }
  }

  static func parsed(_ arguments: [String]) throws -> ClusterSettings {
    let command = try CohortLens.parseAsRoot(arguments)
    return try #require(command as? ClusterCommand).settings
  }

  /// The stored property names of a value (a property wrapper's storage `_name` read as `name`).
  static func labels(_ value: Any) -> [String] {
    Mirror(reflecting: value).children.map { label in
      let name = label.label ?? "?"
      return name.hasPrefix("_") ? String(name.dropFirst()) : name
    }
  }

  @Test("the plain settings have every option of the command, in the same order")
  func settingsMirrorTheCommand() throws {
    let command = try #require(try CohortLens.parseAsRoot(["cluster", "--features", "f.csv", "--id", "id"]) as? ClusterCommand)
    #expect(Self.labels(command.settings) == Self.labels(command))
    #expect(Self.labels(command.settings.output) == Self.labels(command.output))
    // A command line with every option set: each one reaches the settings (not left at its default).
    let all = try Self.parsed(Self.accepted[2])
    #expect(all.output.format == .markdown && all.output.progress && all.dropMissing && all.labelsOut == "l.csv")
    #expect(!all.output.fsync)
  }

  static let accepted: [[String]] = [
    ["cluster", "--features", "f.csv", "--id", "id"],
    ["cluster", "--features", "/work/main/Benchmarks/data/blobs8_n1000.csv", "--id", "id", "--columns",
     "x0,x1,x2,x3,x4,x5,x6,x7", "--scale", "none", "--gamma", "0.125", "--k", "5", "--seed", "0", "--format", "json",
     "--output", "/tmp/o.json"],
    ["cluster", "--id", "user", "--features", "a b.csv", "--k", "2...9", "--scale", "Standard", "--format", "MD",
     "--progress", "--drop-missing", "--truth", "label", "--n-init", "3", "--eigensolver", "iterative",
     "--laplacian", "UNNORMALIZED", "--graph", "knn:5", "--labels-out", "l.csv", "--max-memory", "512M",
     "--seed", "4294967295", "--gamma", "1e-3", "--no-fsync"],
    ["cluster", "--affinity", "precomputed", "--matrix", "W.csv", "--k", "3,4,6", "--fsync"],
    ["cluster", "--affinity", "precomputed", "--matrix", "W.csv", "--features", "f.csv", "--id", "i", "--truth", "t"],
    ["cluster", "--series", "s.csv", "--id", "student_id", "--time", "week", "--value", "hours", "--metric", "dtw",
     "--radius", "6", "--threads", "2", "--fill", "previous", "--normalize", "zscore", "--zero-series", "keep",
     "--k", "2...4"],
    ["cluster", "--series", "s.csv", "--id", "s", "--wide", "--columns", "a,b", "--radius", "full", "--graph",
     "epsilon:0.5", "--normalize", "none", "--metric", "mean"],
    ["cluster", "--features", "f.csv", "--id", "id", "--k", "2..x"],  // a bad k is kept and reported by validate
  ]

  @Test("the direct reading equals the parser's, property by property", arguments: accepted)
  func sameAsParser(arguments: [String]) throws {
    guard let direct = ClusterSettings.direct(arguments) else {
      // Only a command line that the parser rejects too (validate()) may fall back here.
      #expect(throws: (any Error).self) { try CohortLens.parseAsRoot(arguments) }
      return
    }
    #expect(Self.properties(direct) == Self.properties(try Self.parsed(arguments)))
  }

  @Test("every default equals the parser's")
  func defaults() throws {
    let arguments = ["cluster", "--features", "f.csv", "--id", "id"]
    let direct = try #require(ClusterSettings.direct(arguments))
    let expected = try Self.parsed(arguments)
    let properties = Self.properties(direct)
    #expect(properties == Self.properties(expected))
    // No property left to the parser's definition (that would stop the program when read).
    #expect(!properties.contains { $0.contains("definition") })
  }

  @Test("anything but plain --name value pairs and flags goes to the parser", arguments: [
    [], ["--version"], ["--help"], ["help", "cluster"], ["dtw", "--series", "s.csv"],
    ["cluster", "--help"], ["cluster", "-h"], ["cluster", "--version"], ["cluster", "--features=f.csv", "--id", "i"],
    ["cluster", "--features", "f.csv", "--id"], ["cluster", "--features", "f.csv", "--id", "-i"],
    ["cluster", "--features", "f.csv", "--id", ""], ["cluster", "--features", "f.csv", "--id", "i", "--gamma", "-1"],
    ["cluster", "--features", "f.csv", "--id", "i", "--k", "-3"], ["cluster", "--features", "f.csv", "--id", "i", "extra"],
    ["cluster", "--features", "f.csv", "--id", "i", "--id", "j"], ["cluster", "--features", "f.csv", "--id", "i", "--wide", "--wide"],
    ["cluster", "--features", "f.csv", "--id", "i", "--seed", "x"], ["cluster", "--features", "f.csv", "--id", "i", "--seed", "4294967296"],
    ["cluster", "--features", "f.csv", "--id", "i", "--scale", "zscore"], ["cluster", "--features", "f.csv", "--id", "i", "--format", "xml"],
    ["cluster", "--features", "f.csv", "--id", "i", "--gamma", "0"], ["cluster", "--features", "f.csv"],
    ["cluster", "--features", "f.csv", "--id", "i", "--", "x"], ["cluster", "--features", "f.csv", "--id", "i", "--generate-completion-script", "bash"],
    ["cluster", "--features", "f.csv", "--id", "i", "--experimental-dump-help"], ["cluster", "--features", "f.csv", "--id", "i", "--output", "/"],
    ["cluster", "--features", "f.csv", "--id", "i", "--Features", "g.csv"], ["cluster", "--features", "f.csv", "--id", "i", "-k", "3"],
    ["cluster", "--features", "f.csv", "--id", "i", "--wide"], ["cluster", "--series", "s.csv", "--id", "i", "--scale", "none"],
    ["cluster", "--features", "f.csv", "--id", "i", "--k", "1"],
    ["cluster", "--features", "f.csv", "--id", "i", "--fsync", "--no-fsync"],
    ["cluster", "--features", "f.csv", "--id", "i", "--no-fsync", "--no-fsync"],
  ])
  func fallsBack(arguments: [String]) {
    #expect(ClusterSettings.direct(arguments) == nil)
  }
}
