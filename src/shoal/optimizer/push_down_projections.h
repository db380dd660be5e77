// Rule `push_down_projections` (column pruning): remove columns nobody uses.
//
// Walks the plan top-down with the set of column ids the parent needs:
// projections, aggregates (aggregate calls only; groups stay), window
// expressions and VALUES columns that are not needed are dropped, and every
// LogicalGet's projection is narrowed to the needed columns (plus those its
// pushed-down filters read), so scans read only what the query uses. Column ids
// never change; where an operator's exact column list matters (the root, inputs
// of set operations) a pass-through projection restores it.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class PushDownProjections : public OptimizerRule {
 public:
  std::string name() const override { return "push_down_projections"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
