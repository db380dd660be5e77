// Shoal kernels behind SQL operators that Arrow lacks: date +/- days,
// date/timestamp +/- interval, date - date, LIKE with a column pattern,
// IS [NOT] DISTINCT FROM, and `||`. Decimal arithmetic is in decimal_kernels.cc.
#include <algorithm>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/builder_time.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/checked_cast.h>

#include "shoal/function/datetime_util.h"
#include "shoal/function/kernel_util.h"
#include "shoal/function/like_util.h"

namespace shoal::function_internal {

using arrow::internal::checked_cast;
using MDN = arrow::MonthDayNanoIntervalType::MonthDayNanos;

namespace {

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

// date + interval -> timestamp(us) (an interval column, or one with a time part)
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

// date + interval without a time part -> date (the binder picks this kernel for a
// constant interval of months/days only; an interval with nanoseconds is an error).
template <int kSign>
Status ExecDateIntervalToDate(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                              cp::ExecResult* out) {
  NumReader<int32_t> d(batch[0]);
  IntervalReader iv(batch[1]);
  arrow::Date32Builder builder(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(builder.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!d.IsValid(i) || !iv.IsValid(i)) {
      builder.UnsafeAppendNull();
      continue;
    }
    MDN v = iv.Get(i);
    if (v.nanoseconds != 0) {
      return Status::Invalid("DATE ", kSign > 0 ? "+" : "-",
                             " INTERVAL as a DATE needs an interval without a time part");
    }
    ARROW_ASSIGN_OR_RAISE(int32_t r, AddIntervalToDate(d.Get(i), Scaled(v, kSign)));
    builder.UnsafeAppend(r);
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
  auto date_add = MakeFunction("shoal_date_add_interval", cp::Arity::Binary(),
                               "date + interval of months/days, as a date");
  ARROW_RETURN_NOT_OK(AddShoalKernel(date_add.get(),
                                     {arrow::date32(), arrow::month_day_nano_interval()},
                                     arrow::date32(), ExecDateIntervalToDate<1>));
  ARROW_RETURN_NOT_OK(registry->AddFunction(date_add));
  auto date_sub = MakeFunction("shoal_date_subtract_interval", cp::Arity::Binary(),
                               "date - interval of months/days, as a date");
  ARROW_RETURN_NOT_OK(AddShoalKernel(date_sub.get(),
                                     {arrow::date32(), arrow::month_day_nano_interval()},
                                     arrow::date32(), ExecDateIntervalToDate<-1>));
  ARROW_RETURN_NOT_OK(registry->AddFunction(date_sub));

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
