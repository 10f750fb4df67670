#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif
import CohortLensCore
import LinearAlgebra

/// Why a cluster score cannot be computed.
public enum ClusterScoresError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The labelling has `labels` distinct values for `samples` points; scores need
  /// 2 ≤ labels ≤ samples − 1 (scikit-learn's `check_number_of_labels`).
  case invalidLabelCount(labels: Int, samples: Int)
  /// `labels.count` differs from the number of rows.
  case lengthMismatch(rows: Int, labels: Int)
  /// A precomputed distance matrix is not square.
  case notSquare(rows: Int, columns: Int)
  /// A precomputed distance matrix has `|D_ii| > 100·ε` at row `index`.
  case nonZeroDiagonal(index: Int, value: Double)

  public var description: String {
    switch self {
    case let .invalidLabelCount(labels, samples):
      return "Number of labels is \(labels) for n = \(samples) samples. Valid values are 2 to n - 1 (inclusive)"
    case let .lengthMismatch(rows, labels):
      return "\(labels) labels for \(rows) rows"
    case let .notSquare(rows, columns):
      return "a precomputed distance matrix must be square, got \(rows) × \(columns)"
    case let .nonZeroDiagonal(index, value):
      return "The precomputed distance matrix contains non-zero elements on the diagonal (D[\(index), \(index)] = \(value))"
    }
  }
}

/// Internal-validity scores of a clustering and agreement between two labellings, with the
/// semantics (and, where it matters, the floating-point order) of scikit-learn 1.9.1
/// `sklearn.metrics` (`_unsupervised.py`, `_supervised.py`).
///
/// Labels may be any integers; as scikit-learn's `LabelEncoder`, they are mapped to
/// `0..<L` in increasing order of value.
public enum ClusterScores {
  /// Labels mapped to `0..<L` (ascending value order) and the cluster sizes.
  struct Encoded: Equatable {
    let codes: [Int]
    let counts: [Int]
    var clusterCount: Int { counts.count }
  }

  static func encode(_ labels: [Int], rows: Int) throws(ClusterScoresError) -> Encoded {
    guard labels.count == rows else { throw .lengthMismatch(rows: rows, labels: labels.count) }
    let enc = encodeSmallRange(labels) ?? encodeHashed(labels)
    guard enc.clusterCount > 1 && enc.clusterCount < rows else {
      throw .invalidLabelCount(labels: enc.clusterCount, samples: rows)
    }
    return enc
  }

  /// The codes (ascending value order) and counts of any labelling, by hashing.
  static func encodeHashed(_ labels: [Int]) -> Encoded {
    let distinct = Array(Set(labels)).sorted()
    var index = [Int: Int](minimumCapacity: distinct.count)
    for (i, v) in distinct.enumerated() { index[v] = i }
    let codes = labels.map { index[$0]! }
    var counts = [Int](repeating: 0, count: distinct.count)
    for c in codes { counts[c] += 1 }
    return Encoded(codes: codes, counts: counts)
  }


  /// ``encode(_:rows:)`` by a table over `min...max` when that range is at most `4·n + 64` values (k-means labels,
  /// cluster ids): the same codes and counts, without hashing. nil for a wider range (or no labels).
  /// - Complexity: O(n + max − min).
  static func encodeSmallRange(_ labels: [Int]) -> Encoded? {
    guard let lo = labels.min(), let hi = labels.max() else { return nil }
    let (span, overflow) = hi.subtractingReportingOverflow(lo)
    guard !overflow, span < 4 * labels.count + 64 else { return nil }
    var counts = [Int](repeating: 0, count: span + 1)
    for v in labels { counts[v &- lo] += 1 }
    // code of each present value, in increasing value order
    var code = [Int](repeating: -1, count: span + 1)
    var clusterCounts = [Int]()
    for v in 0...span where counts[v] > 0 {
      code[v] = clusterCounts.count
      clusterCounts.append(counts[v])
    }
    let codes = labels.map { code[$0 &- lo] }
    return Encoded(codes: codes, counts: clusterCounts)
  }

  // MARK: Conditioning

  /// Lower and upper bounds on the largest centred magnitude beyond which ``conditioned(_:)``
  /// rescales: 2^±400, far from any data the goldens (or real features) hold, so ordinary data
  /// are only centred, yet the rescaled squares (≤ d·4) and sums neither overflow nor underflow.
  static let conditioningBounds = (low: 0x1p-400, high: 0x1p400)

  /// `(x − c)·f`: the offset columns centred (``Pairwise/centered(_:)``: those whose mean exceeds
  /// their spread, including constant ones) and, when the largest centred magnitude m lies outside
  /// ``conditioningBounds``, scaled by `f = 1 / 2^⌊log₂ m⌋` (exact: a power of two), else `f = 1`.
  ///
  /// Silhouette, Davies–Bouldin and Calinski–Harabasz are invariant under translation and under a
  /// common scale factor (they are ratios of distances, or of squared distances), so they are computed
  /// on this copy: centring keeps the dot-product distances and the dispersion sums accurate under a
  /// large common offset (scikit-learn, uncentred, gets epoch-millisecond columns wrong), and the
  /// rescaling keeps squared distances representable for entries near ±1.8e308 (or ±1e-300).
  /// - Complexity: O(n·d), one copy.
  static func conditioned(_ x: Matrix) -> (x: Matrix, factor: Double) {
    var xc = Pairwise.centered(x)
    var largest = 0.0
    for v in xc.storage where abs(v) > largest { largest = abs(v) }
    let bounds = conditioningBounds
    guard largest.isFinite, largest > 0, largest > bounds.high || largest < bounds.low else { return (xc, 1) }
    let factor = 1 / StableMoments.powerOfTwo(atMagnitude: largest)
    xc.storage.withUnsafeMutableBufferPointer { p in
      for i in p.indices { p[i] *= factor }
    }
    return (xc, factor)
  }

  // MARK: Calinski–Harabasz

  /// Calinski–Harabasz index (variance ratio criterion):
  /// `CH = [B / (L − 1)] / [W / (n − L)]` with between-cluster dispersion
  /// `B = Σ_k n_k ‖μ_k − μ‖²` and within-cluster dispersion `W = Σ_k Σ_{i∈k} ‖x_i − μ_k‖²`;
  /// returns 1.0 when `W = 0` (scikit-learn's `calinski_harabasz_score`). Higher is better.
  ///
  /// Sums follow NumPy's orders (column means row by row — kept within each column's range, so
  /// identical points have exactly their value as mean — squared norms pairwise), on the centred
  /// (and, for entries beyond 2^±400, power-of-two rescaled) data of ``conditioned(_:)``: CH is a ratio
  /// of squared distances, so neither changes it. **Deviation from scikit-learn**, which sums the raw
  /// data: there a common offset of 1e50 leaves only rounding noise in `B` (CH 28.4 instead of 126.9)
  /// and a column of 1e308 overflows to NaN; on ordinary data the two agree to rounding.
  /// - Throws: ``ClusterScoresError/invalidLabelCount(labels:samples:)`` unless 2 ≤ L ≤ n − 1.
  /// - Complexity: O(n·d).
  public static func calinskiHarabasz(_ x: Matrix, labels: [Int]) throws(ClusterScoresError) -> Double {
    let enc = try encode(labels, rows: x.rows)
    return calinskiHarabasz(conditioned: conditioned(x).x, encoded: enc)
  }

  /// ``calinskiHarabasz(_:labels:)`` of ``conditioned(_:)``'s matrix and the encoded labels.
  static func calinskiHarabasz(conditioned x: Matrix, encoded enc: Encoded) -> Double {
    let n = x.rows, d = x.columns, L = enc.clusterCount
    var extra = 0.0, intra = 0.0
    x.storage.withUnsafeBufferPointer { xp in
      let mean = KMeansNumPySum.columnMeansWithinRange(xp.baseAddress!, rows: n, columns: d)
      let members = membersByCluster(enc)
      for k in 0..<L {
        let rowsK = members[k]
        var cluster = [Double]()
        cluster.reserveCapacity(rowsK.count * d)
        for i in rowsK { cluster.append(contentsOf: xp[(i * d)..<((i + 1) * d)]) }
        let meanK = cluster.withUnsafeBufferPointer {
          KMeansNumPySum.columnMeansWithinRange($0.baseAddress!, rows: rowsK.count, columns: d)
        }
        let dm = (0..<d).map { j -> Double in let e = meanK[j] - mean[j]; return e * e }
        extra += Double(rowsK.count) * KMeansNumPySum.pairwise(dm)
        for r in 0..<rowsK.count {
          for j in 0..<d { let e = cluster[r * d + j] - meanK[j]; cluster[r * d + j] = e * e }
        }
        intra += KMeansNumPySum.pairwise(cluster)
      }
    }
    if intra == 0 { return 1.0 }
    return extra * Double(n - L) / (intra * (Double(L) - 1.0))
  }

  static func membersByCluster(_ enc: Encoded) -> [[Int]] {
    var members = enc.counts.map { c -> [Int] in var a = [Int](); a.reserveCapacity(c); return a }
    for (i, c) in enc.codes.enumerated() { members[c].append(i) }
    return members
  }

  /// Davies–Bouldin and Calinski–Harabasz together, as ``daviesBouldin(_:labels:)`` and
  /// ``calinskiHarabasz(_:labels:)`` give them (the same bits), the labels encoded and the data conditioned once
  /// for both: 0.076 ms instead of 0.127 ms for n = 1000, d = 5, 5 clusters (release, minimum of 200 interleaved
  /// runs on this project's 2-core reference machine).
  /// - Throws: ``ClusterScoresError/invalidLabelCount(labels:samples:)`` unless 2 ≤ L ≤ n − 1.
  public static func daviesBouldinAndCalinskiHarabasz(_ x: Matrix, labels: [Int]) throws(ClusterScoresError)
    -> (daviesBouldin: Double, calinskiHarabasz: Double)
  {
    let enc = try encode(labels, rows: x.rows)
    let (xc, factor) = conditioned(x)
    return (daviesBouldin(conditioned: xc, factor: factor, encoded: enc), calinskiHarabasz(conditioned: xc, encoded: enc))
  }

  // MARK: Davies–Bouldin

  /// Davies–Bouldin index: `DB = (1/L) Σ_i max_{j≠i} (s_i + s_j) / ‖μ_i − μ_j‖`, where `s_i` is
  /// the mean Euclidean distance of cluster i's points to its centroid `μ_i`. Lower is better.
  ///
  /// As scikit-learn's `davies_bouldin_score`: returns 0 if every `s_i` or every centroid
  /// distance is ≈ 0 (`isclose`, atol 1e-8); a zero centroid distance between two clusters counts
  /// as ∞ (that pair contributes 0). Distances use the dot-product form
  /// `√max(0, ‖a‖² + ‖b‖² − 2a·b)` as `pairwise_distances` does, on the centred data of
  /// ``conditioned(_:)`` (rescaled by a power of two f only for entries beyond 2^±400; the `isclose`
  /// test is then applied to the distances in the input's units, `|v/f| ≤ 1e-8`).
  ///
  /// **Deviation from scikit-learn**, which applies the dot-product form to the raw data: under a
  /// common offset (x + 1.7e12) its intra-cluster distances cancel to 0 and it returns 0 (here: the
  /// same value as without the offset); on ordinary data the two agree to rounding.
  /// - Throws: ``ClusterScoresError/invalidLabelCount(labels:samples:)`` unless 2 ≤ L ≤ n − 1.
  /// - Complexity: O(n·d + L²·d).
  public static func daviesBouldin(_ x: Matrix, labels: [Int]) throws(ClusterScoresError) -> Double {
    let enc = try encode(labels, rows: x.rows)
    let (xc, factor) = conditioned(x)
    return daviesBouldin(conditioned: xc, factor: factor, encoded: enc)
  }

  /// ``daviesBouldin(_:labels:)`` of ``conditioned(_:)``'s matrix and factor and the encoded labels.
  static func daviesBouldin(conditioned x: Matrix, factor: Double, encoded enc: Encoded) -> Double {
    let d = x.columns, L = enc.clusterCount
    let members = membersByCluster(enc)
    var intra = [Double](repeating: 0, count: L)
    var centroids = [Double](repeating: 0, count: L * d)
    x.storage.withUnsafeBufferPointer { xp in
      for k in 0..<L {
        let rowsK = members[k]
        var cluster = [Double]()
        cluster.reserveCapacity(rowsK.count * d)
        for i in rowsK { cluster.append(contentsOf: xp[(i * d)..<((i + 1) * d)]) }
        let c = cluster.withUnsafeBufferPointer {
          KMeansNumPySum.columnMeansWithinRange($0.baseAddress!, rows: rowsK.count, columns: d)
        }
        for j in 0..<d { centroids[k * d + j] = c[j] }
        var cc = 0.0
        for j in 0..<d { cc += c[j] * c[j] }
        var dist = [Double](repeating: 0, count: rowsK.count)
        for r in 0..<rowsK.count {
          var xx = 0.0, dot = 0.0
          for j in 0..<d {
            let v = cluster[r * d + j]
            xx += v * v
            dot += v * c[j]
          }
          let sq = (-2 * dot + xx) + cc
          dist[r] = (sq > 0 ? sq : 0).squareRoot()
        }
        intra[k] = KMeansNumPySum.pairwise(dist) / Double(rowsK.count)
      }
    }
    // centroid distances (X is Y: exact zero diagonal)
    var norms = [Double](repeating: 0, count: L)
    for k in 0..<L { for j in 0..<d { norms[k] += centroids[k * d + j] * centroids[k * d + j] } }
    var cd = [Double](repeating: 0, count: L * L)
    for a in 0..<L {
      for b in 0..<L where a != b {
        var dot = 0.0
        for j in 0..<d { dot += centroids[a * d + j] * centroids[b * d + j] }
        let sq = (-2 * dot + norms[a]) + norms[b]
        cd[a * L + b] = (sq > 0 ? sq : 0).squareRoot()
      }
    }
    // the symmetric product is mirrored, as a SYRK-based X·Xᵀ would be
    for a in 0..<L { for b in (a + 1)..<max(a + 1, L) { cd[b * L + a] = cd[a * L + b] } }
    // numpy.allclose(v, 0) in the input's units (v / factor, factor a power of two)
    let atol = 1e-8 * factor
    let isClose: (Double) -> Bool = { abs($0) <= atol }
    if intra.allSatisfy(isClose) || cd.allSatisfy(isClose) { return 0 }
    var scores = [Double](repeating: 0, count: L)
    for a in 0..<L {
      var m = -Double.infinity
      for b in 0..<L {
        let den = cd[a * L + b] == 0 ? Double.infinity : cd[a * L + b]
        let v = (intra[a] + intra[b]) / den
        if v > m || v.isNaN { m = v }
      }
      scores[a] = m
    }
    return KMeansNumPySum.pairwise(scores) / Double(L)
  }

  // MARK: Adjusted Rand index

  /// Adjusted Rand index (Hubert & Arabie 1985) between two labellings of the same points,
  /// scikit-learn's `adjusted_rand_score`: from the pair-confusion counts
  /// (tn, fp, fn, tp), `ARI = 2(tp·tn − fn·fp) / ((tp + fn)(fn + tn) + (tp + fp)(fp + tn))`;
  /// 1.0 when fn = fp = 0 (identical partitions, including both "one cluster" and
  /// "every point alone", and empty input). Symmetric; 1 = same partition, ≈0 = chance.
  ///
  /// Counts are exact integers (128-bit products), rounded once as Python does.
  /// - Complexity: O(n) expected (hashing), O(R·C) for the contingency table.
  public static func adjustedRandIndex<T: Hashable>(_ a: [T], _ b: [T]) -> Double {
    precondition(a.count == b.count, "adjustedRandIndex: labellings differ in length (\(a.count) vs \(b.count))")
    return adjustedRandIndex(pairCountsHashed(a, b))
  }

  /// ``adjustedRandIndex(_:_:)`` of integer labellings (the same value): when each labelling's values span at most
  /// `4·n + 64` integers, the contingency table is a dense array instead of a hash table.
  /// - Complexity: O(n + R·C) for value ranges R and C.
  public static func adjustedRandIndex(_ a: [Int], _ b: [Int]) -> Double {
    precondition(a.count == b.count, "adjustedRandIndex: labellings differ in length (\(a.count) vs \(b.count))")
    return adjustedRandIndex(smallRangePairCounts(a, b) ?? pairCountsHashed(a, b))
  }

  /// The contingency sums n, Σ n_ij², Σ n_ij·n_·j, Σ n_ij·n_i·, from hashed codes.
  static func pairCountsHashed<T: Hashable>(_ a: [T], _ b: [T]) -> (n: Int, sumSquares: Int, rowDot: Int, colDot: Int) {
    let n = a.count
    var ia = [T: Int](), ib = [T: Int]()
    var pairs = [Int: Int]()  // contingency n_ij keyed by i * C + j after coding
    var ca = [Int](), cb = [Int]()
    ca.reserveCapacity(n)
    cb.reserveCapacity(n)
    for v in a { if let c = ia[v] { ca.append(c) } else { ia[v] = ia.count; ca.append(ia.count - 1) } }
    for v in b { if let c = ib[v] { cb.append(c) } else { ib[v] = ib.count; cb.append(ib.count - 1) } }
    let C = max(1, ib.count)
    var nc = [Int](repeating: 0, count: ia.count), nk = [Int](repeating: 0, count: ib.count)
    for i in 0..<n {
      pairs[ca[i] * C + cb[i], default: 0] += 1
      nc[ca[i]] += 1
      nk[cb[i]] += 1
    }
    var sumSquares = 0, rowDot = 0, colDot = 0
    for (key, v) in pairs {
      sumSquares += v * v
      rowDot += v * nk[key % C]
      colDot += v * nc[key / C]
    }
    return (n: n, sumSquares: sumSquares, rowDot: rowDot, colDot: colDot)
  }

  /// The contingency sums of two integer labellings whose value ranges span at most `4·n + 64` values each,
  /// counted in a dense table when it has at most `2²⁰` cells (else nil): n, Σ n_ij², Σ n_ij·n_·j, Σ n_ij·n_i·.
  /// Exact integers, so the same as the hashed table's in any order.
  static func smallRangePairCounts(_ a: [Int], _ b: [Int]) -> (n: Int, sumSquares: Int, rowDot: Int, colDot: Int)? {
    guard let la = a.min(), let ha = a.max(), let lb = b.min(), let hb = b.max() else { return nil }
    let (sa, oa) = ha.subtractingReportingOverflow(la), (sb, ob) = hb.subtractingReportingOverflow(lb)
    guard !oa, !ob, sa < 4 * a.count + 64, sb < 4 * b.count + 64 else { return nil }
    let rows = sa + 1, columns = sb + 1
    guard rows.multipliedReportingOverflow(by: columns).partialValue <= 1 << 20,
      !rows.multipliedReportingOverflow(by: columns).overflow
    else { return nil }
    var table = [Int](repeating: 0, count: rows * columns)
    var nc = [Int](repeating: 0, count: rows), nk = [Int](repeating: 0, count: columns)
    for i in 0..<a.count {
      let r = a[i] &- la, c = b[i] &- lb
      table[r * columns + c] += 1
      nc[r] += 1
      nk[c] += 1
    }
    var sumSquares = 0, rowDot = 0, colDot = 0
    for r in 0..<rows where nc[r] > 0 {
      for c in 0..<columns {
        let v = table[r * columns + c]
        if v == 0 { continue }
        sumSquares += v * v
        rowDot += v * nk[c]
        colDot += v * nc[r]
      }
    }
    return (a.count, sumSquares, rowDot, colDot)
  }

  /// ARI from the contingency sums (see ``adjustedRandIndex(_:_:)``).
  static func adjustedRandIndex(_ s: (n: Int, sumSquares: Int, rowDot: Int, colDot: Int)) -> Double {
    let n = s.n, sumSquares = s.sumSquares
    let tp = sumSquares - n
    let fp = s.rowDot - sumSquares
    let fn = s.colDot - sumSquares
    let tn = n * n - fp - fn - sumSquares
    if fn == 0 && fp == 0 { return 1.0 }
    if #available(macOS 15.0, *) {
      let num = Int128(tp) * Int128(tn) - Int128(fn) * Int128(fp)
      let den = Int128(tp + fn) * Int128(fn + tn) + Int128(tp + fp) * Int128(fp + tn)
      return 2.0 * Double(num) / Double(den)
    } else {
      let num = Double(tp) * Double(tn) - Double(fn) * Double(fp)
      let den = Double(tp + fn) * Double(fn + tn) + Double(tp + fp) * Double(fp + tn)
      return 2.0 * num / den
    }
  }
}
