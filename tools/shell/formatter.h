// Rendering of query results for the shell: a DuckDB-like box table, CSV,
// JSON and Markdown.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal {
class QueryResult;
}

namespace shoal::shell {

/// Output format of the shell.
enum class OutputMode { kTable, kCsv, kJson, kMarkdown };

/// Parse "table", "box", "csv", "json", "markdown"/"md".
std::optional<OutputMode> ParseOutputMode(const std::string& name);

/// How to render a result.
struct FormatOptions {
  OutputMode mode = OutputMode::kTable;
  /// Table mode: show at most this many rows (first and last halves); 0 = all.
  size_t max_rows = 40;
  /// Table mode: total width limit in columns (0 = unlimited); columns in the
  /// middle are dropped to fit.
  size_t max_width = 0;
  /// Table mode: longest cell shown before it is cut with "…".
  size_t max_cell_width = 60;
};

/// Format one value as text; std::nullopt for NULL.
std::optional<std::string> FormatCell(const arrow::Array& array, int64_t index);

/// Read `result` to the end and print it to `out`. Return the number of rows.
/// Read errors (including interruption) are returned after whatever was printed.
Result<int64_t> PrintResult(QueryResult* result, const FormatOptions& options, std::ostream& out);

}  // namespace shoal::shell
