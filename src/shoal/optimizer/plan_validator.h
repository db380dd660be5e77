// Structural checks of a logical plan, run by the optimizer after every rule and
// usable from tests.
#pragma once

#include <string>

#include "shoal/common/status.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

/// Check that `plan` is well formed:
///   - each operator has the number of children its kind needs;
///   - output ids are unique within each operator's output;
///   - every column reference resolves to an output of the operator's children
///     (or, inside a subquery plan, of an enclosing operator) with the same type;
///   - outputs follow the operator's rules (Filter/Sort/Limit/TopN pass their
///     child's columns; Projection/Aggregate/Window/Join/Get/SetOperation/Values
///     produce as many columns as they compute, with the computed types).
/// Return Invalid with the operator path ("Projection > Filter > Get") and the problem.
Status ValidatePlan(const plan::LogicalOpPtr& plan);

}  // namespace shoal::opt
