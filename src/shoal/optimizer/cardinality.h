// Cardinality estimation from table statistics and fixed selectivity heuristics,
// used by join_reorder and to annotate LogicalOp::estimated_rows for EXPLAIN.
//
// Heuristics (no histograms yet):
//   - a scan has TableStatistics::num_rows rows (1000 when unknown);
//   - every column's "domain size" (distinct values it can take) starts at the row
//     count of the table or aggregate producing it and is not reduced by filters;
//   - filter selectivity: equality with a constant 0.1, range 0.3, <> 0.9,
//     LIKE 0.25, IS NULL 0.1, IS NOT NULL 0.9, IN-list 0.2, others 0.5, AND
//     multiplies, OR adds (minus overlap), NOT complements;
//   - equi-join a = b: selectivity 1 / min(domain(a), domain(b)) (foreign key to
//     primary key: the smaller domain is the key side); several equalities between
//     the same inputs count once (the most selective one); other join conditions
//     use the filter selectivities.
#pragma once

#include <unordered_map>
#include <vector>

#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

/// Domain sizes (distinct value guesses) by column id.
using NdvMap = std::unordered_map<plan::ColumnId, double>;

/// The estimate for one operator.
struct CardinalityInfo {
  double rows = 0;
  NdvMap ndv;
};

/// Return the estimated fraction of rows for which `cond` holds, using `ndv` for
/// equalities between columns.
double ConditionSelectivity(const plan::ExprPtr& cond, const NdvMap& ndv);

/// Return true when `cond` is an equality between expressions over columns
/// (a join key), filling the two sides' domain sizes from `ndv`.
bool IsEquiCondition(const plan::ExprPtr& cond);

/// Return the estimated rows of an inner join of inputs with `left_rows` and
/// `right_rows` rows under `conditions`.
double InnerJoinRows(double left_rows, double right_rows,
                     const std::vector<plan::ExprPtr>& conditions, const NdvMap& ndv);

/// Estimate `op` and everything below it, setting estimated_rows on every operator.
CardinalityInfo EstimateCardinality(plan::LogicalOp& op);

/// Set estimated_rows on every operator of `plan`.
void AnnotateCardinality(const plan::LogicalOpPtr& plan);

}  // namespace shoal::opt
