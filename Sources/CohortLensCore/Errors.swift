/// An error that the command-line tool reports to the user and maps to a process exit status.
///
/// Every error thrown by CohortLens library code conforms to this protocol, so the CLI needs a
/// single `catch let error as CohortLensError` to print `error.description` on standard error and
/// exit with `error.exitCode` (the BSD `sysexits.h` convention).
public protocol CohortLensError: Error, CustomStringConvertible, Sendable {
  /// Process exit status for this error (`sysexits.h`): 64 usage, 65 data, 73 cannot create output.
  var exitCode: Int32 { get }
}

/// A problem with the contents of an input file (malformed CSV, a non-numeric cell, a duplicate id).
///
/// `description` renders as `file:line:column: message; hint` — the location prefix that editors and
/// terminals recognise — omitting `:line` / `:column` when unknown and `; hint` when there is no hint.
/// `line` is the 1-based physical line in the file (an embedded newline inside a quoted field counts);
/// `column` is the 1-based character (Unicode scalar) column of the start of the offending field on
/// that line (the opening quote for a quoted field). Exit status 65 (`EX_DATAERR`).
public struct InputError: CohortLensError, Equatable {
  /// The file as it was named on the command line (or the name given to `Table.parse`).
  public var file: String
  /// 1-based physical line, if the problem has a location.
  public var line: Int?
  /// 1-based character column on `line`, if known.
  public var column: Int?
  /// What is wrong, e.g. `column 'score' row 3: 'abc' is not a number`.
  public var message: String
  /// How to fix it, e.g. `fix the cell or exclude the column with --columns`.
  public var hint: String?
  /// The name the user gave that the data does not answer (a column or student that is not there, or a
  /// column name several columns have), as given: lets a caller that knows where the name was written (an
  /// audit configuration) point there. Not part of `description`.
  public var subject: String?

  public init(file: String, line: Int? = nil, column: Int? = nil, message: String, hint: String? = nil,
              subject: String? = nil) {
    self.file = file
    self.line = line
    self.column = column
    self.message = message
    self.hint = hint
    self.subject = subject
  }

  /// An error located at the cell (`row`, `column`) of `table` (0-based data row and column index),
  /// reported at that cell's `file:line:column` in the file it came from.
  public init(table: Table, row: Int, column: Int, message: String, hint: String? = nil) {
    let l = table.location(row: row, column: column)
    self.init(file: l.file, line: l.line, column: l.column, message: message, hint: hint)
  }

  public var exitCode: Int32 { 65 }

  /// `file:line:column: message; hint`.
  public var description: String {
    var s = file
    if let line {
      s += ":\(line)"
      if let column { s += ":\(column)" }
    }
    s += ": " + message
    if let hint { s += "; " + hint }
    return s
  }
}

/// A bad command-line flag value or an inconsistent combination of options. Exit status 64 (`EX_USAGE`).
///
/// `description` renders as `message; hint` (no location).
public struct UsageError: CohortLensError, Equatable {
  /// What is wrong, e.g. `--k must be a range like 2...8, got '8...2'`.
  public var message: String
  /// How to fix it.
  public var hint: String?
  /// The option the error is about, without dashes (`k`), when the message does not name it as
  /// `--option`: lets a caller that knows where the option was set (an audit configuration) point there.
  /// Not part of `description`.
  public var option: String?
  /// The name the error is about, as ``InputError/subject``. Not part of `description`.
  public var subject: String?

  public init(_ message: String, hint: String? = nil, option: String? = nil, subject: String? = nil) {
    self.message = message
    self.hint = hint
    self.option = option
    self.subject = subject
  }

  public var exitCode: Int32 { 64 }

  public var description: String {
    hint.map { "\(message); \($0)" } ?? message
  }
}

/// An output file could not be written (missing directory, permissions, disk full).
/// Exit status 73 (`EX_CANTCREAT`). `description` renders as `path: message`.
public struct OutputError: CohortLensError, Equatable {
  /// The target path that could not be written.
  public var path: String
  /// The reason, usually the `strerror` text of the failing system call.
  public var message: String

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public var exitCode: Int32 { 73 }

  public var description: String { "\(path): \(message)" }
}
