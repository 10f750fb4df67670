import Foundation
import Testing
@testable import CohortLensCore

private struct RandomGolden: Decodable {
  struct Seed: Decodable {
    let seed: UInt32
    let uint32: [UInt32]
    let random_sample: [Double]
    let gauss: [Double]
    let uniform_m1_1: [Double]
    let permutation20: [Int]
    let choice_p: [Double]
    let choice: [Int]
    let randint1000: [Int]
    let randint_2_40_plus_5: [Int]
    let after_skip333: [Double]
  }
  let seeds: [Seed]
  let state42_first8: [UInt32]
}

private struct GoldenFile: Decodable { let random: RandomGolden }

private let golden: RandomGolden = {
  let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Fixtures/golden/kmeans.json")
  let data = try! Data(contentsOf: url)
  return try! JSONDecoder().decode(GoldenFile.self, from: data).random
}()

@Test func seedingMatchesInitGenrand() {
  let rs = NumPyRandomState(seed: 42)
  #expect(rs.stateWords(8) == golden.state42_first8)
  #expect(rs.stateWords(2) == [42, 3_107_752_595])
}

@Test(arguments: [0, 1, 2, 3])
func rawWordsAndDoubles(index: Int) {
  let g = golden.seeds[index]
  var a = NumPyRandomState(seed: g.seed)
  #expect((0..<20).map { _ in a.nextUInt32() } == g.uint32)
  var b = NumPyRandomState(seed: g.seed)
  #expect(b.randomSample(count: 20) == g.random_sample)
  var c = NumPyRandomState(seed: g.seed)
  #expect(c.uniform(low: -1, high: 1, count: 7) == g.uniform_m1_1)
}

@Test func knownFirstValues() {
  var rs = NumPyRandomState(seed: 0)
  #expect(rs.nextUInt32() == 2_357_136_044)
  var r2 = NumPyRandomState(seed: 0)
  #expect(r2.randomSample() == 0.5488135039273248)
}

@Test(arguments: [0, 1, 2, 3])
func gaussSequenceIncludingCachedValue(index: Int) {
  let g = golden.seeds[index]
  var rs = NumPyRandomState(seed: g.seed)
  #expect((0..<21).map { _ in rs.standardNormal() } == g.gauss)
}

@Test(arguments: [0, 1, 2, 3])
func choiceShuffleRandint(index: Int) {
  let g = golden.seeds[index]
  var a = NumPyRandomState(seed: g.seed)
  #expect((0..<30).map { _ in a.choice(6, p: g.choice_p) } == g.choice)
  #expect(!g.choice.contains(1))  // p[1] = 0 is never drawn
  var b = NumPyRandomState(seed: g.seed)
  #expect(b.permutation(20) == g.permutation20)
  var c = NumPyRandomState(seed: g.seed)
  #expect((0..<20).map { _ in c.randint(0, 1000) } == g.randint1000)
  var e = NumPyRandomState(seed: g.seed)
  #expect((0..<6).map { _ in e.randint(0, (1 << 40) + 5) } == g.randint_2_40_plus_5)  // 64-bit words
  var d = NumPyRandomState(seed: g.seed)
  d.skip(doubles: 333)
  #expect(d.randomSample(count: 5) == g.after_skip333)
}

@Test func copiesForkTheStream() {
  var a = NumPyRandomState(seed: 7)
  _ = a.standardNormal()
  var b = a
  #expect(a.standardNormal() == b.standardNormal())
  #expect(a.nextUInt32() == b.nextUInt32())
  #expect(a == b)
}
