// The FROM clause: table references, joins, subqueries, table functions, VALUES.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

namespace {

/// Return true if `q` is a bare VALUES list (no WITH, ORDER BY or LIMIT).
bool IsPlainValues(const ast::Query& q) {
  return q.body && q.body->kind == ast::QueryNodeKind::kValues && q.ctes.empty() &&
         q.order_by.empty() && !q.limit && !q.offset;
}

}  // namespace

Result<ast::TableRefPtr> Parser::ParseFrom() {
  ARROW_ASSIGN_OR_RAISE(auto left, ParseJoinTree());
  while (AcceptOp(",")) {
    ARROW_ASSIGN_OR_RAISE(auto right, ParseJoinTree());
    auto join = std::make_unique<ast::JoinRef>();
    join->loc = left->loc;
    join->join_type = ast::JoinType::kCross;
    join->left = std::move(left);
    join->right = std::move(right);
    left = std::move(join);
  }
  return left;
}

Result<ast::TableRefPtr> Parser::ParseJoinTree() {
  SHOAL_PARSE_NESTED(this);
  ARROW_ASSIGN_OR_RAISE(auto left, ParseTablePrimary());
  while (true) {
    const Token& start = Peek();
    bool natural = AcceptKeyword("NATURAL");
    ast::JoinType type;
    bool found = true;
    if (AcceptKeyword("JOIN")) {
      type = ast::JoinType::kInner;
    } else if (AcceptKeywords("INNER", "JOIN")) {
      type = ast::JoinType::kInner;
    } else if (AcceptKeywords("CROSS", "JOIN")) {
      type = ast::JoinType::kCross;
    } else if (AcceptKeywords("SEMI", "JOIN")) {
      type = ast::JoinType::kSemi;
    } else if (AcceptKeywords("ANTI", "JOIN")) {
      type = ast::JoinType::kAnti;
    } else if (IsKeyword("LEFT") || IsKeyword("RIGHT") || IsKeyword("FULL")) {
      type = IsKeyword("LEFT")    ? ast::JoinType::kLeft
             : IsKeyword("RIGHT") ? ast::JoinType::kRight
                                  : ast::JoinType::kFull;
      Advance();
      if (type == ast::JoinType::kLeft && AcceptKeyword("SEMI")) {
        type = ast::JoinType::kSemi;
      } else if (type == ast::JoinType::kLeft && AcceptKeyword("ANTI")) {
        type = ast::JoinType::kAnti;
      } else {
        AcceptKeyword("OUTER");
      }
      ARROW_RETURN_NOT_OK(ExpectKeyword("JOIN"));
    } else {
      found = false;
    }
    if (!found) {
      if (natural) return Expected("JOIN after NATURAL");
      break;
    }
    if (natural && type == ast::JoinType::kCross) {
      return ErrorAt(start, "NATURAL CROSS JOIN is not valid");
    }
    ARROW_ASSIGN_OR_RAISE(auto right, ParseTablePrimary());
    auto join = std::make_unique<ast::JoinRef>();
    join->loc = left->loc;
    join->join_type = type;
    join->natural = natural;
    join->left = std::move(left);
    join->right = std::move(right);
    if (type != ast::JoinType::kCross && !natural) {
      if (AcceptKeyword("ON")) {
        ARROW_ASSIGN_OR_RAISE(join->condition, ParseExpr());
      } else if (AcceptKeyword("USING")) {
        ARROW_ASSIGN_OR_RAISE(join->using_columns, ParseIdentifierList());
      } else {
        return Expected("ON or USING");
      }
    }
    left = std::move(join);
  }
  return left;
}

Result<ast::TableRefPtr> Parser::ParseTablePrimary() {
  SHOAL_PARSE_NESTED(this);
  const Token& start = Peek();
  ast::SourceLocation loc = Loc(start);
  bool lateral = AcceptKeyword("LATERAL");
  ast::TableRefPtr ref;
  if (IsOp("(")) {
    bool done = false;
    bool direct = StartsQuery(1);
    if (direct || StartsParenthesizedQuery()) {
      Mark mark = Save();
      auto sub = ParseSubqueryInParens();
      if (sub.ok()) {
        auto query = std::move(sub).ValueOrDie();
        if (IsPlainValues(*query) && !lateral) {
          auto values = std::make_unique<ast::ValuesRef>();
          values->rows = std::move(static_cast<ast::ValuesNode*>(query->body.get())->rows);
          ref = std::move(values);
        } else {
          auto subref = std::make_unique<ast::SubqueryRef>();
          subref->query = std::move(query);
          subref->lateral = lateral;
          ref = std::move(subref);
        }
        done = true;
      } else if (direct) {
        return sub.status();
      } else {
        Restore(mark);  // ((SELECT ...) AS s JOIN t ON ...): a parenthesized join
      }
    }
    if (!done) {
      if (lateral) return ErrorAt(start, "LATERAL must be followed by a subquery or table function");
      Advance();
      ARROW_ASSIGN_OR_RAISE(ref, ParseFrom());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
      if (ref->alias.has_value() && (IsKeyword("AS") || IsIdentifierToken())) {
        return ErrorAt(Peek(), "a parenthesized table reference that has an alias cannot get another one");
      }
    }
  } else if (Peek().type == TokenType::kString) {
    if (lateral) return ErrorAt(start, "LATERAL must be followed by a subquery or table function");
    const Token& t = Advance();
    auto base = std::make_unique<ast::BaseTableRef>();
    base->is_path = true;
    base->path = t.value;  // `name` stays empty
    ref = std::move(base);
  } else if (IsKeyword("VALUES")) {
    if (lateral) return ErrorAt(start, "LATERAL must be followed by a subquery or table function");
    Advance();
    auto values = std::make_unique<ast::ValuesRef>();
    ARROW_ASSIGN_OR_RAISE(values->rows, ParseValuesRows());
    ref = std::move(values);
  } else if (IsIdentifierToken()) {
    ARROW_ASSIGN_OR_RAISE(auto name, ParseQualifiedName("table name"));
    if (IsOp("(")) {
      auto fn = std::make_unique<ast::TableFunctionRef>();
      fn->name = std::move(name);
      fn->lateral = lateral;
      Advance();
      if (!IsOp(")")) {
        ARROW_ASSIGN_OR_RAISE(fn->args, ParseExprList());
      }
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
      ref = std::move(fn);
    } else {
      if (lateral) {
        return ErrorAt(start, "LATERAL must be followed by a subquery or table function");
      }
      auto base = std::make_unique<ast::BaseTableRef>();
      base->name = std::move(name);
      ref = std::move(base);
    }
  } else {
    return Expected("table name, subquery or table function");
  }
  if (ref->kind == ast::TableRefKind::kBaseTable &&
      (IsKeyword("VERSION") || IsKeyword("TIMESTAMP")) && IsKeyword("AS", 1) &&
      IsKeyword("OF", 2)) {
    ast::TimeTravel tt;
    tt.kind = IsKeyword("VERSION") ? ast::TimeTravel::kVersion : ast::TimeTravel::kTimestamp;
    Advance();
    Advance();
    Advance();
    ARROW_ASSIGN_OR_RAISE(tt.value, ParseExpr());
    static_cast<ast::BaseTableRef*>(ref.get())->time_travel = std::move(tt);
  }
  if (!ref->loc.known()) ref->loc = loc;
  ARROW_RETURN_NOT_OK(ParseTableAlias(ref.get()));
  return ref;
}

Status Parser::ParseTableAlias(ast::TableRef* ref) {
  if (AcceptKeyword("AS")) {
    ARROW_ASSIGN_OR_RAISE(ref->alias, ParseIdentifier("alias"));
  } else if (IsIdentifierToken()) {
    ARROW_ASSIGN_OR_RAISE(ref->alias, ParseIdentifier("alias"));
  } else {
    return Status::OK();
  }
  if (IsOp("(")) {
    ARROW_ASSIGN_OR_RAISE(ref->column_aliases, ParseIdentifierList());
  }
  return Status::OK();
}

}  // namespace shoal::sql
