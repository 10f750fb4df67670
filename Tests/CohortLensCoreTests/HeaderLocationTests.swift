import Testing
@testable import CohortLensCore

/// Where a column's name stands in the header: the character column of its field (not its field number),
/// after a BOM, blank lines and a quoted name spanning two lines; kept through column selection, row
/// selection and joins.
@Suite("header locations")
struct HeaderLocationTests {
  @Test func nameFieldsAreLocatedByCharacter() throws {
    let t = try Table.parse(bytes: Array("\u{FEFF}\n\"x,\ny\",bb,é,zz\n1,2,3,4\n".utf8), name: "h.csv")
    #expect(t.columnNames == ["x,\ny", "bb", "é", "zz"])
    #expect(t.headerLocation(column: 0) == ("h.csv", 2, 1))
    // Line 3 is `y",bb,é,zz`: bb at character 4, é at 7, zz at 9 (é is one character, two bytes).
    #expect(t.headerLocation(column: 1) == ("h.csv", 3, 4))
    #expect(t.headerLocation(column: 2) == ("h.csv", 3, 7))
    #expect(t.headerLocation(column: 3) == ("h.csv", 3, 9))
    let selected = try t.selecting(columns: ["zz", "bb"])
    #expect(selected.headerLocation(column: 0) == ("h.csv", 3, 9))
    #expect(selected.selecting(rows: [0]).headerLocation(column: 1) == ("h.csv", 3, 4))
  }

  @Test func joinedColumnsPointIntoTheirOwnFile() throws {
    let left = try Table.parse(bytes: Array("id,a\n1,2\n".utf8), name: "l.csv")
    let right = try Table.parse(bytes: Array("b,id\n5,1\n".utf8), name: "r.csv")
    let joined = try Table.join(left, right, leftId: "id", rightId: "id").table
    let b = try joined.columnIndex("b")
    #expect(joined.headerLocation(column: b) == ("r.csv", 1, 1))
    #expect(joined.headerLocation(column: try joined.columnIndex("a")) == ("l.csv", 1, 4))
  }
}
