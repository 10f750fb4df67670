// libFuzzer target: the configuration reader (`ConfigParser.parse`, JSON and the YAML subset).
//
// Any input must either parse or throw a `ConfigError` with a 1-based location inside the text;
// nothing may crash or hang. Parsed documents are walked completely.
@_cdecl("LLVMFuzzerTestOneInput")
public func configFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  guard let data else { return 0 }
  guard let text = String(validating: UnsafeBufferPointer(start: data, count: size), as: UTF8.self) else { return 0 }
  do {
    let node = try ConfigParser.parse(text, file: "fuzz.yaml")
    walk(node, depth: 0)
  } catch let e as ConfigError {
    if e.description.isEmpty { fatalError("empty error") }
    if let m = e.mark {
      if m.line < 1 || m.column < 1 { fatalError("bad mark \(m) in \(e)") }
    }
  } catch {
    fatalError("unexpected error type: \(error)")
  }
  return 0
}

/// Visits every node: marks are 1-based, mapping keys are unique, and the accessors answer.
func walk(_ node: ConfigNode, depth: Int) {
  if node.mark.line < 1 || node.mark.column < 1 { fatalError("bad node mark \(node.mark)") }
  _ = node.kindDescription
  switch node.value {
  case .null, .scalar: _ = try? node.string("value")
  case .mapping(let entries):
    if Set(entries.map(\.key)).count != entries.count { fatalError("duplicate keys accepted") }
    for e in entries {
      if e.keyMark.line < 1 || e.keyMark.column < 1 { fatalError("bad key mark") }
      walk(e.value, depth: depth + 1)
    }
  case .sequence(let items):
    for item in items { walk(item, depth: depth + 1) }
  }
}
