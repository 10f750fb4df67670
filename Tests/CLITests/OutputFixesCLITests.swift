import CohortLensCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The aligned table with a huge cell, through the binary.
@Suite("output edge cases")
struct OutputFixesCLITests {
  @Test func aHugeCellIsCutInTheAlignedTableOnly() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let big = String(repeating: "x", count: 10_000_000)
    let cells = try CLI.write("id,g\n1,\(big)\n2,b\n", "c.csv", in: dir)
    let table = try CLI.run(["inspect", cells])
    #expect(table.status == 0)
    #expect(table.stdout.utf8.count < 2000)
    #expect(table.stdout.hasSuffix(TextTable.shortenedNote + "\n"))
    #expect(table.stdout.contains("2: " + String(repeating: "x", count: 56) + "…"))
    let csv = try CLI.run(["inspect", cells, "--format", "csv"])
    #expect(csv.stdout.utf8.count > 10_000_000)
  }
}
