// Math functions: binding to Arrow's kernels plus a few Shoal kernels
// (cbrt, degrees, radians, gcd, factorial, identity).
#include <cmath>
#include <numeric>

#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_scalar.h>

#include "shoal/function/binder_internal.h"
#include "shoal/function/kernel_util.h"

namespace shoal::function_internal {

namespace {

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

template <double (*kFn)(double)>
Status ExecUnaryDouble(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<double> x(batch[0]);
  arrow::DoubleBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!x.IsValid(i)) {
      b.UnsafeAppendNull();
    } else {
      b.UnsafeAppend(kFn(x.Get(i)));
    }
  }
  return FinishInto(&b, out);
}

double Cbrt(double x) {
  // glibc's cbrt is not exact on perfect cubes (cbrt(27) = 3.0000000000000004).
  double r = std::cbrt(x);
  double n = std::nearbyint(r);
  return n * n * n == x ? n : r;
}
double Degrees(double x) { return x * (180.0 / M_PI); }
double Radians(double x) { return x * (M_PI / 180.0); }

Status ExecGcd(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int64_t> a(batch[0]), c(batch[1]);
  arrow::Int64Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!a.IsValid(i) || !c.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    int64_t x = a.Get(i), y = c.Get(i);
    if (x == INT64_MIN || y == INT64_MIN) return Status::Invalid("gcd: bigint out of range");
    b.UnsafeAppend(std::gcd(x, y));
  }
  return FinishInto(&b, out);
}

Status ExecFactorial(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int64_t> n(batch[0]);
  arrow::Int64Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!n.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    int64_t k = n.Get(i);
    if (k < 0) return Status::Invalid("factorial of a negative number (", k, ") is undefined");
    if (k > 20) return Status::Invalid("factorial(", k, ") overflows BIGINT");
    int64_t r = 1;
    for (int64_t j = 2; j <= k; ++j) r *= j;
    b.UnsafeAppend(r);
  }
  return FinishInto(&b, out);
}

Status ExecIdentity(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  return DatumToResult(ToDatum(batch[0]), batch.length, ctx, out);
}

// ---------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------

Result<TypePtr> NumericArg(const ScalarDef& def, const std::string& name, const ScalarArgs& args,
                           size_t i) {
  TypePtr t = ValueType(args[i]);
  if (t->id() == arrow::Type::NA) return arrow::float64();
  if (!IsNumericType(*t)) return NoMatch(def, name, args);
  return t;
}

/// Bind to an Arrow function on float64 arguments.
BindFn Float(std::string function, bool is_volatile = false) {
  return [function](const ScalarDef& def, const std::string& name,
                    const ScalarArgs& args) -> Result<BoundScalarFunction> {
    return BindKinds(def, name, args, function, {Kind::kFloat});
  };
}

Result<BoundScalarFunction> BindAbs(const ScalarDef& def, const std::string& name,
                                    const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, NumericArg(def, name, args, 0));
  return BindArrowAll(IsIntegerType(*t) ? "abs_checked" : "abs", {t});
}

Result<BoundScalarFunction> BindSign(const ScalarDef& def, const std::string& name,
                                     const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, NumericArg(def, name, args, 0));
  if (IsDecimalType(*t)) t = arrow::float64();
  return BindArrowAll("sign", {t});
}

Result<BoundScalarFunction> BindCeilFloor(const ScalarDef& def, const std::string& name,
                                          const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, NumericArg(def, name, args, 0));
  if (IsIntegerType(*t)) return BindArrowAll("shoal_identity", {t});
  const char* fn = name == "floor" ? "floor" : name == "trunc" ? "trunc" : "ceil";
  if (IsDecimalType(*t) && std::string(fn) == "trunc") {
    return BindArrowAll("round", {t},
                        std::make_shared<cp::RoundOptions>(0, cp::RoundMode::TOWARDS_ZERO));
  }
  return BindArrowAll(fn, {t});
}

// round(x[, n]) rounds half away from zero (PostgreSQL, DuckDB); trunc(x, n)
// rounds towards zero.
Result<BoundScalarFunction> BindRound(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args) {
  ARROW_ASSIGN_OR_RAISE(auto t, NumericArg(def, name, args, 0));
  auto mode = name == "trunc" ? cp::RoundMode::TOWARDS_ZERO : cp::RoundMode::HALF_TOWARDS_INFINITY;
  if (args.size() == 1) {
    if (name == "trunc") return BindCeilFloor(def, name, args);
    if (IsIntegerType(*t)) return BindArrowAll("shoal_identity", {t});
    return BindArrowAll("round", {t}, std::make_shared<cp::RoundOptions>(0, mode));
  }
  if (!CoerceTo(args[1], Kind::kInt)) return NoMatch(def, name, args);
  if (IsNullConst(args[1])) return ConstantResult(NullOf(t));
  if (IsConst(args[1])) {
    ARROW_ASSIGN_OR_RAISE(int64_t n, ConstInt(args[1], name, "number of digits"));
    if (IsIntegerType(*t) && n >= 0) return BindArrowAll("shoal_identity", {t});
    return BindArrow("round", {0}, {t}, std::make_shared<cp::RoundOptions>(n, mode));
  }
  if (IsIntegerType(*t)) t = arrow::float64();
  return BindArrowAll("round_binary", {t, arrow::int32()},
                      std::make_shared<cp::RoundBinaryOptions>(mode));
}

Result<BoundScalarFunction> BindLog(const ScalarDef& def, const std::string& name,
                                    const ScalarArgs& args) {
  if (args.size() == 1) return BindKinds(def, name, args, "log10_checked", {Kind::kFloat});
  // log(b, x): Arrow's logb takes (x, base).
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kFloat)) return NoMatch(def, name, args);
  }
  return BindArrow("logb_checked", {1, 0}, {arrow::float64(), arrow::float64()});
}

Result<BoundScalarFunction> BindPi(const ScalarDef&, const std::string&, const ScalarArgs&) {
  return ConstantResult(std::make_shared<arrow::DoubleScalar>(M_PI));
}

Result<BoundScalarFunction> BindRandom(const ScalarDef&, const std::string&, const ScalarArgs&) {
  ARROW_ASSIGN_OR_RAISE(auto b, BindArrowAll("random", {},
                                             std::make_shared<cp::RandomOptions>(
                                                 cp::RandomOptions::FromSystemRandom())));
  b.is_volatile = true;
  return b;
}

}  // namespace

Status RegisterMathKernels(cp::FunctionRegistry* reg) {
  auto f64 = arrow::float64();
  auto add_unary = [&](const char* name, cp::ArrayKernelExec exec) -> Status {
    auto f = MakeFunction(name, cp::Arity::Unary(), name);
    ARROW_RETURN_NOT_OK(AddShoalKernel(f.get(), {f64}, f64, exec));
    return reg->AddFunction(f);
  };
  ARROW_RETURN_NOT_OK(add_unary("shoal_cbrt", ExecUnaryDouble<Cbrt>));
  ARROW_RETURN_NOT_OK(add_unary("shoal_degrees", ExecUnaryDouble<Degrees>));
  ARROW_RETURN_NOT_OK(add_unary("shoal_radians", ExecUnaryDouble<Radians>));
  auto gcd = MakeFunction("shoal_gcd", cp::Arity::Binary(), "gcd");
  ARROW_RETURN_NOT_OK(AddShoalKernel(gcd.get(), {arrow::int64(), arrow::int64()}, arrow::int64(),
                                     ExecGcd));
  ARROW_RETURN_NOT_OK(reg->AddFunction(gcd));
  auto fact = MakeFunction("shoal_factorial", cp::Arity::Unary(), "factorial");
  ARROW_RETURN_NOT_OK(AddShoalKernel(fact.get(), {arrow::int64()}, arrow::int64(), ExecFactorial));
  ARROW_RETURN_NOT_OK(reg->AddFunction(fact));
  auto id = MakeFunction("shoal_identity", cp::Arity::Unary(), "identity");
  ARROW_RETURN_NOT_OK(AddShoalKernel(
      id.get(), {cp::InputType::Any()},
      cp::OutputType([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& t)
                         -> Result<arrow::TypeHolder> { return t[0]; }),
      ExecIdentity));
  return reg->AddFunction(id);
}

void AddMathDefs(std::vector<ScalarDef>* defs) {
  defs->push_back({{"abs"}, 1, 1, {"abs(NUMERIC)"}, BindAbs});
  defs->push_back({{"sign", "signum"}, 1, 1, {"sign(NUMERIC)"}, BindSign});
  defs->push_back({{"ceil", "ceiling"}, 1, 1, {"ceil(NUMERIC)"}, BindCeilFloor});
  defs->push_back({{"floor"}, 1, 1, {"floor(NUMERIC)"}, BindCeilFloor});
  defs->push_back({{"round"}, 1, 2, {"round(NUMERIC[, INTEGER])"}, BindRound});
  defs->push_back({{"trunc", "truncate"}, 1, 2, {"trunc(NUMERIC[, INTEGER])"}, BindRound});
  defs->push_back({{"sqrt"}, 1, 1, {"sqrt(DOUBLE)"}, Float("sqrt_checked")});
  defs->push_back({{"cbrt"}, 1, 1, {"cbrt(DOUBLE)"}, Float("shoal_cbrt")});
  defs->push_back({{"power", "pow"}, 2, 2, {"power(DOUBLE, DOUBLE)"}, Float("power_checked")});
  defs->push_back({{"exp"}, 1, 1, {"exp(DOUBLE)"}, Float("exp")});
  defs->push_back({{"ln"}, 1, 1, {"ln(DOUBLE)"}, Float("ln_checked")});
  defs->push_back({{"log10"}, 1, 1, {"log10(DOUBLE)"}, Float("log10_checked")});
  defs->push_back({{"log2"}, 1, 1, {"log2(DOUBLE)"}, Float("log2_checked")});
  defs->push_back({{"log"}, 1, 2, {"log(DOUBLE)", "log(base DOUBLE, x DOUBLE)"}, BindLog});
  defs->push_back({{"pi"}, 0, 0, {"pi()"}, BindPi});
  defs->push_back({{"random", "rand"}, 0, 0, {"random()"}, BindRandom});
  defs->push_back({{"sin"}, 1, 1, {"sin(DOUBLE)"}, Float("sin_checked")});
  defs->push_back({{"cos"}, 1, 1, {"cos(DOUBLE)"}, Float("cos_checked")});
  defs->push_back({{"tan"}, 1, 1, {"tan(DOUBLE)"}, Float("tan_checked")});
  defs->push_back({{"asin"}, 1, 1, {"asin(DOUBLE)"}, Float("asin_checked")});
  defs->push_back({{"acos"}, 1, 1, {"acos(DOUBLE)"}, Float("acos_checked")});
  defs->push_back({{"atan"}, 1, 1, {"atan(DOUBLE)"}, Float("atan")});
  defs->push_back({{"atan2"}, 2, 2, {"atan2(DOUBLE, DOUBLE)"}, Float("atan2")});
  defs->push_back({{"degrees"}, 1, 1, {"degrees(DOUBLE)"}, Float("shoal_degrees")});
  defs->push_back({{"radians"}, 1, 1, {"radians(DOUBLE)"}, Float("shoal_radians")});
  defs->push_back({{"gcd"}, 2, 2, {"gcd(BIGINT, BIGINT)"},
                   [](const ScalarDef& def, const std::string& name, const ScalarArgs& args) {
                     return BindKinds(def, name, args, "shoal_gcd", {Kind::kInt});
                   }});
  defs->push_back({{"factorial"}, 1, 1, {"factorial(BIGINT)"},
                   [](const ScalarDef& def, const std::string& name, const ScalarArgs& args) {
                     return BindKinds(def, name, args, "shoal_factorial", {Kind::kInt});
                   }});
}

}  // namespace shoal::function_internal
