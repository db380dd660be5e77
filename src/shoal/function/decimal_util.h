// Internal: decimal result types and arithmetic for Shoal's DECIMAL(38)-capped
// kernels (used when Arrow's exact result precision would exceed 38).
#pragma once

#include <algorithm>
#include <memory>

#include <arrow/type_fwd.h>
#include <arrow/util/decimal.h>

#include "shoal/common/status.h"

namespace shoal::function_internal {

enum class DecimalOp { kAdd, kSubtract, kMultiply, kDivide };

/// Arrow's exact result precision/scale for `op` (may exceed 38):
/// add/subtract: s = max(s1, s2), p = max(p1 - s1, p2 - s2) + s + 1;
/// multiply: s = s1 + s2, p = p1 + p2 + 1;
/// divide: s = max(4, s1 + p2 - s2 + 1), p = p1 - s1 + s2 + s.
void ExactDecimalResult(DecimalOp op, int p1, int s1, int p2, int s2, int* p, int* s);

/// The SQL result type: the exact type when it fits DECIMAL(38), otherwise
/// precision 38 with the scale reduced to keep the integer digits, but never
/// below min(scale, 6) (Spark's rule, also used by DataFusion).
Result<std::shared_ptr<arrow::DataType>> DecimalResultType(DecimalOp op, int p1, int s1, int p2,
                                                           int s2);

/// The scale of avg(DECIMAL(p, s)) (result DECIMAL(38, scale)): s + 4 digits,
/// fewer when the integer digits need the room (DataFusion / DuckDB style).
inline int DecimalAvgScale(int p, int s) { return std::min(s + 4, 38 - (p - s)); }

/// Compute `a op b` (scales sa, sb) into DECIMAL(rp, rs), rounding half away
/// from zero; an error when the result does not fit or on division by zero.
Result<arrow::Decimal128> DecimalCompute(DecimalOp op, const arrow::Decimal128& a, int sa,
                                         const arrow::Decimal128& b, int sb, int rp, int rs);

}  // namespace shoal::function_internal
