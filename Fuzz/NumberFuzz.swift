// libFuzzer target: the number parser (`DecimalParser`), checked against C `strtod`.
//
// Oracles: whatever `DecimalParser.parse` accepts, `strtod` must consume completely and return
// the same bits; every input made only of the characters of the accepted syntax
// (`[0-9.eE+-]`) that `strtod` consumes completely must be accepted; the word-at-a-time fast path
// `parseShort` must agree with `parse` whenever it answers.
#if canImport(Glibc)
  import Glibc
#endif

@_cdecl("LLVMFuzzerTestOneInput")
public func numberFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data else { return 0 }
  let input = UnsafeBufferPointer(start: data, count: size)
  let parsed = DecimalParser.parse(input)
  let reference = referenceStrtod(input)
  if let parsed {
    guard let reference else { fatalError("accepted but strtod rejects: \(show(input))") }
    if parsed.bitPattern != reference.bitPattern && !(parsed.isNaN && reference.isNaN) {
      fatalError("\(show(input)): parse \(parsed) != strtod \(reference)")
    }
  } else if reference != nil && size > 0 && input.allSatisfy(isSyntaxByte) && !isHexOrSpecial(input) {
    fatalError("rejected but strtod accepts: \(show(input))")
  }
  // The fast path reads 8-byte words; give it a padded copy (as a CSV buffer has bytes after a cell).
  var padded = Array(input)
  padded.append(contentsOf: [UInt8(ascii: ","), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
  padded.withUnsafeBufferPointer { p in
    if let short = DecimalParser.parseShort(p.baseAddress!, start: 0, end: size, readable: p.count) {
      guard let parsed, short.bitPattern == parsed.bitPattern else {
        fatalError("parseShort \(short) disagrees with parse \(String(describing: parsed)) on \(show(input))")
      }
    }
  }
  // The unpadded buffer must be safe too (the address sanitizer checks the reads).
  if size > 0 {
    let exact = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
    exact.update(from: data, count: size)
    if let short = DecimalParser.parseShort(exact, start: 0, end: size, readable: size) {
      if short.bitPattern != parsed?.bitPattern { fatalError("parseShort (exact) disagrees on \(show(input))") }
    }
    exact.deallocate()
  }
  // The String entry point must agree with the buffer one.
  if let text = String(validating: input, as: UTF8.self) {
    let viaString = DecimalParser.parse(text)
    if viaString?.bitPattern != parsed?.bitPattern { fatalError("String and buffer parses disagree on \(show(input))") }
  }
  return 0
}

func isSyntaxByte(_ b: UInt8) -> Bool {
  (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
}

func isHexOrSpecial(_ b: UnsafeBufferPointer<UInt8>) -> Bool { false }

func referenceStrtod(_ b: UnsafeBufferPointer<UInt8>) -> Double? {
  guard b.count > 0 else { return nil }
  var copy = Array(b).map { CChar(bitPattern: $0) }
  copy.append(0)
  return copy.withUnsafeMutableBufferPointer { t -> Double? in
    var end: UnsafeMutablePointer<CChar>? = nil
    let v = strtod(t.baseAddress!, &end)
    guard let end, end - t.baseAddress! == b.count else { return nil }
    // strtod skips leading white space; the parser does not (cells are trimmed beforehand).
    if let first = b.first, first == 0x20 || (first >= 0x09 && first <= 0x0D) { return nil }
    return v
  }
}

func show(_ b: UnsafeBufferPointer<UInt8>) -> String {
  "[" + b.map { String($0, radix: 16) }.joined(separator: " ") + "] '" + String(decoding: b, as: UTF8.self) + "'"
}
