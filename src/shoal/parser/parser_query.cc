// Queries: WITH, set operations, SELECT, VALUES, GROUP BY, ORDER BY / LIMIT.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

using ast::ExprPtr;

namespace {

/// Return `q` as the subquery of SELECT * FROM (q): used when a parenthesized query
/// that already has ORDER BY/LIMIT/WITH gets another one from outside.
std::unique_ptr<ast::Query> WrapInSelectStar(std::unique_ptr<ast::Query> q) {
  auto outer = std::make_unique<ast::Query>();
  outer->loc = q->loc;
  auto select = std::make_unique<ast::SelectNode>();
  select->loc = q->loc;
  auto star = std::make_unique<ast::StarExpr>();
  star->loc = q->loc;
  ast::SelectItem item;
  item.expr = std::move(star);
  select->select_list.push_back(std::move(item));
  auto sub = std::make_unique<ast::SubqueryRef>();
  sub->loc = q->loc;
  sub->query = std::move(q);
  select->from = std::move(sub);
  outer->body = std::move(select);
  return outer;
}

bool HasLimitOrOffset(const ast::Query& q) { return q.limit || q.offset; }

}  // namespace

Result<std::unique_ptr<ast::Query>> Parser::ParseQuery() {
  SHOAL_PARSE_NESTED(this);
  ast::SourceLocation loc = CurrentLoc();
  ast::Query with;  // holds WITH [RECURSIVE] ctes until the body is known
  if (IsKeyword("WITH")) {
    ARROW_RETURN_NOT_OK(ParseWith(&with));
  }
  ARROW_ASSIGN_OR_RAISE(auto query, ParseSetOperation(1));
  ast::Query mods;
  ARROW_RETURN_NOT_OK(ParseOrderByLimit(&mods));
  bool outer_order = !mods.order_by.empty();
  bool outer_limit = HasLimitOrOffset(mods);
  if (outer_order || outer_limit) {
    bool can_merge = (!outer_order || (query->order_by.empty() && !HasLimitOrOffset(*query))) &&
                     (!outer_limit || !HasLimitOrOffset(*query));
    if (!can_merge) query = WrapInSelectStar(std::move(query));
    if (outer_order) query->order_by = std::move(mods.order_by);
    if (mods.limit) query->limit = std::move(mods.limit);
    if (mods.offset) query->offset = std::move(mods.offset);
  }
  if (!with.ctes.empty()) {
    if (!query->ctes.empty()) query = WrapInSelectStar(std::move(query));
    query->ctes = std::move(with.ctes);
    query->recursive = with.recursive;
  }
  query->loc = loc;
  return query;
}

Status Parser::ParseWith(ast::Query* query) {
  Advance();  // WITH
  query->recursive = AcceptKeyword("RECURSIVE");
  do {
    ast::CommonTableExpr cte;
    ARROW_ASSIGN_OR_RAISE(cte.name, ParseIdentifier("common table expression name"));
    if (IsOp("(")) {
      ARROW_ASSIGN_OR_RAISE(cte.column_names, ParseIdentifierList());
    }
    ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
    if (AcceptKeyword("MATERIALIZED")) {
      cte.materialized = true;
    } else if (AcceptKeywords("NOT", "MATERIALIZED")) {
      cte.materialized = false;
    }
    if (!IsOp("(")) return Expected("'(' before the common table expression's query");
    ARROW_ASSIGN_OR_RAISE(cte.query, ParseSubqueryInParens());
    query->ctes.push_back(std::move(cte));
  } while (AcceptOp(","));
  return Status::OK();
}

Result<std::unique_ptr<ast::Query>> Parser::ParseSetOperation(int min_level) {
  ARROW_ASSIGN_OR_RAISE(auto left, ParseQueryPrimary());
  while (true) {
    int level;
    ast::SetOpKind op;
    if (IsKeyword("UNION")) {
      level = 1;
      op = ast::SetOpKind::kUnion;
    } else if (IsKeyword("EXCEPT")) {
      level = 1;
      op = ast::SetOpKind::kExcept;
    } else if (IsKeyword("INTERSECT")) {
      level = 2;
      op = ast::SetOpKind::kIntersect;
    } else {
      break;
    }
    if (level < min_level) break;
    SHOAL_PARSE_NESTED(this);
    const Token& op_tok = Advance();
    auto node = std::make_unique<ast::SetOperationNode>();
    node->loc = left->loc;
    node->op = op;
    if (AcceptKeyword("ALL")) {
      node->all = true;
    } else {
      AcceptKeyword("DISTINCT");
    }
    if (AcceptKeywords("BY", "NAME")) {
      if (op != ast::SetOpKind::kUnion) return ErrorAt(op_tok, "BY NAME is only allowed with UNION");
      node->by_name = true;
    }
    ARROW_ASSIGN_OR_RAISE(auto right, ParseSetOperation(level + 1));
    node->left = std::move(left);
    node->right = std::move(right);
    auto query = std::make_unique<ast::Query>();
    query->loc = node->loc;
    query->body = std::move(node);
    left = std::move(query);
  }
  return left;
}

Result<std::unique_ptr<ast::Query>> Parser::ParseQueryPrimary() {
  ast::SourceLocation loc = CurrentLoc();
  if (IsKeyword("SELECT")) {
    auto query = std::make_unique<ast::Query>();
    query->loc = loc;
    ARROW_ASSIGN_OR_RAISE(query->body, ParseSelect());
    return query;
  }
  if (IsKeyword("VALUES")) {
    auto query = std::make_unique<ast::Query>();
    query->loc = loc;
    ARROW_ASSIGN_OR_RAISE(query->body, ParseValues());
    return query;
  }
  if (IsOp("(")) {
    SHOAL_PARSE_NESTED(this);
    Advance();
    ARROW_ASSIGN_OR_RAISE(auto query, ParseQuery());
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
    return query;
  }
  return Expected("SELECT, VALUES or '('");
}

Result<std::vector<std::vector<ExprPtr>>> Parser::ParseValuesRows() {
  std::vector<std::vector<ExprPtr>> rows;
  do {
    const Token& open = Peek();
    ARROW_RETURN_NOT_OK(ExpectOp("("));
    ARROW_ASSIGN_OR_RAISE(auto row, ParseExprList());
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
    if (!rows.empty() && row.size() != rows.front().size()) {
      return ErrorAt(open, "VALUES rows must all have the same number of values (first row has " +
                               std::to_string(rows.front().size()) + ", this row has " +
                               std::to_string(row.size()) + ")");
    }
    rows.push_back(std::move(row));
  } while (AcceptOp(","));
  return rows;
}

Result<std::unique_ptr<ast::ValuesNode>> Parser::ParseValues() {
  auto node = std::make_unique<ast::ValuesNode>();
  node->loc = CurrentLoc();
  ARROW_RETURN_NOT_OK(ExpectKeyword("VALUES"));
  ARROW_ASSIGN_OR_RAISE(node->rows, ParseValuesRows());
  return node;
}

Result<std::unique_ptr<ast::SelectNode>> Parser::ParseSelect() {
  auto node = std::make_unique<ast::SelectNode>();
  node->loc = CurrentLoc();
  ARROW_RETURN_NOT_OK(ExpectKeyword("SELECT"));
  if (AcceptKeyword("DISTINCT")) {
    node->distinct = true;
    if (AcceptKeyword("ON")) {
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      ARROW_ASSIGN_OR_RAISE(node->distinct_on, ParseExprList());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    }
  } else {
    AcceptKeyword("ALL");
  }
  do {
    ARROW_ASSIGN_OR_RAISE(auto item, ParseSelectItem());
    node->select_list.push_back(std::move(item));
  } while (AcceptOp(","));
  if (AcceptKeyword("FROM")) {
    ARROW_ASSIGN_OR_RAISE(node->from, ParseFrom());
  }
  if (AcceptKeyword("WHERE")) {
    ARROW_ASSIGN_OR_RAISE(node->where, ParseExpr());
  }
  if (AcceptKeywords("GROUP", "BY")) {
    ARROW_ASSIGN_OR_RAISE(node->group_by, ParseGroupBy());
  }
  if (AcceptKeyword("HAVING")) {
    ARROW_ASSIGN_OR_RAISE(node->having, ParseExpr());
  }
  if (AcceptKeyword("WINDOW")) {
    do {
      ast::NamedWindow window;
      ARROW_ASSIGN_OR_RAISE(window.name, ParseIdentifier("window name"));
      ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
      ARROW_ASSIGN_OR_RAISE(window.spec, ParseWindowSpecBody(CurrentLoc()));
      node->windows.push_back(std::move(window));
    } while (AcceptOp(","));
  }
  if (AcceptKeyword("QUALIFY")) {
    ARROW_ASSIGN_OR_RAISE(node->qualify, ParseExpr());
  }
  return node;
}

Result<ast::SelectItem> Parser::ParseSelectItem() {
  ast::SelectItem item;
  if (IsKeyword("FROM") || AtEnd()) return Expected("select list item");
  ARROW_ASSIGN_OR_RAISE(item.expr, ParseExpr());
  if (item.expr->kind == ast::ExprKind::kStar && AcceptKeyword("EXCLUDE")) {
    auto* star = static_cast<ast::StarExpr*>(item.expr.get());
    if (IsOp("(")) {
      ARROW_ASSIGN_OR_RAISE(star->exclude, ParseIdentifierList());
    } else {
      ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("column name"));
      star->exclude.push_back(std::move(id));
    }
  }
  if (AcceptKeyword("AS")) {
    if (Peek().type == TokenType::kString) {
      const Token& t = Advance();
      ast::Identifier id;
      id.name = t.value;
      id.quoted = true;
      id.loc = Loc(t);
      item.alias = std::move(id);
    } else {
      ARROW_ASSIGN_OR_RAISE(item.alias, ParseIdentifier("alias"));
    }
  } else if (IsIdentifierToken()) {
    ARROW_ASSIGN_OR_RAISE(item.alias, ParseIdentifier("alias"));
  }
  return item;
}

Result<std::vector<ast::GroupingElement>> Parser::ParseGroupBy() {
  std::vector<ast::GroupingElement> out;
  if (IsKeyword("ALL")) {
    ast::GroupingElement all;
    all.kind = ast::GroupingKind::kAll;
    all.loc = CurrentLoc();
    Advance();
    out.push_back(std::move(all));
    return out;
  }
  do {
    ast::GroupingElement element;
    element.loc = CurrentLoc();
    if (IsKeyword("GROUPING") && IsKeyword("SETS", 1)) {
      Advance();
      Advance();
      element.kind = ast::GroupingKind::kGroupingSets;
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      do {
        std::vector<ExprPtr> set;
        if (IsOp("(") && !StartsParenthesizedQuery()) {
          Advance();
          if (!IsOp(")")) {
            ARROW_ASSIGN_OR_RAISE(set, ParseExprList());
          }
          ARROW_RETURN_NOT_OK(ExpectOp(")"));
        } else {
          ARROW_ASSIGN_OR_RAISE(auto e, ParseExpr());
          set.push_back(std::move(e));
        }
        element.sets.push_back(std::move(set));
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    } else if ((IsKeyword("ROLLUP") || IsKeyword("CUBE")) && IsOp("(", 1)) {
      element.kind = IsKeyword("ROLLUP") ? ast::GroupingKind::kRollup : ast::GroupingKind::kCube;
      Advance();
      Advance();
      ARROW_ASSIGN_OR_RAISE(element.exprs, ParseExprList());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    } else if (IsOp("(") && IsOp(")", 1)) {
      Advance();
      Advance();
      element.kind = ast::GroupingKind::kGroupingSets;
      element.sets.emplace_back();
    } else {
      ARROW_ASSIGN_OR_RAISE(auto e, ParseExpr());
      element.exprs.push_back(std::move(e));
    }
    out.push_back(std::move(element));
  } while (AcceptOp(","));
  return out;
}

Result<std::vector<ast::OrderByItem>> Parser::ParseOrderByList() {
  std::vector<ast::OrderByItem> items;
  do {
    ast::OrderByItem item;
    ARROW_ASSIGN_OR_RAISE(item.expr, ParseExpr());
    if (AcceptKeyword("DESC")) {
      item.ascending = false;
    } else {
      AcceptKeyword("ASC");
    }
    if (IsKeyword("NULLS")) {
      Advance();
      if (AcceptKeyword("FIRST")) {
        item.nulls_first = true;
      } else if (AcceptKeyword("LAST")) {
        item.nulls_first = false;
      } else {
        return Expected("FIRST or LAST after NULLS");
      }
    }
    items.push_back(std::move(item));
  } while (AcceptOp(","));
  return items;
}

Status Parser::ParseOrderByLimit(ast::Query* query) {
  if (AcceptKeywords("ORDER", "BY")) {
    ARROW_ASSIGN_OR_RAISE(query->order_by, ParseOrderByList());
  }
  bool seen_limit = false, seen_offset = false;
  while (true) {
    const Token& tok = Peek();
    if (IsKeyword("LIMIT") || IsKeyword("FETCH")) {
      if (seen_limit) return ErrorAt(tok, "LIMIT given more than once");
      seen_limit = true;
      Advance();
      if (EqualsIgnoreCase(tok.text, "LIMIT")) {
        if (!AcceptKeyword("ALL")) {
          ARROW_ASSIGN_OR_RAISE(query->limit, ParseExpr());
        }
      } else {
        // FETCH FIRST|NEXT [n] ROW|ROWS ONLY
        if (!AcceptKeyword("FIRST") && !AcceptKeyword("NEXT")) return Expected("FIRST or NEXT");
        if (IsKeyword("ROW") || IsKeyword("ROWS")) {
          auto one = std::make_unique<ast::LiteralExpr>();
          one->loc = CurrentLoc();
          one->literal_kind = ast::LiteralKind::kInteger;
          one->text = "1";
          query->limit = std::move(one);
        } else {
          ARROW_ASSIGN_OR_RAISE(query->limit, ParseExpr());
        }
        if (!AcceptKeyword("ROW") && !AcceptKeyword("ROWS")) return Expected("ROW or ROWS");
        ARROW_RETURN_NOT_OK(ExpectKeyword("ONLY"));
      }
    } else if (IsKeyword("OFFSET")) {
      if (seen_offset) return ErrorAt(tok, "OFFSET given more than once");
      seen_offset = true;
      Advance();
      ARROW_ASSIGN_OR_RAISE(query->offset, ParseExpr());
      if (!AcceptKeyword("ROWS")) AcceptKeyword("ROW");
    } else {
      break;
    }
  }
  return Status::OK();
}

}  // namespace shoal::sql
