// Aggregates and window functions: binding and the finishing step of the
// aggregates Shoal computes on top of Arrow's hash_list.
#include <algorithm>

#include <arrow/array/array_nested.h>
#include <arrow/array/array_primitive.h>
#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/memory_pool.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/binder_internal.h"
#include "shoal/function/decimal_util.h"
#include "shoal/function/function_catalog.h"

namespace shoal {

namespace cp = arrow::compute;
using namespace function_internal;  // NOLINT
using arrow::internal::checked_cast;

namespace function_internal {

const std::vector<std::string>& AggregateNames() {
  static const std::vector<std::string> kNames = {
      "count", "sum", "avg", "mean", "min", "max", "stddev", "stddev_samp", "stddev_pop",
      "variance", "var_samp", "var_pop", "bool_and", "every", "bool_or", "string_agg",
      "group_concat", "listagg", "array_agg", "list", "approx_distinct",
      "approx_count_distinct", "median", "first", "first_value", "last", "last_value",
      "any_value", "arbitrary", "count_if", "countif"};
  return kNames;
}

const std::vector<std::string>& WindowNames() {
  static const std::vector<std::string> kNames = {
      "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile",
      "lag", "lead", "first_value", "last_value", "nth_value"};
  return kNames;
}

}  // namespace function_internal

namespace {

std::shared_ptr<cp::ScalarAggregateOptions> SkipNulls(uint32_t min_count = 1) {
  return std::make_shared<cp::ScalarAggregateOptions>(/*skip_nulls=*/true, min_count);
}

bool IsOrderable(const arrow::DataType& t) {
  return IsNumericType(t) || IsStringType(t) || IsTemporalType(t) ||
         t.id() == arrow::Type::BOOL || t.id() == arrow::Type::BINARY ||
         t.id() == arrow::Type::LARGE_BINARY || t.id() == arrow::Type::DURATION;
}

Status WrongArgs(const std::string& name, const std::vector<ScalarArg>& args,
                 const std::string& signatures) {
  std::vector<std::string> types;
  for (const auto& a : args) types.push_back(a.type ? ArrowTypeToSql(*a.type) : "?");
  return Status::TypeError("aggregate ", name, "(", Join(types, ", "),
                           ") does not exist; candidates: ", signatures);
}

}  // namespace

Result<BoundAggregate> FunctionCatalog::BindAggregate(const std::string& raw_name,
                                                      const std::vector<ScalarArg>& args,
                                                      bool distinct) const {
  std::string name = ToLower(raw_name);
  if (!IsAggregate(name)) {
    if (IsScalar(name)) return Status::Invalid("function ", name, " is not an aggregate");
    auto close = ClosestMatches(name, AggregateNames());
    return Status::Invalid("unknown aggregate ", raw_name,
                           close.empty() ? "" : "; did you mean " + JoinQuoted(close, " or ") + "?");
  }
  // Canonical names.
  if (name == "mean") name = "avg";
  if (name == "every") name = "bool_and";
  if (name == "stddev") name = "stddev_samp";
  if (name == "variance") name = "var_samp";
  if (name == "group_concat" || name == "listagg") name = "string_agg";
  if (name == "list") name = "array_agg";
  if (name == "approx_count_distinct") name = "approx_distinct";
  if (name == "first_value") name = "first";
  if (name == "last_value") name = "last";
  if (name == "arbitrary") name = "any_value";
  if (name == "countif") name = "count_if";

  BoundAggregate agg;
  agg.name = name;
  if (name == "count" && args.empty()) {
    if (distinct) return Status::Invalid("count(DISTINCT *) is not allowed");
    agg.hash_function = "shoal_hash_count_all";
    agg.return_type = arrow::int64();
    return agg;
  }
  const bool one_arg = name != "string_agg";
  if (one_arg && args.size() != 1) {
    return Status::TypeError("aggregate ", name, " takes 1 argument, got ", args.size());
  }
  if (!one_arg && (args.size() < 1 || args.size() > 2)) {
    return Status::TypeError("aggregate string_agg takes 1 or 2 arguments (value, separator), got ",
                             args.size());
  }
  for (const auto& a : args) {
    if (a.type == nullptr) return Status::Invalid("aggregate ", name, ": argument has no type");
  }
  TypePtr t = ValueType(args[0]);
  const bool is_null = t->id() == arrow::Type::NA;
  agg.arg_indices = {0};
  agg.arg_types = {t};
  agg.distinct_input = distinct;

  if (name == "count") {
    // Shoal's count (mergeable group by group) for types whose nulls are exactly
    // the validity bitmap's; Arrow's otherwise.
    const auto id = t->id();
    const bool plain = !distinct && id != arrow::Type::NA && id != arrow::Type::DICTIONARY &&
                       id != arrow::Type::SPARSE_UNION && id != arrow::Type::DENSE_UNION &&
                       id != arrow::Type::RUN_END_ENCODED && id != arrow::Type::EXTENSION;
    agg.hash_function = distinct ? "hash_count_distinct"
                        : plain  ? "shoal_hash_count"
                                 : "hash_count";
    agg.options = std::make_shared<cp::CountOptions>(cp::CountOptions::ONLY_VALID);
    agg.return_type = arrow::int64();
    agg.distinct_input = false;
    return agg;
  }
  if (name == "approx_distinct") {
    agg.hash_function = "hash_count_distinct";
    agg.options = std::make_shared<cp::CountOptions>(cp::CountOptions::ONLY_VALID);
    agg.return_type = arrow::int64();
    agg.distinct_input = false;
    return agg;
  }
  if (name == "sum") {
    if (is_null) t = agg.arg_types[0] = arrow::int64();
    if (!IsNumericType(*t)) return WrongArgs(name, args, "sum(NUMERIC)");
    agg.hash_function = "hash_sum";
    agg.options = SkipNulls();
    if (arrow::is_signed_integer(t->id())) {
      agg.return_type = arrow::int64();
    } else if (arrow::is_unsigned_integer(t->id())) {
      agg.return_type = arrow::uint64();
    } else if (IsFloatType(*t)) {
      agg.return_type = arrow::float64();
    } else {
      int scale = checked_cast<const arrow::DecimalType&>(*t).scale();
      agg.arg_types[0] = t = arrow::decimal128(checked_cast<const arrow::DecimalType&>(*t).precision(), scale);
      agg.return_type = arrow::decimal128(38, scale);
      // Shoal's __int128 kernel (aggregate_kernels.cc); same type and values.
      agg.hash_function = "shoal_hash_sum_decimal";
    }
    return agg;
  }
  if (name == "count_if") {
    if (!CoerceTo(args[0], Kind::kBool)) return WrongArgs(name, args, "count_if(BOOLEAN)");
    agg.hash_function = "hash_sum";
    agg.options = SkipNulls(/*min_count=*/0);
    agg.arg_types[0] = arrow::int64();
    agg.return_type = arrow::int64();
    return agg;
  }
  if (name == "avg") {
    if (is_null) t = agg.arg_types[0] = arrow::float64();
    if (!IsNumericType(*t)) return WrongArgs(name, args, "avg(NUMERIC)");
    agg.hash_function = "hash_mean";
    agg.options = SkipNulls();
    if (t->id() == arrow::Type::DECIMAL128) {
      // Shoal's kernel (aggregate_kernels.cc): sums the input exactly and
      // divides at the end, with 4 more digits of scale (DataFusion / DuckDB
      // style, keeping the integer digits).
      const auto& d = checked_cast<const arrow::DecimalType&>(*t);
      agg.hash_function = "shoal_hash_avg_decimal";
      agg.return_type = arrow::decimal128(38, DecimalAvgScale(d.precision(), d.scale()));
    } else if (IsDecimalType(*t)) {
      // hash_mean keeps the input's decimal type: widen the scale first.
      const auto& d = checked_cast<const arrow::DecimalType&>(*t);
      agg.arg_types[0] = arrow::decimal128(38, DecimalAvgScale(d.precision(), d.scale()));
      agg.return_type = agg.arg_types[0];
    } else {
      agg.return_type = arrow::float64();
    }
    return agg;
  }
  if (name == "min" || name == "max") {
    if (!is_null && !IsOrderable(*t)) return WrongArgs(name, args, name + "(any orderable type)");
    agg.hash_function = name == "min" ? "hash_min" : "hash_max";
    agg.options = SkipNulls();
    agg.return_type = t;
    agg.distinct_input = false;  // DISTINCT does not change min/max
    return agg;
  }
  if (name == "stddev_samp" || name == "stddev_pop" || name == "var_samp" || name == "var_pop") {
    if (!is_null && !IsNumericType(*t)) return WrongArgs(name, args, name + "(NUMERIC)");
    agg.hash_function = name.rfind("stddev", 0) == 0 ? "hash_stddev" : "hash_variance";
    int ddof = name.find("samp") != std::string::npos ? 1 : 0;
    agg.options = std::make_shared<cp::VarianceOptions>(ddof, /*skip_nulls=*/true, /*min_count=*/1);
    agg.arg_types[0] = arrow::float64();
    agg.return_type = arrow::float64();
    return agg;
  }
  if (name == "bool_and" || name == "bool_or") {
    if (!CoerceTo(args[0], Kind::kBool)) return WrongArgs(name, args, name + "(BOOLEAN)");
    agg.hash_function = name == "bool_and" ? "hash_all" : "hash_any";
    agg.options = SkipNulls();
    agg.arg_types[0] = arrow::boolean();
    agg.return_type = arrow::boolean();
    agg.distinct_input = false;
    return agg;
  }
  if (name == "array_agg") {
    agg.hash_function = "hash_list";
    agg.return_type = arrow::list(t);
    return agg;
  }
  if (name == "first" || name == "last" || name == "any_value") {
    agg.hash_function = name == "last" ? "hash_last" : "hash_first";
    // first/last keep NULLs (the first row's value); any_value skips them.
    agg.options = std::make_shared<cp::ScalarAggregateOptions>(name == "any_value", 0);
    agg.return_type = t;
    return agg;
  }
  if (name == "string_agg") {
    if (!CoerceTo(args[0], Kind::kString)) {
      return WrongArgs(name, args, "string_agg(VARCHAR[, constant VARCHAR])");
    }
    agg.impl = AggregateImpl::kShoal;
    agg.hash_function = "hash_list";
    agg.finalize = "string_agg";
    agg.arg_types[0] = arrow::utf8();
    agg.return_type = arrow::utf8();
    agg.separator = ",";
    if (args.size() == 2) {
      if (IsNullConst(args[1])) {
        agg.separator = "";
      } else {
        ARROW_ASSIGN_OR_RAISE(agg.separator, ConstString(args[1], name, "separator"));
      }
    }
    return agg;
  }
  if (name == "median") {
    if (!is_null && !IsNumericType(*t)) return WrongArgs(name, args, "median(NUMERIC)");
    agg.impl = AggregateImpl::kShoal;
    agg.hash_function = "hash_list";
    agg.finalize = "median";
    agg.arg_types[0] = arrow::float64();
    agg.return_type = arrow::float64();
    return agg;
  }
  return Status::NotImplemented("aggregate ", name, " is not implemented");
}

Result<BoundWindowFunction> FunctionCatalog::BindWindow(const std::string& raw_name,
                                                        const std::vector<ScalarArg>& args) const {
  const std::string name = ToLower(raw_name);
  if (!IsWindow(name)) {
    if (IsAggregate(name)) {
      return Status::Invalid(name, " is an aggregate: bind it with BindAggregate");
    }
    auto close = ClosestMatches(name, WindowNames());
    return Status::Invalid("unknown window function ", raw_name,
                           close.empty() ? "" : "; did you mean " + JoinQuoted(close, " or ") + "?");
  }
  auto arity = [&](size_t lo, size_t hi, const std::string& sig) -> Status {
    if (args.size() < lo || args.size() > hi) {
      return Status::TypeError("window function ", name, " takes ",
                               lo == hi ? std::to_string(lo)
                                        : std::to_string(lo) + " to " + std::to_string(hi),
                               " argument", hi == 1 ? "" : "s", ", got ", args.size(), "; ",
                               sig);
    }
    return Status::OK();
  };
  BoundWindowFunction w;
  w.name = name;
  if (name == "row_number" || name == "rank" || name == "dense_rank") {
    ARROW_RETURN_NOT_OK(arity(0, 0, name + "()"));
    w.return_type = arrow::int64();
    return w;
  }
  if (name == "percent_rank" || name == "cume_dist") {
    ARROW_RETURN_NOT_OK(arity(0, 0, name + "()"));
    w.return_type = arrow::float64();
    return w;
  }
  if (name == "ntile") {
    ARROW_RETURN_NOT_OK(arity(1, 1, "ntile(BIGINT)"));
    if (!CoerceTo(args[0], Kind::kInt)) {
      return Status::TypeError("ntile: the number of buckets must be an integer, got ",
                               ArrowTypeToSql(*args[0].type));
    }
    w.arg_types = {arrow::int64()};
    w.return_type = arrow::int64();
    return w;
  }
  if (name == "lag" || name == "lead") {
    ARROW_RETURN_NOT_OK(arity(1, 3, name + "(x[, BIGINT offset[, default]])"));
    TypePtr t = ValueType(args[0]);
    if (args.size() >= 2 && !CoerceTo(args[1], Kind::kInt)) {
      return Status::TypeError(name, ": the offset must be an integer, got ",
                               ArrowTypeToSql(*args[1].type));
    }
    if (args.size() == 3) {
      auto common = CommonTypeOf(t, args[2].type);
      if (!common.ok()) {
        return Status::TypeError(name, ": the default (", ArrowTypeToSql(*args[2].type),
                                 ") does not match the value type ", ArrowTypeToSql(*t));
      }
      t = *common;
    }
    w.arg_types = {t};
    if (args.size() >= 2) w.arg_types.push_back(arrow::int64());
    if (args.size() == 3) w.arg_types.push_back(t);
    w.return_type = t;
    return w;
  }
  if (name == "first_value" || name == "last_value") {
    ARROW_RETURN_NOT_OK(arity(1, 1, name + "(x)"));
    w.arg_types = {ValueType(args[0])};
    w.return_type = w.arg_types[0];
    return w;
  }
  // nth_value
  ARROW_RETURN_NOT_OK(arity(2, 2, "nth_value(x, BIGINT)"));
  if (!CoerceTo(args[1], Kind::kInt)) {
    return Status::TypeError("nth_value: n must be an integer, got ", ArrowTypeToSql(*args[1].type));
  }
  w.arg_types = {ValueType(args[0]), arrow::int64()};
  w.return_type = w.arg_types[0];
  return w;
}

// ---------------------------------------------------------------------------
// Finishing step
// ---------------------------------------------------------------------------

namespace {

Result<std::shared_ptr<arrow::Array>> FinishStringAgg(const arrow::ListArray& lists,
                                                      const std::string& sep,
                                                      arrow::MemoryPool* pool) {
  const auto& values = checked_cast<const arrow::StringArray&>(*lists.values());
  arrow::StringBuilder b(pool);
  ARROW_RETURN_NOT_OK(b.Reserve(lists.length()));
  std::string tmp;
  for (int64_t i = 0; i < lists.length(); ++i) {
    bool any = false;
    tmp.clear();
    if (lists.IsValid(i)) {
      for (int64_t j = lists.value_offset(i); j < lists.value_offset(i + 1); ++j) {
        if (values.IsNull(j)) continue;
        if (any) tmp.append(sep);
        tmp.append(values.GetView(j));
        any = true;
      }
    }
    if (any) {
      ARROW_RETURN_NOT_OK(b.Append(tmp));
    } else {
      ARROW_RETURN_NOT_OK(b.AppendNull());
    }
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(b.Finish(&out));
  return out;
}

Result<std::shared_ptr<arrow::Array>> FinishMedian(const arrow::ListArray& lists,
                                                   cp::ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(auto cast, cp::Cast(*lists.values(), arrow::float64(),
                                            cp::CastOptions::Safe(), ctx));
  const auto& values = checked_cast<const arrow::DoubleArray&>(*cast);
  arrow::DoubleBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(lists.length()));
  std::vector<double> v;
  for (int64_t i = 0; i < lists.length(); ++i) {
    v.clear();
    if (lists.IsValid(i)) {
      for (int64_t j = lists.value_offset(i); j < lists.value_offset(i + 1); ++j) {
        if (values.IsValid(j)) v.push_back(values.Value(j));
      }
    }
    if (v.empty()) {
      b.UnsafeAppendNull();
      continue;
    }
    size_t mid = v.size() / 2;
    std::nth_element(v.begin(), v.begin() + mid, v.end());
    double m = v[mid];
    if (v.size() % 2 == 0) {
      double lower = *std::max_element(v.begin(), v.begin() + mid);
      m = lower + (m - lower) / 2;
    }
    b.UnsafeAppend(m);
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(b.Finish(&out));
  return out;
}

}  // namespace

Result<arrow::Datum> FinalizeAggregate(const BoundAggregate& agg, const arrow::Datum& hash_output,
                                       cp::ExecContext* ctx) {
  static cp::ExecContext default_ctx(arrow::default_memory_pool(), nullptr,
                                     FunctionCatalog::Get().registry());
  if (ctx == nullptr) ctx = &default_ctx;
  arrow::Datum result = hash_output;
  if (!agg.finalize.empty()) {
    std::shared_ptr<arrow::Array> arr;
    if (hash_output.is_array()) {
      arr = hash_output.make_array();
    } else if (hash_output.is_scalar()) {
      ARROW_ASSIGN_OR_RAISE(arr, arrow::MakeArrayFromScalar(*hash_output.scalar(), 1,
                                                            ctx->memory_pool()));
    } else {
      return Status::Invalid("FinalizeAggregate(", agg.name, "): expected an array");
    }
    if (arr->type_id() != arrow::Type::LIST) {
      return Status::Invalid("FinalizeAggregate(", agg.name, "): expected the list output of ",
                             agg.hash_function, ", got ", arr->type()->ToString());
    }
    const auto& lists = checked_cast<const arrow::ListArray&>(*arr);
    std::shared_ptr<arrow::Array> out;
    if (agg.finalize == "string_agg") {
      ARROW_ASSIGN_OR_RAISE(out, FinishStringAgg(lists, agg.separator, ctx->memory_pool()));
    } else if (agg.finalize == "median") {
      ARROW_ASSIGN_OR_RAISE(out, FinishMedian(lists, ctx));
    } else {
      return Status::Invalid("unknown aggregate finishing step ", agg.finalize);
    }
    if (hash_output.is_scalar()) {
      ARROW_ASSIGN_OR_RAISE(auto s, out->GetScalar(0));
      result = arrow::Datum(s);
    } else {
      result = arrow::Datum(out);
    }
  }
  if (agg.cast_result && !result.type()->Equals(*agg.return_type)) {
    ARROW_ASSIGN_OR_RAISE(result, CastValue(result, agg.return_type, false, ctx));
  }
  return result;
}

}  // namespace shoal
