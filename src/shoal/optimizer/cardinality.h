// Cardinality estimation from table statistics and fixed heuristics, used by
// join_reorder (join order, build sides, semi-join reducers) and to annotate
// LogicalOp::estimated_rows for EXPLAIN.
//
// Per column the estimator tracks (ColumnStats):
//   - ndv: distinct values at this point of the plan. A scan column starts at the
//     provider's distinct_count when given (TableStatistics::columns), else at the
//     table's non-null row count, bounded for integers and dates by the span of
//     its min..max (ndv <= max - min + 1; decimals count steps of their scale).
//     That bound is the cheap key heuristic: a primary key (p_partkey 1..200000
//     over 200000 rows) gets ndv = rows, a small-domain column (p_size 1..50,
//     n_nationkey 0..24, l_shipdate over ~2500 days) its span, and sparse keys
//     (o_orderkey) the row count; it overestimates columns with repeated values
//     over a wide span (l_orderkey: span 6M, 1.5M values), which joins then cap
//     by the referenced side's domain. Filters and joins cap ndv at the rows that
//     remain; an equality with a constant makes it 1; a range keeps the fraction
//     of values in range; a join key takes the smaller ndv of its two sides.
//   - lo, hi: value bounds (from min/max statistics, as doubles: dates in days,
//     timestamps in their unit, decimals scaled), narrowed by range filters.
//   - null_frac: fraction of nulls when the null count is known.
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
//   - equality with a constant: 1/ndv when ndv comes from column statistics (or
//     their min/max span), else 1/ndv on tiny domains (ndv <= 100, e.g. n_name),
//     rising to 0.1 at 10000 values and above; IN-list: that times the list
//     length (at most 0.5);
//   - comparisons of one column with constants: when the column has bounds, all
//     comparisons of that column in one conjunction form one interval and the
//     selectivity is the interval's share of [lo, hi] (uniform values; a date
//     range of one month over seven years is ~1.2%, not 0.3 * 0.3); without
//     bounds a range is 0.3; <> 0.9, LIKE 'abc%' or '%abc' 0.1,
//     LIKE '%abc%' 0.05, each further literal piece of a pattern times 0.2,
//     IS NULL 0.1 (the null fraction when known), IS NOT NULL 0.9 (its
//     complement), others 0.5; AND multiplies, OR adds (minus overlap), NOT complements;
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

#include <optional>
#include <unordered_map>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"

#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

/// What the estimator knows about one column at one operator.
struct ColumnStats {
  double ndv = 1;                          ///< distinct values here
  double domain = 1;                       ///< distinct values before any filter (>= ndv)
  const plan::LogicalOp* origin = nullptr; ///< operator producing the column
  double origin_rows = 1;                  ///< that operator's rows before filters
  bool ndv_known = false;   ///< ndv derives from column statistics, not the row count
  bool has_range = false;   ///< lo and hi hold bounds of every non-null value
  double lo = 0;            ///< smallest value (as ScalarAsDouble), when has_range
  double hi = 0;            ///< largest value, when has_range
  double null_frac = -1;    ///< fraction of null values, -1 when unknown
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

/// Return the estimated fraction of rows for which every one of `terms` holds:
/// comparisons of a column with bounds against constants are combined into one
/// interval per column, other terms multiply. When `narrowed` is given, it
/// receives the statistics of each column so restricted (bounds clipped to the
/// interval, ndv scaled by the interval's share).
double ConjunctionSelectivity(const std::vector<plan::ExprPtr>& terms, const ColumnStatsMap& cols,
                              ColumnStatsMap* narrowed = nullptr);

/// Return a number, decimal, date, time or timestamp scalar as a double (dates in
/// days, times and timestamps in their unit), or nullopt for other types and nulls.
std::optional<double> ScalarAsDouble(const arrow::Scalar& value);

/// Return the statistics of a scan column of type `type` in a table of `rows`
/// rows, from the provider's column statistics `stats` (may be null).
ColumnStats ScanColumnStats(const plan::LogicalOp* origin, double rows,
                            const arrow::DataType& type, const ColumnStatistics* stats);

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

/// While alive, make estimates on this thread use (or ignore) the providers'
/// column statistics (setting shoal.optimizer.column_statistics; default: use).
class ColumnStatisticsScope {
 public:
  explicit ColumnStatisticsScope(bool use);
  ~ColumnStatisticsScope();
  ColumnStatisticsScope(const ColumnStatisticsScope&) = delete;
  ColumnStatisticsScope& operator=(const ColumnStatisticsScope&) = delete;

 private:
  bool previous_;
};

/// Estimate `op` and everything below it, setting estimated_rows on every operator.
CardinalityInfo EstimateCardinality(plan::LogicalOp& op);

/// Set estimated_rows on every operator of `plan`.
void AnnotateCardinality(const plan::LogicalOpPtr& plan);

}  // namespace shoal::opt
