// Shoal's hand-written SQL parser: text -> ast::Statement trees with source positions.
#pragma once

#include <string_view>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/parser/ast.h"

namespace shoal {

/// Parse a script of one or more statements separated by ';'.
/// A syntax error returns Status::Invalid whose message names the line and column,
/// shows the line and a caret under the offending token (see FormatSourceMessage),
/// and says what was expected.
Result<std::vector<ast::StatementPtr>> ParseSql(std::string_view sql);

/// Parse a single expression (used by the DataFrame API: filter("a > 1")).
Result<ast::ExprPtr> ParseExpression(std::string_view sql);

/// Split a script into statement texts at top-level ';' (quotes and comments are
/// respected). Used by the shell to know when a multi-line statement is complete:
/// `complete` is false when the last statement has no terminating ';'.
std::vector<std::string_view> SplitStatements(std::string_view sql, bool* complete);

}  // namespace shoal
