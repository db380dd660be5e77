// Rule `decorrelate_subqueries`: replace every SubqueryExpr with joins, so no
// subquery runs once per outer row.
//
// Rewrites (S = the subquery plan, P = its correlated predicates pulled up):
//   - WHERE [NOT] EXISTS (S)            -> SEMI / ANTI join with P
//   - WHERE x IN (S), x op ANY (S)      -> SEMI join on x op s  (+ P)
//   - WHERE x NOT IN (S), x op ALL (S)  -> ANTI join when x and s are non-nullable,
//     else a null-aware MARK join m and the condition NOT m
//   - elsewhere (select list, OR, CASE) -> MARK join; the mark column replaces the
//     expression (EXISTS: not null-aware; IN/ANY/ALL: null-aware)
//   - scalar (S)                        -> uncorrelated: cross join when S always
//     yields one row (an aggregate without GROUP BY), else SINGLE join (errors on
//     more than one row); correlated: the correlated equalities below S's
//     aggregate become extra GROUP BY keys and S is LEFT-joined on them (TPC-H Q2,
//     Q17, Q20); count-like results are patched for outer rows without a match
//     ("COUNT bug"): CASE WHEN key IS NULL THEN <value over no rows> ELSE v END.
//
// Pulling correlated predicates up: through Filter (the conjuncts mentioning
// outer columns are removed and become join conditions, non-equalities too, e.g.
// Q21's l2.l_suppkey <> l1.l_suppkey), Projection (needed columns are passed
// through), inner joins, the preserved side of outer/semi/anti joins, Sort, and
// Aggregate (equalities become group keys). Anything else (correlation under a
// LIMIT, window, set operation, the null-supplying side of an outer join, outer
// columns in a select list) fails with "unsupported correlated subquery: ...";
// a wrong answer is never produced.
//
// MARK join contract for the executor: mark = Kleene OR, over right rows that
// satisfy conditions[1..], of conditions[0] (the IN/ANY comparison) when
// mark_null_aware; without null awareness mark = "some right row satisfies all
// conditions" (never null).
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class DecorrelateSubqueries : public OptimizerRule {
 public:
  std::string name() const override { return "decorrelate_subqueries"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
