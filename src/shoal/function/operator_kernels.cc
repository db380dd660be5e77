// Shoal kernels behind SQL operators that Arrow lacks: decimal arithmetic whose
// exact result type would exceed DECIMAL(38), date +/- days, date/timestamp +/-
// interval, date - date, LIKE with a column pattern, IS [NOT] DISTINCT FROM,
// and `||`.
#include <algorithm>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_decimal.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/builder_time.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/decimal.h>

#include "shoal/function/datetime_util.h"
#include "shoal/function/decimal_util.h"
#include "shoal/function/kernel_util.h"
#include "shoal/function/like_util.h"

namespace shoal::function_internal {

using arrow::Decimal128;
using arrow::Decimal256;
using arrow::internal::checked_cast;
using MDN = arrow::MonthDayNanoIntervalType::MonthDayNanos;

namespace {

// ---------------------------------------------------------------------------
// Decimal arithmetic with results capped at DECIMAL(38)
// ---------------------------------------------------------------------------

template <DecimalOp kOp>
Status ExecDecimal(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& ta = checked_cast<const arrow::Decimal128Type&>(*batch[0].type());
  const auto& tb = checked_cast<const arrow::Decimal128Type&>(*batch[1].type());
  ARROW_ASSIGN_OR_RAISE(auto rt, DecimalResultType(kOp, ta.precision(), ta.scale(),
                                                    tb.precision(), tb.scale()));
  const auto& rtype = checked_cast<const arrow::Decimal128Type&>(*rt);
  NumReader<Decimal128> a(batch[0]), b(batch[1]);
  arrow::Decimal128Builder builder(rt, ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !b.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto v, DecimalCompute(kOp, a.Get(i), ta.scale(), b.Get(i),
                                                 tb.scale(), rtype.precision(), rtype.scale()));
    builder.UnsafeAppend(v);
  }
  return FinishInto(&builder, out);
}

template <DecimalOp kOp>
Status AddDecimalFunction(cp::FunctionRegistry* registry, const std::string& name) {
  auto func = MakeFunction(name, cp::Arity::Binary(),
                           "Decimal arithmetic with the result capped at DECIMAL(38)");
  cp::OutputType out([](cp::KernelContext*,
                        const std::vector<arrow::TypeHolder>& types) -> Result<arrow::TypeHolder> {
    const auto& a = checked_cast<const arrow::Decimal128Type&>(*types[0].type);
    const auto& b = checked_cast<const arrow::Decimal128Type&>(*types[1].type);
    ARROW_ASSIGN_OR_RAISE(auto t, DecimalResultType(kOp, a.precision(), a.scale(),
                                                     b.precision(), b.scale()));
    return arrow::TypeHolder(t);
  });
  ARROW_RETURN_NOT_OK(AddShoalKernel(func.get(), {arrow::Type::DECIMAL128, arrow::Type::DECIMAL128},
                                     out, ExecDecimal<kOp>));
  return registry->AddFunction(func);
}

// ---------------------------------------------------------------------------
// Dates and intervals
// ---------------------------------------------------------------------------

template <int kSign>
Status ExecDateAddDays(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int32_t> d(batch[0]);
  NumReader<int64_t> n(batch[1]);
  arrow::Date32Builder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!d.IsValid(i) || !n.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    int64_t r = static_cast<int64_t>(d.Get(i)) + kSign * n.Get(i);
    if (r < INT32_MIN || r > INT32_MAX) return Status::Invalid("date out of range");
    builder.UnsafeAppend(static_cast<int32_t>(r));
  }
  return FinishInto(&builder, out);
}

Status ExecDateDiff(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int32_t> a(batch[0]), b(batch[1]);
  arrow::Int64Builder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !b.IsValid(i)) {
      builder.UnsafeAppendNull();
    } else {
      builder.UnsafeAppend(static_cast<int64_t>(a.Get(i)) - b.Get(i));
    }
  }
  return FinishInto(&builder, out);
}

MDN Scaled(MDN iv, int sign) {
  return MDN{sign * iv.months, sign * iv.days, sign * iv.nanoseconds};
}

// date + interval -> timestamp(us)
template <int kSign>
Status ExecDateInterval(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int32_t> d(batch[0]);
  IntervalReader iv(batch[1]);
  arrow::TimestampBuilder builder(arrow::timestamp(arrow::TimeUnit::MICRO), ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!d.IsValid(i) || !iv.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(int64_t v, AddIntervalToTimestamp(int64_t{d.Get(i)} * kMicrosPerDay,
                                                            1000000, Scaled(iv.Get(i), kSign)));
    builder.UnsafeAppend(v);
  }
  return FinishInto(&builder, out);
}

// timestamp + interval -> timestamp (same unit and zone; month/day arithmetic in UTC)
template <int kSign>
Status ExecTimestampInterval(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                             cp::ExecResult* out) {
  const auto& type = checked_cast<const arrow::TimestampType&>(*batch[0].type());
  int64_t per_second = UnitsPerSecond(type.unit());
  NumReader<int64_t> t(batch[0]);
  IntervalReader iv(batch[1]);
  arrow::TimestampBuilder builder(batch[0].type()->GetSharedPtr(), ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!t.IsValid(i) || !iv.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(int64_t v,
                          AddIntervalToTimestamp(t.Get(i), per_second, Scaled(iv.Get(i), kSign)));
    builder.UnsafeAppend(v);
  }
  return FinishInto(&builder, out);
}

template <int kSign>
Status ExecIntervalInterval(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                            cp::ExecResult* out) {
  IntervalReader a(batch[0]), b(batch[1]);
  arrow::MonthDayNanoIntervalBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !b.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    MDN x = a.Get(i), y = Scaled(b.Get(i), kSign), r;
    if (__builtin_add_overflow(x.months, y.months, &r.months) ||
        __builtin_add_overflow(x.days, y.days, &r.days) ||
        __builtin_add_overflow(x.nanoseconds, y.nanoseconds, &r.nanoseconds)) {
      return Status::Invalid("interval out of range");
    }
    builder.UnsafeAppend(r);
  }
  return FinishInto(&builder, out);
}

template <int kSign>
Status AddIntervalFunction(cp::FunctionRegistry* registry, const std::string& name) {
  auto func = MakeFunction(name, cp::Arity::Binary(),
                           kSign > 0 ? "Add an interval" : "Subtract an interval");
  ARROW_RETURN_NOT_OK(AddShoalKernel(func.get(), {arrow::date32(), arrow::month_day_nano_interval()},
                                     arrow::timestamp(arrow::TimeUnit::MICRO),
                                     ExecDateInterval<kSign>));
  ARROW_RETURN_NOT_OK(AddShoalKernel(
      func.get(), {arrow::Type::TIMESTAMP, arrow::month_day_nano_interval()},
      cp::OutputType([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& t)
                         -> Result<arrow::TypeHolder> { return t[0]; }),
      ExecTimestampInterval<kSign>));
  ARROW_RETURN_NOT_OK(AddShoalKernel(
      func.get(), {arrow::month_day_nano_interval(), arrow::month_day_nano_interval()},
      arrow::month_day_nano_interval(), ExecIntervalInterval<kSign>));
  return registry->AddFunction(func);
}

// ---------------------------------------------------------------------------
// Strings and comparisons
// ---------------------------------------------------------------------------

// `a || b` on strings: NULL when either side is NULL.
Status ExecConcatOp(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader a(batch[0]), b(batch[1]);
  arrow::StringBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !b.IsValid(i)) {
      ARROW_RETURN_NOT_OK(builder.AppendNull());
      continue;
    }
    tmp.assign(a.Get(i));
    tmp.append(b.Get(i));
    ARROW_RETURN_NOT_OK(builder.Append(tmp));
  }
  return FinishInto(&builder, out);
}

// LIKE with a per-row pattern. Options: text = escape character ("" = none),
// values[0] = boolean ignore_case.
Status ExecLike(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& opts = GetOptions(ctx);
  bool ignore_case = !opts.values.empty() && opts.values[0] && opts.values[0]->is_valid &&
                     checked_cast<const arrow::BooleanScalar&>(*opts.values[0]).value;
  StrReader s(batch[0]), p(batch[1]);
  arrow::BooleanBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !p.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(bool m, LikeMatch(s.Get(i), p.Get(i), opts.text, ignore_case));
    builder.UnsafeAppend(m);
  }
  return FinishInto(&builder, out);
}

// IS DISTINCT FROM: compares with Arrow's not_equal, then fixes up the nulls.
template <bool kNegate>
Status ExecDistinct(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto to_datum = [](const cp::ExecValue& v) -> arrow::Datum {
    if (v.is_scalar()) return arrow::Datum(v.scalar->GetSharedPtr());
    return arrow::Datum(v.array.ToArrayData());
  };
  ARROW_ASSIGN_OR_RAISE(auto ne, cp::CallFunction("not_equal", {to_datum(batch[0]), to_datum(batch[1])},
                                                  nullptr, ctx->exec_context()));
  arrow::Datum ne_datum = ne;
  cp::ExecValue ne_value;
  std::shared_ptr<arrow::ArrayData> ne_data;
  if (ne_datum.is_scalar()) {
    ne_value.SetScalar(ne_datum.scalar().get());
  } else {
    ne_data = ne_datum.array();
    ne_value.SetArray(*ne_data);
  }
  BoolReader neq(ne_value);
  auto valid = [&](int k, int64_t i) {
    const auto& v = batch[k];
    return v.is_scalar() ? v.scalar->is_valid : v.array.IsValid(i);
  };
  arrow::BooleanBuilder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    bool va = valid(0, i), vb = valid(1, i);
    bool distinct = (va && vb) ? neq.Get(i) : (va != vb);
    builder.UnsafeAppend(kNegate ? !distinct : distinct);
  }
  return FinishInto(&builder, out);
}

template <bool kNegate>
Status AddDistinctFunction(cp::FunctionRegistry* registry, const std::string& name) {
  auto func = MakeFunction(name, cp::Arity::Binary(), "IS [NOT] DISTINCT FROM");
  cp::ScalarKernel kernel({cp::InputType::Any(), cp::InputType::Any()}, arrow::boolean(),
                          ExecDistinct<kNegate>);
  kernel.null_handling = cp::NullHandling::OUTPUT_NOT_NULL;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  ARROW_RETURN_NOT_OK(func->AddKernel(std::move(kernel)));
  return registry->AddFunction(func);
}

}  // namespace

Status RegisterOperatorKernels(cp::FunctionRegistry* registry) {
  ARROW_RETURN_NOT_OK(AddDecimalFunction<DecimalOp::kAdd>(registry, "shoal_decimal_add"));
  ARROW_RETURN_NOT_OK(AddDecimalFunction<DecimalOp::kSubtract>(registry, "shoal_decimal_subtract"));
  ARROW_RETURN_NOT_OK(AddDecimalFunction<DecimalOp::kMultiply>(registry, "shoal_decimal_multiply"));
  ARROW_RETURN_NOT_OK(AddDecimalFunction<DecimalOp::kDivide>(registry, "shoal_decimal_divide"));

  auto add_days = MakeFunction("shoal_date_add_days", cp::Arity::Binary(), "date + days");
  ARROW_RETURN_NOT_OK(AddShoalKernel(add_days.get(), {arrow::date32(), arrow::int64()},
                                     arrow::date32(), ExecDateAddDays<1>));
  ARROW_RETURN_NOT_OK(registry->AddFunction(add_days));
  auto sub_days = MakeFunction("shoal_date_sub_days", cp::Arity::Binary(), "date - days");
  ARROW_RETURN_NOT_OK(AddShoalKernel(sub_days.get(), {arrow::date32(), arrow::int64()},
                                     arrow::date32(), ExecDateAddDays<-1>));
  ARROW_RETURN_NOT_OK(registry->AddFunction(sub_days));
  auto diff = MakeFunction("shoal_date_diff_days", cp::Arity::Binary(), "date - date in days");
  ARROW_RETURN_NOT_OK(AddShoalKernel(diff.get(), {arrow::date32(), arrow::date32()},
                                     arrow::int64(), ExecDateDiff));
  ARROW_RETURN_NOT_OK(registry->AddFunction(diff));
  ARROW_RETURN_NOT_OK(AddIntervalFunction<1>(registry, "shoal_add_interval"));
  ARROW_RETURN_NOT_OK(AddIntervalFunction<-1>(registry, "shoal_subtract_interval"));

  auto concat = MakeFunction("shoal_concat_op", cp::Arity::Binary(), "a || b (NULL propagates)");
  ARROW_RETURN_NOT_OK(AddShoalKernel(concat.get(), {arrow::utf8(), arrow::utf8()}, arrow::utf8(),
                                     ExecConcatOp));
  ARROW_RETURN_NOT_OK(registry->AddFunction(concat));
  auto like = MakeFunction("shoal_like", cp::Arity::Binary(), "LIKE with a per-row pattern");
  ARROW_RETURN_NOT_OK(AddShoalKernel(like.get(), {arrow::utf8(), arrow::utf8()}, arrow::boolean(),
                                     ExecLike, /*with_options=*/true));
  ARROW_RETURN_NOT_OK(registry->AddFunction(like));
  ARROW_RETURN_NOT_OK(AddDistinctFunction<false>(registry, "shoal_is_distinct_from"));
  ARROW_RETURN_NOT_OK(AddDistinctFunction<true>(registry, "shoal_is_not_distinct_from"));
  return Status::OK();
}

}  // namespace shoal::function_internal
