// Expressions: operator precedence, primaries, subqueries in expressions.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

using ast::ExprPtr;

namespace {

/// Return the comparison operator spelled by `tok`, if any.
bool ComparisonOp(const Token& tok, ast::BinaryOp* op) {
  if (tok.type != TokenType::kOperator) return false;
  std::string_view t = tok.text;
  if (t == "=" || t == "==") {
    *op = ast::BinaryOp::kEq;
  } else if (t == "<>" || t == "!=") {
    *op = ast::BinaryOp::kNotEq;
  } else if (t == "<") {
    *op = ast::BinaryOp::kLt;
  } else if (t == "<=") {
    *op = ast::BinaryOp::kLtEq;
  } else if (t == ">") {
    *op = ast::BinaryOp::kGt;
  } else if (t == ">=") {
    *op = ast::BinaryOp::kGtEq;
  } else {
    return false;
  }
  return true;
}

template <typename T>
std::unique_ptr<T> MakeNode(ast::SourceLocation loc) {
  auto node = std::make_unique<T>();
  node->loc = loc;
  return node;
}

}  // namespace

/// Return the binding power of the infix operator at the current token (0: none).
static int InfixPrecedence(const Parser& p) {
  const Token& t = p.Peek();
  if (t.type == TokenType::kOperator) {
    ast::BinaryOp op;
    if (ComparisonOp(t, &op)) return kPrecComparison;
    if (t.text == "||") return kPrecConcat;
    if (t.text == "+" || t.text == "-") return kPrecAdditive;
    if (t.text == "*" || t.text == "/" || t.text == "%") return kPrecMultiplicative;
    return 0;
  }
  if (t.type != TokenType::kWord) return 0;
  if (p.IsKeyword("OR")) return kPrecOr;
  if (p.IsKeyword("AND")) return kPrecAnd;
  if (p.IsKeyword("IS") || p.IsKeyword("LIKE") || p.IsKeyword("ILIKE") || p.IsKeyword("IN") ||
      p.IsKeyword("BETWEEN")) {
    return kPrecComparison;
  }
  if (p.IsKeyword("NOT") && (p.IsKeyword("LIKE", 1) || p.IsKeyword("ILIKE", 1) ||
                             p.IsKeyword("IN", 1) || p.IsKeyword("BETWEEN", 1))) {
    return kPrecComparison;
  }
  return 0;
}

Result<ExprPtr> Parser::ParseExpr(int min_prec) {
  SHOAL_PARSE_NESTED(this);
  ExprPtr left;
  if (IsKeyword("NOT")) {
    const Token& not_tok = Advance();
    ARROW_ASSIGN_OR_RAISE(auto operand, ParseExpr(kPrecNot));
    if (operand->kind == ast::ExprKind::kExists) {
      auto* exists = static_cast<ast::ExistsExpr*>(operand.get());
      exists->negated = !exists->negated;
      exists->loc = Loc(not_tok);
      left = std::move(operand);
    } else {
      auto node = MakeNode<ast::UnaryExpr>(Loc(not_tok));
      node->op = ast::UnaryOp::kNot;
      node->operand = std::move(operand);
      left = std::move(node);
    }
  } else {
    ARROW_ASSIGN_OR_RAISE(left, ParseUnary());
  }
  while (true) {
    int prec = InfixPrecedence(*this);
    if (prec == 0 || prec < min_prec) break;
    bool handled = false;
    ARROW_ASSIGN_OR_RAISE(left, ParseInfix(std::move(left), prec, &handled));
    if (!handled) break;
  }
  return left;
}

Result<ExprPtr> Parser::ParseInfix(ExprPtr left, int prec, bool* handled) {
  *handled = true;
  ast::SourceLocation loc = left->loc;
  const Token& tok = Peek();
  if (prec != kPrecComparison) {
    ast::BinaryOp op;
    if (IsKeyword("OR")) {
      op = ast::BinaryOp::kOr;
    } else if (IsKeyword("AND")) {
      op = ast::BinaryOp::kAnd;
    } else if (tok.text == "||") {
      op = ast::BinaryOp::kConcat;
    } else if (tok.text == "+") {
      op = ast::BinaryOp::kAdd;
    } else if (tok.text == "-") {
      op = ast::BinaryOp::kSub;
    } else if (tok.text == "*") {
      op = ast::BinaryOp::kMul;
    } else if (tok.text == "/") {
      op = ast::BinaryOp::kDiv;
    } else {
      op = ast::BinaryOp::kMod;
    }
    Advance();
    ARROW_ASSIGN_OR_RAISE(auto right, ParseExpr(prec + 1));
    auto node = MakeNode<ast::BinaryExpr>(loc);
    node->op = op;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  ast::BinaryOp cmp;
  if (ComparisonOp(tok, &cmp)) {
    Advance();
    if ((IsKeyword("ANY") || IsKeyword("SOME") || IsKeyword("ALL")) && IsOp("(", 1)) {
      bool all = IsKeyword("ALL");
      const Token& quant = Advance();
      if (!StartsQuery(1) && !StartsParenthesizedQuery()) {
        return ErrorAt(quant, "expected a subquery after " + ToUpper(quant.text) +
                                  ", found " + DescribeToken(Peek(1)));
      }
      auto node = MakeNode<ast::QuantifiedExpr>(loc);
      node->operand = std::move(left);
      node->op = cmp;
      node->all = all;
      ARROW_ASSIGN_OR_RAISE(node->subquery, ParseSubqueryInParens());
      return node;
    }
    ARROW_ASSIGN_OR_RAISE(auto right, ParseExpr(kPrecComparison + 1));
    auto node = MakeNode<ast::BinaryExpr>(loc);
    node->op = cmp;
    node->left = std::move(left);
    node->right = std::move(right);
    return node;
  }

  if (AcceptKeyword("IS")) {
    bool negated = AcceptKeyword("NOT");
    if (AcceptKeyword("NULL")) {
      auto node = MakeNode<ast::IsNullExpr>(loc);
      node->operand = std::move(left);
      node->negated = negated;
      return node;
    }
    if (IsKeyword("TRUE") || IsKeyword("FALSE") || IsKeyword("UNKNOWN")) {
      auto node = MakeNode<ast::IsBoolExpr>(loc);
      if (IsKeyword("TRUE")) node->value = true;
      if (IsKeyword("FALSE")) node->value = false;
      Advance();
      node->operand = std::move(left);
      node->negated = negated;
      return node;
    }
    if (AcceptKeywords("DISTINCT", "FROM")) {
      auto node = MakeNode<ast::IsDistinctFromExpr>(loc);
      node->left = std::move(left);
      ARROW_ASSIGN_OR_RAISE(node->right, ParseExpr(kPrecComparison + 1));
      node->negated = negated;
      return node;
    }
    return Expected(negated ? "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS NOT"
                            : "NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM after IS");
  }

  bool negated = AcceptKeyword("NOT");
  if (IsKeyword("LIKE") || IsKeyword("ILIKE")) {
    auto node = MakeNode<ast::LikeExpr>(loc);
    node->case_insensitive = IsKeyword("ILIKE");
    Advance();
    node->negated = negated;
    node->operand = std::move(left);
    ARROW_ASSIGN_OR_RAISE(node->pattern, ParseExpr(kPrecComparison + 1));
    if (AcceptKeyword("ESCAPE")) {
      ARROW_ASSIGN_OR_RAISE(node->escape, ParseExpr(kPrecComparison + 1));
    }
    return node;
  }
  if (AcceptKeyword("BETWEEN")) {
    auto node = MakeNode<ast::BetweenExpr>(loc);
    node->negated = negated;
    node->operand = std::move(left);
    ARROW_ASSIGN_OR_RAISE(node->low, ParseExpr(kPrecComparison + 1));
    ARROW_RETURN_NOT_OK(ExpectKeyword("AND"));
    ARROW_ASSIGN_OR_RAISE(node->high, ParseExpr(kPrecComparison + 1));
    return node;
  }
  if (AcceptKeyword("IN")) {
    if (!IsOp("(")) return Expected("'(' after IN");
    bool direct = StartsQuery(1);
    if (direct || StartsParenthesizedQuery()) {
      Mark mark = Save();
      auto sub = ParseSubqueryInParens();
      if (sub.ok()) {
        auto node = MakeNode<ast::InSubqueryExpr>(loc);
        node->operand = std::move(left);
        node->negated = negated;
        node->subquery = std::move(sub).ValueOrDie();
        return node;
      }
      if (direct) return sub.status();
      Restore(mark);  // ((SELECT ...) + 1, ...): a list after all
    }
    Advance();
    auto node = MakeNode<ast::InListExpr>(loc);
    node->operand = std::move(left);
    node->negated = negated;
    ARROW_ASSIGN_OR_RAISE(node->list, ParseExprList());
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
    return node;
  }
  return Expected("LIKE, ILIKE, IN or BETWEEN after NOT");
}

Result<ExprPtr> Parser::ParseUnary() {
  if (IsOp("-") || IsOp("+")) {
    SHOAL_PARSE_NESTED(this);
    const Token& tok = Advance();
    auto node = MakeNode<ast::UnaryExpr>(Loc(tok));
    node->op = tok.text == "-" ? ast::UnaryOp::kMinus : ast::UnaryOp::kPlus;
    ARROW_ASSIGN_OR_RAISE(node->operand, ParseUnary());
    return node;
  }
  return ParsePostfix();
}

Result<ExprPtr> Parser::ParsePostfix() {
  ARROW_ASSIGN_OR_RAISE(auto expr, ParsePrimary());
  while (IsOp("::")) {
    Advance();
    auto node = MakeNode<ast::CastExpr>(expr->loc);
    node->operand = std::move(expr);
    node->double_colon = true;
    ARROW_ASSIGN_OR_RAISE(node->type, ParseType());
    expr = std::move(node);
  }
  return expr;
}

bool Parser::StartsQuery(size_t k) const {
  return IsKeyword("SELECT", k) || IsKeyword("WITH", k) || IsKeyword("VALUES", k);
}

Result<std::unique_ptr<ast::Query>> Parser::ParseSubqueryInParens() {
  ARROW_RETURN_NOT_OK(ExpectOp("("));
  ARROW_ASSIGN_OR_RAISE(auto query, ParseQuery());
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return query;
}

Result<std::vector<ExprPtr>> Parser::ParseExprList() {
  std::vector<ExprPtr> list;
  do {
    ARROW_ASSIGN_OR_RAISE(auto e, ParseExpr());
    list.push_back(std::move(e));
  } while (AcceptOp(","));
  return list;
}

Result<ExprPtr> Parser::ParseParenthesized() {
  const Token& open = Peek();
  bool direct = StartsQuery(1);
  if (direct || StartsParenthesizedQuery()) {
    Mark mark = Save();
    auto sub = ParseSubqueryInParens();
    if (sub.ok()) {
      auto node = MakeNode<ast::SubqueryExpr>(Loc(open));
      node->subquery = std::move(sub).ValueOrDie();
      return node;
    }
    if (direct) return sub.status();
    Restore(mark);  // ((SELECT 1) + 1): an expression starting with a subquery
  }
  Advance();
  ARROW_ASSIGN_OR_RAISE(auto expr, ParseExpr());
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return expr;
}

Result<ExprPtr> Parser::ParsePrimary() {
  const Token& tok = Peek();
  switch (tok.type) {
    case TokenType::kInteger:
    case TokenType::kDecimal: {
      Advance();
      auto node = MakeNode<ast::LiteralExpr>(Loc(tok));
      node->literal_kind = tok.type == TokenType::kInteger ? ast::LiteralKind::kInteger
                                                           : ast::LiteralKind::kDecimal;
      node->text = std::string(tok.text);
      return node;
    }
    case TokenType::kString: {
      Advance();
      auto node = MakeNode<ast::LiteralExpr>(Loc(tok));
      node->literal_kind = ast::LiteralKind::kString;
      node->text = tok.value;
      return node;
    }
    case TokenType::kParameter: {
      Advance();
      auto node = MakeNode<ast::ParameterExpr>(Loc(tok));
      if (tok.value.empty()) {
        node->index = NextQuestionParameter();
      } else {
        node->index = std::stoi(tok.value);
        if (node->index < 1) return ErrorAt(tok, "parameter numbers start at $1");
      }
      return node;
    }
    case TokenType::kOperator: {
      if (tok.text == "(") return ParseParenthesized();
      if (tok.text == "[") {
        SHOAL_PARSE_NESTED(this);
        Advance();
        auto node = MakeNode<ast::ArrayExpr>(Loc(tok));
        if (!IsOp("]")) {
          ARROW_ASSIGN_OR_RAISE(node->elements, ParseExprList());
        }
        ARROW_RETURN_NOT_OK(ExpectOp("]"));
        return node;
      }
      if (tok.text == "*") {
        Advance();
        return MakeNode<ast::StarExpr>(Loc(tok));
      }
      return Expected("expression");
    }
    case TokenType::kQuotedIdentifier:
      return ParseNameOrFunction();
    case TokenType::kEnd:
      return Expected("expression");
    case TokenType::kWord:
      break;
  }

  // Keywords that start expressions.
  if (IsKeyword("NULL") || IsKeyword("TRUE") || IsKeyword("FALSE")) {
    Advance();
    auto node = MakeNode<ast::LiteralExpr>(Loc(tok));
    if (EqualsIgnoreCase(tok.text, "NULL")) {
      node->literal_kind = ast::LiteralKind::kNull;
    } else {
      node->literal_kind = ast::LiteralKind::kBool;
      node->bool_value = EqualsIgnoreCase(tok.text, "TRUE");
    }
    return node;
  }
  if (IsKeyword("CASE")) return ParseCase();
  if ((IsKeyword("CAST") || IsKeyword("TRY_CAST")) && IsOp("(", 1)) {
    return ParseCast(IsKeyword("TRY_CAST"));
  }
  if (IsKeyword("EXISTS") && IsOp("(", 1)) {
    Advance();
    auto node = MakeNode<ast::ExistsExpr>(Loc(tok));
    ARROW_ASSIGN_OR_RAISE(node->subquery, ParseSubqueryInParens());
    return node;
  }
  if (IsKeyword("ARRAY") && IsOp("[", 1)) {
    Advance();
    ARROW_ASSIGN_OR_RAISE(auto array, ParsePrimary());
    array->loc = Loc(tok);
    return array;
  }
  if (IsKeyword("INTERVAL") &&
      (Peek(1).type == TokenType::kString || Peek(1).type == TokenType::kInteger ||
       Peek(1).type == TokenType::kDecimal)) {
    return ParseInterval();
  }
  bool handled = false;
  ARROW_ASSIGN_OR_RAISE(auto typed, ParseTypedLiteral(&handled));
  if (handled) return typed;
  for (std::string_view kw : {"CURRENT_DATE", "CURRENT_TIME", "CURRENT_TIMESTAMP", "LOCALTIME",
                              "LOCALTIMESTAMP"}) {
    if (IsKeyword(kw) && !IsOp("(", 1)) {
      Advance();
      auto node = MakeNode<ast::FunctionExpr>(Loc(tok));
      ast::Identifier id;
      id.name = ToLower(kw);
      id.loc = Loc(tok);
      node->name.parts.push_back(std::move(id));
      return node;
    }
  }
  return ParseNameOrFunction();
}

Result<ExprPtr> Parser::ParseNameOrFunction() {
  const Token& first = Peek();
  bool reserved = first.type == TokenType::kWord && IsReservedKeyword(first.text);
  if (reserved) {
    // LEFT(s, n) and RIGHT(s, n) are functions although the words are reserved.
    bool function_ok = (IsKeyword("LEFT") || IsKeyword("RIGHT")) && IsOp("(", 1);
    if (!function_ok) return Expected("expression");
  }
  if (first.type == TokenType::kWord && IsOp("(", 1)) {
    bool handled = false;
    ARROW_ASSIGN_OR_RAISE(auto special, ParseSpecialFunction(first, &handled));
    if (handled) return special;
  }
  ast::QualifiedName name;
  {
    const Token& t = Advance();
    ast::Identifier id;
    id.name = t.value;
    id.quoted = t.type == TokenType::kQuotedIdentifier;
    id.loc = Loc(t);
    name.parts.push_back(std::move(id));
  }
  while (IsOp(".")) {
    const Token& next = Peek(1);
    if (next.type == TokenType::kOperator && next.text == "*") {
      Advance();
      Advance();
      auto star = MakeNode<ast::StarExpr>(Loc(first));
      star->qualifier = std::move(name);
      return star;
    }
    if (next.type != TokenType::kWord && next.type != TokenType::kQuotedIdentifier) {
      Advance();
      return Expected("column name or '*' after '.'");
    }
    Advance();
    const Token& t = Advance();
    ast::Identifier id;
    id.name = t.value;
    id.quoted = t.type == TokenType::kQuotedIdentifier;
    id.loc = Loc(t);
    name.parts.push_back(std::move(id));
  }
  if (IsOp("(")) return ParseFunctionCall(std::move(name));
  auto node = MakeNode<ast::ColumnRefExpr>(Loc(first));
  node->name = std::move(name);
  return node;
}

}  // namespace shoal::sql
