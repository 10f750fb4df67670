import CohortLensCore
@testable import Fairness
import Testing

/// The permutation tests run their groups concurrently when there are at least two non-reference
/// groups and enough work (`DispatchQueue.concurrentPerform`); this exercises that path (also under
/// `make tsan`) and checks that it is deterministic.
@Suite struct FairnessConcurrencyTests {
  static func input(groups: [String]) -> FairnessInput {
    var rng = NumPyRandomState(seed: 11)
    var truth: [Bool] = [], scores: [Double] = [], g: [String?] = []
    for i in 0..<900 {
      let y = rng.randomSample() < 0.45
      let group = groups[i % groups.count]
      let shift = group == "C" ? 0.08 : 0.0
      truth.append(y)
      scores.append(min(1, max(0, (y ? 0.6 : 0.4) - shift + 0.2 * rng.standardNormal())))
      g.append(group)
    }
    return FairnessInput(truth: truth, predicted: scores.map { $0 >= 0.5 }, scores: scores,
                         attributes: [SensitiveAttribute(name: "g", values: g)])
  }

  @Test func concurrentPermutationGroupsAreDeterministic() throws {
    var c = FairnessConfiguration()
    c.permutations = 400
    c.bootstrapReplicates = 50
    c.seed = 9
    let input = Self.input(groups: ["A", "B", "C", "D"])
    let first = FairnessAudit.run(input, configuration: c)
    let second = FairnessAudit.run(input, configuration: c)
    #expect(FairnessJSON.audits(first).serialized() == FairnessJSON.audits(second).serialized())
    let entries = try #require(first.audits[0].abroca)
    #expect(entries.count == 3)
    for e in entries {
      let p = try #require(e.pValue)
      #expect(p > 0 && p <= 1)
    }
  }
}
