// Internal machinery of FunctionCatalog::BindScalar: the table of scalar
// function definitions and helpers shared by the per-area binding files
// (bind_operators.cc, scalar_string.cc, scalar_math.cc, scalar_datetime.cc, ...).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/registry.h>
#include <arrow/type.h>

#include "shoal/function/function_catalog.h"

namespace shoal::function_internal {

using ScalarArgs = std::vector<ScalarArg>;
using TypePtr = std::shared_ptr<arrow::DataType>;

struct ScalarDef;
using BindFn = std::function<Result<BoundScalarFunction>(const ScalarDef& def,
                                                         const std::string& name,
                                                         const ScalarArgs& args)>;

/// One SQL scalar function (with aliases) and how to bind it.
struct ScalarDef {
  std::vector<std::string> names;  ///< first is canonical, the rest are aliases
  int min_args = 0;
  int max_args = 0;  ///< -1: variadic
  std::vector<std::string> signatures;  ///< e.g. "substr(VARCHAR, BIGINT[, BIGINT])"
  BindFn bind;
};

// Per-area tables (each file appends its definitions).
void AddOperatorDefs(std::vector<ScalarDef>* defs);
void AddStringDefs(std::vector<ScalarDef>* defs);
void AddMathDefs(std::vector<ScalarDef>* defs);
void AddDatetimeDefs(std::vector<ScalarDef>* defs);
void AddConditionalDefs(std::vector<ScalarDef>* defs);

/// Names of aggregates and window-only functions (aggregate_binding.cc).
const std::vector<std::string>& AggregateNames();
const std::vector<std::string>& WindowNames();

/// The registry Shoal binds against (the catalog's).
arrow::compute::FunctionRegistry* Registry();

// --- types -----------------------------------------------------------------
bool IsIntegerType(const arrow::DataType& t);
bool IsFloatType(const arrow::DataType& t);
bool IsDecimalType(const arrow::DataType& t);
bool IsNumericType(const arrow::DataType& t);
bool IsStringType(const arrow::DataType& t);
bool IsTemporalType(const arrow::DataType& t);
/// Decimal digits needed for any value of an integer type (int32 -> 10).
int IntegerDigits(const arrow::DataType& t);
/// decimal128(IntegerDigits(t), 0).
TypePtr IntegerAsDecimal(const arrow::DataType& t);
int IntegerBitWidth(const arrow::DataType& t);
Result<TypePtr> CommonTypeOf(const TypePtr& a, const TypePtr& b);
bool CanCastImplicitly(const TypePtr& from, const TypePtr& to);
/// The argument's type with dictionaries unwrapped.
TypePtr ValueType(const ScalarArg& arg);

// --- binding helpers ---------------------------------------------------------

/// Bind a call of registry function `function` on `arg_types` (original argument
/// positions `arg_indices`): Arrow's DispatchBest picks the kernel and may change
/// the argument types (implicit casts); the kernel's OutputType gives the result.
Result<BoundScalarFunction> BindArrow(
    const std::string& function, std::vector<int> arg_indices, std::vector<TypePtr> arg_types,
    std::shared_ptr<arrow::compute::FunctionOptions> options = nullptr);

/// BindArrow with every argument passed, cast to `arg_types`.
Result<BoundScalarFunction> BindArrowAll(
    const std::string& function, std::vector<TypePtr> arg_types,
    std::shared_ptr<arrow::compute::FunctionOptions> options = nullptr);

/// A call whose result is the constant `value` for every row (nullary
/// "shoal_constant"); used when a constant argument is NULL, now(), pi().
BoundScalarFunction ConstantResult(std::shared_ptr<arrow::Scalar> value);

/// The "no such signature" error listing the definition's signatures.
Status NoMatch(const ScalarDef& def, const std::string& name, const ScalarArgs& args);

/// Argument kinds for simple signature checks.
enum class Kind { kString, kInt, kFloat, kBool, kDate, kTimestamp, kAny };

/// Return the canonical type of `arg` for `kind` (utf8, int64, float64,
/// boolean, date32, the timestamp itself) or null when it does not fit. A NULL
/// literal fits every kind.
TypePtr CoerceTo(const ScalarArg& arg, Kind kind);

/// Bind `function` with every argument coerced to `kinds` (same length as args,
/// or the last kind repeats). NoMatch when an argument does not fit.
Result<BoundScalarFunction> BindKinds(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args, const std::string& function,
                                      const std::vector<Kind>& kinds,
                                      std::shared_ptr<arrow::compute::FunctionOptions> options = nullptr);

/// True when `arg` is a constant (possibly NULL).
inline bool IsConst(const ScalarArg& arg) { return arg.literal != nullptr; }
/// True when `arg` is a NULL constant.
inline bool IsNullConst(const ScalarArg& arg) {
  return arg.literal != nullptr && !arg.literal->is_valid;
}
/// The value of a constant integer argument (error naming `what` otherwise).
Result<int64_t> ConstInt(const ScalarArg& arg, const std::string& fn, const std::string& what);
/// The value of a constant string argument (error naming `what` otherwise).
Result<std::string> ConstString(const ScalarArg& arg, const std::string& fn,
                                const std::string& what);
/// A typed NULL of `type`.
std::shared_ptr<arrow::Scalar> NullOf(const TypePtr& type);

}  // namespace shoal::function_internal
