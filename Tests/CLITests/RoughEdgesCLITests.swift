import Foundation
import Testing

@Suite("Number text, enum-valued flags, configuration scalars, time stamps")
struct RoughEdgesCLITests {
  /// A subnormal minimum holds one significant digit: the table and Markdown print `-1e-320` (as JSON and CSV
  /// do), not `-9.99989e-321`, whose last five digits are not part of the number.
  @Test func inspectPrintsSubnormalsWithTheDigitsTheyHold() throws {
    let dir = try CLI.temporaryDirectory()
    let file = try CLI.write("id,x,y\na,-1e-320,5e-324\nb,1,2\n", "sub.csv", in: dir)
    for format in ["table", "markdown"] {
      let r = try CLI.run(["inspect", file, "--format", format])
      #expect(r.status == 0, "\(r.stderr)")
      #expect(r.stdout.contains("-1e-320"), "\(r.stdout)")
      #expect(r.stdout.contains("5e-324"), "\(r.stdout)")
      #expect(!r.stdout.contains("9.99989"), "\(r.stdout)")
      #expect(!r.stdout.contains("4.94066"), "\(r.stdout)")
    }
    let csv = try CLI.run(["inspect", file, "--format", "csv"])
    #expect(csv.stdout.contains(",-1e-320,"), "\(csv.stdout)")
    let json = try CLI.run(["inspect", file, "--format", "json"])
    #expect(json.stdout.contains("\"min\": -1e-320"), "\(json.stdout)")
  }
}
