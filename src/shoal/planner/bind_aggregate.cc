// Aggregation support for SELECT: grouping sets (ROLLUP/CUBE/GROUPING SETS),
// rewriting expressions bound over the FROM scope into references to a
// LogicalAggregate's outputs, GROUPING(), window collection and plan remapping
// for correlated subqueries above an aggregate.
#include "shoal/planner/bind_aggregate.h"

#include <algorithm>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"

namespace shoal::binder_internal {

// ---------------------------------------------------------------------------
// Remapping column ids inside expressions and plans
// ---------------------------------------------------------------------------

ExprPtr RemapExpr(const ExprPtr& e, const IdMap& map) {
  if (!e) return e;
  if (e->kind == plan::ExprKind::kColumnRef) {
    auto it = map.find(static_cast<const plan::ColumnRefExpr&>(*e).id);
    return it == map.end() ? e : it->second;
  }
  if (e->kind == plan::ExprKind::kSubquery) {
    const auto& sq = static_cast<const plan::SubqueryExpr&>(*e);
    auto copy = std::make_shared<plan::SubqueryExpr>(sq);
    copy->plan = RemapPlan(sq.plan, map);
    copy->operand = RemapExpr(sq.operand, map);
    copy->correlated_columns = OuterReferences(copy->plan);
    return copy;
  }
  auto children = e->children();
  bool changed = false;
  for (auto& c : children) {
    auto n = RemapExpr(c, map);
    if (n != c) {
      c = std::move(n);
      changed = true;
    }
  }
  return changed ? e->WithChildren(std::move(children)) : e;
}

namespace {

void RemapKeys(std::vector<plan::SortKey>* keys, const IdMap& map) {
  for (auto& k : *keys) k.expr = RemapExpr(k.expr, map);
}

void RemapList(std::vector<ExprPtr>* exprs, const IdMap& map) {
  for (auto& e : *exprs) e = RemapExpr(e, map);
}

}  // namespace

LogicalOpPtr RemapPlan(const LogicalOpPtr& op, const IdMap& map) {
  if (!op) return op;
  auto copy = op->Clone();
  for (auto& c : copy->children) c = RemapPlan(c, map);
  switch (copy->kind) {
    case plan::LogicalOpKind::kGet:
      RemapList(&copy->As<plan::LogicalGet>().filters, map);
      break;
    case plan::LogicalOpKind::kFilter:
      RemapList(&copy->As<plan::LogicalFilter>().conditions, map);
      break;
    case plan::LogicalOpKind::kProjection:
      RemapList(&copy->As<plan::LogicalProjection>().exprs, map);
      break;
    case plan::LogicalOpKind::kAggregate:
      RemapList(&copy->As<plan::LogicalAggregate>().groups, map);
      RemapList(&copy->As<plan::LogicalAggregate>().aggregates, map);
      break;
    case plan::LogicalOpKind::kJoin:
      RemapList(&copy->As<plan::LogicalJoin>().conditions, map);
      break;
    case plan::LogicalOpKind::kSort:
      RemapKeys(&copy->As<plan::LogicalSort>().keys, map);
      break;
    case plan::LogicalOpKind::kTopN:
      RemapKeys(&copy->As<plan::LogicalTopN>().keys, map);
      break;
    case plan::LogicalOpKind::kValues:
      for (auto& row : copy->As<plan::LogicalValues>().rows) RemapList(&row, map);
      break;
    case plan::LogicalOpKind::kWindow:
      RemapList(&copy->As<plan::LogicalWindow>().window_exprs, map);
      break;
    default:
      break;
  }
  return copy;
}

// ---------------------------------------------------------------------------
// Grouping sets
// ---------------------------------------------------------------------------

Result<std::vector<std::vector<int>>> ExpandGroupingElement(
    GroupingElementKind kind, const std::vector<int>& items,
    const std::vector<std::vector<int>>& sets) {
  std::vector<std::vector<int>> out;
  switch (kind) {
    case GroupingElementKind::kPlain:
      out.push_back(items);
      break;
    case GroupingElementKind::kSets:
      out = sets;
      break;
    case GroupingElementKind::kRollup:
      for (size_t n = items.size() + 1; n-- > 0;) {
        out.emplace_back(items.begin(), items.begin() + n);
      }
      break;
    case GroupingElementKind::kCube: {
      if (items.size() > 12) return Status::Invalid("CUBE supports at most 12 expressions");
      size_t count = size_t{1} << items.size();
      for (size_t mask = count; mask-- > 0;) {
        std::vector<int> set;
        for (size_t i = 0; i < items.size(); ++i) {
          if (mask & (size_t{1} << (items.size() - 1 - i))) set.push_back(items[i]);
        }
        out.push_back(std::move(set));
      }
      break;
    }
  }
  return out;
}

Result<std::vector<std::vector<int>>> CrossGroupingSets(
    const std::vector<std::vector<std::vector<int>>>& elements) {
  std::vector<std::vector<int>> result = {{}};
  for (const auto& sets : elements) {
    std::vector<std::vector<int>> next;
    for (const auto& a : result) {
      for (const auto& b : sets) {
        std::vector<int> merged = a;
        for (int i : b) {
          if (std::find(merged.begin(), merged.end(), i) == merged.end()) merged.push_back(i);
        }
        std::sort(merged.begin(), merged.end());
        next.push_back(std::move(merged));
        if (next.size() > 4096) {
          return Status::Invalid("too many grouping sets (more than 4096)");
        }
      }
    }
    result = std::move(next);
  }
  return result;
}

// ---------------------------------------------------------------------------
// AggregateRewriter
// ---------------------------------------------------------------------------

AggregateRewriter::AggregateRewriter(QueryBinder* binder, const Scope* scope,
                                     std::vector<ExprPtr> groups, bool has_grouping_sets)
    : binder_(binder), scope_(scope), groups_(std::move(groups)),
      has_grouping_sets_(has_grouping_sets) {
  for (const auto& col : scope_->columns) local_ids_.insert(col.id);
  for (size_t i = 0; i < groups_.size(); ++i) {
    std::string name = groups_[i]->ToString();
    std::string qualifier;
    if (groups_[i]->kind == plan::ExprKind::kColumnRef) {
      const auto& ref = static_cast<const plan::ColumnRefExpr&>(*groups_[i]);
      name = ref.name;
      for (const auto& col : scope_->columns) {
        if (col.id == ref.id) qualifier = col.qualifier;
      }
    }
    group_columns_.push_back(binder_->NewColumn(
        name, groups_[i]->type, groups_[i]->nullable || has_grouping_sets_, qualifier));
  }
  if (has_grouping_sets_) {
    grouping_id_ = binder_->NewColumn("__grouping_id", arrow::uint64(), false);
  }
}

Result<ExprPtr> AggregateRewriter::Rewrite(const ExprPtr& e, const ast::Expr* where) {
  if (!e) return e;
  for (size_t i = 0; i < groups_.size(); ++i) {
    if (plan::ExprEquals(e, groups_[i])) return RefTo(group_columns_[i]);
  }
  switch (e->kind) {
    case plan::ExprKind::kAggregate: {
      for (size_t i = 0; i < aggregates_.size(); ++i) {
        if (plan::ExprEquals(e, aggregates_[i])) return RefTo(aggregate_columns_[i]);
      }
      aggregates_.push_back(e);
      aggregate_columns_.push_back(binder_->NewColumn(e->ToString(), e->type, e->nullable));
      return RefTo(aggregate_columns_.back());
    }
    case plan::ExprKind::kColumnRef: {
      const auto& ref = static_cast<const plan::ColumnRefExpr&>(*e);
      if (!local_ids_.count(ref.id)) return e;  // outer (correlated) reference
      std::string name = ref.name;
      for (const auto& col : scope_->columns) {
        if (col.id == ref.id && !col.qualifier.empty()) name = col.qualifier + "." + col.name;
      }
      return binder_->Error(where ? where->loc : ast::SourceLocation{},
                            "column '" + name +
                                "' must appear in the GROUP BY clause or be used in an "
                                "aggregate function");
    }
    case plan::ExprKind::kCall: {
      const auto& call = static_cast<const plan::CallExpr&>(*e);
      if (call.function == kGroupingPlaceholder) return RewriteGrouping(call, where);
      break;
    }
    case plan::ExprKind::kSubquery: {
      const auto& sq = static_cast<const plan::SubqueryExpr&>(*e);
      IdMap map;
      for (ColumnId id : sq.correlated_columns) {
        if (!local_ids_.count(id)) continue;
        bool grouped = false;
        for (size_t i = 0; i < groups_.size(); ++i) {
          if (groups_[i]->kind == plan::ExprKind::kColumnRef &&
              static_cast<const plan::ColumnRefExpr&>(*groups_[i]).id == id) {
            map[id] = RefTo(group_columns_[i]);
            grouped = true;
          }
        }
        if (!grouped) {
          std::string name = "?";
          for (const auto& col : scope_->columns) {
            if (col.id == id) name = col.qualifier.empty() ? col.name : col.qualifier + "." + col.name;
          }
          return binder_->Error(where ? where->loc : ast::SourceLocation{},
                                "subquery uses ungrouped column '" + name +
                                    "' from the outer query");
        }
      }
      ARROW_ASSIGN_OR_RAISE(auto operand, Rewrite(sq.operand, where));
      if (map.empty() && operand == sq.operand) return e;
      auto copy = std::make_shared<plan::SubqueryExpr>(sq);
      copy->operand = operand;
      if (!map.empty()) {
        copy->plan = RemapPlan(sq.plan, map);
        copy->correlated_columns = OuterReferences(copy->plan);
      }
      return copy;
    }
    default:
      break;
  }
  auto children = e->children();
  bool changed = false;
  for (auto& c : children) {
    ARROW_ASSIGN_OR_RAISE(auto n, Rewrite(c, where));
    if (n != c) {
      c = std::move(n);
      changed = true;
    }
  }
  return changed ? e->WithChildren(std::move(children)) : e;
}

Result<ExprPtr> AggregateRewriter::RewriteGrouping(const plan::CallExpr& call,
                                                   const ast::Expr* where) {
  std::vector<int> indexes;
  for (const auto& arg : call.args) {
    int found = -1;
    for (size_t i = 0; i < groups_.size(); ++i) {
      if (plan::ExprEquals(arg, groups_[i])) found = static_cast<int>(i);
    }
    if (found < 0) {
      return binder_->Error(where ? where->loc : ast::SourceLocation{},
                            "arguments of GROUPING() must be GROUP BY expressions, but '" +
                                arg->ToString() + "' is not");
    }
    indexes.push_back(found);
  }
  if (indexes.size() > 31) {
    return binder_->Error(where ? where->loc : ast::SourceLocation{},
                          "GROUPING() accepts at most 31 arguments");
  }
  if (!has_grouping_sets_) {
    return plan::MakeLiteral(std::make_shared<arrow::Int32Scalar>(0));
  }
  auto u64 = [](uint64_t v) {
    return plan::MakeLiteral(std::make_shared<arrow::UInt64Scalar>(v));
  };
  auto call2 = [](const char* fn, ExprPtr a, ExprPtr b) -> ExprPtr {
    auto c = std::make_shared<plan::CallExpr>(fn, std::vector<ExprPtr>{a, b}, arrow::uint64());
    c->nullable = false;
    return c;
  };
  const size_t n = groups_.size();
  const size_t k = indexes.size();
  ExprPtr result;
  for (size_t j = 0; j < k; ++j) {
    ExprPtr bit = call2("bit_wise_and",
                        call2("shift_right", RefTo(grouping_id_), u64(n - 1 - indexes[j])),
                        u64(1));
    if (k - 1 - j > 0) bit = call2("shift_left", bit, u64(k - 1 - j));
    result = result ? call2("bit_wise_or", result, bit) : bit;
  }
  auto cast = std::make_shared<plan::CastExpr>(result, arrow::int32(), false);
  cast->nullable = false;
  return cast;
}

std::shared_ptr<plan::LogicalAggregate> AggregateRewriter::Build(
    LogicalOpPtr child, std::vector<std::vector<int>> grouping_sets) {
  auto agg = std::make_shared<plan::LogicalAggregate>();
  agg->children.push_back(std::move(child));
  agg->groups = groups_;
  agg->aggregates = aggregates_;
  agg->grouping_sets = std::move(grouping_sets);
  agg->output = group_columns_;
  agg->output.insert(agg->output.end(), aggregate_columns_.begin(), aggregate_columns_.end());
  if (has_grouping_sets_) agg->output.push_back(grouping_id_);
  return agg;
}

// ---------------------------------------------------------------------------
// Window collection
// ---------------------------------------------------------------------------

Result<ExprPtr> WindowCollector::Collect(const ExprPtr& e) {
  if (!e) return e;
  if (e->kind == plan::ExprKind::kWindow) {
    for (size_t i = 0; i < windows_.size(); ++i) {
      if (plan::ExprEquals(e, windows_[i])) return RefTo(columns_[i]);
    }
    windows_.push_back(e);
    columns_.push_back(binder_->NewColumn(e->ToString(), e->type, e->nullable));
    return RefTo(columns_.back());
  }
  if (e->kind == plan::ExprKind::kSubquery) {
    const auto& sq = static_cast<const plan::SubqueryExpr&>(*e);
    if (!sq.operand) return e;
  }
  auto children = e->children();
  bool changed = false;
  for (auto& c : children) {
    ARROW_ASSIGN_OR_RAISE(auto n, Collect(c));
    if (n != c) {
      c = std::move(n);
      changed = true;
    }
  }
  return changed ? e->WithChildren(std::move(children)) : e;
}

LogicalOpPtr WindowCollector::Build(LogicalOpPtr child) {
  if (windows_.empty()) return child;
  auto win = std::make_shared<plan::LogicalWindow>();
  win->output = child->output;
  win->output.insert(win->output.end(), columns_.begin(), columns_.end());
  win->children.push_back(std::move(child));
  win->window_exprs = windows_;
  return win;
}

}  // namespace shoal::binder_internal
