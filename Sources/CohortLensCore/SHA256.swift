#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 (FIPS 180-4) in pure Swift, used to fingerprint input files in JSON reports.
///
/// Incremental: `update` any number of times, then `finalize`. O(n) time, O(1) memory
/// (64-byte block buffer). Throughput is a few hundred MB/s in release builds.
public struct SHA256: Sendable {
  private var state: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
    (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
  private var block = [UInt8](repeating: 0, count: 64)
  private var blockCount = 0
  private var totalBytes: UInt64 = 0

  private static let k: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]

  public init() {}

  /// Feeds `bytes` into the hash.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    totalBytes &+= UInt64(bytes.count)
    var i = 0
    let n = bytes.count
    if blockCount > 0 {
      while blockCount < 64 && i < n {
        block[blockCount] = bytes[i]
        blockCount += 1
        i += 1
      }
      if blockCount == 64 {
        let b = block
        b.withUnsafeBytes { compress($0.baseAddress!) }
        blockCount = 0
      }
    }
    while n - i >= 64 {
      compress(bytes.baseAddress! + i)
      i += 64
    }
    while i < n {
      block[blockCount] = bytes[i]
      blockCount += 1
      i += 1
    }
  }

  /// Feeds `bytes` into the hash.
  public mutating func update<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    if let done: Void = bytes.withContiguousStorageIfAvailable({ update(UnsafeRawBufferPointer($0)) }) {
      return done
    }
    let copy = Array(bytes)
    copy.withUnsafeBytes { update($0) }
  }

  /// The 32-byte digest (pads a copy; `self` is not changed).
  public func finalize() -> [UInt8] {
    var copy = self
    let bitLength = totalBytes &* 8
    var padding: [UInt8] = [0x80]
    let afterPad = (Int(totalBytes % 64) + 1) % 64
    padding += [UInt8](repeating: 0, count: (56 - afterPad + 64) % 64)
    for shift in stride(from: 56, through: 0, by: -8) { padding.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift))) }
    let saved = copy.totalBytes
    copy.update(padding)
    copy.totalBytes = saved
    let s = copy.state
    var out: [UInt8] = []
    out.reserveCapacity(32)
    for word in [s.0, s.1, s.2, s.3, s.4, s.5, s.6, s.7] {
      out += [UInt8(word >> 24), UInt8(truncatingIfNeeded: word >> 16), UInt8(truncatingIfNeeded: word >> 8),
              UInt8(truncatingIfNeeded: word)]
    }
    return out
  }

  /// The digest of `bytes`. O(n).
  public static func hash<C: Collection>(bytes: C) -> [UInt8] where C.Element == UInt8 {
    var h = SHA256()
    h.update(bytes)
    return h.finalize()
  }

  /// Lower-case hexadecimal digest of `bytes` (64 characters).
  public static func hex<C: Collection>(bytes: C) -> String where C.Element == UInt8 {
    hexString(hash(bytes: bytes))
  }

  /// Lower-case hexadecimal digest of the file at `path`, read in 1 MiB chunks.
  /// - Throws: `InputError` if the file cannot be read.
  public static func hex(ofFile path: String) throws -> String {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw FileIO.readError(path) }
    defer { close(fd) }
    var h = SHA256()
    var chunk = [UInt8](repeating: 0, count: 1 << 20)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n < 0 {
        if errno == EINTR { continue }
        throw InputError(file: path, message: "cannot read: " + FileIO.errorText(errno))
      }
      if n == 0 { break }
      chunk.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
    }
    return hexString(h.finalize())
  }

  static func hexString(_ digest: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(digest.count * 2)
    for b in digest {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }

  private mutating func compress(_ p: UnsafeRawPointer) {
    withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
      for t in 0..<16 {
        w[t] = UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 4 * t, as: UInt32.self))
      }
      for t in 16..<64 {
        let s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3)
        let s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10)
        w[t] = w[t - 16] &+ s0 &+ w[t - 7] &+ s1
      }
      var (a, b, c, d, e, f, g, h) = state
      SHA256.k.withUnsafeBufferPointer { k in
        for t in 0..<64 {
          let s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)
          let ch = (e & f) ^ (~e & g)
          let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
          let s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)
          let maj = (a & b) ^ (a & c) ^ (b & c)
          let t2 = s0 &+ maj
          h = g
          g = f
          f = e
          e = d &+ t1
          d = c
          c = b
          b = a
          a = t1 &+ t2
        }
      }
      state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d, state.4 &+ e, state.5 &+ f, state.6 &+ g,
               state.7 &+ h)
    }
  }

  @inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
}
