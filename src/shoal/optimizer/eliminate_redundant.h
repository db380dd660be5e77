// Rule `eliminate_redundant`: remove operators that do nothing.
//   - identity projections (same columns and ids as their input, in order);
//   - adjacent projections are merged (an inner expression used more than once is
//     only inlined when it is a column or a literal); adjacent filters are merged;
//   - a Sort under an Aggregate whose aggregates are not order-sensitive, and a
//     Sort directly under another Sort;
//   - filters without conditions and limits without limit or offset;
//   - operators over an Empty input that produce no rows either (Filter,
//     Projection, Sort, Limit, TopN, Window, grouped Aggregate, inner/semi joins,
//     joins whose preserved side is empty); an ANTI join with an empty right side
//     is its left input;
//   - an inner join without conditions with a one-row, zero-column VALUES side.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class EliminateRedundant : public OptimizerRule {
 public:
  std::string name() const override { return "eliminate_redundant"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
