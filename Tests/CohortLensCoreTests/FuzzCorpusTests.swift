import Foundation
import Testing
@testable import CohortLensCore
#if canImport(Glibc)
import Glibc
#endif

/// Replays the libFuzzer seed corpus (`Fuzz/corpus/`, where every crash the fuzzers find is added as
/// a minimised input) through the same consistency checks as the fuzz targets, so that each corpus
/// case is a regression test of `make test` without a fuzzer build.
@Suite struct FuzzCorpusTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fuzz/corpus")

  static func files(_ target: String) -> [URL] {
    let dir = root.appendingPathComponent(target)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
    return names.sorted().map { dir.appendingPathComponent($0) }
  }

  @Test func corpusIsPresentAndSmall() throws {
    var total = 0
    for target in ["csv", "number", "config", "series"] {
      let files = Self.files(target)
      #expect(files.count >= 8, "Fuzz/corpus/\(target) has \(files.count) files")
      for f in files { total += try Data(contentsOf: f).count }
    }
    #expect(total < 200_000)
  }

  /// The CSV target's checks: the first byte picks delimiter and missing tokens (as in
  /// Fuzz/CSVFuzz.swift); every column's numbers, strings and summary agree.
  @Test(arguments: FuzzCorpusTests.files("csv").map(\.lastPathComponent))
  func csvCase(name: String) throws {
    let data = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("csv/" + name)))
    guard let selector = data.first else { return }
    let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]
    var options = CSVOptions(delimiter: delimiters[Int(selector & 3)])
    if selector & 4 != 0 { options.missingTokens = ["", "-", "--", "?"] }
    let table: Table
    do {
      table = try Table.parse(bytes: Array(data.dropFirst()), name: name, options: options)
    } catch let e as InputError {
      #expect(e.line.map { $0 >= 1 } ?? true)
      #expect(e.column.map { $0 >= 1 } ?? true)
      #expect(e.description.hasPrefix(name + ":"))
      return
    }
    let summaries = table.summaries()
    #expect(summaries.count == table.columnCount)
    for j in 0..<table.columnCount {
      let s = summaries[j]
      #expect(s.presentCount + s.missingCount == table.rowCount)
      if let strings = try? table.strings(at: j) {
        #expect(strings.filter { $0 == nil }.count == s.missingCount)
      }
      do {
        let numbers = try table.numbers(at: j)
        #expect(s.type != .text)
        let present = numbers.compactMap { $0 }
        #expect(present.count == s.numericCount)
        #expect(s.min == present.min() && s.max == present.max())
      } catch let e as InputError {
        #expect(s.type == .text, "\(e)")
        #expect(e.line != nil && e.column != nil)
      }
    }
  }

  /// The number target's oracle: `DecimalParser` equals `strtod` bit for bit on what it accepts.
  @Test func numberCases() throws {
    for f in Self.files("number") {
      let bytes = [UInt8](try Data(contentsOf: f))
      let parsed = bytes.withUnsafeBufferPointer { DecimalParser.parse($0) }
      var c = bytes.map { CChar(bitPattern: $0) } + [0]
      var end: UnsafeMutablePointer<CChar>? = nil
      let reference = c.withUnsafeMutableBufferPointer { p -> Double? in
        let v = strtod(p.baseAddress!, &end)
        return end! - p.baseAddress! == bytes.count && !bytes.isEmpty && bytes[0] != 0x20 ? v : nil
      }
      if let parsed {
        #expect(parsed.bitPattern == reference?.bitPattern, "\(f.lastPathComponent)")
      }
    }
  }

  @Test func configCases() throws {
    for f in Self.files("config") {
      let text = try String(contentsOf: f, encoding: .utf8)
      do {
        _ = try ConfigParser.parse(text, file: f.lastPathComponent)
      } catch let e as ConfigError {
        #expect(e.exitCode == 64)
        #expect(e.mark.map { $0.line >= 1 && $0.column >= 1 } ?? true)
      }
    }
  }
}
