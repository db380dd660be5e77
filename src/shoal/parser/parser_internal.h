// The recursive-descent parser's private interface, shared by parser_*.cc.
#pragma once

// GCC 12 reports false -Wrestrict positives for std::string concatenation
// (https://gcc.gnu.org/bugzilla/show_bug.cgi?id=105329); keep the build output clean.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ == 12
#pragma GCC diagnostic ignored "-Wrestrict"
#endif

#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/parser/ast.h"
#include "shoal/parser/lexer.h"

namespace shoal::sql {

/// Maximum nesting of expressions, subqueries and table references. Deeper input
/// is rejected with a clear error instead of overflowing the stack.
constexpr int kMaxParseDepth = 1000;

/// Binding powers of the binary operators, lowest first.
enum Precedence : int {
  kPrecLowest = 0,
  kPrecOr = 1,
  kPrecAnd = 2,
  kPrecNot = 3,
  kPrecComparison = 4,  ///< = <> < > IS LIKE IN BETWEEN
  kPrecConcat = 5,      ///< ||
  kPrecAdditive = 6,    ///< + -
  kPrecMultiplicative = 7,  ///< * / %
};

class Parser {
 public:
  Parser(std::string_view sql, std::vector<Token> tokens);

  /// Parse statements separated by ';' until the end of input.
  Result<std::vector<ast::StatementPtr>> ParseScript();
  /// Parse one expression that must span the whole input.
  Result<ast::ExprPtr> ParseStandaloneExpression();

  // ---- statements (parser_statement.cc, parser_ddl.cc) ----
  Result<ast::StatementPtr> ParseStatement();
  Result<ast::StatementPtr> ParseInsert();
  Result<ast::StatementPtr> ParseCreate();
  Result<ast::StatementPtr> ParseCreateTable(const Token& start, bool or_replace, bool temporary);
  Result<ast::StatementPtr> ParseCreateView(const Token& start, bool or_replace);
  Result<ast::StatementPtr> ParseCreateExternalTable(const Token& start, bool or_replace,
                                                     bool unbounded);
  Result<ast::StatementPtr> ParseDrop();
  Result<ast::StatementPtr> ParseShow();
  Result<ast::StatementPtr> ParseDescribe();
  Result<ast::StatementPtr> ParseExplain();
  Result<ast::StatementPtr> ParseSet();
  Result<ast::StatementPtr> ParseReset();
  Result<ast::StatementPtr> ParseCopy();
  Result<ast::StatementPtr> ParseDelete();
  Result<ast::StatementPtr> ParseUpdate();
  Result<ast::StatementPtr> ParseDeltaMaintenance();  ///< parser_delta_maint.cc
  Result<ast::StatementPtr> ParseMerge();  ///< parser_merge.cc
  Result<ast::ColumnDef> ParseColumnDef(std::vector<std::pair<std::string, ast::ExprPtr>>* checks);
  Result<std::vector<ast::OptionItem>> ParseOptionList();
  Result<std::string> ParseOptionKey();
  Result<std::string> ParseOptionValue();
  Result<std::string> ParseDottedName();  ///< a.b.c, lower-cased (for SET/SHOW/RESET)

  // ---- queries (parser_query.cc, parser_from.cc) ----
  Result<std::unique_ptr<ast::Query>> ParseQuery();
  Result<std::unique_ptr<ast::Query>> ParseSetOperation(int min_level);
  Result<std::unique_ptr<ast::Query>> ParseQueryPrimary();
  Result<std::unique_ptr<ast::SelectNode>> ParseSelect();
  Result<std::unique_ptr<ast::ValuesNode>> ParseValues();
  Result<std::vector<std::vector<ast::ExprPtr>>> ParseValuesRows();
  Status ParseWith(ast::Query* query);
  Status ParseOrderByLimit(ast::Query* query);
  Result<std::vector<ast::OrderByItem>> ParseOrderByList();
  Result<ast::SelectItem> ParseSelectItem();
  Result<std::vector<ast::GroupingElement>> ParseGroupBy();
  Result<ast::TableRefPtr> ParseFrom();
  Result<ast::TableRefPtr> ParseJoinTree();
  Result<ast::TableRefPtr> ParseTablePrimary();
  Status ParseTableAlias(ast::TableRef* ref);
  bool StartsQuery(size_t k = 0) const;
  bool StartsParenthesizedQuery() const;

  // ---- expressions (parser_expr.cc, parser_function.cc) ----
  Result<ast::ExprPtr> ParseExpr(int min_prec = kPrecLowest);
  Result<ast::ExprPtr> ParseInfix(ast::ExprPtr left, int prec, bool* handled);
  Result<ast::ExprPtr> ParseUnary();
  Result<ast::ExprPtr> ParsePostfix();
  Result<ast::ExprPtr> ParsePrimary();
  Result<ast::ExprPtr> ParseParenthesized();
  Result<ast::ExprPtr> ParseNameOrFunction();
  Result<ast::ExprPtr> ParseFunctionCall(ast::QualifiedName name);
  Result<ast::ExprPtr> ParseSpecialFunction(const Token& name_tok, bool* handled);
  Result<ast::ExprPtr> ParseCase();
  Result<ast::ExprPtr> ParseCast(bool try_cast);
  Result<ast::ExprPtr> ParseTypedLiteral(bool* handled);
  Result<ast::ExprPtr> ParseInterval();
  Result<std::unique_ptr<ast::WindowSpec>> ParseOver();
  Result<std::unique_ptr<ast::WindowSpec>> ParseWindowSpecBody(ast::SourceLocation loc);
  Result<ast::FrameBound> ParseFrameBound();
  Result<std::vector<ast::ExprPtr>> ParseExprList();
  Result<std::unique_ptr<ast::Query>> ParseSubqueryInParens();
  Result<ast::TypeName> ParseType();
  Result<ast::Identifier> ParseIdentifier(std::string_view what = "identifier");
  Result<ast::QualifiedName> ParseQualifiedName(std::string_view what = "name");
  Result<std::vector<ast::Identifier>> ParseIdentifierList();  ///< ( a, b, c )

  // ---- tokens ----
  const Token& Peek(size_t k = 0) const {
    size_t i = pos_ + k;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  const Token& Advance() {
    const Token& t = tokens_[pos_];
    if (pos_ + 1 < tokens_.size()) ++pos_;
    return t;
  }
  const Token& Previous() const { return tokens_[pos_ > 0 ? pos_ - 1 : 0]; }
  bool AtEnd() const { return Peek().type == TokenType::kEnd; }
  bool IsKeyword(std::string_view kw, size_t k = 0) const;
  bool IsOp(std::string_view op, size_t k = 0) const;
  bool AcceptKeyword(std::string_view kw);
  bool AcceptKeywords(std::string_view kw1, std::string_view kw2);
  bool AcceptOp(std::string_view op);
  Status ExpectKeyword(std::string_view kw);
  Status ExpectOp(std::string_view op);
  /// True if token k is an identifier usable as a name (non-reserved word or quoted).
  bool IsIdentifierToken(size_t k = 0) const;
  /// Return "Syntax error: expected <what>, found '<token>'" at the current token.
  Status Expected(std::string_view what) const;
  Status ErrorAt(const Token& tok, std::string_view message) const;
  ast::SourceLocation Loc(const Token& tok) const;
  ast::SourceLocation CurrentLoc() const { return Loc(Peek()); }
  std::string_view sql() const { return sql_; }

  /// Save and restore the position for the few places that look ahead by parsing.
  struct Mark {
    size_t pos;
    int question_params;
  };
  Mark Save() const { return Mark{pos_, question_params_}; }
  void Restore(const Mark& m) {
    pos_ = m.pos;
    question_params_ = m.question_params;
  }
  int NextQuestionParameter() { return ++question_params_; }

  /// RAII depth counter: Enter() fails once kMaxParseDepth is exceeded.
  Status EnterNested();
  void LeaveNested() { --depth_; }

 private:
  std::string_view sql_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int question_params_ = 0;  ///< number of '?' parameters seen
  const char* stack_limit_ = nullptr;  ///< stop nesting when the stack gets below this
  std::vector<int32_t> line_starts_;  ///< byte offset of each line's first character
  /// For each token: index of the first token that is not '(' at or after it.
  std::vector<uint32_t> after_parens_;
};

/// Decrements the parser depth on scope exit (paired with a successful EnterNested()).
class DepthGuard {
 public:
  explicit DepthGuard(Parser* p) : p_(p) {}
  ~DepthGuard() { p_->LeaveNested(); }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  Parser* p_;
};

#define SHOAL_PARSE_NESTED(parser)             \
  ARROW_RETURN_NOT_OK((parser)->EnterNested()); \
  ::shoal::sql::DepthGuard shoal_depth_guard_(parser)

/// Return a human description of a token for messages: 'FROM', end of input, ...
std::string DescribeToken(const Token& tok);

}  // namespace shoal::sql
