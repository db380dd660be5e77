// The SQL printer's private interface, shared by printer*.cc.
#pragma once

// GCC 12 reports false -Wrestrict positives for std::string concatenation
// (https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105329); keep the build output clean.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <string>
#include <vector>

#include "shoal/parser/ast.h"
#include "shoal/parser/printer.h"

namespace shoal::sql {

/// Prints AST nodes as SQL text for one dialect. Expressions are parenthesized
/// only where precedence requires it, so that parsing the output gives the same tree.
class SqlPrinter {
 public:
  explicit SqlPrinter(SqlDialect dialect) : dialect_(dialect) {}

  // printer_expr.cc
  std::string Expr(const ast::Expr& e, int min_prec = 0) const;
  std::string Identifier(const ast::Identifier& id) const;
  std::string Name(const ast::QualifiedName& name) const;
  std::string Type(const ast::TypeName& type) const;
  std::string OrderBy(const std::vector<ast::OrderByItem>& items) const;
  std::string WindowBody(const ast::WindowSpec& spec) const;  ///< "(...)"
  std::string ExprList(const std::vector<ast::ExprPtr>& exprs) const;
  std::string StringLiteral(const std::string& s) const;

  // printer.cc
  std::string Query(const ast::Query& q) const;
  std::string QueryNode(const ast::QueryNode& node) const;
  std::string TableRef(const ast::TableRef& ref) const;
  std::string Statement(const ast::Statement& stmt) const;
  std::string Merge(const ast::MergeStatement& s) const;  ///< printer_merge.cc

 private:
  std::string Function(const ast::FunctionExpr& f) const;
  std::string Literal(const ast::LiteralExpr& lit) const;
  std::string SetOperand(const ast::Query& q, int parent_level, bool right) const;
  std::string Alias(const ast::TableRef& ref) const;
  std::string ColumnDef(const ast::ColumnDef& col) const;
  std::string Options(const std::vector<ast::OptionItem>& items, bool with_equals) const;
  std::string IdentifierList(const std::vector<ast::Identifier>& ids) const;
  std::string CreateTable(const ast::CreateTableStatement& s) const;
  std::string CreateExternalTable(const ast::CreateExternalTableStatement& s) const;
  std::string Copy(const ast::CopyStatement& s) const;

  SqlDialect dialect_;
};

/// Return the binding power of `e` as printed (see Precedence in parser_internal.h;
/// 8 = unary minus, 9 = x::t, 10 = atoms).
int ExprPrecedence(const ast::Expr& e);

}  // namespace shoal::sql
