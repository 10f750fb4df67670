extension InputError {
  /// An error located at the cell (`row`, `column`) of `table` (0-based data row and column index),
  /// reported as `file:line:column` of that cell in the file it came from.
  public init(table: Table, row: Int, column: Int, message: String, hint: String? = nil) {
    let l = table.location(row: row, column: column)
    self.init(file: l.file, line: l.line, column: l.column, message: message, hint: hint)
  }
}
