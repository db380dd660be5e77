// Binding of SQL operators (+ - * / % || comparisons AND OR NOT IS ... LIKE IN)
// and conditional functions (coalesce, nullif, ifnull, if).
#include <arrow/array/builder_base.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/exec.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/binder_internal.h"
#include "shoal/function/decimal_util.h"
#include "shoal/function/kernel_util.h"
#include "shoal/function/like_util.h"

namespace shoal::function_internal {

using arrow::Type;
using arrow::internal::checked_cast;

namespace {

bool IsDate(const arrow::DataType& t) { return t.id() == Type::DATE32 || t.id() == Type::DATE64; }
bool IsTimestamp(const arrow::DataType& t) { return t.id() == Type::TIMESTAMP; }
bool IsInterval(const arrow::DataType& t) { return t.id() == Type::INTERVAL_MONTH_DAY_NANO; }
bool IsNull(const arrow::DataType& t) { return t.id() == Type::NA; }

/// True for a constant interval without a time part (months and days only, or
/// NULL): DATE +/- such an interval is a DATE (like DataFusion; PostgreSQL and
/// DuckDB return a TIMESTAMP). Intervals with a time part, or interval columns
/// (the type must be known when binding), give a TIMESTAMP.
bool IsDayInterval(const ScalarArg& arg) {
  if (!IsConst(arg) || arg.literal->type->id() != Type::INTERVAL_MONTH_DAY_NANO) return false;
  if (!arg.literal->is_valid) return true;
  return checked_cast<const arrow::MonthDayNanoIntervalScalar&>(*arg.literal).value.nanoseconds ==
         0;
}

const char* ArrowArithName(const std::string& op) {
  if (op == "+") return "add_checked";
  if (op == "-") return "subtract_checked";
  if (op == "*") return "multiply_checked";
  if (op == "/") return "divide_checked";
  return "remainder_checked";
}

Result<BoundScalarFunction> BindDecimalArith(const std::string& op, TypePtr a, TypePtr b) {
  if (IsIntegerType(*a)) a = IntegerAsDecimal(*a);
  if (IsIntegerType(*b)) b = IntegerAsDecimal(*b);
  if ((op == "+" || op == "-" || op == "*") && a->id() == Type::DECIMAL128 &&
      b->id() == Type::DECIMAL128) {
    // Shoal's __int128 kernels (decimal_kernels.cc): the same result types as
    // Arrow's exact rules below 38 digits, several times faster.
    const char* fn = op == "+"   ? "shoal_decimal_add"
                     : op == "-" ? "shoal_decimal_subtract"
                                 : "shoal_decimal_multiply";
    return BindArrowAll(fn, {a, b});
  }
  auto arrow_bound = BindArrowAll(ArrowArithName(op), {a, b});
  if (op == "%") return arrow_bound;
  if (arrow_bound.ok() && IsDecimalType(*arrow_bound->return_type) &&
      checked_cast<const arrow::DecimalType&>(*arrow_bound->return_type).precision() <= 38 &&
      arrow_bound->return_type->id() == Type::DECIMAL128) {
    return arrow_bound;
  }
  // Arrow's exact type exceeds DECIMAL(38): Shoal's capped kernels.
  const char* fn = op == "+"   ? "shoal_decimal_add"
                   : op == "-" ? "shoal_decimal_subtract"
                   : op == "*" ? "shoal_decimal_multiply"
                               : "shoal_decimal_divide";
  return BindArrowAll(fn, {a, b});
}

Result<BoundScalarFunction> BindArith(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args) {
  const std::string op = name == "mod" ? "%" : name;
  TypePtr a = ValueType(args[0]), b = ValueType(args[1]);
  if (IsNull(*a) && IsNull(*b)) return ConstantResult(NullOf(arrow::int64()));
  // A NULL literal takes the other side's type.
  if (IsNull(*a)) a = b;
  if (IsNull(*b)) b = a;
  if (IsNumericType(*a) && IsNumericType(*b)) {
    if (IsFloatType(*a) || IsFloatType(*b)) {
      ARROW_ASSIGN_OR_RAISE(auto t, CommonTypeOf(a, b));
      return BindArrowAll(ArrowArithName(op), {t, t});
    }
    if (IsDecimalType(*a) || IsDecimalType(*b)) return BindDecimalArith(op, a, b);
    return BindArrowAll(ArrowArithName(op), {a, b});
  }
  // A string constant next to a date/timestamp is read as one.
  if (IsStringType(*a) && IsConst(args[0]) && (IsDate(*b) || IsTimestamp(*b))) a = b;
  if (IsStringType(*b) && IsConst(args[1]) && (IsDate(*a) || IsTimestamp(*a))) b = a;
  if (op == "+") {
    if (IsDate(*a) && IsIntegerType(*b)) {
      return BindArrowAll("shoal_date_add_days", {arrow::date32(), arrow::int64()});
    }
    if (IsIntegerType(*a) && IsDate(*b)) {
      return BindArrow("shoal_date_add_days", {1, 0}, {arrow::date32(), arrow::int64()});
    }
    if (IsDate(*a) && IsInterval(*b) && IsDayInterval(args[1])) {
      return BindArrowAll("shoal_date_add_interval", {arrow::date32(), b});
    }
    if (IsInterval(*a) && IsDate(*b) && IsDayInterval(args[0])) {
      return BindArrow("shoal_date_add_interval", {1, 0}, {arrow::date32(), a});
    }
    if ((IsDate(*a) || IsTimestamp(*a) || IsInterval(*a)) && IsInterval(*b)) {
      return BindArrowAll("shoal_add_interval", {IsDate(*a) ? arrow::date32() : a, b});
    }
    if (IsInterval(*a) && (IsDate(*b) || IsTimestamp(*b))) {
      return BindArrow("shoal_add_interval", {1, 0}, {IsDate(*b) ? arrow::date32() : b, a});
    }
    if ((IsTimestamp(*a) && b->id() == Type::DURATION) ||
        (a->id() == Type::DURATION && (IsTimestamp(*b) || b->id() == Type::DURATION))) {
      return BindArrowAll("add_checked", {a, b});
    }
  }
  if (op == "-") {
    if (IsDate(*a) && IsIntegerType(*b)) {
      return BindArrowAll("shoal_date_sub_days", {arrow::date32(), arrow::int64()});
    }
    if (IsDate(*a) && IsDate(*b)) {
      return BindArrowAll("shoal_date_diff_days", {arrow::date32(), arrow::date32()});
    }
    if (IsDate(*a) && IsInterval(*b) && IsDayInterval(args[1])) {
      return BindArrowAll("shoal_date_subtract_interval", {arrow::date32(), b});
    }
    if ((IsDate(*a) || IsTimestamp(*a) || IsInterval(*a)) && IsInterval(*b)) {
      return BindArrowAll("shoal_subtract_interval", {IsDate(*a) ? arrow::date32() : a, b});
    }
    if ((IsTimestamp(*a) || IsDate(*a)) && (IsTimestamp(*b) || IsDate(*b))) {
      ARROW_ASSIGN_OR_RAISE(auto t, CommonTypeOf(a, b));
      return BindArrowAll("subtract_checked", {t, t});
    }
    if ((IsTimestamp(*a) || a->id() == Type::DURATION) && b->id() == Type::DURATION) {
      return BindArrowAll("subtract_checked", {a, b});
    }
  }
  return NoMatch(def, name, args);
}

Result<BoundScalarFunction> BindNegate(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  TypePtr a = ValueType(args[0]);
  if (IsNull(*a)) return ConstantResult(NullOf(arrow::int64()));
  if (IsIntegerType(*a)) return BindArrowAll("negate_checked", {a});
  if (IsNumericType(*a) || a->id() == Type::DURATION) return BindArrowAll("negate", {a});
  if (IsInterval(*a)) {
    // 0 - interval
    return NoMatch(def, name, args);
  }
  return NoMatch(def, name, args);
}

const char* ComparisonName(const std::string& op) {
  if (op == "=") return "equal";
  if (op == "<>" || op == "!=") return "not_equal";
  if (op == "<") return "less";
  if (op == "<=") return "less_equal";
  if (op == ">") return "greater";
  return "greater_equal";
}

Result<BoundScalarFunction> BindComparison(const ScalarDef& def, const std::string& name,
                                           const ScalarArgs& args) {
  auto common = CommonTypeOf(args[0].type, args[1].type);
  if (!common.ok()) {
    return Status::TypeError("cannot compare ", ArrowTypeToSql(*args[0].type), " with ",
                             ArrowTypeToSql(*args[1].type), " using ", name);
  }
  TypePtr t = *common;
  if (IsNull(*t)) return ConstantResult(NullOf(arrow::boolean()));
  return BindArrowAll(ComparisonName(name), {t, t});
}

Result<BoundScalarFunction> BindDistinct(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  auto common = CommonTypeOf(args[0].type, args[1].type);
  if (!common.ok()) {
    return Status::TypeError("cannot compare ", ArrowTypeToSql(*args[0].type), " with ",
                             ArrowTypeToSql(*args[1].type), " using ", name);
  }
  TypePtr t = *common;
  if (IsNull(*t)) {
    return ConstantResult(
        std::make_shared<arrow::BooleanScalar>(name == "is_not_distinct_from"));
  }
  return BindArrowAll("shoal_" + name, {t, t});
}

Result<BoundScalarFunction> BindLogic(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kBool)) {
      return Status::TypeError("argument of ", ToUpper(name), " must be BOOLEAN, got ",
                               ArrowTypeToSql(*a.type));
    }
  }
  if (name == "not") return BindArrowAll("invert", {arrow::boolean()});
  return BindArrowAll(name == "and" ? "and_kleene" : "or_kleene",
                      {arrow::boolean(), arrow::boolean()});
}

Result<BoundScalarFunction> BindIsNull(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  TypePtr t = ValueType(args[0]);
  if (name == "is_null") {
    return BindArrowAll("is_null", {t}, std::make_shared<arrow::compute::NullOptions>(false));
  }
  return BindArrowAll("is_valid", {t});
}

Result<BoundScalarFunction> BindConcatOp(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  // Any non-string operand is cast to VARCHAR (like PostgreSQL's anynonarray || text),
  // but at least one side must be a string.
  bool a_str = IsStringType(*ValueType(args[0])) || IsNull(*args[0].type);
  bool b_str = IsStringType(*ValueType(args[1])) || IsNull(*args[1].type);
  if (!a_str && !b_str) return NoMatch(def, name, args);
  return BindArrowAll("shoal_concat_op", {arrow::utf8(), arrow::utf8()});
}

Result<BoundScalarFunction> BindLike(const ScalarDef& def, const std::string& name,
                                     const ScalarArgs& args) {
  bool ignore_case = name == "ilike";
  if (!CoerceTo(args[0], Kind::kString) || !CoerceTo(args[1], Kind::kString)) {
    return NoMatch(def, name, args);
  }
  std::string escape = "\\";
  if (args.size() == 3) {
    if (IsNullConst(args[2])) return ConstantResult(NullOf(arrow::boolean()));
    ARROW_ASSIGN_OR_RAISE(escape, ConstString(args[2], ToUpper(name), "ESCAPE character"));
  }
  if (IsNullConst(args[0]) || IsNullConst(args[1])) return ConstantResult(NullOf(arrow::boolean()));
  if (IsConst(args[1])) {
    ARROW_ASSIGN_OR_RAISE(auto pattern, ConstString(args[1], ToUpper(name), "pattern"));
    ARROW_ASSIGN_OR_RAISE(auto translated, TranslateLikePattern(pattern, escape));
    return BindArrow("match_like", {0}, {arrow::utf8()},
                     std::make_shared<arrow::compute::MatchSubstringOptions>(translated,
                                                                             ignore_case));
  }
  auto opts = std::make_shared<ShoalOptions>(
      std::vector<std::shared_ptr<arrow::Scalar>>{
          std::make_shared<arrow::BooleanScalar>(ignore_case)},
      escape);
  return BindArrow("shoal_like", {0, 1}, {arrow::utf8(), arrow::utf8()}, opts);
}

Result<BoundScalarFunction> BindInList(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  for (size_t i = 1; i < args.size(); ++i) {
    if (!IsConst(args[i])) {
      return Status::NotImplemented(
          "in_list: item ", i, " is not a constant; bind as OR of equals instead");
    }
  }
  TypePtr t = ValueType(args[0]);
  for (size_t i = 1; i < args.size(); ++i) {
    auto common = CommonTypeOf(t, args[i].type);
    if (!common.ok()) {
      return Status::TypeError("IN: cannot compare ", ArrowTypeToSql(*args[0].type),
                               " with list item ", i, " of type ",
                               ArrowTypeToSql(*args[i].type));
    }
    t = *common;
  }
  if (IsNull(*t) || IsNull(*args[0].type)) return ConstantResult(NullOf(arrow::boolean()));
  std::unique_ptr<arrow::ArrayBuilder> builder;
  ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), t, &builder));
  bool has_null = false;
  for (size_t i = 1; i < args.size(); ++i) {
    if (!args[i].literal->is_valid) {
      has_null = true;
      continue;
    }
    auto cast = args[i].literal->CastTo(t);
    if (!cast.ok()) {
      return Status::Invalid("IN: list item ", i, " (", args[i].literal->ToString(),
                             ") cannot be converted to ", ArrowTypeToSql(*t), ": ",
                             cast.status().message());
    }
    ARROW_RETURN_NOT_OK(builder->AppendScalar(**cast));
  }
  // SQL: x IN (..., NULL) is NULL when x is not found; NULL IN (...) is NULL.
  // Arrow's INCONCLUSIVE gives exactly that when the value set holds the null.
  if (has_null) ARROW_RETURN_NOT_OK(builder->AppendNull());
  std::shared_ptr<arrow::Array> value_set;
  ARROW_RETURN_NOT_OK(builder->Finish(&value_set));
  auto opts = std::make_shared<arrow::compute::SetLookupOptions>(
      arrow::Datum(value_set), arrow::compute::SetLookupOptions::INCONCLUSIVE);
  return BindArrow("is_in", {0}, {t}, opts);
}

// ---------------------------------------------------------------------------
// Conditional functions
// ---------------------------------------------------------------------------

Result<TypePtr> CommonOfAll(const std::string& name, const ScalarArgs& args, size_t from) {
  TypePtr t = args[from].type;
  for (size_t i = from + 1; i < args.size(); ++i) {
    auto common = CommonTypeOf(t, args[i].type);
    if (!common.ok()) {
      return Status::TypeError(name, ": arguments of types ", ArrowTypeToSql(*t), " and ",
                               ArrowTypeToSql(*args[i].type), " have no common type");
    }
    t = *common;
  }
  if (t->id() == Type::DICTIONARY) {
    t = checked_cast<const arrow::DictionaryType&>(*t).value_type();
  }
  return t;
}

Result<BoundScalarFunction> BindCoalesce(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, CommonOfAll(name, args, 0));
  if (IsNull(*t)) return ConstantResult(NullOf(arrow::null()));
  return BindArrowAll("coalesce", std::vector<TypePtr>(args.size(), t));
}

Result<BoundScalarFunction> BindNullIf(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, CommonOfAll(name, args, 0));
  if (IsNull(*t)) return ConstantResult(NullOf(arrow::null()));
  return BindArrowAll("shoal_nullif", {t, t});
}

Result<BoundScalarFunction> BindIf(const ScalarDef& def, const std::string& name,
                                   const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kBool)) {
    return Status::TypeError("if: the condition must be BOOLEAN, got ",
                             ArrowTypeToSql(*args[0].type));
  }
  ARROW_ASSIGN_OR_RAISE(auto t, CommonOfAll(name, args, 1));
  if (IsNull(*t)) return ConstantResult(NullOf(arrow::null()));
  return BindArrowAll("shoal_if", {arrow::boolean(), t, t});
}

Result<BoundScalarFunction> BindGreatest(const ScalarDef& def, const std::string& name,
                                         const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, CommonOfAll(name, args, 0));
  if (IsNull(*t)) return ConstantResult(NullOf(arrow::null()));
  // NULL arguments are ignored (PostgreSQL, DuckDB).
  return BindArrowAll(name == "greatest" ? "max_element_wise" : "min_element_wise",
                      std::vector<TypePtr>(args.size(), t),
                      std::make_shared<arrow::compute::ElementWiseAggregateOptions>(true));
}

}  // namespace

// Kernels for nullif and if (composites of Arrow functions).
namespace {

Status ExecNullIf(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto* ectx = ctx->exec_context();
  arrow::Datum a = ToDatum(batch[0]), b = ToDatum(batch[1]);
  ARROW_ASSIGN_OR_RAISE(auto eq, cp::CallFunction("equal", {a, b}, nullptr, ectx));
  ARROW_ASSIGN_OR_RAISE(auto cond, cp::CallFunction(
                                       "coalesce", {eq, arrow::Datum(false)}, nullptr, ectx));
  ARROW_ASSIGN_OR_RAISE(
      auto r, cp::CallFunction("if_else", {cond, arrow::Datum(arrow::MakeNullScalar(a.type())), a},
                               nullptr, ectx));
  return DatumToResult(r, batch.length, ctx, out);
}

Status ExecIf(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  auto* ectx = ctx->exec_context();
  ARROW_ASSIGN_OR_RAISE(auto cond, cp::CallFunction("coalesce",
                                                    {ToDatum(batch[0]), arrow::Datum(false)},
                                                    nullptr, ectx));
  ARROW_ASSIGN_OR_RAISE(auto r, cp::CallFunction("if_else",
                                                 {cond, ToDatum(batch[1]), ToDatum(batch[2])},
                                                 nullptr, ectx));
  return DatumToResult(r, batch.length, ctx, out);
}

}  // namespace

Status RegisterConditionalKernels(cp::FunctionRegistry* registry) {
  auto nullif = MakeFunction("shoal_nullif", cp::Arity::Binary(), "nullif(a, b)");
  ARROW_RETURN_NOT_OK(AddShoalKernel(
      nullif.get(), {cp::InputType::Any(), cp::InputType::Any()},
      cp::OutputType([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& t)
                         -> Result<arrow::TypeHolder> { return t[0]; }),
      ExecNullIf));
  ARROW_RETURN_NOT_OK(registry->AddFunction(nullif));
  auto if_fn = MakeFunction("shoal_if", cp::Arity::Ternary(), "if(c, a, b); NULL c picks b");
  ARROW_RETURN_NOT_OK(AddShoalKernel(
      if_fn.get(), {arrow::boolean(), cp::InputType::Any(), cp::InputType::Any()},
      cp::OutputType([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& t)
                         -> Result<arrow::TypeHolder> { return t[1]; }),
      ExecIf));
  return registry->AddFunction(if_fn);
}

void AddOperatorDefs(std::vector<ScalarDef>* defs) {
  for (const char* op : {"+", "-", "*", "/", "%"}) {
    std::string o = op;
    std::vector<std::string> sigs = {"NUMERIC " + o + " NUMERIC"};
    if (o == "+") {
      sigs.insert(sigs.end(), {"DATE + INTEGER", "DATE + INTERVAL", "TIMESTAMP + INTERVAL",
                               "INTERVAL + INTERVAL"});
    } else if (o == "-") {
      sigs.insert(sigs.end(), {"DATE - INTEGER", "DATE - DATE", "DATE - INTERVAL",
                               "TIMESTAMP - INTERVAL", "TIMESTAMP - TIMESTAMP"});
    }
    std::vector<std::string> names = {o};
    if (o == "%") names.push_back("mod");
    defs->push_back({names, 2, 2, sigs, BindArith});
  }
  defs->push_back({{"negate"}, 1, 1, {"-NUMERIC"}, BindNegate});
  for (const char* op : {"=", "<>", "<", "<=", ">", ">="}) {
    std::vector<std::string> names = {op};
    if (std::string(op) == "<>") names.push_back("!=");
    defs->push_back({names, 2, 2, {std::string("ANY ") + op + " ANY (of a common type)"},
                     BindComparison});
  }
  defs->push_back({{"is_distinct_from"}, 2, 2, {"ANY IS DISTINCT FROM ANY"}, BindDistinct});
  defs->push_back({{"is_not_distinct_from"}, 2, 2, {"ANY IS NOT DISTINCT FROM ANY"}, BindDistinct});
  defs->push_back({{"and"}, 2, 2, {"BOOLEAN AND BOOLEAN"}, BindLogic});
  defs->push_back({{"or"}, 2, 2, {"BOOLEAN OR BOOLEAN"}, BindLogic});
  defs->push_back({{"not"}, 1, 1, {"NOT BOOLEAN"}, BindLogic});
  defs->push_back({{"is_null"}, 1, 1, {"ANY IS NULL"}, BindIsNull});
  defs->push_back({{"is_not_null"}, 1, 1, {"ANY IS NOT NULL"}, BindIsNull});
  defs->push_back({{"||"}, 2, 2, {"VARCHAR || VARCHAR"}, BindConcatOp});
  defs->push_back({{"like"}, 2, 3, {"VARCHAR LIKE VARCHAR [ESCAPE VARCHAR]"}, BindLike});
  defs->push_back({{"ilike"}, 2, 3, {"VARCHAR ILIKE VARCHAR [ESCAPE VARCHAR]"}, BindLike});
  defs->push_back({{"in_list"}, 2, -1, {"ANY IN (constant, ...)"}, BindInList});
}

void AddConditionalDefs(std::vector<ScalarDef>* defs) {
  defs->push_back({{"coalesce"}, 1, -1, {"coalesce(ANY, ...)"}, BindCoalesce});
  defs->push_back({{"ifnull", "nvl"}, 2, 2, {"ifnull(ANY, ANY)"}, BindCoalesce});
  defs->push_back({{"nullif"}, 2, 2, {"nullif(ANY, ANY)"}, BindNullIf});
  defs->push_back({{"if", "iff"}, 3, 3, {"if(BOOLEAN, ANY, ANY)"}, BindIf});
  defs->push_back({{"greatest"}, 1, -1, {"greatest(ANY, ...)"}, BindGreatest});
  defs->push_back({{"least"}, 1, -1, {"least(ANY, ...)"}, BindGreatest});
}

}  // namespace shoal::function_internal
