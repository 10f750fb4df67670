#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Low-level file helpers shared by the reader, `AtomicFile` and `SHA256`.
public enum FileIO {
  /// The whole file at `path` (`open` + `fstat` + `read(2)` loop). O(file size).
  /// `expecting` names the kind of file the caller reads (default `a CSV file`), for the hint when
  /// `path` is a folder (`pass the path of <expecting>`).
  /// - Throws: ``InputError`` naming the file and the system's reason.
  public static func readAll(path: String, expecting: String = "a CSV file") throws -> [UInt8] {
    try readAll(path: path, hasher: nil, expecting: expecting)
  }

  /// `readAll(path:)`, feeding `hasher` as the bytes arrive (in 4 MiB steps) so that hashing
  /// overlaps reading; `hasher` is finished with the result (also when reading fails part-way).
  static func readAll(path: String, hasher: SHA256.BackgroundHasher?, expecting: String = "a CSV file") throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw readError(path) }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw readError(path) }
    if (st.st_mode & S_IFMT) == S_IFDIR {
      throw InputError(file: path, message: "is a directory, not a file", hint: "pass the path of \(expecting)")
    }
    var failed: Int32 = 0
    // Reads into `buffer` until it is full or at end of file; returns the byte count.
    func fill(_ buffer: UnsafeMutableBufferPointer<UInt8>) -> Int {
      var got = 0
      while got < buffer.count {
        let r = read(fd, buffer.baseAddress! + got, buffer.count - got)
        if r < 0 {
          if errno == EINTR { continue }
          failed = errno
          break
        }
        if r == 0 { break }
        got += r
      }
      return got
    }
    // One extra byte so that end of file is seen without growing when the size is right.
    let expected = max(Int(st.st_size), 0) + 1
    var complete = false
    var result = [UInt8](unsafeUninitializedCapacity: expected) { buffer, count in
      if let hasher, let base = buffer.baseAddress {
        // The storage becomes `result` in place, so the fed pointers stay valid.
        let step = 4 << 20
        var got = 0
        while got < buffer.count {
          let n = fill(UnsafeMutableBufferPointer(start: base + got, count: Swift.min(step, buffer.count - got)))
          got += n
          hasher.feed(UnsafeRawPointer(base), upTo: got)
          if n < Swift.min(step, buffer.count - (got - n)) { break }
        }
        count = got
      } else {
        count = fill(buffer)
      }
      complete = count < expected
    }
    // The fed region is about to move or be freed: let the hasher catch up, then hand it the result.
    defer { hasher?.finish(result) }
    if !complete && failed == 0 { hasher?.drain() }
    // The file grew while being read (or st_size was 0 for a special file): read the rest in chunks.
    if !complete && failed == 0 {
      var chunk = [UInt8](repeating: 0, count: 1 << 20)
      while failed == 0 {
        let got = chunk.withUnsafeMutableBufferPointer { fill($0) }
        result.append(contentsOf: chunk[0..<got])
        if got < chunk.count { break }
      }
    }
    if failed != 0 { throw InputError(file: path, message: "cannot read: " + errorText(failed)) }
    return result
  }

  static func readError(_ path: String) -> InputError {
    let e = errno
    return InputError(file: path, message: "cannot read: " + String(cString: strerror(e)),
                      hint: e == ENOENT ? "check the path" : "check the path and permissions")
  }

  /// Last path component without its extension (`data/grades.csv` → `grades`).
  public static func stem(of path: String) -> String {
    let base = path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
    if let dot = base.lastIndex(of: "."), dot != base.startIndex {
      return String(base[..<dot])
    }
    return base
  }

  /// Directory part of `path` (`.` when there is none).
  static func directory(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    if slash == path.startIndex { return "/" }
    return String(path[..<slash])
  }

  static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }
}
