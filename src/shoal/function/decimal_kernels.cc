// Shoal's DECIMAL128 arithmetic kernels: shoal_decimal_add, shoal_decimal_subtract,
// shoal_decimal_multiply (tight __int128 loops) and shoal_decimal_divide (row at a
// time through Decimal256).
//
// Result types follow DecimalResultType (decimal_util.h): Arrow's exact rules while
// they fit DECIMAL(38), capped at 38 digits with a reduced scale otherwise.
//
// How + - * run:
// - Nulls: Arrow intersects the input validity bitmaps before the kernel runs
//   (NullHandling::INTERSECTION); the kernel computes every slot without
//   branching on validity (values under null slots are meaningless).
// - Exact result precision <= 38 (the common case, e.g. TPC-H's DECIMAL(15,2)
//   columns): the result cannot overflow, so there is no check at all. Operands
//   are aligned to the result scale by a power of ten (a constant operand is
//   aligned once per batch); a multiply of two operands of precision <= 18 is a
//   single 64x64->128-bit multiply.
// - Exact result precision > 38: every row is computed with overflow-checked
//   __int128 arithmetic, rounded (half away from zero) to the reduced scale and
//   checked against 38 digits. Rows that fail this fast check (and are not
//   null) are recomputed exactly through Decimal256 (DecimalCompute), which
//   either finds the value (an intermediate that only overflowed __int128) or
//   reports the overflow.
#include <algorithm>
#include <cstring>

#include <arrow/array/builder_decimal.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/decimal.h>

#include "shoal/function/decimal_util.h"
#include "shoal/function/kernel_util.h"

namespace shoal::function_internal {

using arrow::Decimal128;
using arrow::internal::checked_cast;

namespace {

using int128 = __int128;
using uint128 = unsigned __int128;

constexpr int kWidth = 16;  // bytes per DECIMAL128 value

struct Pow10Table {
  int128 v[39];
  constexpr Pow10Table() : v() {
    v[0] = 1;
    for (int i = 1; i < 39; ++i) v[i] = v[i - 1] * 10;
  }
};
constexpr Pow10Table kPow10;

inline int128 Load(const uint8_t* p) {
  int128 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline int64_t LoadLow(const uint8_t* p) {
  int64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

inline void Store(uint8_t* p, int128 v) { std::memcpy(p, &v, sizeof(v)); }

inline int128 FromDecimal(const Decimal128& d) {
  return static_cast<int128>((static_cast<uint128>(static_cast<uint64_t>(d.high_bits())) << 64) |
                             d.low_bits());
}

inline Decimal128 ToDecimal(int128 v) {
  return Decimal128(static_cast<int64_t>(static_cast<uint128>(v) >> 64),
                    static_cast<uint64_t>(static_cast<uint128>(v)));
}

/// One operand of a kernel call: an array's values or a constant.
struct Operand {
  const uint8_t* values = nullptr;  ///< first value of the array (offset applied)
  bool is_scalar = false;
  int128 scalar = 0;  ///< the constant (0 when it is NULL: the output is all null)

  explicit Operand(const cp::ExecValue& v) {
    if (v.is_scalar()) {
      is_scalar = true;
      if (v.scalar->is_valid) {
        scalar = FromDecimal(checked_cast<const arrow::Decimal128Scalar&>(*v.scalar).value);
      }
    } else {
      values = v.array.buffers[1].data + v.array.offset * kWidth;
    }
  }
  Decimal128 At(int64_t i) const {
    return is_scalar ? ToDecimal(scalar) : ToDecimal(Load(values + i * kWidth));
  }
};

/// Run `f(a, b)` for every row, writing into `out`. `f` gets the operands as
/// __int128; a constant operand is passed through `prep` once (e.g. rescaled).
template <typename PrepA, typename PrepB, typename F>
void BinaryLoop(int64_t n, const Operand& a, const Operand& b, uint8_t* out, PrepA prep_a,
                PrepB prep_b, F f) {
  if (a.is_scalar && b.is_scalar) {
    int128 r = f(prep_a(a.scalar), prep_b(b.scalar));
    for (int64_t i = 0; i < n; ++i) Store(out + i * kWidth, r);
  } else if (a.is_scalar) {
    const int128 x = prep_a(a.scalar);
    const uint8_t* pb = b.values;
    for (int64_t i = 0; i < n; ++i) Store(out + i * kWidth, f(x, prep_b(Load(pb + i * kWidth))));
  } else if (b.is_scalar) {
    const int128 y = prep_b(b.scalar);
    const uint8_t* pa = a.values;
    for (int64_t i = 0; i < n; ++i) Store(out + i * kWidth, f(prep_a(Load(pa + i * kWidth)), y));
  } else {
    const uint8_t* pa = a.values;
    const uint8_t* pb = b.values;
    for (int64_t i = 0; i < n; ++i) {
      Store(out + i * kWidth, f(prep_a(Load(pa + i * kWidth)), prep_b(Load(pb + i * kWidth))));
    }
  }
}

/// BinaryLoop over the low 64 bits of operands of precision <= 18.
template <typename F>
void BinaryLoop64(int64_t n, const Operand& a, const Operand& b, uint8_t* out, F f) {
  if (a.is_scalar || b.is_scalar) {
    const Operand& col = a.is_scalar ? b : a;
    const int64_t k = static_cast<int64_t>(a.is_scalar ? a.scalar : b.scalar);
    if (col.is_scalar) {
      int128 r = f(static_cast<int64_t>(a.scalar), static_cast<int64_t>(b.scalar));
      for (int64_t i = 0; i < n; ++i) Store(out + i * kWidth, r);
      return;
    }
    const uint8_t* p = col.values;
    // Only used for multiplication, which commutes.
    for (int64_t i = 0; i < n; ++i) Store(out + i * kWidth, f(LoadLow(p + i * kWidth), k));
    return;
  }
  const uint8_t* pa = a.values;
  const uint8_t* pb = b.values;
  for (int64_t i = 0; i < n; ++i) {
    Store(out + i * kWidth, f(LoadLow(pa + i * kWidth), LoadLow(pb + i * kWidth)));
  }
}

/// Divide by 10^k (k > 0) rounding half away from zero.
inline int128 RoundDivPow10(int128 v, int k) {
  const int128 p = kPow10.v[k];
  int128 q = v / p;
  int128 r = v - q * p;
  int128 twice = r < 0 ? -2 * r : 2 * r;
  if (twice >= p) q += v < 0 ? -1 : 1;
  return q;
}

struct DecimalCall {
  int pa, sa, pb, sb;  // operand types
  int ep, es;          // exact result precision/scale (ep may exceed 38)
  int rp, rs;          // result type
};

Result<DecimalCall> Describe(DecimalOp op, const cp::ExecSpan& batch) {
  const auto& ta = checked_cast<const arrow::Decimal128Type&>(*batch[0].type());
  const auto& tb = checked_cast<const arrow::Decimal128Type&>(*batch[1].type());
  DecimalCall c{ta.precision(), ta.scale(), tb.precision(), tb.scale(), 0, 0, 0, 0};
  ExactDecimalResult(op, c.pa, c.sa, c.pb, c.sb, &c.ep, &c.es);
  ARROW_ASSIGN_OR_RAISE(auto rt, DecimalResultType(op, c.pa, c.sa, c.pb, c.sb));
  const auto& rtype = checked_cast<const arrow::Decimal128Type&>(*rt);
  c.rp = rtype.precision();
  c.rs = rtype.scale();
  return c;
}

// Exact result fits DECIMAL(38): no overflow is possible.
template <DecimalOp kOp>
void ComputeExact(const DecimalCall& c, int64_t n, const Operand& a, const Operand& b,
                  uint8_t* out) {
  auto id = [](int128 v) { return v; };
  if constexpr (kOp == DecimalOp::kMultiply) {
    // Result scale = sa + sb: no alignment.
    if (c.pa <= 18 && c.pb <= 18) {
      BinaryLoop64(n, a, b, out, [](int64_t x, int64_t y) {
        return static_cast<int128>(x) * static_cast<int128>(y);
      });
    } else {
      BinaryLoop(n, a, b, out, id, id, [](int128 x, int128 y) {
        return static_cast<int128>(static_cast<uint128>(x) * static_cast<uint128>(y));
      });
    }
  } else {
    // Align both operands to the result scale (at most one needs it).
    const int128 fa = kPow10.v[c.es - c.sa], fb = kPow10.v[c.es - c.sb];
    auto op = [](int128 x, int128 y) { return kOp == DecimalOp::kAdd ? x + y : x - y; };
    auto scale_a = [fa](int128 v) { return v * fa; };
    auto scale_b = [fb](int128 v) { return v * fb; };
    if (c.es == c.sa && c.es == c.sb) {
      BinaryLoop(n, a, b, out, id, id, op);
    } else if (c.es == c.sa) {
      BinaryLoop(n, a, b, out, id, scale_b, op);
    } else {
      BinaryLoop(n, a, b, out, scale_a, id, op);
    }
  }
}

// One row of the capped case with checked __int128 arithmetic: false when it
// overflows __int128 or DECIMAL(38) (the caller then uses the exact path).
template <DecimalOp kOp>
inline bool ComputeCapped(const DecimalCall& c, int128 x, int128 y, int128* r) {
  static constexpr int128 kMax38 = kPow10.v[38] - 1;
  int128 v;
  bool overflow;
  int drop;  // digits of scale to drop to reach rs
  if constexpr (kOp == DecimalOp::kMultiply) {
    int64_t x64 = static_cast<int64_t>(x), y64 = static_cast<int64_t>(y);
    if (x64 == x && y64 == y) {
      v = static_cast<int128>(x64) * y64;
      overflow = false;
    } else {
      overflow = __builtin_mul_overflow(x, y, &v);
    }
    drop = c.sa + c.sb - c.rs;
  } else {
    const int s = std::max(c.sa, c.sb);
    int128 xs, ys;
    overflow = __builtin_mul_overflow(x, kPow10.v[s - c.sa], &xs);
    overflow |= __builtin_mul_overflow(y, kPow10.v[s - c.sb], &ys);
    if constexpr (kOp == DecimalOp::kAdd) {
      overflow |= __builtin_add_overflow(xs, ys, &v);
    } else {
      overflow |= __builtin_sub_overflow(xs, ys, &v);
    }
    drop = s - c.rs;
  }
  if (drop > 0) v = RoundDivPow10(v, drop);
  *r = v;
  return !overflow && v <= kMax38 && v >= -kMax38;
}

template <DecimalOp kOp>
Status ComputeCappedAll(const DecimalCall& c, int64_t n, const Operand& a, const Operand& b,
                        const uint8_t* validity, int64_t out_offset, uint8_t* out) {
  bool bad = false;
  auto f = [&c, &bad](int128 x, int128 y) {
    int128 r;
    bad |= !ComputeCapped<kOp>(c, x, y, &r);
    return r;
  };
  auto id = [](int128 v) { return v; };
  BinaryLoop(n, a, b, out, id, id, f);
  if (!bad) return Status::OK();
  // Recompute the rows that failed (and are not null) exactly.
  for (int64_t i = 0; i < n; ++i) {
    if (validity != nullptr && !arrow::bit_util::GetBit(validity, out_offset + i)) continue;
    Decimal128 x = a.At(i), y = b.At(i);
    int128 r;
    if (ComputeCapped<kOp>(c, FromDecimal(x), FromDecimal(y), &r)) continue;
    ARROW_ASSIGN_OR_RAISE(Decimal128 v, DecimalCompute(kOp, x, c.sa, y, c.sb, c.rp, c.rs));
    Store(out + i * kWidth, FromDecimal(v));
  }
  return Status::OK();
}

template <DecimalOp kOp>
Status ExecDecimalFast(cp::KernelContext*, const cp::ExecSpan& batch, cp::ExecResult* out) {
  ARROW_ASSIGN_OR_RAISE(DecimalCall c, Describe(kOp, batch));
  arrow::ArraySpan* span = out->array_span_mutable();
  uint8_t* dst = span->buffers[1].data + span->offset * kWidth;
  Operand a(batch[0]), b(batch[1]);
  const int64_t n = batch.length;
  if (c.ep <= 38) {
    ComputeExact<kOp>(c, n, a, b, dst);
    return Status::OK();
  }
  return ComputeCappedAll<kOp>(c, n, a, b, span->buffers[0].data, span->offset, dst);
}

// Division: row at a time through Decimal256 (rarely hot: TPC-H divides
// aggregates, one value per group).
Status ExecDecimalDivide(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  ARROW_ASSIGN_OR_RAISE(DecimalCall c, Describe(DecimalOp::kDivide, batch));
  NumReader<Decimal128> a(batch[0]), b(batch[1]);
  arrow::Decimal128Builder builder(arrow::decimal128(c.rp, c.rs), ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !b.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto v, DecimalCompute(DecimalOp::kDivide, a.Get(i), c.sa, b.Get(i),
                                                 c.sb, c.rp, c.rs));
    builder.UnsafeAppend(v);
  }
  return FinishInto(&builder, out);
}

cp::OutputType DecimalOutput(DecimalOp op) {
  return cp::OutputType(
      [op](cp::KernelContext*,
           const std::vector<arrow::TypeHolder>& types) -> Result<arrow::TypeHolder> {
        const auto& a = checked_cast<const arrow::Decimal128Type&>(*types[0].type);
        const auto& b = checked_cast<const arrow::Decimal128Type&>(*types[1].type);
        ARROW_ASSIGN_OR_RAISE(auto t, DecimalResultType(op, a.precision(), a.scale(),
                                                         b.precision(), b.scale()));
        return arrow::TypeHolder(t);
      });
}

template <DecimalOp kOp>
Status AddFastFunction(cp::FunctionRegistry* registry, const std::string& name,
                       const std::string& summary) {
  auto func = MakeFunction(name, cp::Arity::Binary(), summary);
  cp::ScalarKernel kernel({arrow::Type::DECIMAL128, arrow::Type::DECIMAL128}, DecimalOutput(kOp),
                          ExecDecimalFast<kOp>);
  kernel.null_handling = cp::NullHandling::INTERSECTION;
  kernel.mem_allocation = cp::MemAllocation::PREALLOCATE;
  ARROW_RETURN_NOT_OK(func->AddKernel(std::move(kernel)));
  return registry->AddFunction(func);
}

}  // namespace

Status RegisterDecimalKernels(cp::FunctionRegistry* registry) {
  ARROW_RETURN_NOT_OK(AddFastFunction<DecimalOp::kAdd>(registry, "shoal_decimal_add",
                                                       "DECIMAL128 a + b (SQL result type)"));
  ARROW_RETURN_NOT_OK(AddFastFunction<DecimalOp::kSubtract>(
      registry, "shoal_decimal_subtract", "DECIMAL128 a - b (SQL result type)"));
  ARROW_RETURN_NOT_OK(AddFastFunction<DecimalOp::kMultiply>(
      registry, "shoal_decimal_multiply", "DECIMAL128 a * b (SQL result type)"));
  auto divide = MakeFunction("shoal_decimal_divide", cp::Arity::Binary(),
                             "DECIMAL128 a / b with the result capped at DECIMAL(38)");
  ARROW_RETURN_NOT_OK(AddShoalKernel(divide.get(),
                                     {arrow::Type::DECIMAL128, arrow::Type::DECIMAL128},
                                     DecimalOutput(DecimalOp::kDivide), ExecDecimalDivide));
  return registry->AddFunction(divide);
}

}  // namespace shoal::function_internal
