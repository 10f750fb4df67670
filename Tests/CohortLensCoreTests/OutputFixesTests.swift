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

/// Output files: names near the 255-byte limit, the permissions of a replaced file, a missing folder.
@Suite struct AtomicOutputFixesTests {
  private func root() throws -> String {
    let r = FileManager.default.temporaryDirectory.appendingPathComponent("cl-csvfixes-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: r, withIntermediateDirectories: true)
    return r
  }

  private func mode(_ path: String) -> mode_t {
    var st = stat()
    stat(path, &st)
    return st.st_mode & 0o7777
  }

  @Test func longNamesGetTemporaryNamesThatFit() throws {
    let r = try root()
    defer { try? FileManager.default.removeItem(atPath: r) }
    for length in [200, 233, 240, 255] {
      let name = String(repeating: "n", count: length - 4) + ".csv"
      try AtomicFile.write("x\n", to: r + "/" + name)
      #expect(try String(contentsOfFile: r + "/" + name, encoding: .utf8) == "x\n")
      try AtomicFile.write(files: [(r + "/" + name, Array("y\n".utf8))])
      #expect(try String(contentsOfFile: r + "/" + name, encoding: .utf8) == "y\n")
      try AtomicFile.write(mapped: r + "/" + name, size: 2) { $0.copyBytes(from: Array("z\n".utf8)) }
      #expect(try String(contentsOfFile: r + "/" + name, encoding: .utf8) == "z\n")
      try FileManager.default.removeItem(atPath: r + "/" + name)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: r).isEmpty)
    // Multi-byte names are cut at a scalar boundary.
    let wide = String(repeating: "é", count: 125) + ".csv"  // 254 bytes
    try AtomicFile.write("w\n", to: r + "/" + wide)
    #expect(try FileManager.default.contentsOfDirectory(atPath: r) == [wide])
    let hidden = AtomicFile.hiddenName(String(repeating: "é", count: 125), suffix: ".tmp-1-abc")
    #expect(hidden.utf8.count <= 255 && hidden.hasPrefix(".éé") && hidden.hasSuffix("é.tmp-1-abc"))
    // Folders too.
    let folder = r + "/" + String(repeating: "d", count: 250)
    try AtomicDirectory.write([("report.json", Array("{}".utf8))], to: folder)
    try AtomicDirectory.write([("report.json", Array("{}".utf8))], to: folder, replacing: ["report.json"])
    #expect(AtomicDirectory.entries(of: folder) == ["report.json"])
  }

  @Test func replacingAFileKeepsItsPermissions() throws {
    let r = try root()
    defer { try? FileManager.default.removeItem(atPath: r) }
    let a = r + "/a.txt", b = r + "/b.txt", c = r + "/c.bin"
    for p in [a, b, c] {
      try AtomicFile.write("old", to: p)
      chmod(p, 0o600)
    }
    try AtomicFile.write("new", to: a)
    #expect(mode(a) == 0o600)
    try AtomicFile.write(files: [(b, Array("new".utf8))])
    #expect(mode(b) == 0o600)
    try AtomicFile.write(mapped: c, size: 3) { $0.copyBytes(from: Array("new".utf8)) }
    #expect(mode(c) == 0o600)
    chmod(a, 0o640)
    try AtomicFile.write("newer", to: a)
    #expect(mode(a) == 0o640)
    #expect(try String(contentsOfFile: a, encoding: .utf8) == "newer")
    // Through a symbolic link: the target's permissions.
    symlink(a, r + "/link")
    try AtomicFile.write("via link", to: r + "/link")
    #expect(mode(a) == 0o640)
    // A new file: 0644 minus the umask.
    let old = umask(0o022)
    defer { umask(old) }
    try AtomicFile.write("fresh", to: r + "/fresh.txt")
    #expect(mode(r + "/fresh.txt") == 0o644)
  }

  @Test func replacingAReportFolderKeepsItsPermissions() throws {
    let r = try root()
    defer { try? FileManager.default.removeItem(atPath: r) }
    let out = r + "/report"
    let files: [(path: String, bytes: [UInt8])] = [("report.json", Array("{}".utf8)), ("tables/a.csv", Array("x\n".utf8))]
    try AtomicDirectory.write(files, to: out)
    chmod(out, 0o700)
    chmod(out + "/tables", 0o750)
    chmod(out + "/report.json", 0o600)
    chmod(out + "/tables/a.csv", 0o640)
    let listed: Set<String> = ["report.json", "tables", "tables/a.csv"]
    // Swap (only listed entries inside).
    try AtomicDirectory.write(files, to: out, replacing: listed)
    #expect(mode(out) == 0o700 && mode(out + "/tables") == 0o750)
    #expect(mode(out + "/report.json") == 0o600 && mode(out + "/tables/a.csv") == 0o640)
    // Merge (an entry of the user's inside).
    try Data("mine".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
    chmod(out + "/report.json", 0o604)
    try AtomicDirectory.write(files, to: out, replacing: listed)
    #expect(mode(out + "/report.json") == 0o604 && mode(out + "/tables/a.csv") == 0o640 && mode(out) == 0o700)
    #expect(AtomicDirectory.entries(of: out) == ["notes.txt", "report.json", "tables"])
  }

  @Test func aMissingFolderEndingInASlashIsAnOutputError() throws {
    let r = try root()
    defer { try? FileManager.default.removeItem(atPath: r) }
    do {
      try AtomicFile.checkWritable(r + "/newdir/")
      Issue.record("expected an error")
    } catch let e as OutputError {
      #expect(e.description == r + "/newdir/: the folder '\(r)/newdir/' does not exist; create it and name a file inside it")
      #expect(e.exitCode == 73)
    }
    do {
      try AtomicFile.checkWritable("newdir/")
      Issue.record("expected an error")
    } catch let e as OutputError {
      #expect(e.description == "newdir/: the folder 'newdir/' does not exist; create it and name a file inside it")
    }
    #expect(throws: OutputError.self) { try AtomicFile.write("x", to: r + "/newdir/") }
    #expect(try FileManager.default.contentsOfDirectory(atPath: r).isEmpty)
  }

  @Test func aNameLongerThanTheFileSystemAllowsIsRefusedBeforeAnyWork() throws {
    let r = try root()
    defer { try? FileManager.default.removeItem(atPath: r) }
    // 255 bytes fit; 256 do not (ASCII, and multi-byte: 128 × 'é').
    try AtomicFile.checkWritable(r + "/" + String(repeating: "n", count: 251) + ".csv")
    for name in [String(repeating: "n", count: 252) + ".csv", String(repeating: "é", count: 128)] {
      do {
        try AtomicFile.checkWritable(r + "/" + name)
        Issue.record("expected an error for a \(name.utf8.count)-byte name")
      } catch let e as OutputError {
        #expect(e.description == "\(r)/\(name): the file name is 256 bytes long, more than the 255 bytes a file name may have in '\(r)'; choose a shorter name")
        #expect(e.exitCode == 73)
      }
      // Files written together are refused before the first one is staged.
      var ran = false
      #expect(throws: OutputError.self) {
        try AtomicFile.write(files: [(r + "/a.csv", Array("a\n".utf8)), (r + "/" + name, Array("b\n".utf8))]) { ran = true }
      }
      #expect(!ran)
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: r).isEmpty)
  }
}
