// Rule `join_reorder`: order chains of inner joins by estimated cost, push
// selective semi joins down, add semi-join reducers to grouped subqueries, and
// pick hash-join build sides.
//
// Regions. A maximal tree of inner joins (and filters between them) is flattened
// into relations and conditions. Column equalities (a = b, same type, different
// relations) are merged into equivalence classes: every pair of members of a
// class is a join edge (c_nationkey = s_nationkey AND s_nationkey = n_nationkey
// also lets customer join nation directly), and a join of two relation sets
// applies one equality per class spanning them, all of them reducing the
// estimate (cardinality.h: |L| * |R| / max(ndv(l), ndv(r)), multiplied over
// keys, with a class's domain being its members' smallest domain). Other
// conditions land on the lowest join that sees all their columns.
//
// Order. With up to 12 relations a dynamic program over relation subsets finds
// the bushy order minimizing the sum of intermediate result sizes (each row
// weighted by 1 + 0.1 per column it carries: wide results cost more to hash and
// gather, so a wide dimension joins late), considering
// only splits connected by a condition (no cross products unless the query has
// them); larger or disconnected graphs use a greedy order (join the connected
// pair with the smallest result first). A pass-through projection restores the
// original column order on top.
//
// Semi/anti join pushdown. A SEMI or ANTI join whose left input is a Filter, a
// Projection (of plain columns, for the columns it uses) or an inner join moves
// below it, onto the input holding every left column its conditions use, when
// it keeps at most half of that input and leaves it smaller than the join it
// passed (TPC-H Q18: the IN-subquery's 57 order keys filter orders before orders
// meets lineitem). It only moves below filters and projections on its way to an
// inner join. Unselective semi joins stay on top (Q21), where they see fewer rows.
//
// Semi-join reducers ("magic sets", sideways information passing). When a
// relation of a region is a GROUP BY (under filters/projections) whose group key
// is in an equivalence class with a selective, cheap relation (a filtered scan,
// or the right side of a semi join on that class), a copy of that relation (fresh
// column ids) is semi-joined into the aggregate's input: groups that could never
// join are not computed. TPC-H Q17 aggregates only lineitem rows of the ~200
// selected parts; Q2 and Q20 likewise. The copy is evaluated twice (no shared
// materialization yet); only relations reading at most half as many table rows
// as the aggregate input, keeping at most half of its group keys, and free of
// aggregates, volatile calls, one-shot scans and recursive-CTE reads qualify.
//
// Build sides: the executor builds any join type on either side
// (LogicalJoin::build_right). Inner joins are ordered so the smaller estimated
// input is the right (build) child; every other join type builds on its smaller
// input, except null-aware MARK joins, which always build on the right (the
// build-left path does not track null residuals). estimated_rows is set on every
// operator.
#pragma once

#include "shoal/optimizer/optimizer.h"

namespace shoal::opt {

class JoinReorder : public OptimizerRule {
 public:
  std::string name() const override { return "join_reorder"; }
  Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const override;
};

}  // namespace shoal::opt
