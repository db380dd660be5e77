// Cardinality estimation from table statistics and fixed heuristics, used by
// join_reorder (join order, build sides, semi-join reducers) and to annotate
// LogicalOp::estimated_rows for EXPLAIN.
//
// Per column the estimator tracks (ColumnStats):
//   - ndv: distinct values at this point of the plan. A scan column starts at the
//     table's row count (no column statistics exist yet: every column may be a
//     key); filters and joins cap it at the rows that remain; an equality with a
//     constant makes it 1; a join key takes the smaller ndv of its two sides.
//   - domain: distinct values the column can take at all, before any filter (the
//     table's row count for a scan column, the input's domain for a group key,
//     the producing operator's rows for a computed column). An equi-join key's
//     domain is the smaller of both sides' domains: a foreign key takes the
//     domain of the (smaller) key it references (c_nationkey = n_nationkey gives
//     c_nationkey 25 values).
//   - origin: the operator producing the column and its unfiltered row count,
//     to recognize composite keys (below).
//
// Heuristics (no histograms yet):
//   - a scan has TableStatistics::num_rows rows (1000 when unknown);
//   - equality with a constant: 1/ndv on tiny domains (ndv <= 100, e.g. n_name),
//     rising to 0.1 at 10000 values and above; IN-list: that times the list
//     length (at most 0.5); range 0.3, <> 0.9, LIKE 'abc%' or '%abc' 0.1,
//     LIKE '%abc%' 0.05, each further literal piece of a pattern times 0.2,
//     IS NULL 0.1, IS NOT NULL 0.9, others 0.5; AND multiplies, OR adds (minus overlap), NOT complements;
//   - equi-join of L and R on keys k1..kn (EquiJoinDenominator):
//     |L| * |R| / max(ndv_L(k), ndv_R(k)) per key with ndv capped by the key's
//     domain; several keys multiply their denominators (the combined ndv of a
//     side is at most its rows), except that when each side takes all its keys
//     from one origin, the combination is a composite key of the smaller origin
//     and has at most that many values ((l_partkey, l_suppkey) -> partsupp
//     yields |lineitem| rows, not far fewer);
//   - semi join: the fraction of left rows with a match, min(1, inner / |L|,
//     ndv_R(keys) / ndv_L(keys)) (ndvs capped by their own rows only: the right
//     side of IN / EXISTS is usually a filtered subset, not a referenced key);
//     anti join the rest (at least 10%).
#pragma once

#include <unordered_map>
#include <vector>

#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

/// What the estimator knows about one column at one operator.
struct ColumnStats {
  double ndv = 1;                          ///< distinct values here
  double domain = 1;                       ///< distinct values before any filter (>= ndv)
  const plan::LogicalOp* origin = nullptr; ///< operator producing the column
  double origin_rows = 1;                  ///< that operator's rows before filters
};

/// Column statistics by column id.
using ColumnStatsMap = std::unordered_map<plan::ColumnId, ColumnStats>;

/// The estimate for one operator.
struct CardinalityInfo {
  double rows = 0;
  ColumnStatsMap columns;
};

/// One equi-join key: the statistics of its left and right column.
struct JoinKeyStats {
  ColumnStats left;
  ColumnStats right;
};

/// Return the estimated fraction of rows for which `cond` holds, using `cols` for
/// distinct counts.
double ConditionSelectivity(const plan::ExprPtr& cond, const ColumnStatsMap& cols);

/// Return the selectivity of `column = constant` for a column with `ndv` distinct values.
double EqualityConstantSelectivity(double ndv);

/// Return the selectivity of `column LIKE pattern` (pattern in LIKE syntax with
/// '%' and '_' wildcards, backslash escapes); `col` may be null.
double LikeSelectivity(const std::string& pattern, const ColumnStats* col);

/// Return true when `cond` is an equality between expressions over columns on
/// both sides (a join key).
bool IsEquiCondition(const plan::ExprPtr& cond);

/// Return true when `cond` is `column = column` (no casts, equal types, two
/// different columns), filling the two ids.
bool IsColumnEquality(const plan::ExprPtr& cond, plan::ColumnId* a, plan::ColumnId* b);

/// Return the divisor of |L| * |R| for an equi-join on `keys` (>= 1; 1 when there
/// are no keys). See the header comment for the formula.
double EquiJoinDenominator(const std::vector<JoinKeyStats>& keys, double left_rows,
                           double right_rows);

/// Return the column statistics after joining: every column capped at `rows`.
void CapColumns(ColumnStatsMap* cols, double rows);

/// Return the estimated rows of an inner join of inputs with `left_rows` and
/// `right_rows` rows under `conditions` (column statistics of both inputs in `cols`).
double InnerJoinRows(double left_rows, double right_rows,
                     const std::vector<plan::ExprPtr>& conditions, const ColumnStatsMap& cols);

/// Estimate `op` and everything below it, setting estimated_rows on every operator.
CardinalityInfo EstimateCardinality(plan::LogicalOp& op);

/// Set estimated_rows on every operator of `plan`.
void AnnotateCardinality(const plan::LogicalOpPtr& plan);

}  // namespace shoal::opt
