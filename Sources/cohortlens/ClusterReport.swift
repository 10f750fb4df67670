import Clustering
import CohortLensCore

/// Formats a ``SweepResult`` as table, CSV, JSON or Markdown.
struct ClusterReport {
  let ids: [String]
  let dropped: [String]
  /// The learners in input order, each with its row in ``ids`` (`nil`: left out by `--drop-missing`); empty when
  /// every input learner was clustered (then ``ids`` is the input order).
  var inputOrder: [(id: String, clustered: Int?)] = []
  let result: SweepResult
  let warnings: [String]
  /// Schema, version, parameters, seed and input digests (`provenance`); only built for JSON output.
  let header: [(String, JSONValue)]
  let description: String
  /// Cluster profiles of `cluster --series` (mean raw series per cluster and step), one list per k.
  var profiles: SeriesProfiles? = nil

  func render(_ format: OutputFormat) -> String {
    switch format {
    case .json: return json().serialized(pretty: true) + "\n"
    case .csv: return sweepTable().render(.csv)
    case .markdown: return markdown()
    case .table: return text()
    }
  }

  /// `id,k2,k3,…`: the label of every input learner for every k, in input order. A learner left out by
  /// `--drop-missing` keeps its row, with empty (missing) label cells, so the file lines up with the input.
  func labelsCSV() -> String {
    var table = TextTable(headers: ["id"] + result.entries.map { "k\($0.k)" })
    let rows = inputOrder.isEmpty ? ids.indices.map { (id: ids[$0], clustered: Optional($0)) } : inputOrder
    for row in rows {
      table.append([row.id] + result.entries.map { e in row.clustered.map { String(e.labels[$0]) } ?? "" })
    }
    return table.render(.csv)
  }

  /// The sweep, one row per k. `readable`: 4 decimals, human headers and a "suggested by" column
  /// (table and Markdown); otherwise round-trip numbers and snake_case headers (CSV).
  func sweepTable(readable: Bool = false) -> TextTable {
    let hasARI = result.entries.contains { $0.adjustedRandIndex != nil }
    var headers = readable
      ? ["k", "silhouette", "Davies–Bouldin", "Calinski–Harabasz", "inertia", "cluster sizes"]
      : ["k", "silhouette", "davies_bouldin", "calinski_harabasz", "inertia", "cluster_sizes"]
    if hasARI { headers.append(readable ? "ARI" : "ari") }
    if readable { headers.append("suggested by") }
    let leftAligned: Set<String> = ["cluster sizes", "cluster_sizes", "suggested by"]
    var table = TextTable(headers: headers, alignments: headers.map { leftAligned.contains($0) ? .left : .right })
    func f(_ x: Double) -> String { readable ? short(x) : num(x) }
    for e in result.entries {
      let ch = readable && !e.calinskiHarabasz.isNaN
        ? NumberFormatting.fixed(e.calinskiHarabasz, decimals: 2) : f(e.calinskiHarabasz)
      var row: [String] = [
        String(e.k), f(e.silhouette), f(e.daviesBouldin), ch, f(e.inertia),
        e.clusterSizes.map(String.init).joined(separator: "/"),
      ]
      if hasARI { row.append(e.adjustedRandIndex.map(f) ?? "") }
      if readable {
        var marks: [String] = []
        if e.k == result.eigengapK { marks.append("eigengap") }
        if e.k == result.silhouetteK { marks.append("silhouette") }
        row.append(marks.joined(separator: ", "))
      }
      table.append(row)
    }
    return table
  }

  private func num(_ x: Double) -> String { x.isNaN ? "undefined" : NumberFormatting.roundTrip(x) }
  /// Four decimals for reading; `undefined` for a score that has no value (fewer than two clusters).
  private func short(_ x: Double) -> String { x.isNaN ? "undefined" : NumberFormatting.fixed(x, decimals: 4) }

  private func suggestionLines() -> [String] {
    var lines: [String] = []
    if let k = result.eigengapK {
      let i = k - 1
      let ev = result.eigenvalues
      let gap = i + 1 < ev.count ? ev[i + 1] - ev[i] : .nan
      lines.append("eigengap   → k = \(k)  (largest gap λ\(k + 1) − λ\(k) = \(short(gap)) among the first \((result.entries.map(\.k).max() ?? 0) + 1) eigenvalues)")
    } else {
      lines.append("eigengap   → undefined (\(result.eigengapUndefinedReason ?? "fewer than two eigenvalues"))")
    }
    if let k = result.silhouetteK, let e = result.entries.first(where: { $0.k == k }) {
      lines.append("silhouette → k = \(k)  (mean silhouette \(short(e.silhouette)) on the spectral embedding)")
    } else {
      lines.append("silhouette → undefined (no k gave two or more non-empty clusters)")
    }
    return lines
  }

  private func text() -> String {
    var out = "Spectral clustering: \(description)\n\n"
    out += sweepTable(readable: true).render(.table)
    out += "\nSuggested k:\n"
    for line in suggestionLines() { out += "  " + line + "\n" }
    out += "\nLaplacian eigenvalues (ascending): "
    out += result.eigenvalues.enumerated().map { "λ\($0.offset + 1)=\(short($0.element))" }.joined(separator: " ") + "\n"
    if result.components > 1 { out += "Graph: \(result.components) connected components\n" }
    if let p = profiles, let index = profileIndex() {
      out += "\nCluster profiles, k = \(result.entries[index].k) (mean raw value per step):\n"
      out += p.table(entry: index, readable: true).render(.table)
    }
    if !dropped.isEmpty { out += droppedLearnersLine(dropped, markdown: false) + "\n" }
    if !warnings.isEmpty {
      out += "Warnings:\n"
      for w in warnings { out += "  - \(w)\n" }
    }
    return out
  }

  private func markdown() -> String {
    var out = "## Spectral clustering\n\n\(description)\n\n"
    out += sweepTable(readable: true).render(.markdown)
    out += "\n**Suggested k**\n\n"
    for line in suggestionLines() { out += "- " + line + "\n" }
    out += "\n**Laplacian eigenvalues** (ascending): "
    out += result.eigenvalues.map(short).joined(separator: ", ") + "\n"
    if let p = profiles, let index = profileIndex() {
      out += "\n**Cluster profiles**, k = \(result.entries[index].k) (mean raw value per step)\n\n"
      out += p.table(entry: index, readable: true).render(.markdown)
    }
    if !dropped.isEmpty { out += "\n" + droppedLearnersLine(dropped, markdown: true) + "\n" }
    if !warnings.isEmpty {
      out += "\n**Warnings**\n\n"
      for w in warnings { out += "- \(w)\n" }
    }
    return out
  }

  func json() -> JSONValue {
    var fields = header
    fields.append(("n", .int(result.n)))
    fields.append(("ids", .array(ids.map { .string($0) })))
    fields.append(("dropped_ids", .array(dropped.map { .string($0) })))
    fields.append(("eigenvalues", .array(result.eigenvalues.map { .double($0) })))
    let ev = result.eigenvalues
    fields.append(("eigengaps", .array(zip(ev, ev.dropFirst()).map { .double($1 - $0) })))
    fields.append(("connected_components", .int(result.components)))
    fields.append(("eigensolver_used", .string(result.solver.rawValue)))
    fields.append(("suggested_k", .object([
      ("eigengap", result.eigengapK.map { .int($0) } ?? .null),
      ("eigengap_undefined_reason", result.eigengapUndefinedReason.map { .string($0) } ?? .null),
      ("silhouette", result.silhouetteK.map { .int($0) } ?? .null),
    ])))
    fields.append(("sweep", .array(result.entries.map { e in
      var o: [(String, JSONValue)] = [
        ("k", .int(e.k)),
        ("silhouette", .double(e.silhouette)),
        ("davies_bouldin", .double(e.daviesBouldin)),
        ("calinski_harabasz", .double(e.calinskiHarabasz)),
        ("inertia", .double(e.inertia)),
        ("cluster_sizes", .array(e.clusterSizes.map { .int($0) })),
        ("silhouette_by_cluster", .array(silhouetteByCluster(e).map { $0.map { .double($0) } ?? .null })),
        ("labels", .array(e.labels.map { .int($0) })),
      ]
      if let a = e.adjustedRandIndex { o.append(("ari", .double(a))) }
      return .object(o)
    })))
    if let p = profiles {
      fields.append(("profiles", .object([
        ("steps", .array(p.steps.map { .string($0) })),
        ("features", .array(p.features.map { .string($0) })),
        ("by_k", .array(result.entries.indices.map { i in
          .object([("k", .int(result.entries[i].k)), ("clusters", p.json(entry: i))])
        })),
      ])))
    }
    fields.append(("warnings", .array(warnings.map { .string($0) })))
    return .object(fields)
  }

  /// The sweep entry whose profiles the table shows: the silhouette's choice, else the first k.
  private func profileIndex() -> Int? {
    if let k = result.silhouetteK, let i = result.entries.firstIndex(where: { $0.k == k }) { return i }
    return result.entries.isEmpty ? nil : 0
  }

  private func silhouetteByCluster(_ e: SweepEntry) -> [Double?] {
    guard e.silhouetteSamples.count == e.labels.count else { return Array(repeating: nil, count: e.k) }
    var sums = [Double](repeating: 0, count: e.k)
    for (l, s) in zip(e.labels, e.silhouetteSamples) { sums[l] += s }
    return (0..<e.k).map { e.clusterSizes[$0] > 0 ? sums[$0] / Double(e.clusterSizes[$0]) : nil }
  }
}

/// The line of a report naming the learners `--drop-missing` left out: their number and **every** id (in the
/// input order; JSON carries them as `dropped_ids`). Control characters in an id are shown as `\n`, `\r`, `\t`
/// (the line stays one line); in Markdown the ids are also escaped (`TextTable.markdownEscaped`).
func droppedLearnersLine(_ ids: [String], markdown: Bool) -> String {
  func inline(_ id: String) -> String {
    let text = markdown ? TextTable.markdownEscaped(id) : id
    var out = ""
    for u in text.unicodeScalars {
      switch u {
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default: out.unicodeScalars.append(u)
      }
    }
    return out
  }
  let list = ids.map(inline).joined(separator: ", ")
  return markdown
    ? "**Dropped** (missing values, --drop-missing): \(ids.count) learner(s): \(list)"
    : "Dropped (missing values, --drop-missing): \(ids.count) learner(s): \(list)"
}
