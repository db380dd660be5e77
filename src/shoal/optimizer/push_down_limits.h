// Rule `push_down_limits`:
//   - Sort + Limit -> TopN (keeps the best limit+offset rows while sorting);
//   - LIMIT 0 -> Empty; nested limits merge;
//   - a Limit moves below row-preserving projections;
//   - a Limit directly on a scan sets LogicalGet::limit (the Limit stays above);
//   - a Limit over UNION ALL puts a Limit of limit+offset on each input (the outer
//     Limit stays).
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class PushDownLimits : public OptimizerRule {
 public:
  std::string name() const override { return "push_down_limits"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
