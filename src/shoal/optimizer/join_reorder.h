// Rule `join_reorder`: order chains of inner joins by estimated cost and pick
// hash-join build sides.
//
// A maximal tree of inner joins (and filters between them) is flattened into
// relations and conditions. With up to 10 relations a dynamic program over
// relation subsets finds the bushy order that minimizes the sum of intermediate
// result sizes, considering only splits connected by a condition (no cross
// products unless the query has them); larger or disconnected graphs use a greedy
// order (join the connected pair with the smallest result first). Cardinalities
// come from cardinality.h (table statistics plus selectivity heuristics). Each
// condition lands on the lowest join that sees all its columns; a pass-through
// projection restores the original column order on top.
//
// Build sides: inner joins build on the smaller estimated input
// (LogicalJoin::build_right); LEFT/RIGHT/FULL joins are mirrored (LEFT <-> RIGHT)
// so that the smaller input is the right (build) side; semi, anti, mark and single
// joins always build on the right. estimated_rows is set on every operator.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class JoinReorder : public OptimizerRule {
 public:
  std::string name() const override { return "join_reorder"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
