import CohortLensCore

/// Outcome of one check, shown as a badge with a symbol and a text label (never colour alone).
public enum VerdictStatus: String, Sendable, CaseIterable {
  case pass = "PASS"
  case fail = "FAIL"
  case inconclusive = "INCONCLUSIVE"
  case undefined = "UNDEFINED"

  var symbol: String {
    switch self {
    case .pass: "✓"
    case .fail: "✗"
    case .inconclusive: "?"
    case .undefined: "–"
    }
  }

  var cssClass: String { "verdict-" + rawValue.lowercased() }
}

/// One line of the verdict summary: status, what was checked, and a short explanation.
public struct Verdict: Sendable, Equatable {
  public var status: VerdictStatus
  public var subject: String
  public var detail: String
  /// Optional id (or title) of the section that holds the evidence, as the section was given it; the
  /// summary links to it when such a section exists. The first section whose `id` (or, without one,
  /// title) equals it code point for code point is linked, else the first whose `id` (or title) has
  /// the same slug; the link uses the anchor the document assigned to that section (`a-b-2` when an
  /// earlier section took `a-b`). Give sections that verdicts link to distinct ids (`"s a<b"` and
  /// `"s a>b"` are distinct even though both slug to `s-a-b`).
  public var sectionID: String?
  /// Optional group (e.g. the audit step) for the per-group tally; when any verdict has one, the
  /// summary shows a tally table by group and the failing checks, with the full list folded beneath.
  public var group: String?

  public init(status: VerdictStatus, subject: String, detail: String, sectionID: String? = nil, group: String? = nil) {
    self.status = status
    self.subject = subject
    self.detail = detail
    self.sectionID = sectionID
    self.group = group
  }
}

/// Inline text: plain, strong, code, or a link. Links to `#anchor` and `http(s)://` only; any other
/// target is rendered as plain text.
public enum Inline: Sendable, Equatable {
  case text(String)
  case strong(String)
  case code(String)
  case link(String, href: String)
}

/// Kinds of notes (rendered with a label word as well as a colour).
public enum NoteKind: String, Sendable {
  case info = "Note"
  case warning = "Warning"
  case method = "Method"
}

/// A block of section content.
public enum Block: Sendable {
  case paragraph(String)
  case rich([Inline])
  case note(String, kind: NoteKind)
  case list([String])
  /// Key–value pairs as a definition list (e.g. parameters).
  case facts([(String, String)])
  case table(DataTable)
  case figure(Figure)
}

/// A section of the report: a heading with an anchor, blocks, and nested subsections (one level
/// is shown in the table of contents).
public struct Section: Sendable {
  public var title: String
  /// Explicit anchor; derived from the title when `nil` (unique per document).
  public var id: String?
  public var blocks: [Block]
  public var subsections: [Section]

  public init(title: String, id: String? = nil, blocks: [Block] = [], subsections: [Section] = []) {
    self.title = title
    self.id = id
    self.blocks = blocks
    self.subsections = subsections
  }

  public mutating func add(_ block: Block) { blocks.append(block) }
  public mutating func paragraph(_ text: String) { blocks.append(.paragraph(text)) }
  public mutating func note(_ text: String, kind: NoteKind = .info) { blocks.append(.note(text, kind: kind)) }
  public mutating func table(_ table: DataTable) { blocks.append(.table(table)) }
  public mutating func figure(_ figure: Figure) { blocks.append(.figure(figure)) }
  public mutating func subsection(_ section: Section) { subsections.append(section) }
}

/// A self-contained HTML5 report: inline CSS and SVG, no scripts, no external assets, polyglot
/// markup that is also well-formed XML (every element closed, attributes quoted, text escaped).
///
/// Ids: every section and figure gets a slug (`[a-z0-9-]`, no `--`) unique in the document (`-2`,
/// `-3`, … appended on a clash; `summary` and `contents` are reserved). Ids derived from them — a
/// section's heading (`<section>--h`), a figure's title, description and pattern ids
/// (`<figure>--title`, `<figure>--hatch`, …) and the summary heading (`summary--h`) — contain `--`,
/// which no slug does, so a section named after another's heading (a column called `h`) cannot take
/// its id: every id in a document is unique.
///
/// Layout: title and subtitle, the verdict summary, a table of contents, the sections, a footer.
/// Responsive (fluid SVG with a viewBox, tables in horizontally scrolling wrappers, one column
/// below 700 px) and print-friendly (no backgrounds needed, figures kept on one page). Every string
/// is escaped with `HTMLEscaping.escape`. Rendering is deterministic: equal documents give equal
/// bytes. O(size of the output).
public struct HTMLDocument: Sendable {
  public var title: String
  public var subtitle: String?
  public var verdicts: [Verdict]
  public var sections: [Section]
  /// Small print at the bottom (version, inputs, seed…), one line each.
  public var footer: [String]
  /// `lang` attribute.
  public var language: String

  public init(title: String, subtitle: String? = nil, verdicts: [Verdict] = [], sections: [Section] = [],
              footer: [String] = [], language: String = "en") {
    self.title = title
    self.subtitle = subtitle
    self.verdicts = verdicts
    self.sections = sections
    self.footer = footer
    self.language = language
  }

  public mutating func add(_ verdict: Verdict) { verdicts.append(verdict) }
  public mutating func add(_ section: Section) { sections.append(section) }

  /// Renders and writes the document to `path` atomically (temporary file + rename), so a reader
  /// never sees a partial report. Throws the file error of `AtomicFile.write`.
  public func write(to path: String) throws {
    try AtomicFile.write(Array(render().utf8), to: path)
  }

  /// The complete document.
  public func render() -> String {
    var slugs = SlugAllocator()
    _ = slugs.unique("summary")
    _ = slugs.unique("contents")
    // Resolve section ids first so the summary and contents can link to them.
    func resolve(_ s: Section) -> ResolvedSection {
      let id = slugs.unique(s.id ?? s.title)
      return ResolvedSection(section: s, id: id, children: s.subsections.map(resolve))
    }
    let resolved = sections.map(resolve)
    // Verdicts link to the section whose requested id (or title) is exactly (code point for code point)
    // their `sectionID`, else to the first whose requested id has the same slug; the anchor is the id the
    // section was given.
    var exact: [ExactText: String] = [:]
    var bySlug: [String: String] = [:]
    func index(_ r: ResolvedSection) {
      let key = r.section.id ?? r.section.title
      if exact[ExactText(key)] == nil { exact[ExactText(key)] = r.id }
      let slug = HTMLEscaping.slug(key)
      if bySlug[slug] == nil { bySlug[slug] = r.id }
      r.children.forEach(index)
    }
    resolved.forEach(index)
    func anchor(_ target: String) -> String? { exact[ExactText(target)] ?? bySlug[HTMLEscaping.slug(target)] }
    var out = "<!DOCTYPE html>\n"
    out += "<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"\(e(language))\" xml:lang=\"\(e(language))\">\n<head>\n"
    out += "<meta charset=\"utf-8\"/>\n"
    out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
    out += "<meta name=\"generator\" content=\"CohortLens \(e(CohortLensVersion.string))\"/>\n"
    out += "<title>\(e(title))</title>\n<style>\n\(Self.css)</style>\n</head>\n<body>\n<main>\n"
    out += "<header class=\"report-header\">\n<h1>\(e(title))</h1>\n"
    if let subtitle { out += "<p class=\"subtitle\">\(e(subtitle))</p>\n" }
    out += "</header>\n"
    if !verdicts.isEmpty {
      out += "<section id=\"summary\" class=\"summary\" aria-labelledby=\"summary--h\">\n"
      out += "<h2 id=\"summary--h\">Verdicts</h2>\n"
      var counts: [VerdictStatus: Int] = [:]
      for v in verdicts { counts[v.status, default: 0] += 1 }
      out += "<p class=\"tally\">"
      out += VerdictStatus.allCases.compactMap { s in
        counts[s].map { "<span class=\"badge \(s.cssClass)\">\(s.symbol) \(s.rawValue)</span> × \($0)" }
      }.joined(separator: " ")
      out += "</p>\n"
      func list(_ items: [Verdict]) -> String {
        var s = "<ul class=\"verdicts\">\n"
        for v in items {
          s += "<li class=\"\(v.status.cssClass)\"><span class=\"badge \(v.status.cssClass)\">\(v.status.symbol) \(v.status.rawValue)</span> "
          let subject = "<strong>\(e(v.subject))</strong>"
          if let target = v.sectionID, let anchor = anchor(target) {
            s += "<a href=\"#\(anchor)\">\(subject)</a>"
          } else {
            s += subject
          }
          s += " <span class=\"detail\">\(e(v.detail))</span></li>\n"
        }
        return s + "</ul>\n"
      }
      if verdicts.contains(where: { $0.group != nil }) {
        // Tally by group, then the failing checks, then every verdict folded.
        var groups: [String] = []
        var byGroup: [String: [VerdictStatus: Int]] = [:]
        for v in verdicts {
          let g = v.group ?? ""
          if byGroup[g] == nil { groups.append(g) }
          byGroup[g, default: [:]][v.status, default: 0] += 1
        }
        let order: [VerdictStatus] = [.fail, .inconclusive, .undefined, .pass]
        out += "<div class=\"table-wrap\" role=\"region\" aria-label=\"Verdicts by step\" tabindex=\"0\">\n<table>\n"
        out += "<thead><tr><th scope=\"col\">checks of</th>"
        for s in order { out += "<th scope=\"col\" class=\"num\">\(s.symbol) \(s.rawValue)</th>" }
        out += "</tr></thead>\n<tbody>\n"
        for g in groups {
          out += "<tr><th scope=\"row\">\(e(g.isEmpty ? "—" : g))</th>"
          for s in order { out += "<td class=\"num\">\(byGroup[g]?[s] ?? 0)</td>" }
          out += "</tr>\n"
        }
        out += "</tbody>\n</table>\n</div>\n"
        let failing = verdicts.filter { $0.status == .fail }
        if !failing.isEmpty {
          out += "<h3>Failing checks (\(failing.count))</h3>\n" + list(failing)
        }
        out += "<details class=\"all-verdicts\"><summary>All \(verdicts.count) verdicts</summary>\n" + list(verdicts) + "</details>\n"
      } else {
        out += list(verdicts)
      }
      out += "</section>\n"
    }
    if !resolved.isEmpty {
      out += "<nav id=\"contents\" class=\"toc\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n"
      for s in resolved {
        out += "<li><a href=\"#\(s.id)\">\(e(s.section.title))</a>"
        if !s.children.isEmpty {
          out += "\n<ol>\n"
          for c in s.children { out += "<li><a href=\"#\(c.id)\">\(e(c.section.title))</a></li>\n" }
          out += "</ol>\n"
        }
        out += "</li>\n"
      }
      out += "</ol>\n</nav>\n"
    }
    var figureNumber = 0
    for s in resolved { render(s, level: 2, into: &out, slugs: &slugs, figureNumber: &figureNumber) }
    if !footer.isEmpty {
      out += "<footer>\n"
      for line in footer { out += "<p>\(e(line))</p>\n" }
      out += "</footer>\n"
    }
    out += "</main>\n</body>\n</html>\n"
    return out
  }

  struct ResolvedSection {
    var section: Section
    var id: String
    var children: [ResolvedSection]
  }

  private func e(_ s: String) -> String { HTMLEscaping.escape(s) }

  private func render(_ r: ResolvedSection, level: Int, into out: inout String, slugs: inout SlugAllocator,
                      figureNumber: inout Int) {
    let h = min(level, 6)
    out += "<section id=\"\(r.id)\" aria-labelledby=\"\(r.id)--h\">\n"
    out += "<h\(h) id=\"\(r.id)--h\"><a class=\"anchor\" href=\"#\(r.id)\">\(e(r.section.title))</a></h\(h)>\n"
    for block in r.section.blocks {
      switch block {
      case .paragraph(let text):
        out += "<p>\(e(text))</p>\n"
      case .rich(let inlines):
        out += "<p>\(inlines.map(renderInline).joined())</p>\n"
      case .note(let text, let kind):
        out += "<aside class=\"note note-\(kind.rawValue.lowercased())\"><strong>\(kind.rawValue):</strong> \(e(text))</aside>\n"
      case .list(let items):
        out += "<ul>\n" + items.map { "<li>\(e($0))</li>\n" }.joined() + "</ul>\n"
      case .facts(let pairs):
        out += "<dl class=\"facts\">\n"
        for (k, v) in pairs { out += "<div><dt>\(e(k))</dt><dd>\(e(v))</dd></div>\n" }
        out += "</dl>\n"
      case .table(let table):
        out += renderTable(table)
      case .figure(let figure):
        figureNumber += 1
        let id = slugs.unique("figure-\(figureNumber)")
        out += "<figure id=\"\(id)\">\n"
        out += "<h\(min(h + 1, 6)) class=\"figure-title\">Figure \(figureNumber). \(e(figure.title))</h\(min(h + 1, 6))>\n"
        let maxWidth = Int((figure.size.width * 1.25).rounded())
        out += "<div class=\"plot\" style=\"max-width: \(maxWidth)px\">\(figure.svg(id: id))</div>\n"
        out += "<figcaption>\(e(figure.caption))</figcaption>\n"
        var table = figure.table
        if table.caption == nil { table.caption = "Numbers plotted in figure \(figureNumber)" }
        out += "<details class=\"numbers\" open=\"open\"><summary>Numbers beneath figure \(figureNumber)</summary>\n"
        out += renderTable(table)
        out += "</details>\n"
        for note in figure.notes { out += "<p class=\"figure-note\">\(e(note))</p>\n" }
        out += "</figure>\n"
      }
    }
    for c in r.children { render(c, level: level + 1, into: &out, slugs: &slugs, figureNumber: &figureNumber) }
    out += "</section>\n"
  }

  private func renderInline(_ i: Inline) -> String {
    switch i {
    case .text(let s): return e(s)
    case .strong(let s): return "<strong>\(e(s))</strong>"
    case .code(let s): return "<code>\(e(s))</code>"
    case .link(let s, let href):
      let lower = href.lowercased()
      guard href.hasPrefix("#") || lower.hasPrefix("https://") || lower.hasPrefix("http://") else { return e(s) }
      return "<a href=\"\(e(href))\">\(e(s))</a>"
    }
  }

  func renderTable(_ t: DataTable) -> String {
    let columns = t.columnCount
    let numeric = (0..<columns).map { t.isNumeric(column: $0) }
    let label = t.caption ?? (t.headers.isEmpty ? "table" : "table: " + t.headers.joined(separator: ", "))
    var out = "<div class=\"table-wrap\" tabindex=\"0\" role=\"region\" aria-label=\"\(e(label))\">\n<table>\n"
    if let caption = t.caption { out += "<caption>\(e(caption))</caption>\n" }
    out += "<thead><tr>"
    for c in 0..<columns {
      let text = c < t.headers.count ? t.headers[c] : ""
      out += numeric[c] ? "<th scope=\"col\" class=\"num\">\(e(text))</th>" : "<th scope=\"col\">\(e(text))</th>"
    }
    out += "</tr></thead>\n<tbody>\n"
    for (r, row) in t.rows.enumerated() {
      out += "<tr>"
      for c in 0..<columns {
        let text = c < row.count ? row[c] : ""
        var classes: [String] = []
        if numeric[c] { classes.append("num") }
        // Only cells the table marks as undefined: a group called "undefined", "inf" or "—" is a name.
        if c > 0 && t.undefinedCells.contains(DataTable.CellIndex(row: r, column: c)) { classes.append("undef") }
        let cls = classes.isEmpty ? "" : " class=\"\(classes.joined(separator: " "))\""
        out += c == 0 ? "<th scope=\"row\"\(cls)>\(e(text))</th>" : "<td\(cls)>\(e(text))</td>"
      }
      out += "</tr>\n"
    }
    out += "</tbody>\n</table>\n</div>\n"
    return out
  }

  /// The report's style sheet (no `<` or `&`, so it is also valid XML text).
  static let css = """
    :root { --ink: #1f1f1f; --muted: #555555; --rule: #d9d9d9; --bg-soft: #f6f7f8; --link: #0b5cad; }
    * { box-sizing: border-box; }
    html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
    body { margin: 0; color: var(--ink); background: #ffffff; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    main { max-width: 1080px; margin: 0 auto; padding: 24px 32px 48px; }
    h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.2em 0 0.2em; }
    h2 { font-size: 1.45rem; margin: 1.8em 0 0.5em; padding-top: 0.4em; border-top: 2px solid var(--rule); }
    h3 { font-size: 1.2rem; margin: 1.5em 0 0.4em; }
    h4, h5, h6 { font-size: 1.05rem; margin: 1.2em 0 0.3em; }
    h1, h2, h3, h4, h5, h6, p, li, dt, dd, figcaption, caption, summary, .note { overflow-wrap: anywhere; }
    a { color: var(--link); }
    a.anchor { color: inherit; text-decoration: none; }
    a.anchor:hover { text-decoration: underline; }
    p, li, dd { max-width: 75ch; }
    code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; background: var(--bg-soft); padding: 0 0.25em; border-radius: 3px; }
    .subtitle { color: var(--muted); margin: 0 0 1em; }
    .summary { background: var(--bg-soft); border: 1px solid var(--rule); border-radius: 8px; padding: 4px 20px 12px; margin: 16px 0; }
    .summary h2 { border-top: 0; margin-top: 0.5em; padding-top: 0; }
    .tally { margin: 0 0 0.6em; }
    .verdicts { list-style: none; padding: 0; margin: 0; }
    .verdicts li { padding: 6px 0; border-top: 1px solid var(--rule); max-width: none; }
    .verdicts li:first-child { border-top: 0; }
    .verdicts .detail { color: var(--muted); }
    .badge { display: inline-block; min-width: 9.5em; font-size: 0.8rem; font-weight: 700; letter-spacing: 0.04em; padding: 2px 8px; border-radius: 4px; border: 1.5px solid; text-align: center; margin-right: 6px; }
    .tally .badge { min-width: 0; }
    .verdict-pass.badge { color: #0f5b25; background: #e3f4e8; border-color: #1e7b34; }
    .verdict-fail.badge { color: #8c1d13; background: #fdeae8; border-color: #b3261e; }
    .verdict-inconclusive.badge { color: #6b4500; background: #fff3dc; border-color: #a36b00; }
    .verdict-undefined.badge { color: #3d3d3d; background: #eeeeee; border-color: #6b6b6b; border-style: dashed; }
    .toc { border-left: 4px solid var(--rule); padding: 2px 16px; margin: 16px 0; }
    .toc h2 { border-top: 0; font-size: 1.1rem; margin: 0.4em 0; padding-top: 0; }
    .toc ol { margin: 0.2em 0; padding-left: 1.4em; }
    .note { border-left: 4px solid #56B4E9; background: #eef7fc; padding: 8px 14px; margin: 12px 0; max-width: 75ch; }
    .note-warning { border-left-color: #E69F00; background: #fff6e5; }
    .note-method { border-left-color: #999999; background: var(--bg-soft); }
    dl.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 4px 24px; margin: 12px 0; }
    dl.facts div { display: flex; gap: 8px; border-bottom: 1px dotted var(--rule); }
    dl.facts dt { color: var(--muted); }
    dl.facts dd { margin: 0; margin-left: auto; font-variant-numeric: tabular-nums; text-align: right; }
    figure { margin: 24px 0 32px; padding: 0; }
    .figure-title { margin: 0 0 8px; }
    .plot { width: 100%; }
    .plot svg { display: block; width: 100%; height: auto; }
    figcaption { color: var(--muted); font-size: 0.95rem; margin: 6px 0 10px; max-width: 75ch; }
    .figure-note { color: var(--muted); font-size: 0.9rem; margin: 4px 0; }
    details.numbers summary { cursor: pointer; color: var(--muted); font-size: 0.92rem; margin: 4px 0; }
    .table-wrap { overflow-x: auto; width: fit-content; max-width: 100%; margin: 8px 0 16px; border: 1px solid var(--rule); border-radius: 6px; }
    table { border-collapse: collapse; font-size: 0.9rem; }
    caption { caption-side: top; text-align: left; padding: 6px 10px; color: var(--muted); font-size: 0.85rem; }
    th, td { padding: 5px 10px; border-bottom: 1px solid #eeeeee; text-align: left; vertical-align: top; white-space: nowrap; }
    thead th { background: var(--bg-soft); border-bottom: 1px solid var(--rule); font-weight: 600; }
    tbody th { font-weight: 500; }
    .num { text-align: right; font-variant-numeric: tabular-nums; }
    .undef { color: var(--muted); font-style: italic; }
    tbody tr:nth-child(even) { background: #fbfbfb; }
    footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--rule); color: var(--muted); font-size: 0.85rem; }
    footer p { margin: 2px 0; }
    @media (max-width: 700px) {
      main { padding: 12px 12px 32px; }
      body { font-size: 15px; }
      h1 { font-size: 1.5rem; }
      h2 { font-size: 1.25rem; }
      .summary { padding: 2px 12px 8px; }
      .badge { min-width: 0; }
      .plot { overflow-x: auto; }
      .plot svg { min-width: 420px; }
      th, td { padding: 4px 8px; }
    }
    @media print {
      body { font-size: 10.5pt; }
      main { max-width: none; padding: 0; }
      a { color: inherit; text-decoration: none; }
      .toc { display: none; }
      .summary, .note, thead th, .badge { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
      figure, .table-wrap, .summary { break-inside: avoid; page-break-inside: avoid; }
      .table-wrap { overflow: visible; border: 0; }
      th, td { white-space: normal; }
      details.numbers summary { display: none; }
      .plot { max-width: 16cm !important; }
    }

    """
}
