// Private helpers for aggregation and window binding (see bind_aggregate.cc).
#pragma once

#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

using IdMap = std::unordered_map<ColumnId, ExprPtr>;

/// Return `e` with column references replaced through `map`, descending into
/// subquery plans (their correlated column lists are recomputed).
ExprPtr RemapExpr(const ExprPtr& e, const IdMap& map);
/// Return a copy of `op` (and its subtree) with column references remapped.
LogicalOpPtr RemapPlan(const LogicalOpPtr& op, const IdMap& map);

enum class GroupingElementKind { kPlain, kSets, kRollup, kCube };

/// Expand one GROUP BY element into its grouping sets (indexes into the groups).
Result<std::vector<std::vector<int>>> ExpandGroupingElement(
    GroupingElementKind kind, const std::vector<int>& items,
    const std::vector<std::vector<int>>& sets);
/// Combine the sets of several GROUP BY elements (cross product, as SQL does).
Result<std::vector<std::vector<int>>> CrossGroupingSets(
    const std::vector<std::vector<std::vector<int>>>& elements);

/// Rewrites expressions bound over a FROM scope so they read a LogicalAggregate's
/// output: group expressions become references to group columns, aggregates are
/// collected (deduplicated) and replaced by references, GROUPING() is computed
/// from the grouping id, and any other reference to a FROM column is an error.
class AggregateRewriter {
 public:
  AggregateRewriter(QueryBinder* binder, const Scope* scope, std::vector<ExprPtr> groups,
                    bool has_grouping_sets);
  /// Rewrite `e`; `where` (the expression as written) positions errors.
  Result<ExprPtr> Rewrite(const ExprPtr& e, const ast::Expr* where);
  /// Return the aggregate operator over `child` with everything collected so far.
  std::shared_ptr<plan::LogicalAggregate> Build(LogicalOpPtr child,
                                                std::vector<std::vector<int>> grouping_sets);
  const std::vector<OutputColumn>& group_columns() const { return group_columns_; }

 private:
  Result<ExprPtr> RewriteGrouping(const plan::CallExpr& call, const ast::Expr* where);

  QueryBinder* binder_;
  const Scope* scope_;
  std::unordered_set<ColumnId> local_ids_;
  std::vector<ExprPtr> groups_;
  bool has_grouping_sets_;
  std::vector<OutputColumn> group_columns_;
  std::vector<ExprPtr> aggregates_;
  std::vector<OutputColumn> aggregate_columns_;
  OutputColumn grouping_id_;
};

/// Collects window function calls (deduplicated) into a LogicalWindow and
/// replaces them by references to its output columns.
class WindowCollector {
 public:
  explicit WindowCollector(QueryBinder* binder) : binder_(binder) {}
  Result<ExprPtr> Collect(const ExprPtr& e);
  /// Return a LogicalWindow over `child`, or `child` when there were no windows.
  LogicalOpPtr Build(LogicalOpPtr child);
  bool empty() const { return windows_.empty(); }

 private:
  QueryBinder* binder_;
  std::vector<ExprPtr> windows_;
  std::vector<OutputColumn> columns_;
};

}  // namespace shoal::binder_internal
