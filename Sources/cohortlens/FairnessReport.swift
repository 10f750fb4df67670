import CohortLensCore
import Fairness

/// Renders a fairness result: JSON (`cohortlens.fairness/1`), one text/Markdown block per audit,
/// or long-format CSV (one row per group metric and per criterion statistic).
struct FairnessReport {
  let result: FairnessResult
  let warnings: [String]
  let tolerance: FairnessTolerance
  let header: [(String, JSONValue)]
  let colour: Bool
  let description: String

  func render(_ format: OutputFormat) -> String {
    switch format {
    case .json: return json().serialized() + "\n"
    case .csv: return csv().renderCSV()
    case .table: return blocks().map { paint($0.renderText()) }.joined(separator: "\n") + footer()
    case .markdown: return blocks().map { $0.renderMarkdown() }.joined(separator: "\n") + footer()
    }
  }

  func json() -> JSONValue {
    var fields = header
    fields.append(("rows", .int(result.rowCount)))
    fields.append(("tolerance", .string(tolerance.bandDescription)))
    fields.append(("audits", FairnessJSON.audits(result)))
    fields.append(("warnings", .array(warnings.map { .string($0) })))
    return .object(fields)
  }

  /// Scores were given (any group of any audit has an AUC; an audit may have no groups at all).
  private var hasScores: Bool { result.audits.contains { $0.groups.contains { $0.metric("auc") != nil } } }

  private func rateCell(_ m: MetricValue?) -> String {
    guard let m else { return "" }
    let frac: String
    if let num = m.numerator, let den = m.denominator, ["auc", "brier", "ece"].contains(m.name) == false {
      frac = " (\(Int(num))/\(Int(den)))"
    } else {
      frac = ""
    }
    guard let v = m.value else { return "undefined" + frac }
    return NumberFormatting.fixed(v, decimals: 3) + frac + (m.lowSupport ? "*" : "")
  }

  private func painted(_ v: FairnessVerdict) -> String { v.rawValue }

  /// Colours the verdict that ends a criteria row (after alignment, so widths stay right); only on a terminal.
  private func paint(_ text: String) -> String {
    guard colour else { return text }
    let codes: [(String, String)] = [("PASS", "32"), ("FAIL", "31"), ("INCONCLUSIVE", "33"), ("UNDEFINED", "35")]
    return text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
      for (word, code) in codes where line.hasSuffix("  " + word) {
        return String(line.dropLast(word.count)) + "\u{1B}[\(code)m\(word)\u{1B}[0m"
      }
      return String(line)
    }.joined(separator: "\n")
  }

  private func number(_ x: Double?) -> String { x.map { NumberFormatting.fixed($0, decimals: 4) } ?? "undefined" }

  private func interval(_ i: ClosedInterval?) -> String {
    i.map { "[\(NumberFormatting.fixed($0.lower, decimals: 4)), \(NumberFormatting.fixed($0.upper, decimals: 4))]" } ?? "—"
  }

  func blocks() -> [TextTable] {
    var out: [TextTable] = []
    let level = NumberFormatting.significant(result.configuration.confidence * 100, digits: 6) + "%"
    let rateHeaders = ["selection", "TPR", "FPR", "FNR", "TNR", "PPV", "NPV", "accuracy", "base rate"]
    for a in result.audits {
      let title = "\(a.attribute) — \(a.stratum.map { "stratum \(MessageText.excerpt($0))" } ?? "all rows") (n \(a.nSuppressionReason == nil ? "= \(a.n)" : "suppressed"))"
      var headers = ["group", "n", "TP", "FP", "TN", "FN"] + rateHeaders
      if hasScores { headers += ["AUC", "Brier", "ECE"] }
      var groups = TextTable(title: title, headers: headers, alignments: [.left] + Array(repeating: .right, count: headers.count - 1))
      for g in a.groups {
        if g.suppressed {
          groups.append([g.name, "suppressed"] + Array(repeating: "—", count: headers.count - 2))
          continue
        }
        var row = [g.name, String(g.n), String(g.tp), String(g.fp), String(g.tn), String(g.fn)]
        row += FairnessAudit.rateNames.map { rateCell(g.metric($0)) }
        if hasScores { row += FairnessAudit.scoreMetricNames.map { rateCell(g.metric($0)) } }
        groups.append(row)
      }
      var notes = ["Rates as value (numerator/denominator); * = denominator < \(result.configuration.lowSupportDenominator) (low support); undefined = zero denominator."]
      for g in a.groups {
        for m in g.metrics where m.undefined != nil && !g.suppressed {
          notes.append("\(MessageText.excerpt(g.name)): \(m.name) undefined — \(m.undefined!)")
        }
      }
      notes += a.notices
      if a.droppedRowsSuppressionReason != nil {
        notes.append("rows with a missing value dropped (--missing drop); their number is suppressed")
      } else if a.droppedRows > 0 {
        notes.append("\(a.droppedRows) row(s) with a missing value dropped (--missing drop)")
      }
      groups.footnotes = notes
      out.append(groups)

      let ciHeader = tolerance.isRatioBand ? "\(level) CI (ratio)" : "\(level) CI (difference)"
      var crit = TextTable(
        title: "\(a.attribute) — criteria (\(compareText(a)); PASS needs the whole interval in \(tolerance.bandDescription))",
        headers: ["criterion", "difference", "ratio", ciHeader, "worst pair", "verdict"],
        alignments: [.left, .right, .right, .right, .left, .left])
      for c in a.criteria {
        let ci = tolerance.isRatioBand ? c.ratioInterval : c.differenceInterval
        crit.append([c.name, number(c.difference), number(c.ratio), interval(ci),
                     c.worstPair.map { "\($0.0) vs \($0.1)" } ?? "—", painted(c.verdict)])
      }
      var footnotes: [String] = []
      let reasons = a.criteria.compactMap(\.reason)
      if a.criteria.count > 1, a.criteria.allSatisfy({ $0.verdict == .undefined }), reasons.count == a.criteria.count,
        Set(reasons).count == 1 {
        footnotes.append("every criterion: \(reasons[0])")  // e.g. fewer than two groups left to compare
      } else {
        for c in a.criteria where c.reason != nil { footnotes.append("\(c.name): \(c.reason!)") }
      }
      for d in FairnessAudit.criteria {
        // Against a reference the mean criterion is the worst group's own mean, not the mean of two worst cases.
        let formula = d.mean && a.reference != nil && result.configuration.comparison != .betweenGroups
          ? "per group, the mean of its TPR and FPR comparisons with the reference; the row is the worst group"
          : d.formula
        footnotes.append("\(d.name): \(formula)")
      }
      footnotes.append(compareFormula(a))
      footnotes.append("Intervals: percentile bootstrap, \(result.configuration.bootstrapReplicates) multinomial resamples of the count table (seed \(result.configuration.seed)).")
      crit.footnotes = footnotes
      out.append(crit)
      if let table = comparisonBlock(a, ciHeader: ciHeader) { out.append(table) }

      if let abroca = a.abroca, !abroca.isEmpty {
        var t = TextTable(title: "\(a.attribute) — ABROCA against \(MessageText.quoted(a.reference ?? ""))",
                          headers: ["group", "ABROCA", "p (permutation)", "p (Holm)"],
                          alignments: [.left, .right, .right, .right])
        for e in abroca {
          t.append([e.group, e.value.map { NumberFormatting.fixed($0, decimals: 4) } ?? "undefined",
                    e.pValue.map { NumberFormatting.fixed($0, decimals: 4) } ?? "—",
                    e.pHolm.map { NumberFormatting.fixed($0, decimals: 4) } ?? "—"])
        }
        t.footnotes = ["ABROCA = ∫|ROC_group(t) − ROC_reference(t)| dt over FPR t (Gardner, Brooks & Baker 2019), exact area; p from \(result.configuration.permutations) permutations of group membership; Holm across groups."]
          + abroca.compactMap { e in e.undefined.map { "\(MessageText.excerpt(e.group)): \($0)" } }
        out.append(t)
      }
    }
    return out
  }

  /// Per-group comparisons against the reference (reference modes only): group by group, one row per
  /// criterion (plus one per component rate of the two-rate criteria).
  private func comparisonBlock(_ a: AuditResult, ciHeader: String) -> TextTable? {
    guard let ref = a.reference, a.criteria.contains(where: { !$0.comparisons.isEmpty }) else { return nil }
    var t = TextTable(
      title: "\(a.attribute)\(a.stratum.map { " — stratum \(MessageText.excerpt($0))" } ?? "") — per group vs reference \(MessageText.quoted(ref))",
      headers: ["group", "criterion", "rate: group vs reference", "difference", "ratio", ciHeader, "verdict"],
      alignments: [.left, .left, .right, .right, .right, .right, .left])
    let ratioBand = tolerance.isRatioBand
    func rate(_ x: Double?) -> String { x.map { NumberFormatting.fixed($0, decimals: 3) } ?? "undefined" }
    // Every criterion lists the same groups in the same order: match them by position, not by name
    // (names that differ only in Unicode normalisation are distinct groups).
    let groupNames = a.criteria.first { !$0.comparisons.isEmpty }!.comparisons.map(\.group)
    var notes: [String] = []
    for (position, name) in groupNames.enumerated() {
      for c in a.criteria {
        guard position < c.comparisons.count else { continue }
        let x = c.comparisons[position]
        let single = x.rates.count == 1
        if !single && c.name != "equalized_odds_mean" {
          for r in x.rates {
            t.append([name, "\(c.name) · \(r.name)", "\(rate(r.group)) vs \(rate(r.reference))", number(r.difference),
                      number(r.ratio), interval(ratioBand ? r.ratioInterval : r.differenceInterval), ""])
          }
        }
        let label = single ? c.name : (c.name == "equalized_odds_mean" ? "\(c.name) (mean)" : "\(c.name) (worst)")
        let rateText = single ? "\(rate(x.rates[0].group)) vs \(rate(x.rates[0].reference))" : ""
        t.append([name, label, rateText, number(x.difference), number(x.ratio),
                  interval(ratioBand ? x.ratioInterval : x.differenceInterval), painted(x.verdict)])
        if let why = x.undefined { notes.append("\(MessageText.excerpt(name)), \(c.name): \(why)") }
        if let note = x.note, c.name == a.criteria[0].name { notes.append("\(MessageText.excerpt(name)): \(note)") }
      }
    }
    notes.append("difference = group − reference, ratio = group / reference (Aequitas disparity); two-rate criteria: the worse component (difference of largest magnitude, ratio furthest from 1), equalized_odds_mean the mean of both.")
    notes.append("Each row's interval comes from the same bootstrap replicates as the criteria; verdict per group as for the criteria. --fail-on counts these verdicts too.")
    let hidden = a.groups.filter(\.suppressed).map(\.name)
    if !hidden.isEmpty { notes.append("Not compared (suppressed): " + hidden.map { MessageText.quoted($0) }.joined(separator: ", ") + ".") }
    t.footnotes = notes
    return t
  }

  private func compareText(_ a: AuditResult) -> String {
    switch result.configuration.comparison {
    case .betweenGroups: return "between groups"
    default: return a.reference.map { "against \(MessageText.quoted($0))" } ?? "no reference group: fewer than two groups to compare"
    }
  }

  private func compareFormula(_ a: AuditResult) -> String {
    switch result.configuration.comparison {
    case .betweenGroups: return "difference = max − min over groups, ratio = min / max (fairlearn between_groups)."
    default: return "difference = group − reference with the largest magnitude, ratio = group / reference furthest from 1."
    }
  }

  private func footer() -> String {
    var lines = ["", description]
    for w in warnings { lines.append("warning: \(w)") }
    return lines.joined(separator: "\n") + "\n"
  }

  func csv() -> TextTable {
    var t = TextTable(headers: ["attribute", "stratum", "group", "reference", "kind", "name", "value", "numerator",
                                "denominator", "ci_low", "ci_high", "note"])
    func f(_ x: Double?) -> String { x.map(NumberFormatting.roundTrip) ?? "" }
    func c(_ x: Double?) -> String { x.map { $0 == $0.rounded() ? String(Int($0)) : NumberFormatting.roundTrip($0) } ?? "" }
    for a in result.audits {
      let stratum = a.stratum ?? ""
      for g in a.groups {
        if g.suppressed {
          t.append([a.attribute, stratum, g.name, "", "group", "n", "", "", "", "", "",
                    "suppressed" + (g.suppressionReason.map { ": \($0)" } ?? "")])
          continue
        }
        t.append([a.attribute, stratum, g.name, "", "group", "n", String(g.n), "", "", "", "", ""])
        for (name, v) in [("tp", g.tp), ("fp", g.fp), ("tn", g.tn), ("fn", g.fn)] {
          t.append([a.attribute, stratum, g.name, "", "count", name, String(v), "", "", "", "", ""])
        }
        for m in g.metrics {
          var note = m.undefined.map { "undefined: \($0)" } ?? ""
          if m.lowSupport { note += note.isEmpty ? "low_support" : "; low_support" }
          t.append([a.attribute, stratum, g.name, "", "metric", m.name, f(m.value), c(m.numerator), c(m.denominator),
                    f(m.ci?.lower), f(m.ci?.upper), note])
        }
      }
      for cr in a.criteria {
        let pair = [cr.worstPair?.0 ?? "", cr.worstPair?.1 ?? ""]
        // The verdict with its reason or note (why UNDEFINED; a point-estimate verdict; a 0/0 component left out).
        let note = cr.verdict.rawValue + (cr.reason.map { ": \($0)" } ?? "")
        t.append([a.attribute, stratum] + pair + ["criterion", cr.name + ".difference", f(cr.difference), "", "",
                  f(cr.differenceInterval?.lower), f(cr.differenceInterval?.upper), note])
        t.append([a.attribute, stratum] + pair + ["criterion", cr.name + ".ratio", f(cr.ratio), "", "",
                  f(cr.ratioInterval?.lower), f(cr.ratioInterval?.upper), note])
      }
      for cr in a.criteria {
        for x in cr.comparisons {
          let pair = [x.group, x.reference]
          for r in x.rates {
            let key = "\(cr.name).\(r.name)"
            let why = r.undefined.map { "undefined: \($0)" } ?? ""
            t.append([a.attribute, stratum] + pair + ["comparison", key + ".group", f(r.group), "", "", "", "", r.group == nil ? "undefined" : ""])
            t.append([a.attribute, stratum] + pair + ["comparison", key + ".reference", f(r.reference), "", "", "", "", r.reference == nil ? "undefined" : ""])
            t.append([a.attribute, stratum] + pair + ["comparison", key + ".difference", f(r.difference), "", "",
                      f(r.differenceInterval?.lower), f(r.differenceInterval?.upper), r.difference == nil ? why : ""])
            t.append([a.attribute, stratum] + pair + ["comparison", key + ".ratio", f(r.ratio), "", "",
                      f(r.ratioInterval?.lower), f(r.ratioInterval?.upper), r.ratio == nil ? why : ""])
          }
          let note = x.verdict.rawValue + ((x.undefined ?? x.note).map { ": \($0)" } ?? "")
          t.append([a.attribute, stratum] + pair + ["comparison", cr.name + ".difference", f(x.difference), "", "",
                    f(x.differenceInterval?.lower), f(x.differenceInterval?.upper), note])
          t.append([a.attribute, stratum] + pair + ["comparison", cr.name + ".ratio", f(x.ratio), "", "",
                    f(x.ratioInterval?.lower), f(x.ratioInterval?.upper), note])
        }
      }
      for e in a.abroca ?? [] {
        t.append([a.attribute, stratum, e.group, e.reference, "abroca", "abroca", f(e.value), "", "", "", "",
                  e.undefined ?? "p=\(f(e.pValue)); p_holm=\(f(e.pHolm))"])
      }
    }
    return t
  }

  /// The ROC points of every group with a score (`attribute, stratum, group, point, threshold, fpr, tpr`),
  /// as in the JSON's `roc`; the first point's threshold is `inf` (`-inf` with `--lower-is-positive`), as
  /// scikit-learn's `roc_curve`. `nil` when no group has a curve (no `--score`).
  func rocCSV() -> TextTable? {
    var t = TextTable(headers: ["attribute", "stratum", "group", "point", "threshold", "fpr", "tpr"])
    for a in result.audits {
      for g in a.groups where !g.suppressed {
        for (i, p) in (g.roc ?? []).enumerated() {
          let threshold = p.threshold.isFinite ? NumberFormatting.roundTrip(p.threshold) : (p.threshold > 0 ? "inf" : "-inf")
          t.append([a.attribute, a.stratum ?? "", g.name, String(i), threshold,
                    NumberFormatting.roundTrip(p.fpr), NumberFormatting.roundTrip(p.tpr)])
        }
      }
    }
    return t.rows.isEmpty ? nil : t
  }

  /// The calibration bins of every group with a score (`attribute, stratum, group, bin, lower, upper, n,
  /// mean_score, observed_rate, note`), as in the JSON's `reliability`; an empty bin keeps its row, with both
  /// rates undefined. `nil` when no group has bins.
  func calibrationCSV() -> TextTable? {
    var t = TextTable(headers: ["attribute", "stratum", "group", "bin", "lower", "upper", "n", "mean_score",
                                "observed_rate", "note"])
    for a in result.audits {
      for g in a.groups where !g.suppressed {
        for b in g.reliability ?? [] {
          t.append([a.attribute, a.stratum ?? "", g.name, String(b.bin), NumberFormatting.roundTrip(b.lower),
                    NumberFormatting.roundTrip(b.upper), String(b.n), b.meanScore.map(NumberFormatting.roundTrip) ?? "",
                    b.observedRate.map(NumberFormatting.roundTrip) ?? "", b.n == 0 ? "undefined: empty bin" : ""])
        }
      }
    }
    return t.rows.isEmpty ? nil : t
  }
}

extension FairnessTolerance {
  var isRatioBand: Bool { if case .ratio = self { return true } else { return false } }
}
