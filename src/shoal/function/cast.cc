// SQL CAST / TRY_CAST on top of arrow::compute::Cast.
#include <arrow/array/builder_base.h>
#include <arrow/array/concatenate.h>
#include <arrow/chunked_array.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/memory_pool.h>
#include <arrow/util/checked_cast.h>

#include "shoal/function/binder_internal.h"
#include "shoal/function/function_catalog.h"

namespace shoal {

namespace cp = arrow::compute;
using namespace function_internal;  // NOLINT

namespace {

cp::ExecContext* CastContext() {
  static cp::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                             FunctionCatalog::Get().registry());
  return &ctx;
}

bool IsStringLike(const arrow::DataType& t) {
  return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING;
}

/// The cast with SQL's rounding rules applied first; errors are Arrow's.
Result<arrow::Datum> StrictCast(const arrow::Datum& value, const TypePtr& to,
                                cp::ExecContext* ctx) {
  arrow::Datum v = value;
  TypePtr from = v.type();
  if (from->id() == arrow::Type::DICTIONARY) {
    ARROW_ASSIGN_OR_RAISE(
        v, cp::Cast(v, arrow::internal::checked_cast<const arrow::DictionaryType&>(*from)
                           .value_type(),
                    cp::CastOptions::Safe(), ctx));
    from = v.type();
  }
  if (IsStringLike(*from) && (IsNumericType(*to) || to->id() == arrow::Type::BOOL)) {
    ARROW_ASSIGN_OR_RAISE(v, cp::CallFunction("utf8_trim_whitespace", {v}, nullptr, ctx));
  }
  if ((IsFloatType(*from) || IsDecimalType(*from)) && IsIntegerType(*to)) {
    cp::RoundOptions round(0, cp::RoundMode::HALF_TOWARDS_INFINITY);
    ARROW_ASSIGN_OR_RAISE(v, cp::CallFunction("round", {v}, &round, ctx));
  }
  if (IsDecimalType(*from) && IsDecimalType(*to)) {
    int from_scale = arrow::internal::checked_cast<const arrow::DecimalType&>(*from).scale();
    int to_scale = arrow::internal::checked_cast<const arrow::DecimalType&>(*to).scale();
    if (to_scale < from_scale) {
      cp::RoundOptions round(to_scale, cp::RoundMode::HALF_TOWARDS_INFINITY);
      ARROW_ASSIGN_OR_RAISE(v, cp::CallFunction("round", {v}, &round, ctx));
    }
  }
  if (IsFloatType(*from) && IsDecimalType(*to)) {
    int to_scale = arrow::internal::checked_cast<const arrow::DecimalType&>(*to).scale();
    cp::RoundOptions round(to_scale, cp::RoundMode::HALF_TOWARDS_INFINITY);
    ARROW_ASSIGN_OR_RAISE(v, cp::CallFunction("round", {v}, &round, ctx));
  }
  return cp::Cast(v, cp::CastOptions::Safe(to), ctx);
}

/// Cast one array element by element; failures become NULL.
Result<std::shared_ptr<arrow::Array>> TryCastElements(const std::shared_ptr<arrow::Array>& arr,
                                                      const TypePtr& to, cp::ExecContext* ctx) {
  std::unique_ptr<arrow::ArrayBuilder> builder;
  ARROW_RETURN_NOT_OK(arrow::MakeBuilder(ctx->memory_pool(), to, &builder));
  ARROW_RETURN_NOT_OK(builder->Reserve(arr->length()));
  for (int64_t i = 0; i < arr->length(); ++i) {
    if (arr->IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    auto one = StrictCast(arrow::Datum(arr->Slice(i, 1)), to, ctx);
    if (!one.ok()) {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto s, one->make_array()->GetScalar(0));
    ARROW_RETURN_NOT_OK(builder->AppendScalar(*s));
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(builder->Finish(&out));
  return out;
}

}  // namespace

Result<arrow::Datum> CastValue(const arrow::Datum& value, const TypePtr& to, bool try_cast,
                               cp::ExecContext* ctx) {
  if (ctx == nullptr) ctx = CastContext();
  if (to == nullptr) return Status::Invalid("CAST: no target type");
  if (value.type() != nullptr && value.type()->Equals(*to)) return value;
  auto result = StrictCast(value, to, ctx);
  if (result.ok() || !try_cast) {
    if (!result.ok() && (result.status().IsNotImplemented())) {
      return Status::NotImplemented("cannot cast ", ArrowTypeToSql(*value.type()), " to ",
                                    ArrowTypeToSql(*to), " (", result.status().message(),
                                    ")");
    }
    return result;
  }
  if (result.status().IsNotImplemented()) {
    // An unsupported pair of types is an error even for TRY_CAST.
    return Status::NotImplemented("cannot cast ", ArrowTypeToSql(*value.type()), " to ",
                                  ArrowTypeToSql(*to));
  }
  switch (value.kind()) {
    case arrow::Datum::SCALAR:
      return arrow::Datum(arrow::MakeNullScalar(to));
    case arrow::Datum::ARRAY:
      return TryCastElements(value.make_array(), to, ctx);
    case arrow::Datum::CHUNKED_ARRAY: {
      arrow::ArrayVector chunks;
      for (const auto& chunk : value.chunked_array()->chunks()) {
        auto fast = StrictCast(arrow::Datum(chunk), to, ctx);
        if (fast.ok()) {
          chunks.push_back(fast->make_array());
        } else {
          ARROW_ASSIGN_OR_RAISE(auto c, TryCastElements(chunk, to, ctx));
          chunks.push_back(std::move(c));
        }
      }
      return arrow::Datum(std::make_shared<arrow::ChunkedArray>(std::move(chunks), to));
    }
    default:
      return Status::Invalid("TRY_CAST of a ", value.ToString(), " is not supported");
  }
}

}  // namespace shoal
