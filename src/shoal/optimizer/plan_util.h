// Helpers shared by the optimizer rules: plan copying and traversal, expression
// rewriting, column-id bookkeeping and small expression builders.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

using plan::ColumnId;
using plan::ExprPtr;
using plan::LogicalOpPtr;

using IdSet = std::unordered_set<ColumnId>;

/// Return a deep copy of `plan`: every operator is cloned, and subquery plans inside
/// expressions are copied too. Expressions are shared otherwise (they are immutable).
LogicalOpPtr DeepCopyPlan(const LogicalOpPtr& plan);

/// Return a deep copy of `plan` in which every column produced inside it gets a
/// fresh id from `next_id` (expressions are remapped), so the copy can sit in the
/// same query as the original. `mapping` (optional) receives old id -> new id.
/// Subquery expressions are not entered (call after decorrelation).
LogicalOpPtr CopyWithFreshIds(const LogicalOpPtr& plan, const std::function<ColumnId()>& next_id,
                              std::unordered_map<ColumnId, ColumnId>* mapping = nullptr);

/// Return the largest column id produced or referenced anywhere in `plan`
/// (subquery plans included), or 0 for an empty plan.
ColumnId MaxColumnId(const LogicalOpPtr& plan);

/// Replace every expression held by `op` with fn(expr) (filters, projections,
/// groups and aggregates, join conditions, sort keys, window exprs, values).
Status MapExpressions(plan::LogicalOp* op,
                      const std::function<Result<ExprPtr>(const ExprPtr&)>& fn);

/// Rewrite `expr` bottom-up: children first, then fn on the rebuilt node.
/// Subquery plans are not entered.
Result<ExprPtr> TransformUp(const ExprPtr& expr,
                            const std::function<Result<ExprPtr>(const ExprPtr&)>& fn);

/// Add every column id referenced by `expr` to `out` (correlated columns of
/// subqueries included).
void CollectIds(const ExprPtr& expr, IdSet* out);
/// Return the ids referenced by `expr`.
IdSet ReferencedIds(const ExprPtr& expr);
/// Return true when every id referenced by `expr` is in `available`.
bool RefsSubsetOf(const ExprPtr& expr, const IdSet& available);
/// Return the output ids of `op` as a set.
IdSet OutputIdSet(const plan::LogicalOp& op);

/// Return true when `expr` holds a volatile call or a subquery (must not be moved,
/// duplicated or dropped).
bool HasSideEffectsOrSubquery(const ExprPtr& expr);

/// Return a string covering every field of every operator in the plan; equal
/// digests mean equal plans (used for the rules' "changed" flag).
std::string PlanDigest(const LogicalOpPtr& plan);

/// Return a column reference to `col`.
ExprPtr RefTo(const plan::OutputColumn& col);

/// Return a Projection over `child` producing exactly `columns` (which must be
/// outputs of `child`), reusing their ids (a pass-through projection).
LogicalOpPtr MakePassThrough(const LogicalOpPtr& child,
                             const std::vector<plan::OutputColumn>& columns);

/// Return `op` when its output ids equal `columns`' ids in order, else a
/// pass-through projection restoring them.
LogicalOpPtr EnsureOutput(const LogicalOpPtr& op, const std::vector<plan::OutputColumn>& columns);

/// Return a Filter over `child` with `conditions` (child itself when empty).
LogicalOpPtr MakeFilter(const LogicalOpPtr& child, std::vector<ExprPtr> conditions);

/// Return a join of `left` and `right`; output = left + right (left only for
/// semi/anti; mark joins need the mark column appended by the caller).
std::shared_ptr<plan::LogicalJoin> MakeJoin(plan::JoinType type, LogicalOpPtr left,
                                            LogicalOpPtr right, std::vector<ExprPtr> conditions);

/// Return an Empty operator with `op`'s output.
LogicalOpPtr MakeEmptyLike(const plan::LogicalOp& op);

/// Bind the SQL function `sql_name` ("not", "is_null", "=", ...) over `args` through
/// the function catalog, inserting the casts it asks for, and return the call.
Result<ExprPtr> BindCall(const std::string& sql_name, std::vector<ExprPtr> args,
                         const std::string& display_name = "");

/// Return NOT expr (bound through the catalog).
Result<ExprPtr> MakeNot(ExprPtr expr);

/// Return the Arrow comparison name with its arguments swapped ("less" -> "greater").
std::string FlipComparison(const std::string& fn);
/// Return the negated Arrow comparison name ("less" -> "greater_equal").
std::string NegateComparison(const std::string& fn);
/// Return true for equal/not_equal/less/less_equal/greater/greater_equal.
bool IsComparison(const std::string& fn);

/// Return the call when `expr` is a CallExpr to one of `names`, else null.
const plan::CallExpr* AsCall(const ExprPtr& expr);
/// Return true when `expr` is a boolean literal equal to `value`.
bool IsBoolLiteral(const ExprPtr& expr, bool value);
/// Return true when `expr` is a null literal.
bool IsNullLiteral(const ExprPtr& expr);

/// Split every expression of `conds` at AND and append the terms to `out`.
void SplitAll(const std::vector<ExprPtr>& conds, std::vector<ExprPtr>* out);

}  // namespace shoal::opt
