// SELECT binding: FROM -> WHERE -> GROUP BY / aggregates -> HAVING -> windows
// -> QUALIFY -> projection -> DISTINCT [ON] -> ORDER BY -> drop hidden columns.
//
// Expressions of the select list, HAVING, QUALIFY and ORDER BY are first bound
// "raw" against the FROM scope (aggregates and window calls inline); when the
// query aggregates, AggregateRewriter turns them into references to the
// LogicalAggregate's outputs, then WindowCollector moves window calls into a
// LogicalWindow above it.
#include <algorithm>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/planner/bind_aggregate.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

struct SelectColumn {
  ExprPtr expr;
  std::string name;
  std::string qualifier;
  const ast::Expr* ast = nullptr;  ///< for error positions (null for * expansion)
};

bool IsIntegerLiteral(const ast::Expr* e) {
  return e && e->kind == ast::ExprKind::kLiteral &&
         static_cast<const ast::LiteralExpr*>(e)->literal_kind == ast::LiteralKind::kInteger;
}

/// Parse a 1-based ordinal; -1 when out of range or not a number.
int64_t Ordinal(const ast::Expr* e) {
  const std::string& t = static_cast<const ast::LiteralExpr*>(e)->text;
  if (t.empty() || t.size() > 9) return -1;
  for (char c : t) {
    if (c < '0' || c > '9') return -1;
  }
  return std::stoll(t);
}

bool ContainsGroupingPlaceholder(const ExprPtr& e) {
  if (!e) return false;
  if (e->kind == plan::ExprKind::kCall &&
      static_cast<const plan::CallExpr&>(*e).function == kGroupingPlaceholder) {
    return true;
  }
  for (const auto& c : e->children()) {
    if (ContainsGroupingPlaceholder(c)) return true;
  }
  return false;
}

bool NeedsAggregation(const ExprPtr& e) {
  return plan::ContainsKind(e, plan::ExprKind::kAggregate) || ContainsGroupingPlaceholder(e);
}

Status CheckBoolean(QueryBinder* b, ExprPtr* e, const ast::Expr& where, const char* clause) {
  if ((*e)->type->id() == arrow::Type::NA) *e = b->CastTo(*e, arrow::boolean());
  if ((*e)->type->id() != arrow::Type::BOOL) {
    return b->Error(where.loc, std::string(clause) + " condition must be boolean, not " +
                                   TypeToSql((*e)->type) + " in '" +
                                   ExpressionDisplayName(where) + "'");
  }
  return Status::OK();
}

}  // namespace

Result<LogicalOpPtr> QueryBinder::BindSelect(const ast::SelectNode& node,
                                             const std::vector<ast::OrderByItem>* order_by) {
  static const std::vector<ast::OrderByItem> kNoOrder;
  const std::vector<ast::OrderByItem>& order = order_by ? *order_by : kNoOrder;

  // --- FROM ---
  Scope scope;
  scope.outer = outer_;
  LogicalOpPtr plan;
  if (node.from) {
    ARROW_ASSIGN_OR_RAISE(auto rel, BindTableRef(*node.from));
    scope.columns = std::move(rel.columns);
    plan = rel.plan;
  } else {
    auto values = std::make_shared<plan::LogicalValues>();
    values->rows.emplace_back();
    plan = values;
  }

  // --- WHERE ---
  if (node.where) {
    ExprContext ctx;
    ctx.scope = &scope;
    ctx.clause = "WHERE";
    ARROW_ASSIGN_OR_RAISE(auto cond, BindExpr(node.where.get(), ctx));
    ARROW_RETURN_NOT_OK(CheckBoolean(this, &cond, *node.where, "WHERE"));
    auto filter = std::make_shared<plan::LogicalFilter>();
    plan::SplitConjunction(cond, &filter->conditions);
    filter->output = plan->output;
    filter->children.push_back(plan);
    plan = filter;
  }

  auto full_ctx = [&](const char* clause) {
    ExprContext ctx;
    ctx.scope = &scope;
    ctx.clause = clause;
    ctx.allow_aggregates = true;
    ctx.allow_windows = true;
    ctx.named_windows = &node.windows;
    return ctx;
  };

  // --- SELECT list (raw) ---
  std::vector<SelectColumn> select;
  for (const auto& item : node.select_list) {
    if (!item.expr) return Error(node.loc, "malformed select item");
    if (item.expr->kind == ast::ExprKind::kStar) {
      const auto& star = static_cast<const ast::StarExpr&>(*item.expr);
      if (item.alias) return Error(item.alias->loc, "* cannot have an alias");
      if (!node.from) return Error(star.loc, "SELECT * needs a FROM clause");
      std::vector<std::string> qualifier;
      bool relaxed = state_->fold_identifiers;
      if (star.qualifier) {
        for (const auto& p : star.qualifier->parts) {
          qualifier.push_back(Fold(p));
          relaxed = relaxed && !p.quoted;
        }
      }
      std::vector<std::string> excludes;
      std::vector<bool> used;
      for (const auto& ex : star.exclude) excludes.push_back(Fold(ex));
      used.assign(excludes.size(), false);
      size_t before = select.size();
      bool table_found = qualifier.empty();
      for (const auto& col : scope.columns) {
        if (qualifier.empty()) {
          if (!col.in_star) continue;
        } else {
          const auto& path = col.qualifier_path;
          if (qualifier.size() > path.size()) continue;
          bool match = true;
          size_t off = path.size() - qualifier.size();
          for (size_t i = 0; i < qualifier.size(); ++i) {
            match = match && (relaxed ? EqualsIgnoreCase(path[off + i], qualifier[i])
                                      : path[off + i] == qualifier[i]);
          }
          if (!match) continue;
          table_found = true;
        }
        bool excluded = false;
        for (size_t i = 0; i < excludes.size(); ++i) {
          if (col.name == excludes[i] ||
              (state_->fold_identifiers && EqualsIgnoreCase(col.name, excludes[i]))) {
            excluded = true;
            used[i] = true;
          }
        }
        if (excluded) continue;
        SelectColumn sc;
        sc.expr = plan::MakeColumnRef(col.id, col.name, col.type, col.nullable);
        sc.name = col.name;
        sc.qualifier = col.qualifier;
        select.push_back(std::move(sc));
      }
      if (!table_found) {
        std::string q;
        for (const auto& p : star.qualifier->parts) q += (q.empty() ? "" : ".") + p.name;
        return Error(star.loc, "table '" + q + "' not found in FROM clause");
      }
      for (size_t i = 0; i < excludes.size(); ++i) {
        if (!used[i]) {
          return Error(star.exclude[i].loc, "column '" + star.exclude[i].name +
                                                "' in EXCLUDE not found");
        }
      }
      if (select.size() == before && excludes.empty()) {
        return Error(star.loc, "* matches no columns");
      }
      continue;
    }
    ExprContext ctx = full_ctx("SELECT list");
    ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(item.expr.get(), ctx));
    SelectColumn sc;
    sc.ast = item.expr.get();
    if (item.alias) {
      sc.name = Fold(*item.alias);
    } else if (item.expr->kind == ast::ExprKind::kColumnRef &&
               e->kind == plan::ExprKind::kColumnRef) {
      sc.name = static_cast<const plan::ColumnRefExpr&>(*e).name;
    } else {
      sc.name = ExpressionDisplayName(*item.expr);
    }
    if (e->kind == plan::ExprKind::kColumnRef) {
      auto id = static_cast<const plan::ColumnRefExpr&>(*e).id;
      for (const auto& col : scope.columns) {
        if (col.id == id) sc.qualifier = col.qualifier;
      }
    }
    sc.expr = std::move(e);
    select.push_back(std::move(sc));
  }
  if (select.empty()) return Error(node.loc, "SELECT list is empty");

  // --- GROUP BY ---
  std::vector<ExprPtr> groups;
  std::vector<std::vector<std::vector<int>>> element_sets;
  bool has_sets = false;
  auto add_group = [&](ExprPtr e) -> int {
    for (size_t i = 0; i < groups.size(); ++i) {
      if (plan::ExprEquals(groups[i], e)) return static_cast<int>(i);
    }
    groups.push_back(std::move(e));
    return static_cast<int>(groups.size() - 1);
  };
  auto bind_group_expr = [&](const ast::Expr* e) -> Result<int> {
    if (!e) return Error(node.loc, "malformed GROUP BY item");
    if (IsIntegerLiteral(e)) {
      int64_t ord = Ordinal(e);
      if (ord < 1 || ord > static_cast<int64_t>(select.size())) {
        return Error(e->loc, "GROUP BY position " + static_cast<const ast::LiteralExpr*>(e)->text +
                                 " is not in the select list (it has " +
                                 std::to_string(select.size()) + " columns)");
      }
      const auto& sc = select[ord - 1];
      if (NeedsAggregation(sc.expr)) {
        return Error(e->loc, "GROUP BY position " + std::to_string(ord) +
                                 " refers to an aggregate ('" + sc.name + "')");
      }
      if (plan::ContainsKind(sc.expr, plan::ExprKind::kWindow)) {
        return Error(e->loc, "GROUP BY position " + std::to_string(ord) +
                                 " refers to a window function ('" + sc.name + "')");
      }
      return add_group(sc.expr);
    }
    ExprContext ctx;
    ctx.scope = &scope;
    ctx.clause = "GROUP BY";
    auto bound = BindExpr(e, ctx);
    if (!bound.ok() && e->kind == ast::ExprKind::kColumnRef) {
      // GROUP BY an output alias (FROM columns take precedence).
      const auto& ref = static_cast<const ast::ColumnRefExpr&>(*e);
      if (ref.name.parts.size() == 1) {
        std::string name = Fold(ref.name.parts[0]);
        for (const auto& sc : select) {
          if (sc.ast && sc.name == name) {
            if (NeedsAggregation(sc.expr) ||
                plan::ContainsKind(sc.expr, plan::ExprKind::kWindow)) {
              return Error(e->loc, "GROUP BY '" + name +
                                       "' refers to an aggregate or window expression");
            }
            return add_group(sc.expr);
          }
        }
      }
    }
    if (!bound.ok()) return bound.status();
    return add_group(*bound);
  };
  for (const auto& el : node.group_by) {
    switch (el.kind) {
      case ast::GroupingKind::kAll: {
        std::vector<int> items;
        for (const auto& sc : select) {
          if (NeedsAggregation(sc.expr) || plan::ContainsKind(sc.expr, plan::ExprKind::kWindow)) {
            continue;
          }
          if (plan::IsConstant(sc.expr)) continue;
          items.push_back(add_group(sc.expr));
        }
        element_sets.push_back({items});
        break;
      }
      case ast::GroupingKind::kPlain: {
        std::vector<int> items;
        for (const auto& e : el.exprs) {
          ARROW_ASSIGN_OR_RAISE(int idx, bind_group_expr(e.get()));
          items.push_back(idx);
        }
        element_sets.push_back({items});
        break;
      }
      case ast::GroupingKind::kRollup:
      case ast::GroupingKind::kCube: {
        has_sets = true;
        std::vector<int> items;
        for (const auto& e : el.exprs) {
          ARROW_ASSIGN_OR_RAISE(int idx, bind_group_expr(e.get()));
          items.push_back(idx);
        }
        auto sets = ExpandGroupingElement(el.kind == ast::GroupingKind::kRollup
                                              ? GroupingElementKind::kRollup
                                              : GroupingElementKind::kCube,
                                          items, {});
        if (!sets.ok()) return Error(el.loc, sets.status().message());
        element_sets.push_back(*sets);
        break;
      }
      case ast::GroupingKind::kGroupingSets: {
        has_sets = true;
        std::vector<std::vector<int>> sets;
        for (const auto& set : el.sets) {
          std::vector<int> items;
          for (const auto& e : set) {
            ARROW_ASSIGN_OR_RAISE(int idx, bind_group_expr(e.get()));
            items.push_back(idx);
          }
          sets.push_back(std::move(items));
        }
        element_sets.push_back(std::move(sets));
        break;
      }
    }
  }
  std::vector<std::vector<int>> grouping_sets;
  if (has_sets) {
    auto crossed = CrossGroupingSets(element_sets);
    if (!crossed.ok()) return Error(node.loc, crossed.status().message());
    grouping_sets = std::move(*crossed);
  }

  // --- HAVING / QUALIFY (raw); they may use select-list aliases ---
  std::vector<std::pair<std::string, ExprPtr>> aliases;
  {
    // Non-star items map in order onto the select entries that have an ast.
    size_t k = 0;
    for (const auto& item : node.select_list) {
      if (item.expr && item.expr->kind == ast::ExprKind::kStar) continue;
      while (k < select.size() && !select[k].ast) ++k;
      if (k >= select.size()) break;
      if (item.alias) aliases.emplace_back(select[k].name, select[k].expr);
      ++k;
    }
  }
  ExprPtr having, qualify;
  if (node.having) {
    ExprContext ctx = full_ctx("HAVING");
    ctx.select_aliases = &aliases;
    ctx.allow_windows = false;
    ARROW_ASSIGN_OR_RAISE(having, BindExpr(node.having.get(), ctx));
    ARROW_RETURN_NOT_OK(CheckBoolean(this, &having, *node.having, "HAVING"));
  }
  if (node.qualify) {
    ExprContext ctx = full_ctx("QUALIFY");
    ctx.select_aliases = &aliases;
    ARROW_ASSIGN_OR_RAISE(qualify, BindExpr(node.qualify.get(), ctx));
    ARROW_RETURN_NOT_OK(CheckBoolean(this, &qualify, *node.qualify, "QUALIFY"));
  }

  // --- ORDER BY / DISTINCT ON (raw): a select column index or a hidden expression ---
  struct OrderRef {
    int select_index = -1;
    ExprPtr expr;  ///< hidden expression when select_index < 0
    const ast::Expr* ast = nullptr;
  };
  auto resolve_order = [&](const ast::Expr* e, const char* clause) -> Result<OrderRef> {
    OrderRef r;
    r.ast = e;
    if (!e) return Error(node.loc, std::string("malformed ") + clause + " item");
    if (IsIntegerLiteral(e)) {
      int64_t ord = Ordinal(e);
      if (ord < 1 || ord > static_cast<int64_t>(select.size())) {
        return Error(e->loc, std::string(clause) + " position " +
                                 static_cast<const ast::LiteralExpr*>(e)->text +
                                 " is not in the select list (it has " +
                                 std::to_string(select.size()) + " columns)");
      }
      r.select_index = static_cast<int>(ord - 1);
      return r;
    }
    if (e->kind == ast::ExprKind::kColumnRef) {
      const auto& ref = static_cast<const ast::ColumnRefExpr&>(*e);
      if (ref.name.parts.size() == 1) {
        std::string name = Fold(ref.name.parts[0]);
        for (int pass = 0; pass < 2 && r.select_index < 0; ++pass) {
          if (pass == 1 && (ref.name.parts[0].quoted || !state_->fold_identifiers)) break;
          for (size_t i = 0; i < select.size(); ++i) {
            bool match = pass == 0 ? select[i].name == name
                                   : EqualsIgnoreCase(select[i].name, name);
            if (!match) continue;
            if (r.select_index >= 0 &&
                !plan::ExprEquals(select[r.select_index].expr, select[i].expr)) {
              return Error(e->loc, std::string(clause) + " '" + ref.name.parts[0].name +
                                       "' is ambiguous");
            }
            if (r.select_index < 0) r.select_index = static_cast<int>(i);
          }
        }
        if (r.select_index >= 0) return r;
      }
    }
    ExprContext ctx = full_ctx(clause);
    ARROW_ASSIGN_OR_RAISE(auto bound, BindExpr(e, ctx));
    for (size_t i = 0; i < select.size(); ++i) {
      if (plan::ExprEquals(select[i].expr, bound)) {
        r.select_index = static_cast<int>(i);
        return r;
      }
    }
    r.expr = std::move(bound);
    return r;
  };
  std::vector<OrderRef> order_refs;
  for (const auto& item : order) {
    ARROW_ASSIGN_OR_RAISE(auto r, resolve_order(item.expr.get(), "ORDER BY"));
    if (node.distinct && r.select_index < 0) {
      return Error(item.expr->loc,
                   "for SELECT DISTINCT, ORDER BY expressions must appear in the select list");
    }
    order_refs.push_back(std::move(r));
  }
  std::vector<OrderRef> distinct_on;
  for (const auto& e : node.distinct_on) {
    ARROW_ASSIGN_OR_RAISE(auto r, resolve_order(e.get(), "DISTINCT ON"));
    distinct_on.push_back(std::move(r));
  }

  // --- aggregation ---
  bool aggregating = !node.group_by.empty() || having != nullptr;
  for (const auto& sc : select) aggregating = aggregating || NeedsAggregation(sc.expr);
  if (qualify) aggregating = aggregating || NeedsAggregation(qualify);
  for (const auto& r : order_refs) aggregating = aggregating || NeedsAggregation(r.expr);
  for (const auto& r : distinct_on) aggregating = aggregating || NeedsAggregation(r.expr);
  if (aggregating) {
    AggregateRewriter rewriter(this, &scope, groups, has_sets);
    for (auto& sc : select) {
      ARROW_ASSIGN_OR_RAISE(sc.expr, rewriter.Rewrite(sc.expr, sc.ast ? sc.ast : node.select_list[0].expr.get()));
    }
    if (having) { ARROW_ASSIGN_OR_RAISE(having, rewriter.Rewrite(having, node.having.get())); }
    if (qualify) { ARROW_ASSIGN_OR_RAISE(qualify, rewriter.Rewrite(qualify, node.qualify.get())); }
    for (auto& r : order_refs) {
      if (r.expr) { ARROW_ASSIGN_OR_RAISE(r.expr, rewriter.Rewrite(r.expr, r.ast)); }
    }
    for (auto& r : distinct_on) {
      if (r.expr) { ARROW_ASSIGN_OR_RAISE(r.expr, rewriter.Rewrite(r.expr, r.ast)); }
    }
    plan = rewriter.Build(plan, std::move(grouping_sets));
    if (having) {
      auto filter = std::make_shared<plan::LogicalFilter>();
      plan::SplitConjunction(having, &filter->conditions);
      filter->output = plan->output;
      filter->children.push_back(plan);
      plan = filter;
    }
  }

  // --- windows and QUALIFY ---
  WindowCollector windows(this);
  for (auto& sc : select) { ARROW_ASSIGN_OR_RAISE(sc.expr, windows.Collect(sc.expr)); }
  if (qualify) { ARROW_ASSIGN_OR_RAISE(qualify, windows.Collect(qualify)); }
  for (auto& r : order_refs) {
    if (r.expr) { ARROW_ASSIGN_OR_RAISE(r.expr, windows.Collect(r.expr)); }
  }
  for (auto& r : distinct_on) {
    if (r.expr) { ARROW_ASSIGN_OR_RAISE(r.expr, windows.Collect(r.expr)); }
  }
  plan = windows.Build(plan);
  if (qualify) {
    auto filter = std::make_shared<plan::LogicalFilter>();
    plan::SplitConjunction(qualify, &filter->conditions);
    filter->output = plan->output;
    filter->children.push_back(plan);
    plan = filter;
  }

  // --- projection: select columns, then hidden ORDER BY / DISTINCT ON columns ---
  std::vector<ExprPtr> exprs;
  std::vector<std::string> names, qualifiers;
  for (const auto& sc : select) {
    exprs.push_back(sc.expr);
    names.push_back(sc.name);
    qualifiers.push_back(sc.qualifier);
  }
  const size_t visible = exprs.size();
  auto add_hidden = [&](OrderRef& r) {
    if (r.select_index >= 0) return;
    for (size_t i = visible; i < exprs.size(); ++i) {
      if (plan::ExprEquals(exprs[i], r.expr)) {
        r.select_index = static_cast<int>(i);
        return;
      }
    }
    exprs.push_back(r.expr);
    names.push_back("__hidden" + std::to_string(exprs.size() - visible));
    qualifiers.emplace_back();
    r.select_index = static_cast<int>(exprs.size() - 1);
  };
  for (auto& r : order_refs) add_hidden(r);
  for (auto& r : distinct_on) add_hidden(r);
  const bool has_hidden = exprs.size() > visible;
  plan = MakeProjection(state_, plan, std::move(exprs), names, qualifiers);
  std::vector<OutputColumn> proj_cols = plan->output;

  auto sort_keys = [&](const std::vector<OutputColumn>& cols) {
    std::vector<plan::SortKey> keys;
    for (size_t i = 0; i < order_refs.size(); ++i) {
      plan::SortKey key;
      key.expr = RefTo(cols[order_refs[i].select_index]);
      key.ascending = order[i].ascending;
      key.nulls_first = order[i].nulls_first.value_or(!order[i].ascending);
      keys.push_back(std::move(key));
    }
    return keys;
  };

  // --- DISTINCT / DISTINCT ON ---
  if (!distinct_on.empty()) {
    // Keep the first row of each DISTINCT ON group in ORDER BY order:
    // row_number() OVER (PARTITION BY keys ORDER BY order) = 1.
    auto bound = Functions().BindWindow("row_number", {});
    if (!bound.ok()) return Error(node.loc, bound.status().message());
    auto rn = std::make_shared<plan::WindowExpr>("row_number", std::vector<ExprPtr>{},
                                                 bound->return_type);
    rn->nullable = false;
    for (const auto& r : distinct_on) rn->partition_by.push_back(RefTo(proj_cols[r.select_index]));
    rn->order_by = sort_keys(proj_cols);
    rn->frame.unit = plan::FrameUnit::kRange;
    rn->frame.start = {plan::FrameBoundKind::kUnboundedPreceding, nullptr};
    rn->frame.end = rn->order_by.empty()
                        ? plan::FrameBound{plan::FrameBoundKind::kUnboundedFollowing, nullptr}
                        : plan::FrameBound{plan::FrameBoundKind::kCurrentRow, nullptr};
    auto win = std::make_shared<plan::LogicalWindow>();
    auto rn_col = NewColumn("__row_number", rn->type, false);
    win->output = plan->output;
    win->output.push_back(rn_col);
    win->window_exprs.push_back(rn);
    win->children.push_back(plan);
    auto one = plan::MakeLiteral(std::make_shared<arrow::Int64Scalar>(1));
    ARROW_ASSIGN_OR_RAISE(auto eq, MakeCall("=", {RefTo(rn_col), one}, "=", node.loc, nullptr));
    auto filter = std::make_shared<plan::LogicalFilter>();
    filter->conditions.push_back(eq);
    filter->output = win->output;
    filter->children.push_back(win);
    plan = filter;
  } else if (node.distinct) {
    auto agg = std::make_shared<plan::LogicalAggregate>();
    for (size_t i = 0; i < proj_cols.size(); ++i) {
      agg->groups.push_back(RefTo(proj_cols[i]));
      OutputColumn col = NewColumn(proj_cols[i].name, proj_cols[i].type, proj_cols[i].nullable,
                                   proj_cols[i].qualifier);
      agg->output.push_back(col);
    }
    agg->children.push_back(plan);
    plan = agg;
    proj_cols = plan->output;
  }

  // --- ORDER BY ---
  if (!order_refs.empty()) {
    auto sort = std::make_shared<plan::LogicalSort>();
    sort->keys = sort_keys(proj_cols);
    sort->output = plan->output;
    sort->children.push_back(plan);
    plan = sort;
  }

  // --- drop hidden columns ---
  if (has_hidden || !distinct_on.empty()) {
    std::vector<ExprPtr> back;
    std::vector<std::string> back_names, back_quals;
    for (size_t i = 0; i < visible; ++i) {
      back.push_back(RefTo(proj_cols[i]));
      back_names.push_back(proj_cols[i].name);
      back_quals.push_back(proj_cols[i].qualifier);
    }
    plan = MakeProjection(state_, plan, std::move(back), back_names, back_quals);
  }
  return plan;
}

}  // namespace shoal::binder_internal
