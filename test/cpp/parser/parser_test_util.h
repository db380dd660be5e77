// Helpers shared by the parser tests.
#pragma once

// GCC 12 reports false -Wrestrict positives for std::string concatenation.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

#include "shoal/parser/ast.h"
#include "shoal/parser/parser.h"
#include "shoal/parser/printer.h"

namespace shoal::testing {

/// Return a fully parenthesized, kind-tagged dump of `e` that shows the tree shape
/// independently of the printer: "(+ 1 (* 2 3))".
std::string Dump(const ast::Expr& e);

/// Parse `sql` as one expression and return Dump() of it, or "ERROR: <message>".
std::string DumpExpr(std::string_view sql);

/// Parse a script that must hold exactly one statement; fails the test otherwise.
ast::StatementPtr ParseOne(std::string_view sql);

/// Parse `sql`'s single statement as a query and return its Query.
std::unique_ptr<ast::Query> ParseQueryOrDie(std::string_view sql);

/// Return the SelectNode body of a query (fails the test if it is not a SELECT).
const ast::SelectNode& SelectOf(const ast::Query& q);

/// Return the error message of parsing `sql` ("" if it parsed).
std::string ParseError(std::string_view sql);

/// Print each statement of `sql`, parse the printed text again and check that it
/// prints identically. Returns the first printing (statements joined by ";\n").
std::string CheckRoundTrip(std::string_view sql, SqlDialect dialect = SqlDialect::kShoal);

/// Return SQL scripts covering every construct the parser supports.
const std::vector<std::string>& SqlCorpus();

/// Add a message to `problems` for every node of `stmt` whose location is unknown.
void CheckLocations(const ast::Statement& stmt, std::vector<std::string>* problems);

/// Find the TPC-H query directory (bench/tpch/queries); "" if not found.
std::string FindTpchQueryDir();

/// Return the contents of `path` ("" if it cannot be read).
std::string ReadFile(const std::string& path);

}  // namespace shoal::testing
