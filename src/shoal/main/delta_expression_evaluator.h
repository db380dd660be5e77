// The engine's expression evaluator for the Delta writer (delta/constraints.h):
// SQL expressions of CHECK constraints, invariants, generated columns and
// replaceWhere predicates are evaluated by a private single-threaded session
// over the batch registered as a table.
#pragma once

#include <memory>

#include "shoal/delta/constraints.h"

namespace shoal {

/// Return an evaluator running expressions with Shoal's SQL (column names are
/// matched exactly, as Delta stores them).
std::shared_ptr<const delta::ExpressionEvaluator> MakeDeltaExpressionEvaluator();

}  // namespace shoal
