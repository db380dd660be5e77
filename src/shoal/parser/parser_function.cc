// Function calls (incl. special syntaxes), CASE, CAST, typed literals, windows, types.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

using ast::ExprPtr;

namespace {

template <typename T>
std::unique_ptr<T> MakeNode(ast::SourceLocation loc) {
  auto node = std::make_unique<T>();
  node->loc = loc;
  return node;
}

ast::QualifiedName SimpleName(std::string name, ast::SourceLocation loc) {
  ast::QualifiedName q;
  ast::Identifier id;
  id.name = std::move(name);
  id.loc = loc;
  q.parts.push_back(std::move(id));
  return q;
}

ExprPtr StringLiteral(std::string text, ast::SourceLocation loc) {
  auto lit = MakeNode<ast::LiteralExpr>(loc);
  lit->literal_kind = ast::LiteralKind::kString;
  lit->text = std::move(text);
  return lit;
}

/// Return the canonical interval unit for `word` ("days" -> "day"), or "" if not a unit.
std::string IntervalUnit(std::string_view word) {
  static constexpr std::string_view kUnits[] = {"year",   "quarter", "month",       "week",
                                                "day",    "hour",    "minute",      "second",
                                                "millisecond", "microsecond", "decade",
                                                "century", "millennium"};
  std::string w = ToLower(word);
  for (auto u : kUnits) {
    if (w == u || (w.size() == u.size() + 1 && w.back() == 's' && w.compare(0, u.size(), u) == 0)) {
      return std::string(u);
    }
  }
  if (w == "centuries") return "century";
  if (w == "millennia") return "millennium";
  return "";
}

}  // namespace

Result<ExprPtr> Parser::ParseFunctionCall(ast::QualifiedName name) {
  SHOAL_PARSE_NESTED(this);
  auto node = MakeNode<ast::FunctionExpr>(name.loc());
  node->name = std::move(name);
  ARROW_RETURN_NOT_OK(ExpectOp("("));
  if (IsOp("*") && IsOp(")", 1)) {
    Advance();
    node->star = true;
  } else if (!IsOp(")")) {
    if (AcceptKeyword("DISTINCT")) {
      node->distinct = true;
    } else {
      AcceptKeyword("ALL");
    }
    ARROW_ASSIGN_OR_RAISE(node->args, ParseExprList());
    if (AcceptKeywords("ORDER", "BY")) {
      ARROW_ASSIGN_OR_RAISE(node->order_by, ParseOrderByList());
    }
    if (AcceptKeywords("IGNORE", "NULLS")) {
      node->ignore_nulls = true;
    } else {
      AcceptKeywords("RESPECT", "NULLS");
    }
  }
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  if (IsKeyword("WITHIN") && IsKeyword("GROUP", 1)) {
    Advance();
    Advance();
    ARROW_RETURN_NOT_OK(ExpectOp("("));
    if (!AcceptKeywords("ORDER", "BY")) return Expected("ORDER BY in WITHIN GROUP");
    if (!node->order_by.empty()) {
      return ErrorAt(Previous(), "ORDER BY given both inside the call and in WITHIN GROUP");
    }
    ARROW_ASSIGN_OR_RAISE(node->order_by, ParseOrderByList());
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
  }
  if (IsKeyword("FILTER") && IsOp("(", 1)) {
    Advance();
    Advance();
    ARROW_RETURN_NOT_OK(ExpectKeyword("WHERE"));
    ARROW_ASSIGN_OR_RAISE(node->filter, ParseExpr());
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
  }
  if (AcceptKeywords("IGNORE", "NULLS")) {
    node->ignore_nulls = true;
  } else {
    AcceptKeywords("RESPECT", "NULLS");
  }
  if (IsKeyword("OVER") && (IsOp("(", 1) || IsIdentifierToken(1))) {
    Advance();
    ARROW_ASSIGN_OR_RAISE(node->over, ParseOver());
  }
  return node;
}

Result<ExprPtr> Parser::ParseSpecialFunction(const Token& name_tok, bool* handled) {
  *handled = false;
  ast::SourceLocation loc = Loc(name_tok);
  // EXTRACT(field FROM e) -> date_part('field', e)
  if (IsKeyword("EXTRACT") && IsKeyword("FROM", 3) &&
      (Peek(2).type == TokenType::kWord || Peek(2).type == TokenType::kString)) {
    SHOAL_PARSE_NESTED(this);
    *handled = true;
    Advance();
    Advance();
    const Token& field = Advance();
    Advance();  // FROM
    auto node = MakeNode<ast::FunctionExpr>(loc);
    node->name = SimpleName("date_part", loc);
    node->args.push_back(StringLiteral(ToLower(field.value), Loc(field)));
    ARROW_ASSIGN_OR_RAISE(auto arg, ParseExpr());
    node->args.push_back(std::move(arg));
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
    return node;
  }
  bool substring = IsKeyword("SUBSTRING");
  bool position = IsKeyword("POSITION");
  bool trim = IsKeyword("TRIM");
  if (!substring && !position && !trim) return nullptr;
  SHOAL_PARSE_NESTED(this);
  *handled = true;
  Advance();
  Advance();  // (
  auto node = MakeNode<ast::FunctionExpr>(loc);
  if (substring) {
    // SUBSTRING(s FROM a [FOR b]) / SUBSTRING(s FOR b) / SUBSTRING(s, a[, b])
    node->name = SimpleName("substring", loc);
    ARROW_ASSIGN_OR_RAISE(auto s, ParseExpr());
    node->args.push_back(std::move(s));
    if (AcceptKeyword("FROM")) {
      ARROW_ASSIGN_OR_RAISE(auto from, ParseExpr());
      node->args.push_back(std::move(from));
      if (AcceptKeyword("FOR")) {
        ARROW_ASSIGN_OR_RAISE(auto len, ParseExpr());
        node->args.push_back(std::move(len));
      }
    } else if (AcceptKeyword("FOR")) {
      auto one = MakeNode<ast::LiteralExpr>(Loc(Previous()));  // at FOR
      one->literal_kind = ast::LiteralKind::kInteger;
      one->text = "1";
      node->args.push_back(std::move(one));
      ARROW_ASSIGN_OR_RAISE(auto len, ParseExpr());
      node->args.push_back(std::move(len));
    } else {
      while (AcceptOp(",")) {
        ARROW_ASSIGN_OR_RAISE(auto arg, ParseExpr());
        node->args.push_back(std::move(arg));
      }
    }
  } else if (position) {
    // POSITION(a IN b) -> strpos(b, a)
    ARROW_ASSIGN_OR_RAISE(auto needle, ParseExpr(kPrecComparison + 1));
    if (AcceptKeyword("IN")) {
      node->name = SimpleName("strpos", loc);
      ARROW_ASSIGN_OR_RAISE(auto haystack, ParseExpr());
      node->args.push_back(std::move(haystack));
      node->args.push_back(std::move(needle));
    } else {
      node->name = SimpleName("position", loc);
      node->args.push_back(std::move(needle));
      while (AcceptOp(",")) {
        ARROW_ASSIGN_OR_RAISE(auto arg, ParseExpr());
        node->args.push_back(std::move(arg));
      }
    }
  } else {
    // TRIM([BOTH|LEADING|TRAILING] [chars] FROM s) -> btrim/ltrim/rtrim(s[, chars])
    std::string fn = "trim";
    bool explicit_form = false;
    if (AcceptKeyword("BOTH")) {
      fn = "btrim";
      explicit_form = true;
    } else if (AcceptKeyword("LEADING")) {
      fn = "ltrim";
      explicit_form = true;
    } else if (AcceptKeyword("TRAILING")) {
      fn = "rtrim";
      explicit_form = true;
    }
    if (AcceptKeyword("FROM")) {
      ARROW_ASSIGN_OR_RAISE(auto s, ParseExpr());
      node->args.push_back(std::move(s));
      if (fn == "trim") fn = "btrim";
    } else {
      ARROW_ASSIGN_OR_RAISE(auto first, ParseExpr());
      if (AcceptKeyword("FROM")) {
        ARROW_ASSIGN_OR_RAISE(auto s, ParseExpr());
        node->args.push_back(std::move(s));
        node->args.push_back(std::move(first));
        if (fn == "trim") fn = "btrim";
      } else {
        node->args.push_back(std::move(first));
        if (!explicit_form) {
          while (AcceptOp(",")) {
            ARROW_ASSIGN_OR_RAISE(auto arg, ParseExpr());
            node->args.push_back(std::move(arg));
          }
        }
      }
    }
    node->name = SimpleName(fn, loc);
  }
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return node;
}

Result<ExprPtr> Parser::ParseCase() {
  SHOAL_PARSE_NESTED(this);
  const Token& tok = Advance();
  auto node = MakeNode<ast::CaseExpr>(Loc(tok));
  if (!IsKeyword("WHEN")) {
    ARROW_ASSIGN_OR_RAISE(node->operand, ParseExpr());
  }
  if (!IsKeyword("WHEN")) return Expected("WHEN");
  while (AcceptKeyword("WHEN")) {
    ARROW_ASSIGN_OR_RAISE(auto when, ParseExpr());
    ARROW_RETURN_NOT_OK(ExpectKeyword("THEN"));
    ARROW_ASSIGN_OR_RAISE(auto then, ParseExpr());
    node->when_then.emplace_back(std::move(when), std::move(then));
  }
  if (AcceptKeyword("ELSE")) {
    ARROW_ASSIGN_OR_RAISE(node->else_expr, ParseExpr());
  }
  if (!AcceptKeyword("END")) {
    return Expected(node->else_expr ? "END" : "WHEN, ELSE or END");
  }
  return node;
}

Result<ExprPtr> Parser::ParseCast(bool try_cast) {
  SHOAL_PARSE_NESTED(this);
  const Token& tok = Advance();
  Advance();  // (
  auto node = MakeNode<ast::CastExpr>(Loc(tok));
  node->try_cast = try_cast;
  ARROW_ASSIGN_OR_RAISE(node->operand, ParseExpr());
  ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
  ARROW_ASSIGN_OR_RAISE(node->type, ParseType());
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return node;
}

Result<ExprPtr> Parser::ParseTypedLiteral(bool* handled) {
  *handled = false;
  const Token& tok = Peek();
  std::string type;
  size_t string_at = 1;
  if (IsKeyword("DATE")) {
    type = "date";
  } else if (IsKeyword("TIME")) {
    type = "time";
  } else if (IsKeyword("TIMESTAMP")) {
    type = "timestamp";
    if (IsKeyword("WITH", 1) && IsKeyword("TIME", 2) && IsKeyword("ZONE", 3)) {
      type = "timestamptz";
      string_at = 4;
    } else if (IsKeyword("WITHOUT", 1) && IsKeyword("TIME", 2) && IsKeyword("ZONE", 3)) {
      string_at = 4;
    }
  } else if (IsKeyword("TIMESTAMPTZ")) {
    type = "timestamptz";
  } else {
    return nullptr;
  }
  if (Peek(string_at).type != TokenType::kString) return nullptr;
  *handled = true;
  for (size_t i = 0; i < string_at; ++i) Advance();
  const Token& str = Advance();
  auto node = MakeNode<ast::LiteralExpr>(Loc(tok));
  node->literal_kind = ast::LiteralKind::kTyped;
  node->type_name = type;
  node->text = str.value;
  return node;
}

Result<ExprPtr> Parser::ParseInterval() {
  const Token& tok = Advance();
  const Token& value = Advance();
  auto node = MakeNode<ast::LiteralExpr>(Loc(tok));
  node->literal_kind = ast::LiteralKind::kInterval;
  node->text = value.value;
  if (Peek().type == TokenType::kWord) {
    std::string unit = IntervalUnit(Peek().text);
    if (!unit.empty()) {
      Advance();
      node->unit = unit;
      if (IsKeyword("TO") && Peek(1).type == TokenType::kWord) {
        Advance();
        const Token& to = Peek();
        std::string unit_to = IntervalUnit(to.text);
        if (unit_to.empty()) return Expected("interval unit after TO");
        Advance();
        node->unit_to = unit_to;
      }
    }
  }
  if (node->unit.empty() && value.type != TokenType::kString) {
    return Expected("interval unit (YEAR, MONTH, DAY, HOUR, MINUTE, SECOND, ...)");
  }
  return node;
}

Result<std::unique_ptr<ast::WindowSpec>> Parser::ParseOver() {
  if (IsOp("(")) return ParseWindowSpecBody(CurrentLoc());
  auto spec = std::make_unique<ast::WindowSpec>();
  spec->loc = CurrentLoc();
  ARROW_ASSIGN_OR_RAISE(auto name, ParseIdentifier("window name or '('"));
  spec->name = std::move(name);
  return spec;
}

Result<std::unique_ptr<ast::WindowSpec>> Parser::ParseWindowSpecBody(ast::SourceLocation loc) {
  SHOAL_PARSE_NESTED(this);
  ARROW_RETURN_NOT_OK(ExpectOp("("));
  auto spec = std::make_unique<ast::WindowSpec>();
  spec->loc = loc;
  if (IsIdentifierToken() && !IsKeyword("PARTITION") && !IsKeyword("ROWS") &&
      !IsKeyword("RANGE") && !IsKeyword("GROUPS")) {
    ARROW_ASSIGN_OR_RAISE(auto name, ParseIdentifier());
    spec->name = std::move(name);
  }
  if (AcceptKeywords("PARTITION", "BY")) {
    ARROW_ASSIGN_OR_RAISE(spec->partition_by, ParseExprList());
  }
  if (AcceptKeywords("ORDER", "BY")) {
    ARROW_ASSIGN_OR_RAISE(spec->order_by, ParseOrderByList());
  }
  if (IsKeyword("ROWS") || IsKeyword("RANGE") || IsKeyword("GROUPS")) {
    ast::WindowFrame frame;
    frame.unit = IsKeyword("ROWS")    ? ast::FrameUnit::kRows
                 : IsKeyword("RANGE") ? ast::FrameUnit::kRange
                                      : ast::FrameUnit::kGroups;
    Advance();
    if (AcceptKeyword("BETWEEN")) {
      ARROW_ASSIGN_OR_RAISE(frame.start, ParseFrameBound());
      ARROW_RETURN_NOT_OK(ExpectKeyword("AND"));
      ARROW_ASSIGN_OR_RAISE(frame.end, ParseFrameBound());
    } else {
      ARROW_ASSIGN_OR_RAISE(frame.start, ParseFrameBound());
      frame.end.kind = ast::FrameBoundKind::kCurrentRow;
    }
    spec->frame = std::move(frame);
  }
  if (!IsOp(")")) {
    return Expected(spec->frame ? "')'" : "PARTITION BY, ORDER BY, ROWS, RANGE, GROUPS or ')'");
  }
  Advance();
  return spec;
}

Result<ast::FrameBound> Parser::ParseFrameBound() {
  ast::FrameBound bound;
  if (IsKeyword("UNBOUNDED") && (IsKeyword("PRECEDING", 1) || IsKeyword("FOLLOWING", 1))) {
    Advance();
    bound.kind = IsKeyword("PRECEDING") ? ast::FrameBoundKind::kUnboundedPreceding
                                        : ast::FrameBoundKind::kUnboundedFollowing;
    Advance();
    return bound;
  }
  if (AcceptKeywords("CURRENT", "ROW")) {
    bound.kind = ast::FrameBoundKind::kCurrentRow;
    return bound;
  }
  ARROW_ASSIGN_OR_RAISE(bound.offset, ParseExpr());
  if (AcceptKeyword("PRECEDING")) {
    bound.kind = ast::FrameBoundKind::kPreceding;
  } else if (AcceptKeyword("FOLLOWING")) {
    bound.kind = ast::FrameBoundKind::kFollowing;
  } else {
    return Expected("PRECEDING or FOLLOWING");
  }
  return bound;
}

Result<ast::TypeName> Parser::ParseType() {
  SHOAL_PARSE_NESTED(this);
  ast::TypeName type;
  type.loc = CurrentLoc();
  const Token& tok = Peek();
  if (tok.type != TokenType::kWord && tok.type != TokenType::kQuotedIdentifier) {
    return Expected("type name");
  }
  Advance();
  std::string name = ToLower(tok.value);
  if ((name == "list" || name == "array") && IsOp("<")) {
    Advance();
    type.name = "list";
    ARROW_ASSIGN_OR_RAISE(auto element, ParseType());
    type.element = std::make_unique<ast::TypeName>(std::move(element));
    ARROW_RETURN_NOT_OK(ExpectOp(">"));
  } else {
    if (name == "double" && AcceptKeyword("PRECISION")) {
      name = "double";
    } else if (name == "character" && AcceptKeyword("VARYING")) {
      name = "varchar";
    } else if (name == "character") {
      name = "char";
    }
    type.name = name;
    if (AcceptOp("(")) {
      do {
        bool negative = AcceptOp("-");
        if (Peek().type != TokenType::kInteger) return Expected("integer type parameter");
        const Token& num = Advance();
        if (num.text.size() > 18) return ErrorAt(num, "type parameter too large");
        int64_t v = std::stoll(std::string(num.text));
        type.params.push_back(negative ? -v : v);
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    }
    if ((name == "timestamp" || name == "time") && IsKeyword("TIME", 1) &&
        IsKeyword("ZONE", 2) && (IsKeyword("WITH") || IsKeyword("WITHOUT"))) {
      bool with = IsKeyword("WITH");
      Advance();
      Advance();
      Advance();
      if (with) type.name = name == "timestamp" ? "timestamptz" : "timetz";
    }
  }
  while (IsOp("[") && IsOp("]", 1)) {
    Advance();
    Advance();
    ast::TypeName list;
    list.name = "list";
    list.loc = type.loc;
    list.element = std::make_unique<ast::TypeName>(std::move(type));
    type = std::move(list);
  }
  return type;
}

}  // namespace shoal::sql
