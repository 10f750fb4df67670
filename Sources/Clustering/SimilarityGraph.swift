import LinearAlgebra

/// How the weighted adjacency matrix `W` of the similarity graph is built from the similarity
/// matrix `S` (von Luxburg 2007, "A tutorial on spectral clustering", §2.2).
///
/// Parsed from the command-line strings `full`, `epsilon:E` and `knn:K`
/// (``init(parsing:)``).
public enum GraphConstruction: Sendable, Equatable, CustomStringConvertible {
  /// Fully connected graph: `W = S`.
  case full
  /// ε-neighbourhood graph: `W_ij = 1` if `S_ij > ε`, else 0, diagonal included (as the
  /// EPFL ML4BD lecture's `get_adjacency`: `(S > eps).astype(float)`). The Laplacian ignores the
  /// diagonal, so self-loops have no effect downstream.
  case epsilon(Double)
  /// Symmetrised k-nearest-neighbour connectivity, scikit-learn
  /// `SpectralClustering(affinity='nearest_neighbors', n_neighbors=K)`:
  /// `A = kneighbors_graph(X, K, include_self=True)` (row i has ones at its K nearest points,
  /// itself included), then `W = 0.5·(A + Aᵀ)` ∈ {0, 0.5, 1}.
  case knn(Int)

  /// Parses `full`, `epsilon:E` (E a finite number) or `knn:K` (K a positive integer);
  /// case-insensitive, surrounding spaces ignored.
  ///
  /// - Throws: ``SpectralError/invalidGraphSpecification(_:)`` with a message naming the
  ///   accepted forms.
  public init(parsing text: String) throws {
    let s = trimmed(text).lowercased()
    let usage = "expected 'full', 'epsilon:E' (E a number, e.g. epsilon:0.5) or 'knn:K' (K a positive integer, e.g. knn:10)"
    if s == "full" {
      self = .full
      return
    }
    let parts = s.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    guard parts.count == 2 else {
      throw SpectralError.invalidGraphSpecification("invalid graph '\(text)': \(usage)")
    }
    let value = trimmed(parts[1])
    switch trimmed(parts[0]) {
    case "epsilon", "eps":
      guard let e = Double(value), e.isFinite else {
        throw SpectralError.invalidGraphSpecification("invalid epsilon '\(parts[1])' in '\(text)': \(usage)")
      }
      self = .epsilon(e)
    case "knn":
      guard let k = Int(value), k >= 1 else {
        throw SpectralError.invalidGraphSpecification("invalid neighbour count '\(parts[1])' in '\(text)': \(usage)")
      }
      self = .knn(k)
    default:
      throw SpectralError.invalidGraphSpecification("unknown graph kind '\(parts[0])' in '\(text)': \(usage)")
    }
  }

  /// Failable form of ``init(parsing:)`` (the shape of ArgumentParser's `ExpressibleByArgument`).
  public init?(argument: String) {
    guard let g = try? GraphConstruction(parsing: argument) else { return nil }
    self = g
  }

  /// The command-line spelling (`full`, `epsilon:0.5`, `knn:10`); round-trips through
  /// ``init(parsing:)``.
  public var description: String {
    switch self {
    case .full: return "full"
    case .epsilon(let e): return "epsilon:\(e)"
    case .knn(let k): return "knn:\(k)"
    }
  }

  /// The adjacency matrix `W` (`n × n`, symmetric, non-negative).
  ///
  /// - Parameters:
  ///   - similarity: the similarity matrix `S` (symmetric, as produced by ``Affinity``).
  ///     Used by ``full`` and ``epsilon(_:)``, and by ``knn(_:)`` when neither `features` nor
  ///     `distances` is given (neighbours = largest similarity).
  ///   - features: `n × d` features; when given, ``knn(_:)`` ranks neighbours by Euclidean
  ///     distance on them (scikit-learn's behaviour) and `similarity` is not read.
  ///   - distances: an `n × n` distance matrix (e.g. DTW distances); when given (and `features` is
  ///     not), ``knn(_:)`` ranks neighbours by smallest distance (scikit-learn
  ///     `kneighbors_graph(D, K, metric='precomputed', include_self=True)`) and `similarity` is not
  ///     read. Ranking by distance matters when the similarity is a steep function of it, such as
  ///     `exp(−γD²)`: far neighbours all underflow to 0 and near ones round to 1, so their
  ///     similarities tie although their distances differ.
  /// - Throws: ``SpectralError/invalidArgument(_:)`` for K outside 1...n or a missing input,
  ///   ``SpectralError/nonFiniteValues(_:)`` for NaN/∞ in the kNN input.
  public func adjacency(similarity: Matrix?, features: Matrix? = nil, distances: Matrix? = nil) throws -> Matrix {
    switch self {
    case .full:
      guard let s = similarity else { throw SpectralError.invalidArgument("graph 'full' needs a similarity matrix") }
      return s
    case .epsilon(let e):
      guard let s = similarity else { throw SpectralError.invalidArgument("graph 'epsilon' needs a similarity matrix") }
      return Matrix(rows: s.rows, columns: s.columns, storage: s.storage.map { $0 > e ? 1.0 : 0.0 })
    case .knn(let k):
      if let x = features { return try Self.knnConnectivity(features: x, neighbors: k) }
      if let d = distances { return try Self.knnConnectivity(distances: d, neighbors: k) }
      guard let s = similarity else {
        throw SpectralError.invalidArgument("graph 'knn' needs features, distances or a similarity matrix")
      }
      return try Self.knnConnectivity(similarity: s, neighbors: k)
    }
  }

  /// `0.5·(A + Aᵀ)` of the K-nearest-neighbour connectivity `A` by Euclidean distance between
  /// the rows of `x` (scikit-learn `kneighbors_graph(X, n_neighbors=K, include_self=True)`).
  ///
  /// Each point counts itself as its first neighbour; the other K − 1 are the points with the
  /// smallest squared distance, computed by the dot-product trick in scikit-learn's order
  /// (``Pairwise/squaredEuclidean(_:_:)``: `(−2·x_iᵀx_j + ‖x_i‖²) + ‖x_j‖²`, clamped at 0) in
  /// blocks of rows (≤ 32 MiB of distances at a time).
  /// **Ties** go to the lowest index, and distances within ``nearTie`` of the K-th smallest count
  /// as tied: `|d_ij − d_ib| ≤ nearTie · (‖x_i‖² + max(‖x_j‖², ‖x_b‖²))` (norms of the centred
  /// rows, the scale of the dot-product form's rounding error). Distances equal in exact arithmetic
  /// (integer-valued or repeated feature values) come out of the dot-product form differing in their
  /// last bits, and those bits follow the CPU's BLAS kernels and harmless rescalings of a column, so
  /// an exact comparison let rounding choose the K-th neighbour. scikit-learn does not specify an
  /// order for ties (its brute-force path uses `argpartition` on the same rounded values, its KD/ball
  /// trees their own traversal), so graphs can differ only when the K-th distance is tied; with
  /// duplicate points scikit-learn may also pick a duplicate instead of the point itself.
  ///
  /// - Complexity: O(n²·d) (BLAS) + O(n²·K) selection (rows over 2 threads); n² doubles for the
  ///   result, O(n·min(n, 2²²/n)) temporary.
  public static func knnConnectivity(features x: Matrix, neighbors k: Int) throws -> Matrix {
    try knnConnectivity(features: x, neighbors: k, blockRows: nil)
  }

  static func knnConnectivity(features x: Matrix, neighbors k: Int, blockRows: Int?) throws -> Matrix {
    let n = x.rows
    guard k >= 1, k <= n else {
      throw SpectralError.invalidArgument("knn: K = \(k) must be in 1...\(n) (the number of samples)")
    }
    guard x.spectralAllFinite else { throw SpectralError.nonFiniteValues("knn: features contain NaN or infinite values") }
    let others = k - 1
    var neighbours = [Int](repeating: -1, count: n * Swift.max(1, others))
    if others > 0 {
      // ‖x_i‖² of the rows as Pairwise.squaredEuclidean centres them: the scale of its rounding error.
      let norms = Pairwise.rowSquaredNorms(Pairwise.centered(x))
      let block = blockRows ?? Swift.max(1, Swift.min(n, (1 << 22) / Swift.max(1, n)))
      var lo = 0
      while lo < n {
        let hi = Swift.min(n, lo + block)
        let d = Pairwise.squaredEuclidean(x.selectingRows(Array(lo..<hi)), x)
        let start = lo
        neighbours.withUnsafeMutableBufferPointer { nb in
          selectNeighbours(
            rows: lo..<hi, n: n, others: others, out: SpectralSharedIndices(base: nb.baseAddress!),
            key: { i, j in d.storage[(i - start) * n + j] },
            slack: { i, j in Self.nearTie * (norms[i] + norms[j]) })
        }
        lo = hi
      }
    }
    return symmetrizedConnectivity(n: n, others: others, neighbours: neighbours)
  }

  /// As ``knnConnectivity(features:neighbors:)``, with neighbours ranked by **largest**
  /// similarity `S_ij` (for a precomputed affinity); the point itself is always included,
  /// whatever its diagonal entry; ties go to the lowest index, similarities within ``nearTie``
  /// (relative) of the K-th largest counting as tied.
  public static func knnConnectivity(similarity s: Matrix, neighbors k: Int) throws -> Matrix {
    try knnConnectivity(square: s, neighbors: k, what: "similarity") { i, j in -s.storage[i * s.columns + j] }
  }

  /// As ``knnConnectivity(features:neighbors:)``, with neighbours ranked by **smallest** entry of
  /// the distance matrix `d` (scikit-learn `kneighbors_graph(D, K, metric='precomputed',
  /// include_self=True)`): row i has ones at i itself and at the K − 1 other points with the
  /// smallest `d[i, j]`; ties go to the lowest index (scikit-learn's `argpartition` leaves their
  /// order unspecified), distances within ``nearTie`` (relative) of the K-th smallest counting as
  /// tied: DTW distances equal in exact arithmetic differ in their last bits after a harmless
  /// rescaling of the series. Only row i of `d` decides row i's neighbours; `d` need not be symmetric.
  ///
  /// - Complexity: O(n²·K) (rows over 2 threads); n² doubles for the result.
  public static func knnConnectivity(distances d: Matrix, neighbors k: Int) throws -> Matrix {
    try knnConnectivity(square: d, neighbors: k, what: "distance") { i, j in d.storage[i * d.columns + j] }
  }

  /// The kNN connectivity of a square matrix whose row i ranks the other points by ascending
  /// `key(i, j)` (the point itself always included; ties to the lowest index), symmetrised.
  private static func knnConnectivity(
    square m: Matrix, neighbors k: Int, what: String, key: @Sendable (Int, Int) -> Double
  ) throws -> Matrix {
    let n = m.rows
    guard m.rows == m.columns else { throw SpectralError.invalidArgument("knn: \(what) matrix must be square") }
    guard k >= 1, k <= n else {
      throw SpectralError.invalidArgument("knn: K = \(k) must be in 1...\(n) (the number of samples)")
    }
    guard m.spectralAllFinite else { throw SpectralError.nonFiniteValues("knn: \(what) matrix contains NaN or infinite values") }
    let others = k - 1
    var neighbours = [Int](repeating: -1, count: n * Swift.max(1, others))
    if others > 0 {
      neighbours.withUnsafeMutableBufferPointer { nb in
        selectNeighbours(
          rows: 0..<n, n: n, others: others, out: SpectralSharedIndices(base: nb.baseAddress!), key: key,
          slack: { i, j in Self.nearTie * Swift.abs(key(i, j)) })
      }
    }
    return symmetrizedConnectivity(n: n, others: others, neighbours: neighbours)
  }

  /// Relative margin below which two neighbour distances (or similarities) count as tied: `1e-10`,
  /// as ``KMeans/nearTie``; far above the rounding noise of a distance, far below any difference
  /// that matters to the graph.
  public static let nearTie = 1e-10

  /// For each row i in `rows`, writes to `out[i·others ..< (i+1)·others]` the `others` indices
  /// j ≠ i with the smallest `key(i, j)`, keys within `slack` of the `others`-th smallest counting
  /// as tied and ties going to the lowest index: every j with `key(i, j) < v − t` (v the
  /// `others`-th smallest key, t = max(slack(i, j), slack(i, b)), b its index), then the lowest
  /// indices among those with `|key(i, j) − v| ≤ t`. Rounding noise far below the slack therefore
  /// cannot change the choice. NaN keys are never selected before finite ones. Rows run interleaved
  /// over 2 threads.
  static func selectNeighbours(
    rows: Range<Int>, n: Int, others: Int, out: SpectralSharedIndices, key: @Sendable (Int, Int) -> Double,
    slack: @Sendable (Int, Int) -> Double
  ) {
    let first = rows.lowerBound
    spectralForEachRow(rows.count, costPerRow: n * 4) { r in
      let i = first + r
      // Sorted (ascending key) list of the best `others` candidates so far.
      var keys = [Double](repeating: .infinity, count: others)
      var idx = [Int](repeating: -1, count: others)
      var filled = 0
      for j in 0..<n where j != i {
        let v = key(i, j)
        if filled == others && !(v < keys[others - 1]) { continue }
        var pos = filled == others ? others - 1 : filled
        if filled < others { filled += 1 }
        while pos > 0 && v < keys[pos - 1] {
          keys[pos] = keys[pos - 1]
          idx[pos] = idx[pos - 1]
          pos -= 1
        }
        keys[pos] = v
        idx[pos] = j
      }
      // Near-ties with the last selected key: the clearly smaller keys, then the lowest indices of the
      // tied ones (in index order, as the scan visits them).
      let boundary = keys[others - 1], boundarySlack = slack(i, idx[others - 1])
      if boundary.isFinite && boundarySlack.isFinite {
        var chosen = 0
        var tied: [Int] = []
        for j in 0..<n where j != i {
          let v = key(i, j)
          let t = Swift.max(slack(i, j), boundarySlack)
          if v < boundary - t {
            idx[chosen] = j
            chosen += 1
          } else if v <= boundary + t {
            tied.append(j)
          }
        }
        for j in tied.prefix(others - chosen) {
          idx[chosen] = j
          chosen += 1
        }
      }
      for t in 0..<others { out.base[i * others + t] = idx[t] }
    }
  }

  /// `0.5·(A + Aᵀ)` where row i of `A` marks i itself and `neighbours[i·others ..< (i+1)·others]`.
  static func symmetrizedConnectivity(n: Int, others: Int, neighbours: [Int]) -> Matrix {
    var w = Matrix(rows: n, columns: n)
    for i in 0..<n {
      w.storage[i * n + i] = 1
      for t in 0..<others {
        let j = neighbours[i * others + t]
        w.storage[i * n + j] += 0.5
        w.storage[j * n + i] += 0.5
      }
    }
    return w
  }
}

/// Raw pointer to an `Int` buffer shared by workers writing disjoint ranges.
struct SpectralSharedIndices: @unchecked Sendable {
  let base: UnsafeMutablePointer<Int>
}

private func trimmed(_ text: String) -> String {
  var s = Substring(text)
  while let f = s.first, f.isWhitespace { s.removeFirst() }
  while let l = s.last, l.isWhitespace { s.removeLast() }
  return String(s)
}
