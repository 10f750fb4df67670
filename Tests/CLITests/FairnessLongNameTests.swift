import Foundation
import Testing

/// A group value of any length is quoted in messages as every other value is (`MessageText.excerpt`:
/// 40 characters, then `…`): notices, reasons and footnotes stay short in every format, while the
/// group's own fields (JSON `group`, CSV `group`) keep the whole name.
@Suite("cohortlens fairness: long group names")
struct FairnessLongNameTests {
  static let long = String(repeating: "Z", count: 200_000)
  static let longSmall = String(repeating: "Y", count: 200_000)

  /// A and B (25 rows each), the long group (12 rows, no actual positive: TPR undefined, one class for
  /// ABROCA), C (11 rows) and a long small group (3 rows: suppressed, and C with it).
  static func data(in dir: URL) throws -> String {
    var csv = "id,y,p,s,g\n"
    var id = 0
    func add(_ group: String, _ n: Int, positives: Bool) {
      for i in 0..<n {
        let y = positives ? i % 2 : 0
        let p = i % 3 == 0 ? 1 : 0
        csv += "\(id),\(y),\(p),\(Double(i % 10) / 10 + 0.05),\(group)\n"
        id += 1
      }
    }
    add("A", 25, positives: true)
    add("B", 25, positives: true)
    add(long, 12, positives: false)
    add("C", 11, positives: true)
    add(longSmall, 3, positives: true)
    return try CLI.write(csv, "long.csv", in: dir)
  }

  static func run(_ file: String, _ format: String, compare: String) throws -> CLIResult {
    try CLI.run(["fairness", "--predictions", file, "--id", "id", "--label", "y", "--positive", "1",
                 "--prediction", "p", "--score", "s", "--by", "g", "--compare", compare, "--bootstrap", "20",
                 "--permutations", "5", "--format", format])
  }

  @Test(arguments: ["between-groups", "largest"])
  func messagesQuoteALongGroupNameCut(compare: String) throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let file = try Self.data(in: dir)
    let cut = "'" + String(repeating: "Z", count: 40) + "…'"
    for format in ["table", "markdown"] {
      let r = try Self.run(file, format, compare: compare)
      #expect(r.status == 0, "\(r.stderr)")
      // Markdown table rows hold the whole value (as every Markdown table of the tool); every other line —
      // titles, notices, reasons, footnotes — quotes it cut.
      let lines = r.stdout.split(separator: "\n").filter { !$0.hasPrefix("|") }
      let longest = lines.map(\.count).max() ?? 0
      #expect(longest < 1_000, "\(format): a line of \(longest) characters")
      #expect(r.stdout.contains("tpr undefined for group \(cut)"), "\(format)")
      #expect(r.stdout.contains("group 'YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY…' suppressed"), "\(format)")
      #expect(r.stdout.contains("\(cut.dropFirst().dropLast()): tpr undefined — no actual positives"), "\(format)")
      #expect(r.stdout.contains("group \(cut) has only one class (no ROC curve)"), "\(format)")
    }
    let json = try Self.run(file, "json", compare: compare)
    #expect(json.status == 0, "\(json.stderr)")
    let audit = (try CLI.json(json.stdout)["audits"] as? [[String: Any]] ?? [])[0]
    let groups = audit["groups"] as? [[String: Any]] ?? []
    #expect(groups.contains { $0["group"] as? String == Self.long })
    #expect(groups.contains { $0["group"] as? String == Self.longSmall && $0["suppressed"] as? Bool == true })
    var texts = audit["notices"] as? [String] ?? []
    for c in audit["criteria"] as? [[String: Any]] ?? [] {
      texts += [c["reason"] as? String].compactMap { $0 }
      for x in c["comparisons"] as? [[String: Any]] ?? [] {
        texts += [x["undefined"] as? String, x["note"] as? String].compactMap { $0 }
      }
    }
    texts += (audit["abroca"] as? [[String: Any]] ?? []).compactMap { $0["undefined"] as? String }
    texts += groups.compactMap { $0["suppression_reason"] as? String }
    #expect(texts.contains { $0.contains(cut) })
    #expect(texts.allSatisfy { $0.count < 1_000 }, "\(texts.map(\.count).max() ?? 0)")
    let csv = try Self.run(file, "csv", compare: compare)
    #expect(csv.status == 0, "\(csv.stderr)")
    // The group columns hold the whole name (once per row); a note quotes it cut.
    let rows = csv.stdout.split(separator: "\n")
    #expect(rows.contains { $0.contains(Self.long) })
    #expect(rows.contains { $0.contains(cut) })
    let most = rows.map { row in row.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "Z") || $1 == UInt8(ascii: "Y") ? 1 : 0) } }.max() ?? 0
    #expect(most <= 200_000 + 2 * 40, "a CSV row holds \(most) characters of the long names")
  }
}
