import Testing
#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif
@testable import LinearAlgebra

/// The eigensolver's two-thread team: every task runs both parts exactly once and returns only when
/// both are done, whether the worker is spinning, parked (long pauses between tasks) or beaten to
/// part 1 by the caller.
@Suite struct TwoThreadTeamTests {
  @Test func everyTaskRunsBothPartsOnce() throws {
    let team = try #require(TwoThreadTeam())
    defer { team.close() }
    var runs = [Int](repeating: 0, count: 2 * 20_000)
    runs.withUnsafeMutableBufferPointer { r in
      let base = r.baseAddress!
      for task in 0..<20_000 {
        team.run { part in base[2 * task + part] += 1 }
      }
    }
    #expect(runs.allSatisfy { $0 == 1 })
  }

  @Test func partsSeeTheCallersWritesAndTheCallerSeesTheirs() throws {
    let team = try #require(TwoThreadTeam())
    defer { team.close() }
    var buffer = [Double](repeating: 0, count: 4096)
    for round in 1...2_000 {
      let value = Double(round)
      buffer.withUnsafeMutableBufferPointer { b in
        let base = b.baseAddress!
        for i in 0..<4096 { base[i] = value }
        team.run { part in
          let range = part == 0 ? 0..<2048 : 2048..<4096
          for i in range { base[i] = base[i] * 2 + Double(part) }
        }
      }
      #expect(buffer[0] == 2 * value && buffer[2047] == 2 * value)
      #expect(buffer[2048] == 2 * value + 1 && buffer[4095] == 2 * value + 1)
    }
  }

  @Test func aParkedWorkerWakesUp() throws {
    let team = try #require(TwoThreadTeam())
    defer { team.close() }
    for _ in 0..<20 {
      usleep(1_000)  // longer than the worker's spin period: it parks between tasks
      var parts = [false, false]
      parts.withUnsafeMutableBufferPointer { p in
        let base = p.baseAddress!
        team.run { base[$0] = true }
      }
      #expect(parts == [true, true])
    }
  }

  @Test func closingRightAfterCreationJoinsTheWorker() throws {
    for _ in 0..<200 {
      let team = try #require(TwoThreadTeam())
      team.close()
    }
  }
}
