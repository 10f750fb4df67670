import Testing
@testable import LinearAlgebra

@Suite struct LargeBufferTests {
  /// Small and large buffers are zero-filled and fully writable; from 2 MiB on (a huge-page
  /// mapping on Linux) the base is 2 MiB-aligned.
  @Test(arguments: [1, 1000, LargeBuffer.hugePageBytes / 8 - 1, LargeBuffer.hugePageBytes / 8, 3 * LargeBuffer.hugePageBytes / 8 + 5])
  func zeroFilledAndWritable(count: Int) {
    let buffer = LargeBuffer(count: count)
    defer { buffer.release() }
    var nonZero = 0
    for i in 0..<count where buffer.base[i] != 0 { nonZero += 1 }
    #expect(nonZero == 0)
    for i in 0..<count { buffer.base[i] = Double(i) }
    #expect(buffer.base[count - 1] == Double(count - 1))
    #if os(Linux)
    if count * 8 >= LargeBuffer.hugePageBytes {
      #expect(Int(bitPattern: buffer.base) % LargeBuffer.hugePageBytes == 0)
    }
    #endif
  }
}
