// Binding of scalar expressions: column references, operators, CASE, CAST,
// BETWEEN, IN, IS ..., LIKE, arrays and subqueries. Function calls are in
// bind_function.cc, literals in bind_literal.cc.
#include <algorithm>

#include <arrow/builder.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

struct DepthGuard {
  explicit DepthGuard(int* d) : depth(d) { ++*depth; }
  ~DepthGuard() { --*depth; }
  int* depth;
};

const char* BinaryOpName(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kAdd: return "+";
    case ast::BinaryOp::kSub: return "-";
    case ast::BinaryOp::kMul: return "*";
    case ast::BinaryOp::kDiv: return "/";
    case ast::BinaryOp::kMod: return "%";
    case ast::BinaryOp::kConcat: return "||";
    case ast::BinaryOp::kEq: return "=";
    case ast::BinaryOp::kNotEq: return "<>";
    case ast::BinaryOp::kLt: return "<";
    case ast::BinaryOp::kLtEq: return "<=";
    case ast::BinaryOp::kGt: return ">";
    case ast::BinaryOp::kGtEq: return ">=";
    case ast::BinaryOp::kAnd: return "and";
    case ast::BinaryOp::kOr: return "or";
  }
  return "?";
}

const char* BinaryOpDisplay(ast::BinaryOp op) {
  if (op == ast::BinaryOp::kAnd) return "AND";
  if (op == ast::BinaryOp::kOr) return "OR";
  return BinaryOpName(op);
}

bool IsComparison(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kEq:
    case ast::BinaryOp::kNotEq:
    case ast::BinaryOp::kLt:
    case ast::BinaryOp::kLtEq:
    case ast::BinaryOp::kGt:
    case ast::BinaryOp::kGtEq:
      return true;
    default:
      return false;
  }
}

/// Arrow comparison function name for a SQL comparison (for quantified subqueries).
const char* ArrowComparison(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kEq: return "equal";
    case ast::BinaryOp::kNotEq: return "not_equal";
    case ast::BinaryOp::kLt: return "less";
    case ast::BinaryOp::kLtEq: return "less_equal";
    case ast::BinaryOp::kGt: return "greater";
    case ast::BinaryOp::kGtEq: return "greater_equal";
    default: return "equal";
  }
}

bool MatchesName(const std::string& have, const std::string& want, bool relaxed) {
  return relaxed ? EqualsIgnoreCase(have, want) : have == want;
}

/// Return true when `qualifier` (folded parts) names the table of `col`.
bool MatchesQualifier(const ScopeColumn& col, const std::vector<std::string>& qualifier,
                      bool relaxed) {
  if (qualifier.empty()) return true;
  const auto& path = col.qualifier_path;
  if (qualifier.size() > path.size()) return false;
  size_t off = path.size() - qualifier.size();
  for (size_t i = 0; i < qualifier.size(); ++i) {
    if (!MatchesName(path[off + i], qualifier[i], relaxed)) return false;
  }
  return true;
}

std::vector<const ScopeColumn*> FindColumns(const Scope& scope,
                                            const std::vector<std::string>& qualifier,
                                            const std::string& name, bool relaxed) {
  std::vector<const ScopeColumn*> out;
  for (const auto& col : scope.columns) {
    if (qualifier.empty() && col.hidden_unqualified) continue;
    if (!MatchesName(col.name, name, relaxed)) continue;
    if (!MatchesQualifier(col, qualifier, relaxed)) continue;
    bool dup = false;
    for (const auto* c : out) dup = dup || c->id == col.id;
    if (!dup) out.push_back(&col);
  }
  return out;
}

std::string QualifiedDisplay(const ScopeColumn& col) {
  return col.qualifier.empty() ? col.name : col.qualifier + "." + col.name;
}

}  // namespace

Result<ExprPtr> QueryBinder::BindColumnRef(const ast::ColumnRefExpr& ref, ExprContext& ctx) {
  const auto& parts = ref.name.parts;
  if (parts.empty()) return Error(ref.loc, "empty column reference");
  std::vector<std::string> qualifier;
  std::vector<bool> qualifier_quoted;
  for (size_t i = 0; i + 1 < parts.size(); ++i) qualifier.push_back(Fold(parts[i]));
  const ast::Identifier& ident = parts.back();
  std::string name = Fold(ident);
  bool any_quoted = false;
  for (const auto& p : parts) any_quoted = any_quoted || p.quoted;
  bool can_relax = state_->fold_identifiers && !any_quoted;

  std::string written;
  for (size_t i = 0; i < parts.size(); ++i) written += (i ? "." : "") + parts[i].name;

  for (const Scope* scope = ctx.scope; scope; scope = scope->outer) {
    for (int pass = 0; pass < 2; ++pass) {
      bool relaxed = pass == 1;
      if (relaxed && !can_relax) break;
      auto found = FindColumns(*scope, qualifier, name, relaxed);
      if (found.empty()) continue;
      if (found.size() > 1) {
        std::vector<std::string> options;
        for (const auto* c : found) options.push_back(QualifiedDisplay(*c));
        return Error(ref.loc, "column reference '" + written + "' is ambiguous; it could be " +
                                  JoinQuoted(options, " or "));
      }
      const ScopeColumn& col = *found[0];
      return plan::MakeColumnRef(col.id, col.name, col.type, col.nullable);
    }
    if (scope == ctx.scope && ctx.select_aliases && qualifier.empty()) {
      for (const auto& [alias, expr] : *ctx.select_aliases) {
        if (alias == name || (can_relax && EqualsIgnoreCase(alias, name))) return expr;
      }
    }
  }

  // Not found: explain with the closest names of the innermost scope.
  std::vector<std::string> candidates;
  bool qualifier_known = qualifier.empty();
  if (ctx.scope) {
    for (const auto& col : ctx.scope->columns) {
      if (!qualifier.empty()) {
        if (!MatchesQualifier(col, qualifier, can_relax)) continue;
        qualifier_known = true;
      }
      candidates.push_back(col.name);
    }
  }
  if (!qualifier_known) {
    std::vector<std::string> tables;
    if (ctx.scope) {
      for (const auto& col : ctx.scope->columns) {
        if (!col.qualifier.empty() &&
            std::find(tables.begin(), tables.end(), col.qualifier) == tables.end()) {
          tables.push_back(col.qualifier);
        }
      }
    }
    std::string qual;
    for (size_t i = 0; i + 1 < parts.size(); ++i) qual += (i ? "." : "") + parts[i].name;
    std::string msg = "table '" + qual + "' not found in FROM clause (referenced by '" +
                      written + "')";
    auto close = ClosestMatches(qual, tables);
    if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
    return Error(ref.loc, msg);
  }
  std::string msg = "column '" + written + "' not found";
  auto close = ClosestMatches(ident.name, candidates);
  if (!close.empty()) {
    msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
  } else if (!ctx.scope || ctx.scope->columns.empty()) {
    msg += " (the query has no FROM clause here)";
  }
  return Error(ref.loc, msg);
}

Result<std::vector<plan::SortKey>> QueryBinder::BindSortKeys(
    const std::vector<ast::OrderByItem>& items, ExprContext& ctx) {
  std::vector<plan::SortKey> keys;
  for (const auto& item : items) {
    if (!item.expr) return Status::Invalid("malformed ORDER BY item");
    ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(item.expr.get(), ctx));
    plan::SortKey key;
    key.expr = std::move(e);
    key.ascending = item.ascending;
    key.nulls_first = item.nulls_first.value_or(!item.ascending);
    keys.push_back(std::move(key));
  }
  return keys;
}

Result<ExprPtr> QueryBinder::BindCase(const ast::CaseExpr& c, ExprContext& ctx) {
  const ast::Expr* what = &c;
  if (c.when_then.empty()) return Error(c.loc, "CASE needs at least one WHEN");
  ExprPtr operand;
  if (c.operand) {
    ARROW_ASSIGN_OR_RAISE(operand, BindExpr(c.operand.get(), ctx));
  }
  std::vector<ExprPtr> conditions, results;
  for (const auto& [w, t] : c.when_then) {
    if (!w || !t) return Error(c.loc, "malformed CASE expression");
    ARROW_ASSIGN_OR_RAISE(auto cond, BindExpr(w.get(), ctx));
    if (operand) {
      ARROW_ASSIGN_OR_RAISE(cond, MakeCall("=", {operand, cond}, "=", w->loc, what));
    } else if (cond->type->id() == arrow::Type::NA) {
      cond = CastTo(cond, arrow::boolean());
    } else if (cond->type->id() != arrow::Type::BOOL) {
      return Error(w->loc, "CASE WHEN condition must be boolean, not " +
                               TypeToSql(cond->type) + " in '" + ExpressionDisplayName(*what) + "'");
    }
    ARROW_ASSIGN_OR_RAISE(auto res, BindExpr(t.get(), ctx));
    conditions.push_back(std::move(cond));
    results.push_back(std::move(res));
  }
  ExprPtr else_expr;
  if (c.else_expr) {
    ARROW_ASSIGN_OR_RAISE(else_expr, BindExpr(c.else_expr.get(), ctx));
  }
  std::vector<DataTypePtr> types;
  for (const auto& r : results) types.push_back(r->type);
  if (else_expr) types.push_back(else_expr->type);
  ARROW_ASSIGN_OR_RAISE(auto type, CommonTypeOf(types, c.loc, "'" + ExpressionDisplayName(*what) + "'"));
  bool nullable = !else_expr || else_expr->nullable;
  std::vector<std::pair<ExprPtr, ExprPtr>> when_then;
  for (size_t i = 0; i < conditions.size(); ++i) {
    nullable = nullable || results[i]->nullable;
    when_then.emplace_back(conditions[i], CastTo(results[i], type));
  }
  else_expr = else_expr ? CastTo(else_expr, type) : plan::MakeNullLiteral(type);
  auto out = std::make_shared<plan::CaseExpr>(std::move(when_then), else_expr, type);
  out->nullable = nullable;
  return out;
}

Result<ExprPtr> QueryBinder::BindSubqueryExpr(const ast::Expr& expr, ExprContext& ctx) {
  const ast::Query* query = nullptr;
  const ast::Expr* operand_ast = nullptr;
  switch (expr.kind) {
    case ast::ExprKind::kSubquery:
      query = static_cast<const ast::SubqueryExpr&>(expr).subquery.get();
      break;
    case ast::ExprKind::kExists:
      query = static_cast<const ast::ExistsExpr&>(expr).subquery.get();
      break;
    case ast::ExprKind::kInSubquery: {
      const auto& e = static_cast<const ast::InSubqueryExpr&>(expr);
      query = e.subquery.get();
      operand_ast = e.operand.get();
      if (!operand_ast) return Error(expr.loc, "malformed IN expression");
      break;
    }
    case ast::ExprKind::kQuantified: {
      const auto& e = static_cast<const ast::QuantifiedExpr&>(expr);
      query = e.subquery.get();
      operand_ast = e.operand.get();
      if (!operand_ast) return Error(expr.loc, "malformed ANY/ALL expression");
      break;
    }
    default:
      return Status::Invalid("internal error: not a subquery expression");
  }
  if (!query) return Error(expr.loc, "malformed subquery");
  const ast::Expr* what = &expr;

  ExprPtr operand;
  if (operand_ast) {
    ARROW_ASSIGN_OR_RAISE(operand, BindExpr(operand_ast, ctx));
  }
  QueryBinder sub(state_, sql_, ctes_, ctx.scope);
  ARROW_ASSIGN_OR_RAISE(auto plan, sub.BindQuery(*query));

  std::shared_ptr<plan::SubqueryExpr> out;
  if (expr.kind == ast::ExprKind::kExists) {
    out = std::make_shared<plan::SubqueryExpr>(plan::SubqueryKind::kExists, plan,
                                               arrow::boolean());
    out->negated = static_cast<const ast::ExistsExpr&>(expr).negated;
    out->nullable = false;
  } else {
    if (plan->output.size() != 1) {
      return Error(query->loc.known() ? query->loc : expr.loc,
                   "subquery must return exactly one column, but returns " +
                       std::to_string(plan->output.size()) + " in '" + ExpressionDisplayName(*what) + "'");
    }
    if (expr.kind == ast::ExprKind::kSubquery) {
      out = std::make_shared<plan::SubqueryExpr>(plan::SubqueryKind::kScalar, plan,
                                                 plan->output[0].type);
    } else {
      const OutputColumn& col = plan->output[0];
      ARROW_ASSIGN_OR_RAISE(auto type,
                            CommonTypeOf({operand->type, col.type}, expr.loc, "'" + ExpressionDisplayName(*what) + "'"));
      operand = CastTo(operand, type);
      if (!col.type->Equals(*type)) {
        plan = MakeProjection(state_, plan, {CastTo(RefTo(col), type)}, {col.name});
      }
      if (expr.kind == ast::ExprKind::kInSubquery) {
        out = std::make_shared<plan::SubqueryExpr>(plan::SubqueryKind::kIn, plan,
                                                   arrow::boolean());
        out->negated = static_cast<const ast::InSubqueryExpr&>(expr).negated;
      } else {
        const auto& q = static_cast<const ast::QuantifiedExpr&>(expr);
        if (!IsComparison(q.op)) {
          return Error(expr.loc, "ANY/ALL needs a comparison operator");
        }
        out = std::make_shared<plan::SubqueryExpr>(plan::SubqueryKind::kQuantified, plan,
                                                   arrow::boolean());
        out->comparison = ArrowComparison(q.op);
        out->all = q.all;
      }
      out->operand = operand;
    }
  }
  out->correlated_columns = OuterReferences(out->plan);
  return out;
}

Result<ExprPtr> QueryBinder::BindExpr(const ast::Expr* expr, ExprContext& ctx) {
  if (!expr) return Status::Invalid("malformed expression (missing operand)");
  DepthGuard guard(&ctx.depth);
  if (ctx.depth > kMaxExprDepth) {
    return Error(expr->loc, "expression is nested too deeply (more than " +
                                std::to_string(kMaxExprDepth) + " levels)");
  }
  switch (expr->kind) {
    case ast::ExprKind::kColumnRef:
      return BindColumnRef(static_cast<const ast::ColumnRefExpr&>(*expr), ctx);
    case ast::ExprKind::kStar:
      return Error(expr->loc, "* is only allowed in a SELECT list or in count(*)");
    case ast::ExprKind::kLiteral:
      return BindLiteral(static_cast<const ast::LiteralExpr&>(*expr));
    case ast::ExprKind::kParameter:
      return Error(expr->loc, "query parameters ($n / ?) are not supported");
    case ast::ExprKind::kFunction:
      return BindFunction(static_cast<const ast::FunctionExpr&>(*expr), ctx);
    case ast::ExprKind::kUnary: {
      const auto& u = static_cast<const ast::UnaryExpr&>(*expr);
      if (!u.operand) return Error(expr->loc, "malformed unary expression");
      const ast::Expr* what = expr;
      if (u.op == ast::UnaryOp::kMinus && u.operand->kind == ast::ExprKind::kLiteral) {
        const auto& lit = static_cast<const ast::LiteralExpr&>(*u.operand);
        if ((lit.literal_kind == ast::LiteralKind::kInteger ||
             lit.literal_kind == ast::LiteralKind::kDecimal) &&
            !lit.text.empty() && lit.text[0] != '-') {
          ast::LiteralExpr neg;
          neg.literal_kind = lit.literal_kind;
          neg.text = "-" + lit.text;
          neg.loc = expr->loc;
          return BindLiteral(neg);
        }
      }
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(u.operand.get(), ctx));
      switch (u.op) {
        case ast::UnaryOp::kNot:
          return MakeCall("not", {operand}, "NOT", expr->loc, what);
        case ast::UnaryOp::kMinus:
          return MakeCall("negate", {operand}, "negate", expr->loc, what);
        case ast::UnaryOp::kPlus:
          if (!arrow::is_numeric(operand->type->id()) &&
              !arrow::is_decimal(operand->type->id()) &&
              operand->type->id() != arrow::Type::NA) {
            return Error(expr->loc, "unary + needs a number, not " + TypeToSql(operand->type) +
                                        " in '" + ExpressionDisplayName(*what) + "'");
          }
          return operand;
      }
      return Status::Invalid("unknown unary operator");
    }
    case ast::ExprKind::kBinary: {
      const auto& b = static_cast<const ast::BinaryExpr&>(*expr);
      if (!b.left || !b.right) return Error(expr->loc, "malformed binary expression");
      if (b.op == ast::BinaryOp::kAnd || b.op == ast::BinaryOp::kOr) {
        // Walk long AND/OR chains iteratively so "a OR b OR ... " with thousands
        // of terms does not hit the nesting limit.
        std::vector<const ast::Expr*> terms;
        const ast::Expr* cur = expr;
        while (cur && cur->kind == ast::ExprKind::kBinary &&
               static_cast<const ast::BinaryExpr*>(cur)->op == b.op) {
          const auto* bin = static_cast<const ast::BinaryExpr*>(cur);
          if (!bin->left || !bin->right) return Error(cur->loc, "malformed binary expression");
          terms.push_back(bin->right.get());
          cur = bin->left.get();
        }
        terms.push_back(cur);
        std::reverse(terms.begin(), terms.end());
        ExprPtr result;
        for (const ast::Expr* term : terms) {
          ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(term, ctx));
          if (!result) {
            result = std::move(e);
            continue;
          }
          ARROW_ASSIGN_OR_RAISE(result, MakeCall(BinaryOpName(b.op), {result, e},
                                                 BinaryOpDisplay(b.op), term->loc, expr));
        }
        return result;
      }
      ARROW_ASSIGN_OR_RAISE(auto left, BindExpr(b.left.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto right, BindExpr(b.right.get(), ctx));
      const ast::Expr* what = expr;
      return MakeCall(BinaryOpName(b.op), {left, right}, BinaryOpDisplay(b.op),
                      b.loc.known() ? b.loc : b.left->loc, what);
    }
    case ast::ExprKind::kCast: {
      const auto& c = static_cast<const ast::CastExpr&>(*expr);
      if (!c.operand) return Error(expr->loc, "malformed CAST");
      ARROW_ASSIGN_OR_RAISE(auto type, BindType(c.type));
      // String literals cast to INTERVAL are parsed here (Arrow cannot cast them).
      if (type->id() == arrow::Type::INTERVAL_MONTH_DAY_NANO &&
          c.operand->kind == ast::ExprKind::kLiteral) {
        const auto& lit = static_cast<const ast::LiteralExpr&>(*c.operand);
        if (lit.literal_kind == ast::LiteralKind::kString) {
          auto parsed = ParseIntervalLiteral(lit.text, "", "");
          if (!parsed.ok()) return Error(c.operand->loc, parsed.status().message());
          return plan::MakeLiteral(*parsed);
        }
      }
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(c.operand.get(), ctx));
      auto cast = std::make_shared<plan::CastExpr>(operand, type, c.try_cast);
      cast->nullable = operand->nullable || c.try_cast;
      return cast;
    }
    case ast::ExprKind::kCase:
      return BindCase(static_cast<const ast::CaseExpr&>(*expr), ctx);
    case ast::ExprKind::kBetween: {
      const auto& b = static_cast<const ast::BetweenExpr&>(*expr);
      if (!b.operand || !b.low || !b.high) return Error(expr->loc, "malformed BETWEEN");
      const ast::Expr* what = expr;
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(b.operand.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto low, BindExpr(b.low.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto high, BindExpr(b.high.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto ge, MakeCall(">=", {operand, low}, ">=", expr->loc, what));
      ARROW_ASSIGN_OR_RAISE(auto le, MakeCall("<=", {operand, high}, "<=", expr->loc, what));
      ARROW_ASSIGN_OR_RAISE(auto both, MakeCall("and", {ge, le}, "AND", expr->loc, what));
      if (!b.negated) return both;
      return MakeCall("not", {both}, "NOT", expr->loc, what);
    }
    case ast::ExprKind::kInList: {
      const auto& in = static_cast<const ast::InListExpr&>(*expr);
      if (!in.operand) return Error(expr->loc, "malformed IN list");
      if (in.list.empty()) return Error(expr->loc, "IN list must not be empty");
      const ast::Expr* what = expr;
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(in.operand.get(), ctx));
      std::vector<ExprPtr> items;
      bool all_literal = true;
      for (const auto& item : in.list) {
        ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(item.get(), ctx));
        all_literal = all_literal && e->kind == plan::ExprKind::kLiteral;
        items.push_back(std::move(e));
      }
      ExprPtr result;
      if (all_literal) {
        // Unify the item types first so the catalog sees one list type.
        std::vector<DataTypePtr> types = {operand->type};
        for (const auto& i : items) types.push_back(i->type);
        ARROW_RETURN_NOT_OK(CommonTypeOf(types, expr->loc, "'" + ExpressionDisplayName(*what) + "'").status());
        std::vector<ExprPtr> args = {operand};
        args.insert(args.end(), items.begin(), items.end());
        ARROW_ASSIGN_OR_RAISE(result, MakeCall("in_list", std::move(args), "IN", expr->loc, what));
      } else {
        for (const auto& item : items) {
          ARROW_ASSIGN_OR_RAISE(auto eq, MakeCall("=", {operand, item}, "=", expr->loc, what));
          if (!result) {
            result = eq;
          } else {
            ARROW_ASSIGN_OR_RAISE(result, MakeCall("or", {result, eq}, "OR", expr->loc, what));
          }
        }
      }
      if (!in.negated) return result;
      return MakeCall("not", {result}, "NOT", expr->loc, what);
    }
    case ast::ExprKind::kInSubquery:
    case ast::ExprKind::kExists:
    case ast::ExprKind::kSubquery:
    case ast::ExprKind::kQuantified:
      return BindSubqueryExpr(*expr, ctx);
    case ast::ExprKind::kIsNull: {
      const auto& e = static_cast<const ast::IsNullExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(e.operand.get(), ctx));
      const ast::Expr* what = expr;
      return MakeCall(e.negated ? "is_not_null" : "is_null", {operand},
                      e.negated ? "IS NOT NULL" : "IS NULL", expr->loc, what);
    }
    case ast::ExprKind::kIsBool: {
      const auto& e = static_cast<const ast::IsBoolExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(e.operand.get(), ctx));
      const ast::Expr* what = expr;
      if (operand->type->id() == arrow::Type::NA) {
        operand = CastTo(operand, arrow::boolean());
      } else if (operand->type->id() != arrow::Type::BOOL) {
        return Error(expr->loc, "IS TRUE/FALSE/UNKNOWN needs a boolean, not " +
                                    TypeToSql(operand->type) + " in '" + ExpressionDisplayName(*what) + "'");
      }
      if (!e.value.has_value()) {
        return MakeCall(e.negated ? "is_not_null" : "is_null", {operand},
                        e.negated ? "IS NOT NULL" : "IS NULL", expr->loc, what);
      }
      return MakeCall(e.negated ? "is_distinct_from" : "is_not_distinct_from",
                      {operand, plan::MakeBoolLiteral(*e.value)},
                      e.negated ? "IS DISTINCT FROM" : "IS NOT DISTINCT FROM", expr->loc, what);
    }
    case ast::ExprKind::kIsDistinctFrom: {
      const auto& e = static_cast<const ast::IsDistinctFromExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto left, BindExpr(e.left.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto right, BindExpr(e.right.get(), ctx));
      const ast::Expr* what = expr;
      return MakeCall(e.negated ? "is_not_distinct_from" : "is_distinct_from", {left, right},
                      e.negated ? "IS NOT DISTINCT FROM" : "IS DISTINCT FROM", expr->loc, what);
    }
    case ast::ExprKind::kLike: {
      const auto& e = static_cast<const ast::LikeExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto operand, BindExpr(e.operand.get(), ctx));
      ARROW_ASSIGN_OR_RAISE(auto pattern, BindExpr(e.pattern.get(), ctx));
      std::vector<ExprPtr> args = {operand, pattern};
      if (e.escape) {
        ARROW_ASSIGN_OR_RAISE(auto esc, BindExpr(e.escape.get(), ctx));
        args.push_back(esc);
      }
      const ast::Expr* what = expr;
      ARROW_ASSIGN_OR_RAISE(
          auto like, MakeCall(e.case_insensitive ? "ilike" : "like", std::move(args),
                              e.case_insensitive ? "ILIKE" : "LIKE", expr->loc, what));
      if (!e.negated) return like;
      return MakeCall("not", {like}, "NOT", expr->loc, what);
    }
    case ast::ExprKind::kArray: {
      const auto& a = static_cast<const ast::ArrayExpr&>(*expr);
      const ast::Expr* what = expr;
      std::vector<ExprPtr> elems;
      std::vector<DataTypePtr> types;
      bool all_literal = true;
      for (const auto& el : a.elements) {
        ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(el.get(), ctx));
        all_literal = all_literal && e->kind == plan::ExprKind::kLiteral;
        types.push_back(e->type);
        elems.push_back(std::move(e));
      }
      ARROW_ASSIGN_OR_RAISE(auto type, CommonTypeOf(types, expr->loc, "'" + ExpressionDisplayName(*what) + "'"));
      if (type->id() == arrow::Type::NA) type = arrow::int32();
      if (all_literal) {
        std::unique_ptr<arrow::ArrayBuilder> builder;
        ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), type, &builder));
        for (const auto& e : elems) {
          auto value = static_cast<const plan::LiteralExpr&>(*e).value;
          if (!value->type->Equals(*type)) {
            auto cast = value->CastTo(type);
            if (!cast.ok()) {
              return Error(expr->loc, "cannot convert " + value->ToString() + " to " +
                                          TypeToSql(type) + " in '" + ExpressionDisplayName(*what) + "'");
            }
            value = *cast;
          }
          ARROW_RETURN_NOT_OK(builder->AppendScalar(*value));
        }
        ARROW_ASSIGN_OR_RAISE(auto values, builder->Finish());
        return plan::MakeLiteral(std::make_shared<arrow::ListScalar>(values));
      }
      for (auto& e : elems) e = CastTo(e, type);
      return MakeCall("make_array", std::move(elems), "make_array", expr->loc, what);
    }
  }
  return Error(expr->loc, "unsupported expression");
}

}  // namespace shoal::binder_internal
