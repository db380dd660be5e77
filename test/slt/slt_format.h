// Value formatting and parsing for Shoal's sqllogictest runner (DataFusion's
// conventions: NULL, (empty), floats with 12 significant digits, ISO dates).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal::slt {

/// One record of a .slt file.
struct Record {
  enum Kind { kStatementOk, kStatementError, kQuery, kQueryError, kHalt } kind = kStatementOk;
  int line = 0;                        ///< 1-based line of the header
  std::string file;                    ///< file the record came from (includes may differ)
  std::string sql;
  std::string error_regex;             ///< for the *Error kinds (empty: any error)
  std::string types;                   ///< query column types ("ITR")
  std::string sort_mode;               ///< "", "rowsort", "valuesort"
  std::vector<std::string> expected;   ///< expected result lines
  bool has_results_marker = false;     ///< a "----" line was present
  bool skip = false;                   ///< skipif shoal / onlyif other
  // Position of the expected block in the file, for --complete: lines
  // [results_begin, results_end) (0-based) hold the results; results_begin is the
  // line after "----" (or where it would go).
  int sql_end = 0;
  int results_begin = 0;
  int results_end = 0;
};

/// Parse a .slt text. `includes` are resolved relative to `path`'s directory.
Result<std::vector<Record>> ParseFile(const std::string& path, const std::string& text);

/// Format every value of a result table as rows of strings.
Result<std::vector<std::vector<std::string>>> FormatRows(const arrow::Table& table);

/// Return an error message when `type` does not fit the header letter, else "".
std::string CheckColumnType(char letter, const arrow::DataType& type);

}  // namespace shoal::slt
