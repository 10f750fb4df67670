import CBlockKernel
import Testing
@testable import LinearAlgebra

/// OpenBLAS started on the calling thread (CBlockKernel, `cbk_openblas_start.h`): the decision on OpenBLAS's
/// thread-count globals, and that a program without the `cohortlens` marker (this test bundle) starts OpenBLAS as
/// before.
@Suite struct BLASStartTests {
  /// OpenBLAS's three globals as the start-up hook sees them.
  struct Globals: Equatable {
    var cpuNumber: Int32
    var numThreads: Int32
    var serverAvail: Int32
  }

  static func decide(_ g: inout Globals) -> Int32 {
    withUnsafeMutablePointer(to: &g.cpuNumber) { cpu in
      withUnsafeMutablePointer(to: &g.numThreads) { threads in
        withUnsafePointer(to: g.serverAvail) { server in
          cbk_openblas_start_on_caller(cpu, threads, server)
        }
      }
    }
  }

  /// Before OpenBLAS's initialiser (server not up, counts 0) both counts become 1.
  @Test(arguments: [Int32(0), 1, 2, 7, 64])
  func beforeInitialisationBothCountsBecomeOne(_ previous: Int32) {
    var g = Globals(cpuNumber: previous, numThreads: previous, serverAvail: 0)
    #expect(Self.decide(&g) == 1)
    #expect(g == Globals(cpuNumber: 1, numThreads: 1, serverAvail: 0))
  }

  /// Once the server is up (a shared OpenBLAS initialised before the program's own initialisers), nothing changes.
  @Test(arguments: [Int32(1), 2, 16])
  func afterInitialisationNothingChanges(_ threads: Int32) {
    var g = Globals(cpuNumber: threads, numThreads: threads, serverAvail: 1)
    #expect(Self.decide(&g) == 0)
    #expect(g == Globals(cpuNumber: threads, numThreads: threads, serverAvail: 1))
  }

  /// A build without OpenBLAS's globals (weak references resolved to NULL) is left alone.
  @Test func missingGlobalsAreLeftAlone() {
    var cpu: Int32 = 0, threads: Int32 = 0
    let server: Int32 = 0
    #expect(cbk_openblas_start_on_caller(nil, &threads, [server]) == 0)
    #expect(cbk_openblas_start_on_caller(&cpu, nil, [server]) == 0)
    #expect(cbk_openblas_start_on_caller(&cpu, &threads, nil) == 0)
    #expect(cpu == 0 && threads == 0)
  }

  /// This test bundle does not define the `cohortlens` marker: OpenBLAS started with its own thread count.
  @Test func programsWithoutTheMarkerStartAsBefore() {
    #expect(!BLASThreads.startedOnCallingThread)
  }
}
