#include "shoal/function/decimal_util.h"

#include <algorithm>

#include <arrow/type.h>

namespace shoal::function_internal {

using arrow::Decimal128;
using arrow::Decimal256;

void ExactDecimalResult(DecimalOp op, int p1, int s1, int p2, int s2, int* p, int* s) {
  switch (op) {
    case DecimalOp::kAdd:
    case DecimalOp::kSubtract:
      *s = std::max(s1, s2);
      *p = std::max(p1 - s1, p2 - s2) + *s + 1;
      break;
    case DecimalOp::kMultiply:
      *s = s1 + s2;
      *p = p1 + p2 + 1;
      break;
    case DecimalOp::kDivide:
      *s = std::max(4, s1 + p2 - s2 + 1);
      *p = p1 - s1 + s2 + *s;
      break;
  }
}

Result<std::shared_ptr<arrow::DataType>> DecimalResultType(DecimalOp op, int p1, int s1, int p2,
                                                           int s2) {
  int p = 0, s = 0;
  ExactDecimalResult(op, p1, s1, p2, s2, &p, &s);
  if (p > 38) {
    int int_digits = p - s;
    int min_scale = std::min(s, 6);
    s = std::max(38 - int_digits, min_scale);
    p = 38;
  }
  s = std::min(s, p);
  return arrow::decimal128(p, s);
}

namespace {

Decimal256 Rescaled(const Decimal256& v, int from, int to) {
  if (to > from) return Decimal256(v.IncreaseScaleBy(to - from));
  if (to < from) return Decimal256(v.ReduceScaleBy(from - to, /*round=*/true));
  return v;
}

Status Overflow(int rp, int rs) {
  return Status::Invalid("decimal overflow: the result does not fit DECIMAL(", rp, ",", rs, ")");
}

}  // namespace

Result<Decimal128> DecimalCompute(DecimalOp op, const Decimal128& a128, int sa,
                                  const Decimal128& b128, int sb, int rp, int rs) {
  Decimal256 a(a128), b(b128), r;
  switch (op) {
    case DecimalOp::kAdd:
    case DecimalOp::kSubtract: {
      int s = std::max(sa, sb);
      Decimal256 x = Rescaled(a, sa, s), y = Rescaled(b, sb, s);
      if (op == DecimalOp::kAdd) {
        x += y;
      } else {
        x -= y;
      }
      r = Rescaled(x, s, rs);
      break;
    }
    case DecimalOp::kMultiply: {
      Decimal256 x = a;
      x *= b;
      r = Rescaled(x, sa + sb, rs);
      break;
    }
    case DecimalOp::kDivide: {
      if (b == Decimal256(0)) return Status::Invalid("divide by zero");
      // a / b at scale rs + 1, then round the extra digit.
      int k = rs + 1 - sa + sb;
      Decimal256 num = a, den = b;
      if (k >= 0) {
        if (k > 76 || !a.FitsInPrecision(76 - k)) return Overflow(rp, rs);
        num = Decimal256(a.IncreaseScaleBy(k));
      } else {
        if (-k > 76 || !b.FitsInPrecision(76 + k)) {
          r = Decimal256(0);  // |b| is so large the quotient rounds to zero
          break;
        }
        den = Decimal256(b.IncreaseScaleBy(-k));
      }
      ARROW_ASSIGN_OR_RAISE(auto qr, num.Divide(den));
      r = Decimal256(qr.first.ReduceScaleBy(1, /*round=*/true));
      break;
    }
  }
  if (!r.FitsInPrecision(rp)) return Overflow(rp, rs);
  auto words = r.little_endian_array();
  return Decimal128(static_cast<int64_t>(words[1]), words[0]);
}

}  // namespace shoal::function_internal
