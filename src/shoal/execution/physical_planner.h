// Turning an optimized logical plan into physical operators.
#pragma once

#include <arrow/compute/registry.h>

#include "shoal/execution/physical_operator.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

/// Options that shape the physical plan.
struct PhysicalPlannerOptions {
  arrow::compute::FunctionRegistry* registry = nullptr;  ///< default: the Shoal registry
};

/// Build the physical operator tree for `plan`. Column ids are mapped to chunk
/// positions (each operator's chunks hold exactly its logical output columns in
/// order). Errors: unsupported operators or expressions, unknown functions.
Result<PhysicalOperatorPtr> CreatePhysicalPlan(const plan::LogicalOpPtr& plan,
                                               const PhysicalPlannerOptions& options);

/// True when the plan's result has a defined order (the root is, through
/// projections, filters and limits, a Sort, TopN or Limit).
bool PlanOutputIsOrdered(const plan::LogicalOpPtr& plan);

/// Render the operator tree, one operator per line; with `analyze`, add the
/// metrics of the last run.
std::string PhysicalPlanToString(const PhysicalOperator& root, bool analyze);

}  // namespace shoal::exec
