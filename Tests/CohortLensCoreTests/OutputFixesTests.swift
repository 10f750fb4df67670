import Foundation
import Testing
@testable import CohortLensCore
#if canImport(Glibc)
import Glibc
#endif

private let tenMB = String(repeating: "x", count: 10_000_000)

/// The aligned text table cuts long cells; CSV, JSON and Markdown keep them whole.
@Suite struct ShortenedCellTests {
  @Test func longCellsAreCutInTheTextTableOnly() throws {
    let long = String(repeating: "g", count: 70)
    let t = TextTable(headers: ["group", "n"], alignments: [.left, .right], rows: [[long, "1"], ["b", "22"]], footnotes: ["n = 2"])
    let cut = String(repeating: "g", count: 59) + "…"
    let sp = { (n: Int) in String(repeating: " ", count: n) }
    #expect(t.render(.table) == "group" + sp(58) + "n\n" + String(repeating: "-", count: 60) + "  --\n"
      + cut + sp(3) + "1\n" + "b" + sp(61) + "22\n\nn = 2\n" + TextTable.shortenedNote + "\n")
    #expect(TextTable.shortenedNote == "Cells longer than 60 characters are shortened (…); --format csv or json shows them whole.")
    #expect(t.render(.csv).contains(long) && t.render(.markdown).contains(long) && t.render(.json).contains(long))
    // 60 characters fit; no note then.
    let fits = TextTable(headers: ["g"], rows: [[String(repeating: "é", count: 60)]])
    #expect(fits.render(.table) == "g\n" + String(repeating: "-", count: 60) + "\n" + String(repeating: "é", count: 60) + "\n")
    // A 10 MB cell and a 10 MB header keep the table small.
    let huge = TextTable(headers: ["id", tenMB], rows: (0..<100).map { ["\($0)", $0 == 3 ? tenMB : "1"] })
    let text = huge.render(.table)
    #expect(text.utf8.count < 10_000)
    #expect(text.contains(String(repeating: "x", count: 59) + "…\n"))
    #expect(text.hasSuffix(TextTable.shortenedNote + "\n"))
    // An escaped control character counts as its two visible characters.
    let tabs = TextTable(headers: ["g"], rows: [[String(repeating: "\t", count: 40)]])
    #expect(tabs.render(.table).contains(String(repeating: "\\t", count: 29) + "\\…\n"))
  }
}
