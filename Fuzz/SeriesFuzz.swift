// libFuzzer target: the long- and wide-format series readers (`SeriesTable.long/wide`) and the
// series normalisations, on top of the CSV reader.
//
// Built by Scripts/fuzz.sh from the CohortLensCore sources plus Sources/TimeSeries/SeriesTable.swift
// and SeriesNormalization.swift (one module). The first input byte picks the format, the fill policy,
// the number of value columns and the normalisation; the rest is the CSV file. In long format the
// first column is the id, the second the time, the next one or two the values; in wide format the
// first column is the id and the others are the steps. Any input must either be read or be rejected
// with a located `InputError` / a `ZeroSeriesListError`; what is read must be consistent.
@_cdecl("LLVMFuzzerTestOneInput")
public func seriesFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data, size > 0 else { return 0 }
  let selector = data[0]
  let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
  guard let table = try? Table.parse(bytes: bytes, name: "series.csv") else { return 0 }
  let fill = SeriesFill.allCases[Int(selector >> 1) % SeriesFill.allCases.count]
  let wide = selector & 1 != 0
  let names = table.columnNames
  let set: SeriesSet
  do {
    if wide {
      guard names.count >= 2 else { return 0 }
      set = try SeriesTable.wide(table, id: names[0], columns: Array(names.dropFirst()), fill: fill)
    } else {
      guard names.count >= 3 else { return 0 }
      let valueCount = selector & 0x08 != 0 && names.count >= 4 ? 2 : 1
      set = try SeriesTable.long(table, id: names[0], time: names[1], values: Array(names[2..<(2 + valueCount)]), fill: fill)
    }
  } catch let e as InputError {
    if e.description.isEmpty || e.exitCode != 65 { fatalError("bad error \(e)") }
    if let l = e.line, l < 1 { fatalError("line < 1: \(e)") }
    if let c = e.column, c < 1 { fatalError("column < 1: \(e)") }
    return 0
  } catch {
    fatalError("unexpected error type \(type(of: error)): \(error)")
  }
  let d = set.dimensions
  if d < 1 { fatalError("no dimensions") }
  if set.ids.count != set.series.count { fatalError("ids and series differ in count") }
  if Set(set.ids).count != set.ids.count { fatalError("duplicate learner ids accepted") }
  if set.features.count != d { fatalError("feature names \(set.features.count) vs d \(d)") }
  for (i, s) in set.series.enumerated() {
    if s.isEmpty || s.count % d != 0 { fatalError("series \(i) has \(s.count) values for d = \(d)") }
    if s.count / d > set.steps.count { fatalError("series \(i) longer than the step grid") }
    if !s.allSatisfy({ $0.isFinite }) { fatalError("non-finite value in series \(i)") }
    if set.length(i) != s.count / d { fatalError("length()") }
  }
  let method = SeriesNormalization.allCases[Int(selector >> 4) % SeriesNormalization.allCases.count]
  do {
    let normalized = try set.normalized(method, keepZero: selector & 0x80 != 0)
    if normalized.series.map(\.count) != set.series.map(\.count) { fatalError("normalisation changed lengths") }
    for s in normalized.series where !s.allSatisfy({ $0.isFinite }) {
      fatalError("normalisation \(method) produced a non-finite value")
    }
  } catch let e as ZeroSeriesListError {
    if e.ids.isEmpty || method != .l2 { fatalError("zero-series error \(e) under \(method)") }
  } catch {
    fatalError("unexpected normalisation error \(type(of: error)): \(error)")
  }
  return 0
}
