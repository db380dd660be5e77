// Rule `simplify_expressions`: constant folding and boolean simplification.
//
//   - Constant subtrees (calls, casts, CASE over literals) are evaluated with Arrow
//     compute through the function catalog's registry. Volatile calls (random(),
//     now()) are never folded. A folding error (1/0, a bad cast) leaves the
//     expression as written so the error happens at run time, only if evaluated.
//   - Boolean rules under SQL's three-valued logic: x AND true -> x, x AND false ->
//     false, x OR true -> true, x OR false -> x, NOT NOT x -> x, x AND x -> x,
//     comparisons with NULL -> NULL, IS [NOT] NULL of a non-nullable input -> constant.
//   - CAST(c AS wider) <cmp> literal -> c <cmp> literal::narrower when the cast
//     preserves order and the literal converts exactly (so scans can prune on c).
//   - Filters: true conditions are dropped (no condition left: the Filter goes);
//     a false or NULL condition turns the Filter into an Empty operator. Inner and
//     semi joins with a false condition become Empty; anti joins with one keep
//     their left input.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class SimplifyExpressions : public OptimizerRule {
 public:
  std::string name() const override { return "simplify_expressions"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

/// Return `expr` simplified and constant-folded (never fails on evaluation errors;
/// errors are only returned for internal problems).
Result<plan::ExprPtr> SimplifyExpr(const plan::ExprPtr& expr);

}  // namespace shoal::opt
