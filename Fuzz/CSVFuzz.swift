// libFuzzer target: the CSV reader (`Table.parse`) and everything that types a column.
//
// Built by Scripts/fuzz.sh together with the CohortLensCore sources (same module, so internal
// invariants can be checked too). The first input byte picks the delimiter and missing tokens;
// the rest is the file. For every input that parses, each column is read as strings, numbers and
// ids, typed and summarised, gathered into a numeric matrix, located, re-selected and joined, and
// the results are checked against each other (the fuzzer stops on the first disagreement).
#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func csvFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let selector = data[0]
  let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  let delimiters: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), 0x09, UInt8(ascii: "|")]
  var options = CSVOptions(delimiter: delimiters[Int(selector & 3)])
  if selector & 4 != 0 { options.missingTokens = ["", "-", "--", "?"] }
  let table: Table
  do {
    table = try Table.parse(bytes: bytes, name: "fuzz.csv", options: options)
  } catch let e as InputError {
    check(!e.description.isEmpty && e.exitCode == 65, "empty error")
    if let l = e.line { check(l >= 1, "line < 1 in \(e)") }
    if let c = e.column { check(c >= 1, "column < 1 in \(e)") }
    return 0
  } catch {
    fatalError("unexpected error type: \(error)")
  }
  exercise(table)
  return 0
}

func check(_ condition: Bool, _ message: @autoclosure () -> String) {
  if !condition { fatalError("invariant violated: " + message()) }
}

func exercise(_ table: Table) {
  let columns = table.columnCount
  check(columns >= 1, "a parsed table has at least one column")
  let summaries = table.summaries()
  check(summaries.count == columns, "one summary per column")
  var numericColumns: [String] = []
  for j in 0..<columns {
    let s = summaries[j]
    check(s.profile.presentCount + s.profile.missingCount == table.rowCount, "present + missing = rows")
    _ = try? table.columnIndex(table.columnNames[j])
    let strings = try? table.strings(at: j)
    if let strings {
      check(strings.count == table.rowCount, "strings count")
      check(strings.filter { $0 == nil }.count == s.profile.missingCount, "missing count (strings vs summary)")
    }
    do {
      let numbers = try table.numbers(at: j)
      check(s.profile.type != .text, "numbers(at:) succeeded on a text column '\(table.columnNames[j])'")
      let present = numbers.compactMap { $0 }
      check(present.count == s.profile.numericCount, "numeric count")
      check(present.allSatisfy { $0.isFinite }, "non-finite number")
      if let lo = present.min(), let hi = present.max() {
        check(s.min?.bitPattern == lo.bitPattern || (s.min == lo), "min differs")
        check(s.max?.bitPattern == hi.bitPattern || (s.max == hi), "max differs")
        if let mean = s.mean { check(mean.isNaN || (mean >= lo - abs(lo) * 1e-12 - 1e-300 || !mean.isFinite), "mean below min") }
      }
      if s.profile.type == .numeric { numericColumns.append(table.columnNames[j]) }
    } catch let e as InputError {
      check(s.profile.type == .text, "numbers(at:) failed on a \(s.profile.type) column: \(e)")
      check(e.line != nil && e.column != nil, "cell error without a location: \(e)")
    } catch {
      fatalError("unexpected error type: \(error)")
    }
    if let ids = try? table.ids(at: j) {
      check(Set(ids).count == ids.count, "ids not unique")
    }
    for r in 0..<min(table.rowCount, 64) {
      let l = table.location(row: r, column: j)
      check(l.line >= 1 && l.column >= 1, "bad location")
      _ = table.sourceRecord(row: r)
    }
  }
  let unique = Array(Set(table.columnNames.filter { numericColumns.contains($0) }))
  if !unique.isEmpty {
    for policy in Table.MissingPolicy.allCases {
      if let m = try? table.numericMatrix(columns: unique, missing: policy) {
        check(m.values.count == m.rowCount * m.columnCount, "matrix size")
        check(m.keptRows.count == m.rowCount, "kept rows")
      }
    }
  }
  if table.rowCount > 0 {
    let rows = Array((0..<table.rowCount).reversed().prefix(32))
    let picked = table.selecting(rows: rows)
    check(picked.rowCount == rows.count, "selecting rows")
    _ = picked.summaries()
    if let sub = try? table.selecting(columns: [table.columnNames[0]]) {
      check(sub.columnCount == 1, "selecting columns")
    }
    let key = table.columnNames[0]
    if let joined = try? Table.join(table, picked, leftId: key, rightId: key) {
      check(joined.table.rowCount <= table.rowCount, "join grew")
      _ = joined.table.summaries()
      for j in 0..<joined.table.columnCount { _ = try? joined.table.numbers(at: j) }
    }
  }
}
