// Errors that point into the SQL text: "line 3, column 14" plus the line and a caret.
#pragma once

#include <string>
#include <string_view>

#include "shoal/common/status.h"

namespace shoal {

/// Return `message` followed by the position and a caret under the offending text:
///
///     Syntax error: unexpected 'FORM' at line 1, column 10
///       SELECT a FORM t
///                ^
///
/// `offset` is a 0-based byte offset into `sql` (negative: no position is shown).
std::string FormatSourceMessage(std::string_view sql, int offset, std::string_view message);

/// Return an Invalid status carrying FormatSourceMessage(sql, offset, message).
Status SourceError(std::string_view sql, int offset, std::string_view message);

/// Compute the 1-based line and column of byte `offset` in `sql`.
void OffsetToLineColumn(std::string_view sql, int offset, int* line, int* column);

}  // namespace shoal
