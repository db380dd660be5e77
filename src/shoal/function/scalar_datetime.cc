// Date/time functions: date_part/extract, date_trunc, date_diff, now,
// current_date, to_timestamp/strptime, strftime/to_char, make_date, epoch*.
#include <chrono>
#include <cmath>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/binder_internal.h"
#include "shoal/function/datetime_util.h"
#include "shoal/function/kernel_util.h"

namespace shoal::function_internal {

using arrow::internal::checked_cast;

namespace {

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

Status ExecMakeDate(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int64_t> y(batch[0]), m(batch[1]), d(batch[2]);
  arrow::Date32Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!y.IsValid(i) || !m.IsValid(i) || !d.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    int64_t yy = y.Get(i), mm = m.Get(i), dd = d.Get(i);
    if (mm < 1 || mm > 12 || dd < 1 || yy < -1000000 || yy > 1000000 ||
        dd > DaysInMonth(yy, static_cast<unsigned>(mm))) {
      return Status::Invalid("make_date: ", yy, "-", mm, "-", dd, " is not a valid date");
    }
    b.UnsafeAppend(static_cast<int32_t>(
        DaysFromCivil(yy, static_cast<unsigned>(mm), static_cast<unsigned>(dd))));
  }
  return FinishInto(&b, out);
}

// Epoch conversions of a timestamp (any unit/zone) or date. Options text: "s"
// (float64 seconds), "ms", "us" (int64), or sub-minute parts "minute_ms",
// "minute_us" (seconds within the minute, with fraction, in ms / us).
template <bool kDate>
Status ExecEpoch(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& mode = GetOptions(ctx).text;
  int64_t ups = 86400;  // a date counts days: value * 86400 seconds
  if (!kDate) {
    ups = UnitsPerSecond(checked_cast<const arrow::TimestampType&>(*batch[0].type()).unit());
  }
  auto to_units = [&](int64_t v, int64_t target_ups) -> Result<int64_t> {
    if (kDate) {
      int64_t r;
      if (__builtin_mul_overflow(v, 86400 * target_ups, &r)) return Status::Invalid("epoch out of range");
      return r;
    }
    if (target_ups >= ups) {
      int64_t r;
      if (__builtin_mul_overflow(v, target_ups / ups, &r)) return Status::Invalid("epoch out of range");
      return r;
    }
    return FloorDiv(v, ups / target_ups);
  };
  NumReader<int64_t> ts64(batch[0]);
  NumReader<int32_t> d32(batch[0]);
  auto valid = [&](int64_t i) { return kDate ? d32.IsValid(i) : ts64.IsValid(i); };
  auto value = [&](int64_t i) -> int64_t { return kDate ? d32.Get(i) : ts64.Get(i); };
  if (mode == "s") {
    arrow::DoubleBuilder b(ctx->memory_pool());
    ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
    for (int64_t i = 0; i < batch.length; ++i) {
      if (!valid(i)) {
        b.UnsafeAppendNull();
      } else {
        b.UnsafeAppend(kDate ? value(i) * 86400.0
                             : static_cast<double>(value(i)) / static_cast<double>(ups));
      }
    }
    return FinishInto(&b, out);
  }
  arrow::Int64Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  int64_t target = (mode == "ms" || mode == "minute_ms") ? 1000 : 1000000;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!valid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(int64_t v, to_units(value(i), target));
    if (mode == "minute_ms" || mode == "minute_us") v -= FloorDiv(v, 60 * target) * 60 * target;
    b.UnsafeAppend(v);
  }
  return FinishInto(&b, out);
}

Status ExecToTimestampSeconds(cp::KernelContext* ctx, const cp::ExecSpan& batch,
                              cp::ExecResult* out) {
  NumReader<double> x(batch[0]);
  arrow::TimestampBuilder b(arrow::timestamp(arrow::TimeUnit::MICRO), ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!x.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    double us = std::round(x.Get(i) * 1e6);
    if (!(us > -9.2e18 && us < 9.2e18)) {
      return Status::Invalid("to_timestamp: ", x.Get(i), " seconds is out of range");
    }
    b.UnsafeAppend(static_cast<int64_t>(us));
  }
  return FinishInto(&b, out);
}

// ---------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------

bool IsDateType(const arrow::DataType& t) {
  return t.id() == arrow::Type::DATE32 || t.id() == arrow::Type::DATE64;
}

/// The temporal argument's type: a date stays a date (date32), a timestamp stays,
/// a string constant becomes a timestamp. Null when not temporal.
TypePtr TemporalArg(const ScalarArg& arg) {
  TypePtr t = ValueType(arg);
  if (IsDateType(*t)) return arrow::date32();
  if (t->id() == arrow::Type::TIMESTAMP) return t;
  if (t->id() == arrow::Type::NA || (IsStringType(*t) && IsConst(arg))) {
    return arrow::timestamp(arrow::TimeUnit::MICRO);
  }
  return nullptr;
}

const std::vector<std::string>& DatePartFields() {
  static const std::vector<std::string> kFields = {
      "year", "isoyear", "quarter", "month", "week", "day", "dow", "isodow", "doy", "hour",
      "minute", "second", "millisecond", "microsecond", "epoch"};
  return kFields;
}

std::string CanonicalField(std::string f) {
  f = ToLower(Trim(f));
  if (f == "years" || f == "y" || f == "yr" || f == "yrs") return "year";
  if (f == "quarters") return "quarter";
  if (f == "months" || f == "mon" || f == "mons") return "month";
  if (f == "weeks" || f == "w" || f == "weekofyear") return "week";
  if (f == "days" || f == "d" || f == "dayofmonth") return "day";
  if (f == "dayofweek" || f == "weekday") return "dow";
  if (f == "dayofyear") return "doy";
  if (f == "hours" || f == "h" || f == "hr") return "hour";
  if (f == "minutes" || f == "min" || f == "m") return "minute";
  if (f == "seconds" || f == "sec" || f == "s") return "second";
  if (f == "milliseconds" || f == "ms" || f == "msec") return "millisecond";
  if (f == "microseconds" || f == "us" || f == "usec") return "microsecond";
  return f;
}

Status UnknownField(const std::string& fn, const std::string& field,
                    const std::vector<std::string>& known) {
  auto close = ClosestMatches(field, known);
  return Status::Invalid(fn, ": unknown field '", field, "'",
                         close.empty() ? "" : "; did you mean " + JoinQuoted(close, " or ") + "?",
                         " (known: ", Join(known, ", "), ")");
}

/// Bind the extraction of `field` (canonical; `raw` as written) from argument
/// `arg` (of temporal type `t`) of function `name`.
Result<BoundScalarFunction> BindPart(const std::string& field, const std::string& raw,
                                     const std::string& name, const TypePtr& t, int arg) {
  const bool is_date = IsDateType(*t);
  auto time_type = is_date ? arrow::timestamp(arrow::TimeUnit::MICRO) : t;
  auto epoch = [&](const char* mode) {
    return BindArrow(is_date ? "shoal_epoch_date" : "shoal_epoch", {arg}, {t},
                     std::make_shared<ShoalOptions>(std::vector<std::shared_ptr<arrow::Scalar>>{},
                                                    mode));
  };
  if (field == "year") return BindArrow("year", {arg}, {t});
  if (field == "isoyear") return BindArrow("iso_year", {arg}, {t});
  if (field == "quarter") return BindArrow("quarter", {arg}, {t});
  if (field == "month") return BindArrow("month", {arg}, {t});
  if (field == "week") return BindArrow("iso_week", {arg}, {t});
  if (field == "day") return BindArrow("day", {arg}, {t});
  if (field == "doy") return BindArrow("day_of_year", {arg}, {t});
  // dow: Sunday = 0 .. Saturday = 6 (PostgreSQL); isodow: Monday = 1 .. Sunday = 7.
  if (field == "dow") {
    return BindArrow("day_of_week", {arg}, {t}, std::make_shared<cp::DayOfWeekOptions>(true, 7));
  }
  if (field == "isodow") {
    return BindArrow("day_of_week", {arg}, {t}, std::make_shared<cp::DayOfWeekOptions>(false, 1));
  }
  if (field == "hour") return BindArrow("hour", {arg}, {time_type});
  if (field == "minute") return BindArrow("minute", {arg}, {time_type});
  if (field == "second") return BindArrow("second", {arg}, {time_type});
  // Sub-minute milli/microseconds including the seconds (DuckDB, PostgreSQL).
  if (field == "millisecond") return epoch("minute_ms");
  if (field == "microsecond") return epoch("minute_us");
  if (field == "epoch") return epoch("s");
  return UnknownField(name, raw, DatePartFields());
}

Result<BoundScalarFunction> BindDatePart(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString)) return NoMatch(def, name, args);
  TypePtr t = TemporalArg(args[1]);
  if (t == nullptr) return NoMatch(def, name, args);
  if (IsNullConst(args[1])) return ConstantResult(NullOf(arrow::int64()));
  ARROW_ASSIGN_OR_RAISE(auto raw, ConstString(args[0], name, "field"));
  return BindPart(CanonicalField(raw), raw, name, t, 1);
}

// year(x), month(x), ...: date_part with the field named by the function.
Result<BoundScalarFunction> BindPartFunction(const ScalarDef& def, const std::string& name,
                                             const ScalarArgs& args) {
  TypePtr t = TemporalArg(args[0]);
  if (t == nullptr) return NoMatch(def, name, args);
  if (IsNullConst(args[0])) return ConstantResult(NullOf(arrow::int64()));
  return BindPart(CanonicalField(name), name, name, t, 0);
}

Result<cp::CalendarUnit> TruncUnit(const std::string& fn, const std::string& raw) {
  const std::string u = CanonicalField(raw);
  if (u == "microsecond") return cp::CalendarUnit::MICROSECOND;
  if (u == "millisecond") return cp::CalendarUnit::MILLISECOND;
  if (u == "second") return cp::CalendarUnit::SECOND;
  if (u == "minute") return cp::CalendarUnit::MINUTE;
  if (u == "hour") return cp::CalendarUnit::HOUR;
  if (u == "day") return cp::CalendarUnit::DAY;
  if (u == "week") return cp::CalendarUnit::WEEK;
  if (u == "month") return cp::CalendarUnit::MONTH;
  if (u == "quarter") return cp::CalendarUnit::QUARTER;
  if (u == "year") return cp::CalendarUnit::YEAR;
  return UnknownField(fn, raw, {"microsecond", "millisecond", "second", "minute", "hour", "day",
                                "week", "month", "quarter", "year"});
}

// date_trunc(unit, x): result has x's type; weeks start on Monday.
Result<BoundScalarFunction> BindDateTrunc(const ScalarDef& def, const std::string& name,
                                          const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString)) return NoMatch(def, name, args);
  TypePtr t = TemporalArg(args[1]);
  if (t == nullptr) return NoMatch(def, name, args);
  if (IsNullConst(args[1])) return ConstantResult(NullOf(t));
  ARROW_ASSIGN_OR_RAISE(auto raw, ConstString(args[0], name, "unit"));
  ARROW_ASSIGN_OR_RAISE(auto unit, TruncUnit(name, raw));
  if (IsDateType(*t) && static_cast<int>(unit) < static_cast<int>(cp::CalendarUnit::DAY)) {
    return BindArrow("shoal_identity", {1}, {t});  // a date has no time of day
  }
  return BindArrow("floor_temporal", {1}, {t},
                   std::make_shared<cp::RoundTemporalOptions>(1, unit, /*week_starts_monday=*/true));
}

// date_diff(unit, a, b): number of unit boundaries from a to b.
Result<BoundScalarFunction> BindDateDiff(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString)) return NoMatch(def, name, args);
  TypePtr a = TemporalArg(args[1]), b = TemporalArg(args[2]);
  if (a == nullptr || b == nullptr) return NoMatch(def, name, args);
  ARROW_ASSIGN_OR_RAISE(auto raw, ConstString(args[0], name, "unit"));
  ARROW_ASSIGN_OR_RAISE(auto t, CommonTypeOf(a, b));
  const std::string u = CanonicalField(raw);
  static const std::vector<std::pair<std::string, std::string>> kFns = {
      {"year", "years_between"},     {"quarter", "quarters_between"},
      {"week", "weeks_between"},     {"day", "days_between"},
      {"hour", "hours_between"},     {"minute", "minutes_between"},
      {"second", "seconds_between"}, {"millisecond", "milliseconds_between"},
      {"microsecond", "microseconds_between"}};
  for (const auto& [unit, fn] : kFns) {
    if (u == unit) {
      std::shared_ptr<cp::FunctionOptions> opts;
      if (unit == "week") opts = std::make_shared<cp::DayOfWeekOptions>(true, 1);
      return BindArrow(fn, {1, 2}, {t, t}, opts);
    }
  }
  std::vector<std::string> known;
  for (const auto& [unit, fn] : kFns) known.push_back(unit);
  return UnknownField(name, raw, known);
}

Result<BoundScalarFunction> BindNow(const ScalarDef&, const std::string& name, const ScalarArgs&) {
  // One value per query: taken when the call is bound.
  auto now = std::chrono::system_clock::now();
  int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  if (name == "current_date" || name == "today") {
    return ConstantResult(
        std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(FloorDiv(us, kMicrosPerDay))));
  }
  return ConstantResult(std::make_shared<arrow::TimestampScalar>(
      us, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
}

Result<BoundScalarFunction> BindToTimestamp(const ScalarDef& def, const std::string& name,
                                            const ScalarArgs& args) {
  TypePtr t = ValueType(args[0]);
  if (args.size() == 1) {
    if (IsNumericType(*t)) {
      return BindArrowAll("shoal_to_timestamp_seconds", {arrow::float64()});
    }
    if (IsStringType(*t) || t->id() == arrow::Type::NA) {
      // A plain cast of the string (the executor casts to arg_types).
      return BindArrow("shoal_identity", {0}, {arrow::timestamp(arrow::TimeUnit::MICRO)});
    }
    return NoMatch(def, name, args);
  }
  if (!CoerceTo(args[0], Kind::kString) || !CoerceTo(args[1], Kind::kString)) {
    return NoMatch(def, name, args);
  }
  if (IsNullConst(args[1])) return ConstantResult(NullOf(arrow::timestamp(arrow::TimeUnit::MICRO)));
  ARROW_ASSIGN_OR_RAISE(auto fmt, ConstString(args[1], name, "format"));
  return BindArrow("strptime", {0}, {arrow::utf8()},
                   std::make_shared<cp::StrptimeOptions>(fmt, arrow::TimeUnit::MICRO, false));
}

Result<BoundScalarFunction> BindStrftime(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  TypePtr t = TemporalArg(args[0]);
  if (t == nullptr || !CoerceTo(args[1], Kind::kString)) return NoMatch(def, name, args);
  if (IsNullConst(args[1]) || IsNullConst(args[0])) return ConstantResult(NullOf(arrow::utf8()));
  ARROW_ASSIGN_OR_RAISE(auto fmt, ConstString(args[1], name, "format"));
  if (IsDateType(*t)) t = arrow::timestamp(arrow::TimeUnit::MICRO);
  return BindArrow("strftime", {0}, {t}, std::make_shared<cp::StrftimeOptions>(fmt));
}

Result<BoundScalarFunction> BindEpochMs(const ScalarDef& def, const std::string& name,
                                        const ScalarArgs& args) {
  TypePtr t = ValueType(args[0]);
  if (IsIntegerType(*t)) {
    // epoch_ms(BIGINT) -> TIMESTAMP: the cast reinterprets the count.
    auto unit = name == "epoch" ? arrow::TimeUnit::SECOND
                : name == "epoch_us" ? arrow::TimeUnit::MICRO : arrow::TimeUnit::MILLI;
    return BindArrow("shoal_identity", {0}, {arrow::timestamp(unit)});
  }
  TypePtr tt = TemporalArg(args[0]);
  if (tt == nullptr) return NoMatch(def, name, args);
  const char* mode = name == "epoch" ? "s" : name == "epoch_ms" ? "ms" : "us";
  return BindArrow(IsDateType(*tt) ? "shoal_epoch_date" : "shoal_epoch", {0}, {tt},
                   std::make_shared<ShoalOptions>(std::vector<std::shared_ptr<arrow::Scalar>>{},
                                                  mode));
}

cp::OutputType EpochOutput() {
  return cp::OutputType([](cp::KernelContext* ctx, const std::vector<arrow::TypeHolder>&)
                            -> Result<arrow::TypeHolder> {
    return arrow::TypeHolder(GetOptions(ctx).text == "s" ? arrow::float64() : arrow::int64());
  });
}

}  // namespace

Status RegisterDatetimeKernels(cp::FunctionRegistry* reg) {
  auto make_date = MakeFunction("shoal_make_date", cp::Arity::Ternary(), "make_date(y, m, d)");
  ARROW_RETURN_NOT_OK(AddShoalKernel(make_date.get(),
                                     {arrow::int64(), arrow::int64(), arrow::int64()},
                                     arrow::date32(), ExecMakeDate));
  ARROW_RETURN_NOT_OK(reg->AddFunction(make_date));
  auto epoch = MakeFunction("shoal_epoch", cp::Arity::Unary(), "epoch of a timestamp");
  ARROW_RETURN_NOT_OK(AddShoalKernel(epoch.get(), {arrow::Type::TIMESTAMP}, EpochOutput(),
                                     ExecEpoch<false>, true));
  ARROW_RETURN_NOT_OK(reg->AddFunction(epoch));
  auto epoch_date = MakeFunction("shoal_epoch_date", cp::Arity::Unary(), "epoch of a date");
  ARROW_RETURN_NOT_OK(AddShoalKernel(epoch_date.get(), {arrow::date32()}, EpochOutput(),
                                     ExecEpoch<true>, true));
  ARROW_RETURN_NOT_OK(reg->AddFunction(epoch_date));
  auto to_ts = MakeFunction("shoal_to_timestamp_seconds", cp::Arity::Unary(),
                            "seconds since the epoch to a timestamp");
  ARROW_RETURN_NOT_OK(AddShoalKernel(to_ts.get(), {arrow::float64()},
                                     arrow::timestamp(arrow::TimeUnit::MICRO),
                                     ExecToTimestampSeconds));
  return reg->AddFunction(to_ts);
}

void AddDatetimeDefs(std::vector<ScalarDef>* defs) {
  defs->push_back({{"date_part", "extract", "datepart"}, 2, 2,
                   {"date_part(constant VARCHAR, DATE | TIMESTAMP)"}, BindDatePart});
  defs->push_back({{"year", "quarter", "month", "week", "weekofyear", "day", "dayofmonth",
                    "dayofyear", "hour", "minute", "second", "isodow"},
                   1, 1, {"year(DATE | TIMESTAMP)", "month(...)", "day(...)", "hour(...)"},
                   BindPartFunction});
  defs->push_back({{"date_trunc", "datetrunc"}, 2, 2,
                   {"date_trunc(constant VARCHAR, DATE | TIMESTAMP)"}, BindDateTrunc});
  defs->push_back({{"date_diff", "datediff"}, 3, 3,
                   {"date_diff(constant VARCHAR, DATE | TIMESTAMP, DATE | TIMESTAMP)"},
                   BindDateDiff});
  defs->push_back({{"now", "current_timestamp", "transaction_timestamp", "current_date", "today"},
                   0, 0, {"now()", "current_date"}, BindNow});
  defs->push_back({{"to_timestamp", "strptime"}, 1, 2,
                   {"to_timestamp(VARCHAR[, constant format])", "to_timestamp(DOUBLE seconds)"},
                   BindToTimestamp});
  defs->push_back({{"strftime", "to_char", "date_format"}, 2, 2,
                   {"strftime(DATE | TIMESTAMP, constant format)"}, BindStrftime});
  defs->push_back({{"make_date"}, 3, 3, {"make_date(BIGINT, BIGINT, BIGINT)"},
                   [](const ScalarDef& def, const std::string& name, const ScalarArgs& args) {
                     return BindKinds(def, name, args, "shoal_make_date", {Kind::kInt});
                   }});
  defs->push_back({{"epoch", "epoch_ms", "epoch_us"}, 1, 1,
                   {"epoch(TIMESTAMP)", "epoch_ms(TIMESTAMP)", "epoch_ms(BIGINT)"}, BindEpochMs});
}

}  // namespace shoal::function_internal
