import CohortLensCore
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--output` onto devices, FIFOs and symbolic links; usage errors for impossible `--k`, `--graph`
/// and output names; located errors for bad precomputed matrices.
@Suite("output destinations and usage limits", .serialized)
struct OutputDestinationTests {
  static let features = "id,a,b\ns1,0,0\ns2,0.1,0\ns3,5,5\ns4,5.1,5\ns5,0,0.2\ns6,5,5.2\n"

  static func fileType(_ path: String) -> mode_t {
    var st = stat()
    guard lstat(path, &st) == 0 else { return 0 }
    return st.st_mode & S_IFMT
  }

  @Test func outputOntoACharacterDeviceWritesThroughAndKeepsTheDevice() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    // A link to /dev/null stands in for it (creating device nodes needs privileges).
    let link = dir.appendingPathComponent("null").path
    #expect(symlink("/dev/null", link) == 0)
    let r = try CLI.run(["inspect", input, "--output", link])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.fileType(link) == S_IFLNK)
    #expect(Self.fileType("/dev/null") == S_IFCHR)
    #expect(try AtomicFile.destination(of: link) == .stream(link))
    #expect(try AtomicFile.destination(of: "/dev/null") == .stream("/dev/null"))
  }

  @Test func outputOntoAFIFOIsWrittenInPlace() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    let fifo = dir.appendingPathComponent("pipe").path
    #expect(mkfifo(fifo, 0o600) == 0)
    // A reader drains the FIFO while the command writes it.
    let reader = Process()
    reader.executableURL = URL(fileURLWithPath: "/bin/cat")
    reader.arguments = [fifo]
    let pipe = Pipe()
    reader.standardOutput = pipe
    try reader.run()
    let r = try CLI.run(["inspect", input, "--format", "csv", "--output", fifo])
    let text = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    reader.waitUntilExit()
    #expect(r.status == 0, "\(r.stderr)")
    #expect(text.hasPrefix("column,header,type,present,missing"), "\(text)")
    #expect(Self.fileType(fifo) == S_IFIFO)
  }

  @Test func outputThroughASymbolicLinkReplacesTheTargetAndKeepsTheLink() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    let target = try CLI.write("old\n", "target.csv", in: dir)
    let link = dir.appendingPathComponent("link.csv").path
    #expect(symlink("target.csv", link) == 0)
    let r = try CLI.run(["inspect", input, "--format", "csv", "--output", link])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(Self.fileType(link) == S_IFLNK)
    #expect(try String(contentsOfFile: target, encoding: .utf8).hasPrefix("column,header,type"))
    // A dangling link names the file to create.
    let dangling = dir.appendingPathComponent("dangling.csv").path
    #expect(symlink("created.csv", dangling) == 0)
    let d = try CLI.run(["inspect", input, "--format", "csv", "--output", dangling])
    #expect(d.status == 0, "\(d.stderr)")
    #expect(Self.fileType(dangling) == S_IFLNK)
    #expect(Self.fileType(dir.appendingPathComponent("created.csv").path) == S_IFREG)
  }

  /// An output that is one of the inputs (by name, through a link) would replace the input with
  /// the report: a usage error before any work, the input untouched. Two outputs naming one file
  /// are refused the same way.
  @Test func outputOntoAnInputIsAUsageError() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    let link = dir.appendingPathComponent("link.csv").path
    #expect(symlink(input, link) == 0)
    var r = try CLI.run(["inspect", input, "--output", input])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--output '\(input)' is the same file as <file> '\(input)'; writing it would replace the input"))
    r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2", "--output", link])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--output '\(link)' is the same file as --features '\(input)'"))
    #expect(try String(contentsOfFile: input, encoding: .utf8) == Self.features)
    let labels = dir.appendingPathComponent("labels.csv").path
    r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2", "--output", labels, "--labels-out",
                     dir.appendingPathComponent("./labels.csv").path])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--output and --labels-out name the same file"))
    #expect(!FileManager.default.fileExists(atPath: labels))
    // Devices are written in place: two outputs may share one.
    r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2", "--output", "/dev/null", "--labels-out", "/dev/null"])
    #expect(r.status == 0, "\(r.stderr)")
    // Different files are fine, and the symbolic link is followed for the size inspect reports.
    r = try CLI.run(["inspect", link, "--format", "json"])
    #expect(r.status == 0)
    #expect(try CLI.json(r.stdout)["bytes"] as? Int == Self.features.utf8.count)
  }

  @Test func emptyOrDirectoryOutputIsAUsageError() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    let empty = try CLI.run(["inspect", input, "--output", ""])
    #expect(empty.status == 64)
    #expect(empty.stderr.contains("--output needs a file name"), "\(empty.stderr)")
    let directory = try CLI.run(["inspect", input, "--output", dir.path])
    #expect(directory.status == 64)
    #expect(directory.stderr.contains("is a directory; name a file"), "\(directory.stderr)")
    let labels = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2", "--labels-out", dir.path])
    #expect(labels.status == 64)
    #expect(labels.stderr.contains("--labels-out"), "\(labels.stderr)")
    #expect(throws: OutputError.self) { try AtomicFile.destination(of: dir.path) }
  }

  @Test func hugeKIsAUsageErrorAtOnce() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    for k in ["4611686018427387904", "2,9223372036854775807", "2...99999999999", "2...9223372036854775807"] {
      let start = Date()
      let r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", k])
      #expect(r.status == 64, "\(k): \(r.stderr)")
      #expect(r.stderr.contains("is too large: k must be smaller than the number of learners"), "\(r.stderr)")
      #expect(Date().timeIntervalSince(start) < 10)
    }
    let negative = try CLI.run(["cluster", "--features", input, "--id", "id", "--k=-99999999999...3"])
    #expect(negative.status == 64)
    #expect(negative.stderr.contains("every k must be at least 2"), "\(negative.stderr)")
    // A negative value is read as the value, not as a missing one.
    let minusOne = try CLI.run(["cluster", "--features", input, "--id", "id", "--gamma", "-1"])
    #expect(minusOne.status == 64)
    #expect(minusOne.stderr.contains("--gamma must be a positive number"), "\(minusOne.stderr)")
  }

  @Test func tooFewLearnersSayWhatIsNeeded() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let two = try CLI.write("id,a,b\ns1,0,0\ns2,1,1\n", "two.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", two, "--id", "id", "--k", "2"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("there are n = 2; clustering needs at least 3 learners"), "\(r.stderr)")
    #expect(!r.stderr.contains("choose k in 2...2"))
    let missing = try CLI.write("id,a,b\ns1,,0\ns2,1,\ns3,,\n", "missing.csv", in: dir)
    let m = try CLI.run(["cluster", "--features", missing, "--id", "id", "--k", "2", "--drop-missing"])
    #expect(m.status == 64)
    #expect(m.stderr.contains("n = 0") && m.stderr.contains("--drop-missing removed"), "\(m.stderr)")
  }

  @Test func knnLargerThanTheCohortIsAUsageError() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let input = try CLI.write(Self.features, "f.csv", in: dir)
    let r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2", "--graph", "knn:1000"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--graph knn:1000 asks for more neighbours than learners (n = 6); choose K in 1...6"), "\(r.stderr)")
  }

  @Test func negativePrecomputedEntryIsLocated() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let matrix = try CLI.write("id,a,b,c\na,1,0.5,0.1\nb,0.5,1,-0.2\nc,0.1,-0.2,1\n", "w.csv", in: dir)
    let out = dir.appendingPathComponent("out.csv").path
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", matrix, "--k", "2", "--output", out])
    #expect(r.status == 65)
    #expect(r.stderr.contains("w.csv:4:"), "\(r.stderr)")
    #expect(r.stderr.contains("negative value -0.2 (row 'c', column 'b')"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
  }

  /// A bad entry of a precomputed matrix is corrected in the matrix: the hint names neither --columns (there
  /// is nothing to leave out) nor marking it missing (a matrix must be complete).
  @Test func nonNumericPrecomputedEntryHintFitsAMatrix() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    for (cell, what, fix) in [
      ("x", "'x' is not a number", "every entry of a precomputed matrix is a number ≥ 0 (a similarity); correct the cell"),
      ("inf", "'inf' is not a finite number", "every entry of a precomputed matrix is a finite number ≥ 0 and none may be missing; correct the cell"),
    ] {
      let matrix = try CLI.write("id,a,b,c,d\na,1,0.5,0.2,0.1\nb,0.5,1,0.3,0.1\nc,0.2,0.3,1,\(cell)\nd,0.1,0.1,0.1,1\n", "m.csv", in: dir)
      let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", matrix, "--k", "2"])
      #expect(r.status == 65)
      #expect(r.stderr == matrix + ":4:13: column 'd' row 3: \(what); \(fix)\n", "\(r.stderr)")
    }
  }

  @Test func precomputedMatrixWhoseDegreesOverflowIsLocated() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    // Every degree is 4e308: the Laplacian used to come out as I (eigenvalues 1.0, one cluster).
    let ids = ["a", "b", "c", "d", "e"]
    let text = "id," + ids.joined(separator: ",") + "\n"
      + ids.map { id in id + "," + ids.map { $0 == id ? "1" : "1e308" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
    let matrix = try CLI.write(text, "w.csv", in: dir)
    let out = dir.appendingPathComponent("out.json").path
    let r = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", matrix, "--k", "2", "--output", out])
    #expect(r.status == 65)
    #expect(r.stderr.contains("w.csv:2:5: the row 'a' of the matrix sums to more than 4.5e307"), "\(r.stderr)")
    #expect(r.stderr.contains("divide the whole matrix by a constant"), "\(r.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out))
    // The same matrix divided by 1e308 clusters, with the complete graph's spectrum 0, 1.25, 1.25, 1.25.
    let scaled = try CLI.write(text.replacingOccurrences(of: "1e308", with: "1"), "s.csv", in: dir)
    let ok = try CLI.run(["cluster", "--affinity", "precomputed", "--matrix", scaled, "--k", "2", "--format", "json"])
    #expect(ok.status == 0, "\(ok.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: Any]
    let values = try #require(json?["eigenvalues"] as? [Double])
    #expect(abs(values[0]) < 1e-12 && values.dropFirst().allSatisfy { abs($0 - 1.25) < 1e-12 }, "\(values)")
  }

  @Test func identicalLearnersWithTheIterativeSolverStillCluster() throws {
    let dir = try CLI.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: dir) }
    let rows = (0..<24).map { "s\($0),1,2" }.joined(separator: "\n")
    let input = try CLI.write("id,a,b\n" + rows + "\n", "same.csv", in: dir)
    for solver in ["iterative", "dense"] {
      let r = try CLI.run(["cluster", "--features", input, "--id", "id", "--k", "2...4", "--eigensolver", solver,
                           "--format", "json"])
      #expect(r.status == 0, "\(solver): \(r.stderr)")
      #expect(r.stderr.contains("only 1 distinct learner"), "\(r.stderr)")
    }
  }
}
