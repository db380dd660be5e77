// Rule `materialize_common_subplans`: compute a subplan that occurs more than once
// only once.
//
// The binder inlines a CTE or a view at every reference, so a query reading one
// twice (TPC-H Q15 reads its revenue CTE for the join and for max()) holds two
// copies of the same subplan. After the other rules have run, this rule finds
// subtrees that are equal up to column ids (same operators, expressions, tables and
// pushed filters; compared on a copy renumbered from 1) and that are worth keeping
// (they hold an aggregate, join, window or set operation), keeps the first
// occurrence as the definition of a LogicalMaterializedCte placed above the root
// and replaces every occurrence by a materialized LogicalCteRef that keeps the
// occurrence's own output ids (so nothing above changes). The executor computes
// the definition once, when the first reader starts, and every reader scans the
// stored rows.
//
// Scans are widened first: subplans equal but for the columns their scans read
// (each copy pruned to its reader's needs, e.g. TPC-H Q11's partsupp x supplier x
// nation with and without ps_partkey) read the union of the columns when that
// makes them equal; a pass-through projection restores each reader's columns.
//
// Not shared: subtrees with volatile calls, subqueries or references to columns
// produced outside them; subtrees reading a recursive CTE's working table or under
// a recursive CTE; subtrees whose root is a Sort (their order would be lost).
// Occurrences are taken outermost first; a subplan nested in a shared one is not
// shared again on its own.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class MaterializeCommonSubplans : public OptimizerRule {
 public:
  std::string name() const override { return "materialize_common_subplans"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
