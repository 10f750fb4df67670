import CohortLensCore

/// JSON encoding of a ``FairnessResult`` (the `audits` part of schema `cohortlens.fairness/1`).
///
/// Suppressed groups keep only `group` and `suppressed: true` (plus the reason): counts, rates,
/// ROC points and reliability tables are left out, so no output discloses a small cell. A suppressed audit
/// n or dropped-row count is `null`, followed by `n_suppression_reason` / `dropped_rows_suppression_reason`.
public enum FairnessJSON {
  /// `[{attribute, attributes, stratum, n, n_suppression_reason?, dropped_rows, dropped_rows_suppression_reason?,
  /// reference, groups, criteria, abroca?, notices}]`.
  public static func audits(_ result: FairnessResult) -> JSONValue {
    .array(result.audits.map(audit))
  }

  static func count(_ x: Double?) -> JSONValue {
    guard let x else { return .null }
    if x == x.rounded() && abs(x) < 9e15 { return .int(Int(x)) }
    return .double(x)
  }

  static func interval(_ i: ClosedInterval?) -> JSONValue {
    i.map { .array([.double($0.lower), .double($0.upper)]) } ?? .null
  }

  public static func audit(_ a: AuditResult) -> JSONValue {
    var fields: [(String, JSONValue)] = [
      ("attribute", .string(a.attribute)),
      ("attributes", .array(a.attributes.map { .string($0) })),
      ("stratum", a.stratum.map { .string($0) } ?? .null),
      ("n", a.nSuppressionReason == nil ? .int(a.n) : .null),
      ("dropped_rows", a.droppedRowsSuppressionReason == nil ? .int(a.droppedRows) : .null),
      ("reference", a.reference.map { .string($0) } ?? .null),
      ("groups", .array(a.groups.map(group))),
      ("criteria", .array(a.criteria.map(criterion))),
    ]
    // A suppressed n or dropped-row count is null, with the reason (as a suppressed group's).
    if let why = a.nSuppressionReason { fields.insert(("n_suppression_reason", .string(why)), at: 4) }
    if let why = a.droppedRowsSuppressionReason {
      fields.insert(("dropped_rows_suppression_reason", .string(why)), at: fields.firstIndex { $0.0 == "dropped_rows" }! + 1)
    }
    if let abroca = a.abroca {
      fields.append(("abroca", .array(abroca.map { e in
        .object([
          ("group", .string(e.group)), ("reference", .string(e.reference)), ("value", .number(e.value)),
          ("p_value", .number(e.pValue)), ("p_holm", .number(e.pHolm)),
          ("undefined", e.undefined.map { .string($0) } ?? .null),
        ])
      })))
    }
    fields.append(("notices", .array(a.notices.map { .string($0) })))
    return .object(fields)
  }

  public static func group(_ g: GroupResult) -> JSONValue {
    if g.suppressed {
      return .object([
        ("group", .string(g.name)), ("n", .null), ("tp", .null), ("fp", .null), ("tn", .null), ("fn", .null),
        ("suppressed", .bool(true)), ("suppression_reason", .string(g.suppressionReason ?? "")), ("metrics", .null),
      ])
    }
    var metrics: [(String, JSONValue)] = []
    for m in g.metrics {
      metrics.append((m.name, .object([
        ("value", .number(m.value)),
        ("numerator", count(m.numerator)),
        ("denominator", count(m.denominator)),
        ("ci", interval(m.ci)),
        ("undefined", m.undefined.map { .string($0) } ?? .null),
        ("low_support", .bool(m.lowSupport)),
      ])))
    }
    var fields: [(String, JSONValue)] = [
      ("group", .string(g.name)), ("n", .int(g.n)), ("tp", .int(g.tp)), ("fp", .int(g.fp)), ("tn", .int(g.tn)),
      ("fn", .int(g.fn)), ("suppressed", .bool(false)), ("metrics", .object(metrics)),
    ]
    if let roc = g.roc {
      fields.append(("roc", .array(roc.map {
        // The first point (0, 0) has an infinite threshold (nobody predicted positive): null, as JSON has no infinity.
        .object([("threshold", $0.threshold.isFinite ? .double($0.threshold) : .null),
                 ("fpr", .double($0.fpr)), ("tpr", .double($0.tpr))])
      })))
    }
    if let rel = g.reliability {
      fields.append(("reliability", .array(rel.map {
        .object([("bin", .int($0.bin)), ("lower", .double($0.lower)), ("upper", .double($0.upper)), ("n", .int($0.n)),
                 ("mean_score", .number($0.meanScore)), ("observed_rate", .number($0.observedRate))])
      })))
    }
    return .object(fields)
  }

  public static func criterion(_ c: CriterionResult) -> JSONValue {
    var fields: [(String, JSONValue)] = [
      ("name", .string(c.name)),
      ("metrics", .array(c.metrics.map { .string($0) })),
      ("difference", .number(c.difference)),
      ("ratio", .number(c.ratio)),
      ("ci", .object([("difference", interval(c.differenceInterval)), ("ratio", interval(c.ratioInterval)),
                      ("undefined_replicates", .int(c.undefinedReplicates))])),
      ("worst_pair", c.worstPair.map { .array([.string($0.0), .string($0.1)]) } ?? .null),
      ("verdict", .string(c.verdict.rawValue)),
      ("reason", c.reason.map { .string($0) } ?? .null),
    ]
    if !c.comparisons.isEmpty { fields.append(("comparisons", .array(c.comparisons.map(comparison)))) }
    return .object(fields)
  }

  /// `{group, reference, rates: {name: {group, reference, difference, ratio, ci, undefined}}, difference,
  /// ratio, ci, verdict, undefined, note}` (rates `null` when undefined).
  public static func comparison(_ c: GroupComparison) -> JSONValue {
    var rates: [(String, JSONValue)] = []
    for r in c.rates {
      rates.append((r.name, .object([
        ("group", .number(r.group)), ("reference", .number(r.reference)),
        ("difference", .number(r.difference)), ("ratio", .number(r.ratio)),
        ("ci", .object([("difference", interval(r.differenceInterval)), ("ratio", interval(r.ratioInterval))])),
        ("undefined", r.undefined.map { .string($0) } ?? .null),
      ])))
    }
    return .object([
      ("group", .string(c.group)), ("reference", .string(c.reference)), ("rates", .object(rates)),
      ("difference", .number(c.difference)), ("ratio", .number(c.ratio)),
      ("ci", .object([("difference", interval(c.differenceInterval)), ("ratio", interval(c.ratioInterval)),
                      ("undefined_replicates", .int(c.undefinedReplicates))])),
      ("verdict", .string(c.verdict.rawValue)),
      ("undefined", c.undefined.map { .string($0) } ?? .null),
      ("note", c.note.map { .string($0) } ?? .null),
    ])
  }
}
