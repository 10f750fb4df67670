import CohortLensCore
import Testing
@testable import Fairness

@Test func wilsonIntervalKnownValue() {
  // 8 of 10 at 95 %: (0.4902, 0.9433) (Brown, Cai & DasGupta 2001, Table 1 style).
  let z = FairnessStatistics.normalQuantile(0.975)
  #expect(abs(z - 1.959963984540054) < 1e-14)
  let w = FairnessStatistics.wilson(8, 10, z: z)!
  #expect(abs(w.lower - 0.49015614) < 1e-7)
  #expect(abs(w.upper - 0.94331612) < 1e-7)
  #expect(FairnessStatistics.wilson(0, 0, z: z) == nil)
}
