import Foundation
import Testing
@testable import CohortLensCore

/// The SHA-256 compression with the x86 SHA extensions (`CSHA256`, used by `SHA256.update` when the processor has
/// them) against the Swift compression (`portableOnly`) and against digests printed by Python's hashlib.
@Suite struct SHA256ExtensionTests {
  /// Deterministic pseudo-random bytes: the top byte of a 64-bit LCG (Knuth's MMIX constants), seed 12345.
  static func bytes(_ n: Int) -> [UInt8] {
    var x: UInt64 = 12345
    return (0..<n).map { _ in
      x = x &* 6364136223846793005 &+ 1442695040888963407
      return UInt8(x >> 56)
    }
  }

  static func hex(_ bytes: [UInt8], portable: Bool) -> String {
    var h = SHA256()
    h.portableOnly = portable
    h.update(bytes)
    return SHA256.hexString(h.finalize())
  }

  // hashlib.sha256(bytes(n)).hexdigest() for the generator above.
  static let expected: [(Int, String)] = [
    (0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    (1, "bd4fc42a21f1f860a1030e6eba23d53ecab71bd19297ab6c074381d4ecee0018"),
    (55, "a01edfa0bf400e776ba08930d30af9f7aac0b7382c6da48f5cc4626ede45a699"),
    (56, "0e637ef63b73a7b2c8ace03a8be84a8284688939e798b61df0c79d72540a3af9"),
    (63, "ead4afc9d950011ed0d90dfd6557a9a7347514ecc3afce108cc256ed077c6946"),
    (64, "ec179a2872cb7fb980f69cf2930fa41f820d3824e8247b1e81ad948ae27b79d5"),
    (65, "e9397f2e16400a6a1134476421794d8baa523855075bb0c78d10b6fa9a342374"),
    (119, "538982d5977efec6efe989cc09d102e0dbec88ca819f4bcf82750014583af5cd"),
    (120, "5e789c44b51c01e09efbc2599c0f4612455a339a431a6e8ff71429abafb16739"),
    (127, "be267fef04a32f3b9f2a8982a15037e424bc96e692abd20836cc26fd482ec8e1"),
    (128, "429f8b53c747b1d8b636a0ba6199f848a7139a12a125efbda11da66ad846327e"),
    (129, "1593b33f0776fd330b09d8db21731840cbfc764846426dcf503d6ee99d8a7a97"),
    (1000, "7c07818b13ef29631cb8afe7e4bda3bd82890b473588ad1f518de1ed8a000d18"),
    (1 << 20, "5f566d6ad8960ad24043f8e092c86aaf6e135de02300b90fe7346a94ec3810ca"),
    ((1 << 20) + 37, "1d1494b7c40bac03a45c2212c4f33a628a5f2ea6c580ab6708269a62419c5ff8"),
  ]

  @Test func fipsExamplesOnBothPaths() {
    for portable in [false, true] {
      #expect(Self.hex([], portable: portable) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
      #expect(Self.hex(Array("abc".utf8), portable: portable)
        == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
      #expect(Self.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8), portable: portable)
        == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
      let two = "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
      #expect(Self.hex(Array(two.utf8), portable: portable)
        == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
      #expect(Self.hex([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000), portable: portable)
        == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }
  }

  @Test func boundaryLengthsAndRandomMegabyte() {
    let all = Self.bytes((1 << 20) + 37)
    for (n, digest) in Self.expected {
      let input = Array(all[0..<n])
      #expect(Self.hex(input, portable: false) == digest, "n = \(n)")
      #expect(Self.hex(input, portable: true) == digest, "n = \(n)")
    }
  }

  @Test func everyLengthUpToFiveBlocksAgreesWithTheSwiftPath() {
    let all = Self.bytes(321)
    for n in 0...all.count {
      let input = Array(all[0..<n])
      #expect(Self.hex(input, portable: false) == Self.hex(input, portable: true), "n = \(n)")
    }
  }

  @Test func unalignedInputAndOddChunks() {
    let all = Self.bytes((1 << 20) + 37)
    let whole = Self.expected.last!.1
    for chunk in [1, 3, 7, 13, 61, 63, 64, 65, 127, 4099, 65_537] {
      for portable in [false, true] {
        var h = SHA256()
        h.portableOnly = portable
        var i = 0
        var step = chunk
        while i < all.count {
          let n = min(step, all.count - i)
          all.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[i..<(i + n)])) }
          i += n
          step = step == chunk ? chunk + 1 : chunk  // alternate so that block starts drift off 16-byte alignment
        }
        #expect(SHA256.hexString(h.finalize()) == whole, "chunk \(chunk), portable \(portable)")
      }
    }
    // Whole blocks starting at every offset within a 16-byte line.
    for offset in 0..<17 {
      let input = Array(all[offset..<(offset + 64 * 37)])
      #expect(Self.hex(input, portable: false) == Self.hex(input, portable: true), "offset \(offset)")
    }
  }

  @Test func finalizeLeavesTheStateUsable() {
    let all = Self.bytes(1000)
    var h = SHA256()
    h.update(all[0..<100])
    let early = h.finalize()
    #expect(early == SHA256.hash(bytes: all[0..<100]))
    h.update(all[100...])
    #expect(SHA256.hexString(h.finalize()) == Self.expected.first { $0.0 == 1000 }!.1)
  }

  @Test func backgroundHasherFeedAndFinish() {
    let all = Self.bytes((1 << 20) + 37)
    let whole = Self.expected.last!.1
    for step in [1, 63, 64, 65, 4097, 300_001] {
      let hasher = SHA256.BackgroundHasher()
      all.withUnsafeBytes { buf in
        var end = 0
        // A few growing prefixes (a single byte at a time only for the first 200 bytes).
        while end < all.count / 2 {
          end = min(all.count / 2, end + (step == 1 && end >= 200 ? 100_003 : step))
          hasher.feed(buf.baseAddress!, upTo: end)
        }
        hasher.drain()
      }
      hasher.finish(all)
      #expect(hasher.pending.hex == whole, "step \(step)")
    }
    #expect(SHA256.inBackground(Array(all[0..<55])).hex == Self.expected[2].1)
  }

  @Test func reportsWhetherTheExtensionsRun() throws {
    // On x86-64 Linux this must mirror the kernel's cpuid flag; elsewhere the Swift path always runs.
    #if arch(x86_64) && os(Linux)
    let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
    let flags = info.split(separator: "\n").first { $0.hasPrefix("flags") }.map { $0.split(separator: " ") } ?? []
    #expect(SHA256.usesSHAExtensions == (flags.contains("sha_ni") && flags.contains("sse4_1")))
    #elseif !arch(x86_64)
    #expect(!SHA256.usesSHAExtensions)
    #endif
  }
}
