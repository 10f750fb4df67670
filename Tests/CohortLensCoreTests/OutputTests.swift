import Foundation
import Testing
@testable import CohortLensCore
#if canImport(Glibc)
import Glibc
#endif

@Suite struct JSONTests {
  @Test func escapingAndOrder() {
    let v: JSONValue = ["z": 1, "a": "q\"b\\s\n\t\u{1}\u{1F}é", "list": [1.5, nil, true], "empty": [], "obj": [:]]
    #expect(v.serialized(pretty: false)
      == #"{"z":1,"a":"q\"b\\s\n\t\u0001\u001fé","list":[1.5,null,true],"empty":[],"obj":{}}"#)
    #expect(v["z"] == .int(1))
  }

  @Test func prettyPrinting() {
    let v: JSONValue = ["a": [1, 2], "b": ["c": .null], "d": [["e": 1]]]
    #expect(v.serialized() == "{\n  \"a\": [1, 2],\n  \"b\": {\n    \"c\": null\n  },\n  \"d\": [\n    {\n      \"e\": 1\n    }\n  ]\n}")
  }

  @Test func doubles() {
    let v: JSONValue = [.double(0.1), .double(3), .double(1e-5), .double(.nan), .double(-.infinity), .number(nil), .number(2.5)]
    #expect(v.serialized(pretty: false) == "[0.1,3.0,1e-05,null,null,null,2.5]")
  }
}

@Suite struct TextTableTests {
  let t = TextTable(title: "Scores", headers: ["name", "score"], alignments: [.left, .right],
                    rows: [["ann", "1.5000"], ["bo|b", "12.2500"]], footnotes: ["n = 2"])

  @Test func plainText() {
    #expect(t.render(.table) == "Scores\n\nname    score\n----  -------\nann    1.5000\nbo|b  12.2500\n\nn = 2\n")
  }

  /// A quoted CSV field may hold line breaks and tabs: the text table shows them escaped, so each
  /// row stays on one line and the columns stay aligned; Markdown keeps `<br>`.
  @Test func controlCharactersStayOnTheRow() {
    let m = TextTable(headers: ["group", "n"], alignments: [.left, .right],
                      rows: [["multi\nline", "2"], ["a\tb\r\nc\rd\u{7}", "10"]])
    #expect(m.render(.table) == "group            n\n--------------  --\nmulti\\nline      2\na\\tb\\nc\\rd\\x07  10\n")
    #expect(m.render(.markdown) == "| group | n |\n| --- | ---: |\n| multi<br>line | 2 |\n| a\tb<br>c<br>d\u{7} | 10 |\n")
  }

  /// Columns line up on a terminal: a wide character (CJK, Hangul, an emoji) takes two columns, a
  /// combining accent none, so the padding counts display columns, not characters.
  @Test func wideAndCombiningCharactersStayAligned() {
    let m = TextTable(headers: ["column", "n"], alignments: [.left, .right],
                      rows: [["名前", "1"], ["e\u{301}te\u{301}", "22"], ["한국어x", "3"], ["\u{1F600}", "4"]])
    #expect(m.render(.table) == """
      column    n
      -------  --
      名前      1
      e\u{301}te\u{301}      22
      한국어x   3
      \u{1F600}        4

      """)
    #expect(TextTable.displayWidth("日本語") == 6)
    #expect(TextTable.displayWidth("e\u{301}") == 1)
    #expect(TextTable.displayWidth("a\u{200B}b") == 2)
    #expect(TextTable.displayWidth("\u{2764}\u{FE0F}") == 2)
    #expect(TextTable.displayWidth("ｆｕｌｌ") == 8)
    #expect(TextTable.displayWidth("plain") == 5)
  }

  /// Markdown cells show their text as written: emphasis, code, strike-through, raw HTML and
  /// inline links are escaped; intraword underscores, comparison signs and bracketed intervals
  /// are left readable.
  @Test func markdownCellsAreEscaped() {
    #expect(TextTable.markdownEscaped("*B*_x_") == "\\*B\\*\\_x\\_")
    #expect(TextTable.markdownEscaped("age_band") == "age_band")
    #expect(TextTable.markdownEscaped("<b>bold</b> & `code` ~~s~~") == "\\<b>bold\\</b> & \\`code\\` \\~\\~s\\~\\~")
    #expect(TextTable.markdownEscaped("55<= | 0.40 [0.31, 0.52]*") == "55<= \\| 0.40 [0.31, 0.52]\\*")
    #expect(TextTable.markdownEscaped("[x](http://e)") == "\\[x](http://e)")
    #expect(TextTable.markdownEscaped("a\\b") == "a\\\\b")
  }

  /// An entity or character reference in a cell would be shown decoded (`&amp;` as `&`, `&#60;` as `<`):
  /// its `&` is escaped, so the cell shows as written; a plain ampersand stays readable.
  @Test func markdownCellsKeepEntityReferencesAsWritten() {
    #expect(TextTable.markdownEscaped("R&amp;D") == "R\\&amp;D")
    #expect(TextTable.markdownEscaped("&#60;b&#x3E;") == "\\&#60;b\\&#x3E;")
    #expect(TextTable.markdownEscaped("&lt;x&gt;") == "\\&lt;x\\&gt;")
    #expect(TextTable.markdownEscaped("R&D, Q&A & more") == "R&D, Q&A & more")
    #expect(TextTable.markdownEscaped("&#;") == "&#;")
    #expect(TextTable.markdownEscaped("&#xZ;") == "&#xZ;")
    #expect(TextTable.markdownEscaped("a &b") == "a &b")
  }

  @Test func csvAndMarkdown() throws {
    #expect(t.render(.csv) == "name,score\nann,1.5000\nbo|b,12.2500\n")
    #expect(t.render(.markdown) == "**Scores**\n\n| name | score |\n| --- | ---: |\n| ann | 1.5000 |\n| bo\\|b | 12.2500 |\n\nn = 2\n")
    let back = try Table.parse(bytes: Array(t.render(.csv).utf8), name: "x.csv")
    #expect(try back.strings("name") == ["ann", "bo|b"])
  }

  @Test func json() {
    #expect(t.render(.json).hasPrefix("{\n  \"title\": \"Scores\",\n  \"columns\": [\"name\", \"score\"],\n"))
  }

  @Test func outputFormatParsing() throws {
    #expect(try OutputFormat.parse("JSON") == .json)
    #expect(try OutputFormat.parse("md") == .markdown)
    #expect(throws: UsageError.self) { try OutputFormat.parse("xml") }
    // Only ASCII letters fold: "mar\u{212A}down" has a Kelvin sign, whose Unicode lower case is 'k'.
    #expect(throws: UsageError.self) { try OutputFormat.parse("MAR\u{212A}DOWN") }
    #expect(try OutputFormat.parse("MARKDOWN") == .markdown)
    #expect(OutputFormat.allCases.map(\.rawValue) == ["table", "csv", "json", "markdown"])
  }
}

@Suite struct ErrorTests {
  @Test func renderingAndExitCodes() {
    let e = InputError(file: "a.csv", line: 3, column: 7, message: "bad", hint: "fix it")
    #expect(e.description == "a.csv:3:7: bad; fix it")
    #expect(InputError(file: "a.csv", message: "gone").description == "a.csv: gone")
    #expect(e.exitCode == 65)
    #expect(UsageError("bad flag", hint: "use --k 2...8").description == "bad flag; use --k 2...8")
    #expect(UsageError("x").exitCode == 64)
    #expect(OutputError(path: "o.json", message: "denied").exitCode == 73)
    let any: any CohortLensError = e
    #expect(any.exitCode == 65)
  }
}

@Suite struct AtomicFileTests {
  private func directory() -> String {
    let d = "/tmp/cohortlens-atomic-\(UInt64.random(in: 0 ... .max))"
    mkdir(d, 0o755)
    return d
  }

  private func listing(_ d: String) -> [String] {
    guard let dir = opendir(d) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if name != "." && name != ".." { names.append(name) }
    }
    return names.sorted()
  }

  private func contents(_ path: String) throws -> String {
    String(decoding: try FileIO.readAll(path: path), as: UTF8.self)
  }

  @Test func replacesExistingFile() throws {
    let d = directory()
    let path = d + "/out.json"
    try AtomicFile.write("old", to: path)
    try AtomicFile.write("new content", to: path)
    #expect(try contents(path) == "new content")
    #expect(listing(d) == ["out.json"])
    unlink(path)
    rmdir(d)
  }

  @Test func failingWriteLeavesNothing() throws {
    let d = directory()
    let path = d + "/missing/out.json"
    #expect(throws: OutputError.self) { try AtomicFile.write("x", to: path) }
    do {
      try AtomicFile.write("x", to: path)
    } catch let e as OutputError {
      #expect(e.path == path)
      #expect(e.description.contains("No such file or directory"))
    }
    #expect(listing(d).isEmpty)
    // Target is a directory: rename fails, temp file is removed, directory untouched.
    let sub = d + "/taken"
    mkdir(sub, 0o755)
    #expect(throws: OutputError.self) { try AtomicFile.write("x", to: sub) }
    #expect(listing(d) == ["taken"])
    rmdir(sub)
    rmdir(d)
  }
}

@Suite struct SHA256Tests {
  @Test func knownVectors() throws {
    #expect(SHA256.hex(bytes: [UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(SHA256.hex(bytes: Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(SHA256.hex(bytes: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
      == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    #expect(SHA256.hex(bytes: million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    // Incremental updates with odd chunk sizes give the same digest.
    var h = SHA256()
    var i = 0
    while i < million.count {
      let n = min(777, million.count - i)
      h.update(million[i..<(i + n)])
      i += n
    }
    #expect(SHA256.hexString(h.finalize()) == SHA256.hex(bytes: million))
  }

  @Test func fileDigest() throws {
    let path = "/tmp/cohortlens-sha-\(UInt64.random(in: 0 ... .max))"
    try AtomicFile.write("abc", to: path)
    defer { unlink(path) }
    #expect(try SHA256.hex(ofFile: path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    #expect(throws: InputError.self) { try SHA256.hex(ofFile: path + ".missing") }
  }

  @Test func backgroundDigest() {
    let million = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
    let pending = SHA256.inBackground(million)
    #expect(pending.hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    #expect(pending.hex == pending.hex)
    #expect(SHA256.inBackground([]).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
  }

  @Test func tableReadComputesTheFileDigest() throws {
    let path = "/tmp/cohortlens-sha-table-\(UInt64.random(in: 0 ... .max)).csv"
    // Larger than one 4 MiB read step, with a length that is not a multiple of 64.
    var text = "a,b\n"
    var r = 0
    while text.utf8.count < 9_000_003 { text += "\(r),\(Double(r) / 7)\n"; r += 1 }
    try AtomicFile.write(text, to: path)
    defer { unlink(path) }
    let t = try Table.read(path: path, digest: true)
    #expect(t.sha256 == SHA256.hex(bytes: Array(text.utf8)))
    #expect(t.sha256 == (try SHA256.hex(ofFile: path)))
    #expect(t.rowCount == r)
    #expect(try Table.read(path: path).sha256 == nil)
    #expect(try Table.read(path: path, digest: false).sha256 == nil)
    #expect(throws: InputError.self) { try Table.read(path: path + ".missing", digest: true) }
  }
}

@Suite struct AtomicDirectoryTests {
  func tempRoot() throws -> String {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cl-atomicdir-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    return root
  }

  @Test func writesANewFolderAndReplacesAnOldOne() throws {
    let root = try tempRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let out = root + "/report"
    #expect(AtomicDirectory.state(of: out) == .missing)
    try AtomicDirectory.write([("report.json", Array("{}".utf8)), ("tables/a.csv", Array("x\n1\n".utf8))], to: out)
    #expect(AtomicDirectory.entries(of: out) == ["report.json", "tables"])
    #expect(try String(contentsOfFile: out + "/tables/a.csv", encoding: .utf8) == "x\n1\n")
    try AtomicDirectory.write(
      [("report.json", Array("{\"v\":2}".utf8))], to: out + "/", replacing: ["report.json", "tables", "tables/a.csv"])
    #expect(AtomicDirectory.entries(of: out) == ["report.json"])
    #expect(try String(contentsOfFile: out + "/report.json", encoding: .utf8) == "{\"v\":2}")
    // Nothing left beside it: no temporary or old folders.
    #expect(AtomicDirectory.entries(of: root) == ["report"])
    #expect(AtomicDirectory.state(of: out) == .nonEmptyDirectory)
  }

  @Test func aFailedWriteLeavesTheTargetUntouched() throws {
    let root = try tempRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let out = root + "/report"
    try AtomicDirectory.write([("keep.txt", [65])], to: out)
    #expect(throws: OutputError.self) {
      try AtomicDirectory.write([("ok.txt", [66]), ("../escape.txt", [67])], to: out)
    }
    #expect(AtomicDirectory.entries(of: out) == ["keep.txt"])
    #expect(AtomicDirectory.entries(of: root) == ["report"])
  }
}

extension AtomicDirectoryTests {
  func text(_ path: String) -> String? { try? String(contentsOfFile: path, encoding: .utf8) }

  @Test func keepsEveryEntryItWasNotToldItMayReplace() throws {
    let root = try tempRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let out = root + "/report"
    try AtomicDirectory.write([("report.json", [49]), ("tables/old.csv", [50]), ("tables/same.csv", [51])], to: out)
    try "mine".write(toFile: out + "/notes.txt", atomically: false, encoding: .utf8)
    try "mine too".write(toFile: out + "/tables/mine.csv", atomically: false, encoding: .utf8)
    let previous: Set<String> = ["report.json", "tables", "tables/old.csv", "tables/same.csv"]
    #expect(AtomicDirectory.firstUnlisted(in: out, listed: previous) == "notes.txt")
    // Unlisted entries present: the new files are moved in, listed ones not rewritten are removed.
    let aside = try AtomicDirectory.write([("tables/same.csv", [52]), ("tables/new.csv", [53]), ("report.json", [54])],
                                          to: out, replacing: previous)
    #expect(aside == nil)
    #expect(AtomicDirectory.entries(of: out) == ["notes.txt", "report.json", "tables"])
    #expect(AtomicDirectory.entries(of: out + "/tables") == ["mine.csv", "new.csv", "same.csv"])
    #expect(text(out + "/notes.txt") == "mine" && text(out + "/tables/mine.csv") == "mine too")
    #expect(text(out + "/report.json") == "6" && text(out + "/tables/same.csv") == "4")
    #expect(AtomicDirectory.entries(of: root) == ["report"])
    // Nothing listed: an unlisted entry whose place a new file takes is refused before anything moves.
    #expect(throws: OutputError.self) {
      try AtomicDirectory.write([("a.txt", [65]), ("notes.txt", [66])], to: out)
    }
    #expect(throws: OutputError.self) {
      try AtomicDirectory.write([("notes.txt/x.csv", [66])], to: out, replacing: ["notes.txt"])
    }
    #expect(AtomicDirectory.entries(of: out) == ["notes.txt", "report.json", "tables"])
    #expect(text(out + "/notes.txt") == "mine")
    #expect(AtomicDirectory.entries(of: root) == ["report"])
  }

  @Test func swapsAFolderOfListedEntriesAndDeletesOnlyThose() throws {
    let root = try tempRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    let out = root + "/report"
    try AtomicDirectory.write([("report.json", [49]), ("tables/a.csv", [50])], to: out)
    // Without a listing nothing may be replaced: the existing file's place is refused.
    #expect(throws: OutputError.self) { try AtomicDirectory.write([("report.json", [51])], to: out) }
    #expect(text(out + "/report.json") == "1")
    try AtomicDirectory.write([("report.json", [51])], to: out, replacing: ["report.json", "tables", "tables/a.csv"])
    #expect(AtomicDirectory.entries(of: out) == ["report.json"])
    #expect(text(out + "/report.json") == "3")
    #expect(AtomicDirectory.entries(of: root) == ["report"])
  }

  @Test func followsASymbolicLinkAndRefusesAFile() throws {
    let root = try tempRoot()
    defer { try? FileManager.default.removeItem(atPath: root) }
    try FileManager.default.createDirectory(atPath: root + "/real", withIntermediateDirectories: true)
    try "mine".write(toFile: root + "/real/notes.txt", atomically: false, encoding: .utf8)
    try FileManager.default.createSymbolicLink(atPath: root + "/link", withDestinationPath: "real")
    #expect(AtomicDirectory.followingLink(root + "/link/")?.hasSuffix("/real") == true)
    #expect(AtomicDirectory.kind(of: root + "/link") == .symbolicLink)
    try AtomicDirectory.write([("report.json", [49])], to: root + "/link")
    #expect(AtomicDirectory.kind(of: root + "/link") == .symbolicLink)
    #expect(AtomicDirectory.entries(of: root + "/real") == ["notes.txt", "report.json"])
    try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: "nowhere")
    #expect(AtomicDirectory.followingLink(root + "/dangling") == nil)
    #expect(throws: OutputError.self) { try AtomicDirectory.write([("report.json", [49])], to: root + "/dangling") }
    #expect(throws: OutputError.self) { try AtomicDirectory.write([("x", [49])], to: root + "/real/notes.txt") }
    #expect(text(root + "/real/notes.txt") == "mine")
    #expect(AtomicDirectory.entries(of: root) == ["dangling", "link", "real"])
  }
}

@Suite struct AtomicFileGroupTests {
  @Test func filesThatBelongTogetherAppearTogetherOrNotAtAll() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cl-atomicgroup-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try AtomicFile.write(files: [(root + "/D.ids.txt", Array("a\nb\n".utf8)), (root + "/D.npy", [1, 2, 3])])
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["D.ids.txt", "D.npy"])
    // The second file's folder does not exist: neither file is written, no temporary file is left.
    #expect(throws: OutputError.self) {
      try AtomicFile.write(files: [(root + "/E.ids.txt", [65]), (root + "/missing/E.npy", [66])])
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["D.ids.txt", "D.npy"])
  }

  @Test func aFailureBeforeTheRenamesLeavesEveryPathAsItWas() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cl-atomicgroup-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try AtomicFile.write(files: [(root + "/a.txt", [65])])
    struct Stop: Error {}
    // A throwing `beforeRenaming` (e.g. the report on a closed stdout): no file replaced or created.
    #expect(throws: Stop.self) {
      try AtomicFile.write(files: [(root + "/a.txt", [66]), (root + "/b.txt", [67])]) { throw Stop() }
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["a.txt"])
    #expect(FileManager.default.contents(atPath: root + "/a.txt") == Data([65]))
    // A stream that fails (a full device): the regular file is not renamed into place.
    if FileManager.default.fileExists(atPath: "/dev/full") {
      #expect(throws: OutputError.self) { try AtomicFile.write(files: [(root + "/c.txt", [68]), ("/dev/full", [69])]) }
      #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["a.txt"])
    }
    // `beforeRenaming` runs after staging and before the renames.
    var seen: [String] = []
    try AtomicFile.write(files: [(root + "/d.txt", [70])]) {
      seen = try FileManager.default.contentsOfDirectory(atPath: root).sorted()
    }
    #expect(seen.count == 2 && seen[0].hasPrefix(".d.txt.staged-") && seen[1] == "a.txt", "\(seen)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["a.txt", "d.txt"])
  }

  /// Destinations of a group resolve as single writes do: a symbolic link keeps pointing at its replaced target,
  /// a character device is written in place.
  @Test func groupWritesFollowLinksAndWriteDevicesInPlace() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cl-atomicgroup-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try Data([1]).write(to: URL(fileURLWithPath: root + "/target.csv"))
    try FileManager.default.createSymbolicLink(atPath: root + "/link.csv", withDestinationPath: "target.csv")
    try AtomicFile.write(files: [(root + "/link.csv", [2, 3]), ("/dev/null", [4]), (root + "/other.csv", [5])])
    #expect(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/link.csv") == "target.csv")
    #expect(FileManager.default.contents(atPath: root + "/target.csv") == Data([2, 3]))
    #expect(FileManager.default.contents(atPath: root + "/other.csv") == Data([5]))
    #expect(try FileManager.default.contentsOfDirectory(atPath: root).sorted() == ["link.csv", "other.csv", "target.csv"])
  }

  @Test func checkWritableCreatesNothingAndNamesTheFolder() throws {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("cl-atomicgroup-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    try AtomicFile.checkWritable(root + "/new.csv")
    try AtomicFile.checkWritable("/dev/null")
    do {
      try AtomicFile.checkWritable(root + "/missing/new.csv")
      Issue.record("expected an error")
    } catch let e as OutputError {
      #expect(e.description == root + "/missing/new.csv: cannot create a file in '\(root)/missing': No such file or directory")
    }
    try Data([1]).write(to: URL(fileURLWithPath: root + "/plain"))
    #expect(throws: OutputError.self) { try AtomicFile.checkWritable(root + "/plain/new.csv") }
    #expect(throws: OutputError.self) { try AtomicFile.checkWritable(root) }
    #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["plain"])
  }
}
