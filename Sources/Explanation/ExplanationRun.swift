import CohortLensCore
import Dispatch

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// The result of explaining several students.
public struct ExplanationRun: Sendable {
  /// One explanation per student, in the order given.
  public var explanations: [Explanation]
  /// Seconds spent waiting for the model (all requests).
  public var modelSeconds: Double
  /// Seconds of CohortLens's own work (sampling, weights, selection, Ridge), wall clock.
  public var ownSeconds: Double
  /// Of `ownSeconds`: sampling the neighbourhoods (and assembling requests).
  public var samplingSeconds: Double
  /// Of `ownSeconds`: weights, feature selection and Ridge fits.
  public var fittingSeconds: Double
  /// Process CPU seconds (all threads) of CohortLens's own work per batch (sampling, assembling
  /// the request, validating the answer, weights, selection, Ridge): robust on a loaded machine.
  public var ownCPUSeconds: Double
  /// Of `ownCPUSeconds`: sampling (and assembling requests).
  public var samplingCPUSeconds: Double
  /// Process CPU seconds spent inside `model.predict` (the built-in model's arithmetic, or a
  /// worker's frames written and read; a worker's own CPU is in its process and not counted).
  public var modelCPUSeconds: Double
  /// Wall seconds of each model request, in order (the first includes a worker's start-up).
  public var requestSeconds: [Double]
  /// Number of model requests made.
  public var requests: Int
  /// Largest |Σ probabilities − 1| over all answered rows (classifiers).
  public var maxProbabilitySumDeviation: Double
}

extension LimeExplainer {
  /// Explains one student with `model` (see `explain(students:…)`).
  public func explain(row: [Double], id: String, model: any ProbabilityModel, label: Int = 1) throws -> Explanation {
    try explain(students: [(id, row)], model: model, label: label).explanations[0]
  }

  /// Explains `students` (id and feature row each) for output `label` of `model`.
  ///
  /// Students are processed in batches of `batchSize`: their neighbourhoods are sampled, sent to
  /// the model in ONE request (batchSize × numSamples rows), and the surrogates are fitted.
  /// Sampling (per-student mode) and fitting run on up to `threads` threads; results do not
  /// depend on the thread count or the batch size. In `limeCompat` mode one NumPy `RandomState`
  /// stream is consumed by the students in order, so sampling is sequential.
  /// - Parameters:
  ///   - seed: overrides `options.seed` (stability runs use seed + r).
  ///   - progress: called with (students done, total) after each batch.
  /// - Throws: `ModelError` for an unusable model answer (wrong rows/classes, non-finite or
  ///   out-of-range probabilities), `ExplanationError` for a label the model does not have, or
  ///   what the model throws.
  public func explain(
    students: [(id: String, row: [Double])], model: any ProbabilityModel, label: Int, batchSize: Int = 4,
    threads: Int = 2, seed: UInt32? = nil, progress: (@Sendable (Int, Int) -> Void)? = nil
  ) throws -> ExplanationRun {
    let p = featureNames.count, n = options.numSamples
    let clock = ContinuousClock()
    var modelTime = Duration.zero, samplingTime = Duration.zero, fittingTime = Duration.zero
    var compat = NumPyRandomState(seed: seed ?? options.seed)
    let exact = options.randomMode == .limeCompat
    var results: [Explanation] = []
    results.reserveCapacity(students.count)
    var requests = 0
    var worstSum = 0.0
    let batch = Swift.max(1, batchSize)
    var start = 0
    var request: [Double] = []
    var cpu = 0.0, samplingCPU = 0.0, modelCPU = 0.0
    var perRequest: [Double] = []
    func seconds(_ d: Duration) -> Double {
      Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
    // Designs live in a pool reused from batch to batch: packed bits (discretized, n·⌈p/64⌉ words
    // per student) or n·p doubles.
    let slots = Swift.min(batch, Swift.max(students.count, 1))
    let words = BitDesign.words(columns: p)
    let denseStride = discretized ? 0 : n * p, bitStride = discretized ? n * words : 0
    let designs = UnsafeMutablePointer<Double>.allocate(capacity: Swift.max(1, slots * denseStride))
    defer { designs.deallocate() }
    let bitDesigns = UnsafeMutablePointer<UInt64>.allocate(capacity: Swift.max(1, slots * bitStride))
    defer { bitDesigns.deallocate() }
    while start < students.count {
      let chunk = Array(students[start..<Swift.min(students.count, start + batch)])
      let t0 = clock.now
      let c0 = processCPUSeconds()
      // Every student's samples go straight into the request buffer (student k at k·n·p); designs
      // live in a pool reused from batch to batch.
      let m = chunk.count
      // A smaller last batch keeps the buffer's pages (no new allocation, no page faults).
      if request.count > m * n * p {
        request.removeLast(request.count - m * n * p)
      } else if request.count < m * n * p {
        // Not zero-filled: the samplers write every value (saves a pass over m·n·p doubles).
        request = [Double](unsafeUninitializedCapacity: m * n * p) { _, count in count = m * n * p }
      }
      var distances = [[Double]](repeating: [], count: m)
      var zeroFed = [Int](repeating: 0, count: m)
      let pool = UnsafeSendablePointer(pointer: designs)
      let bitPool = UnsafeSendableWords(pointer: bitDesigns)
      if exact {
        request.withUnsafeMutableBufferPointer { req in
          for k in 0..<m {
            var dist = [Double](repeating: 0, count: n)
            zeroFed[k] = dist.withUnsafeMutableBufferPointer { tp in
              sample(row: chunk[k].row, source: &compat, exact: true, design: pool.pointer + k * denseStride,
                     bits: bitPool.pointer + k * bitStride, samples: req.baseAddress! + k * n * p,
                     distances: tp.baseAddress!)
            }
            distances[k] = dist
          }
        }
      } else {
        let box = SlotBox<([Double], Int)>(count: m)
        let me = self
        let seedValue = seed ?? options.seed
        request.withUnsafeMutableBufferPointer { req in
          let base = UnsafeSendablePointer(pointer: req.baseAddress!)
          parallelFor(m, threads: threads) { k in
            var src = me.stream(for: chunk[k].id, seed: seedValue)
            var dist = [Double](repeating: 0, count: n)
            let z = dist.withUnsafeMutableBufferPointer { tp in
              me.sample(row: chunk[k].row, source: &src, exact: false, design: pool.pointer + k * denseStride,
                        bits: bitPool.pointer + k * bitStride, samples: base.pointer + k * n * p,
                        distances: tp.baseAddress!)
            }
            box.set(k, (dist, z))
          }
        }
        for (k, v) in box.values.enumerated() {
          distances[k] = v!.0
          zeroFed[k] = v!.1
        }
      }
      let t1 = clock.now
      let c1 = processCPUSeconds()
      let answer = try model.predict(request, rowCount: m * n, columns: p)
      let t2 = clock.now
      let c2 = processCPUSeconds()
      requests += 1
      worstSum = Swift.max(worstSum, try validateModelOutput(
        answer.values, rows: answer.values.count / Swift.max(answer.outputs, 1), outputs: answer.outputs,
        expectedRows: m * n, expectedOutputs: model.outputCount, classifier: model.isClassifier))
      let classes = answer.outputs
      guard label >= 0 && label < classes else {
        throw ExplanationError("class index \(label) does not exist: the model has \(classes) output\(classes == 1 ? "" : "s")",
                               hint: "choose --class in 0...\(classes - 1) or a name from --class-names")
      }
      let fitted = SlotBox<Explanation>(count: m)
      let me = self
      let values = answer.values
      let dists = distances, zeros = zeroFed
      parallelFor(m, threads: threads) { k in
        let e = values.withUnsafeBufferPointer { v in
          me.fit(design: me.discretized ? nil : pool.pointer + k * denseStride,
                 bits: me.discretized ? bitPool.pointer + k * bitStride : nil, distances: dists[k], zeroFed: zeros[k],
                 student: chunk[k].id,
                 row: chunk[k].row, outputs: v.baseAddress! + k * n * classes, classes: classes, label: label)
        }
        fitted.set(k, e)
      }
      results.append(contentsOf: fitted.values.map { $0! })
      let t3 = clock.now
      cpu += (c1 - c0) + (processCPUSeconds() - c2)
      samplingCPU += c1 - c0
      modelCPU += c2 - c1
      modelTime += t2 - t1
      perRequest.append(seconds(t2 - t1))
      samplingTime += t1 - t0
      fittingTime += t3 - t2
      start += m
      progress?(start, students.count)
    }
    return ExplanationRun(explanations: results, modelSeconds: seconds(modelTime), ownSeconds: seconds(samplingTime + fittingTime),
                          samplingSeconds: seconds(samplingTime), fittingSeconds: seconds(fittingTime), ownCPUSeconds: cpu,
                          samplingCPUSeconds: samplingCPU, modelCPUSeconds: modelCPU, requestSeconds: perRequest,
                          requests: requests, maxProbabilitySumDeviation: worstSum)
  }
}

/// CPU seconds of this process (all threads) since it started, `CLOCK_PROCESS_CPUTIME_ID`.
public func processCPUSeconds() -> Double {
  var ts = timespec()
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
  return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
}

/// A raw pointer handed to worker threads that write disjoint ranges.
struct UnsafeSendablePointer: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<Double>
}

/// Packed design words handed to worker threads that write disjoint ranges.
struct UnsafeSendableWords: @unchecked Sendable {
  let pointer: UnsafeMutablePointer<UInt64>
}

/// Result slots written from several threads, each index by one thread.
final class SlotBox<T>: @unchecked Sendable {
  private var storage: [T?]
  private let lock = Lock()
  init(count: Int) { storage = [T?](repeating: nil, count: count) }
  func set(_ i: Int, _ v: T) { lock.withLock { storage[i] = v } }
  var values: [T?] { lock.withLock { storage } }
}

/// Runs `body(0..<count)` on up to `threads` threads (work items taken in order).
func parallelFor(_ count: Int, threads: Int, _ body: @escaping @Sendable (Int) -> Void) {
  let workers = Swift.max(1, Swift.min(threads, count))
  if workers == 1 {
    for i in 0..<count { body(i) }
    return
  }
  let next = SlotCounter()
  DispatchQueue.concurrentPerform(iterations: workers) { _ in
    while true {
      let i = next.take()
      if i >= count { break }
      body(i)
    }
  }
}

final class SlotCounter: @unchecked Sendable {
  private var value = 0
  private let lock = Lock()
  func take() -> Int {
    lock.withLock {
      let v = value
      value += 1
      return v
    }
  }
}
