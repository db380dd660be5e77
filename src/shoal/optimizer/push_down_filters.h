// Rule `push_down_filters`: move filter conditions as close to the scans as
// possible.
//
//   - Conjunctions are split; each term moves on its own.
//   - Through Projection (column references are replaced by the projected
//     expressions), Sort, Window (terms on the common PARTITION BY columns only),
//     Aggregate (terms on group columns only, not with grouping sets) and set
//     operations (into both inputs, columns mapped by position).
//   - Into joins: inner joins send a term to the side whose columns it uses and
//     keep terms spanning both sides as join conditions (so a cross join plus an
//     equality becomes an equi-join); outer joins only take terms for their
//     preserved side, and their ON terms on the null-supplying side move into it;
//     semi/anti/mark joins take terms for their left side.
//   - Not below Limit/TopN (that would change which rows are kept).
//   - At a scan, copies go into LogicalGet::filters (used for pruning) while the
//     Filter stays above the scan.
//   - Terms with volatile calls or subqueries never move.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class PushDownFilters : public OptimizerRule {
 public:
  std::string name() const override { return "push_down_filters"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
