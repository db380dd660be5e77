// FunctionCatalog: the registry of Shoal's kernels and the dispatch of BindScalar.
#include "shoal/function/function_catalog.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <mutex>
#include <unordered_map>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/function.h>
#include <arrow/compute/initialize.h>
#include <arrow/compute/kernel.h>
#include <arrow/array/util.h>
#include <arrow/memory_pool.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/binder_internal.h"
#include "shoal/function/kernel_util.h"

namespace shoal {

namespace cp = arrow::compute;
using namespace function_internal;  // NOLINT

namespace function_internal {
namespace {

// "shoal_constant": nullary; returns options.values[0] repeated for the batch length.
Status ExecConstant(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& opts = GetOptions(ctx);
  if (opts.values.empty() || opts.values[0] == nullptr) {
    return Status::Invalid("shoal_constant needs a value in its options");
  }
  ARROW_ASSIGN_OR_RAISE(auto arr, arrow::MakeArrayFromScalar(*opts.values[0], batch.length,
                                                             ctx->memory_pool()));
  out->value = arr->data();
  return Status::OK();
}

Status RegisterConstant(cp::FunctionRegistry* registry) {
  auto func = MakeFunction("shoal_constant", cp::Arity::Nullary(),
                           "Return the constant in the options for every row");
  cp::OutputType out([](cp::KernelContext* ctx,
                        const std::vector<arrow::TypeHolder>&) -> Result<arrow::TypeHolder> {
    const auto& opts = GetOptions(ctx);
    if (opts.values.empty() || opts.values[0] == nullptr) {
      return Status::Invalid("shoal_constant needs a value in its options");
    }
    return arrow::TypeHolder(opts.values[0]->type);
  });
  ARROW_RETURN_NOT_OK(AddShoalKernel(func.get(), {}, out, ExecConstant, true));
  return registry->AddFunction(func);
}

}  // namespace

TypePtr ValueType(const ScalarArg& arg) {
  if (arg.type && arg.type->id() == arrow::Type::DICTIONARY) {
    return arrow::internal::checked_cast<const arrow::DictionaryType&>(*arg.type).value_type();
  }
  return arg.type;
}

std::shared_ptr<arrow::Scalar> NullOf(const TypePtr& type) { return arrow::MakeNullScalar(type); }

BoundScalarFunction ConstantResult(std::shared_ptr<arrow::Scalar> value) {
  BoundScalarFunction b;
  b.function = "shoal_constant";
  b.return_type = value->type;
  b.options = std::make_shared<ShoalOptions>(std::vector<std::shared_ptr<arrow::Scalar>>{value});
  return b;
}

Result<BoundScalarFunction> BindArrow(const std::string& function, std::vector<int> arg_indices,
                                      std::vector<TypePtr> arg_types,
                                      std::shared_ptr<cp::FunctionOptions> options) {
  ARROW_ASSIGN_OR_RAISE(auto func, Registry()->GetFunction(function));
  std::vector<arrow::TypeHolder> types(arg_types.begin(), arg_types.end());
  ARROW_ASSIGN_OR_RAISE(const cp::Kernel* kernel, func->DispatchBest(&types));
  cp::ExecContext exec_ctx(arrow::default_memory_pool(), nullptr, Registry());
  cp::KernelContext kctx(&exec_ctx, kernel);
  std::unique_ptr<cp::KernelState> state;
  const cp::FunctionOptions* opts = options ? options.get() : func->default_options();
  if (kernel->init) {
    ARROW_ASSIGN_OR_RAISE(state, kernel->init(&kctx, cp::KernelInitArgs{kernel, types, opts}));
    kctx.SetState(state.get());
  }
  ARROW_ASSIGN_OR_RAISE(auto out, kernel->signature->out_type().Resolve(&kctx, types));
  BoundScalarFunction b;
  b.function = function;
  b.arg_indices = std::move(arg_indices);
  // The types before DispatchBest: arrow::compute::CallFunction repeats the same
  // dispatch (and its implicit casts) at run time, which is not idempotent for
  // every kernel (decimal division rescales the dividend).
  b.arg_types = std::move(arg_types);
  b.options = std::move(options);
  b.return_type = out.GetSharedPtr();
  return b;
}

Result<BoundScalarFunction> BindArrowAll(const std::string& function, std::vector<TypePtr> arg_types,
                                         std::shared_ptr<cp::FunctionOptions> options) {
  std::vector<int> idx(arg_types.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = static_cast<int>(i);
  return BindArrow(function, std::move(idx), std::move(arg_types), std::move(options));
}

Status NoMatch(const ScalarDef& def, const std::string& name, const ScalarArgs& args) {
  std::vector<std::string> types;
  for (const auto& a : args) types.push_back(a.type ? ArrowTypeToSql(*a.type) : "?");
  return Status::TypeError("function ", name, "(", Join(types, ", "),
                           ") does not exist; candidates: ", Join(def.signatures, ", "));
}

TypePtr CoerceTo(const ScalarArg& arg, Kind kind) {
  TypePtr t = ValueType(arg);
  if (t == nullptr) return nullptr;
  bool is_null = t->id() == arrow::Type::NA;
  switch (kind) {
    case Kind::kString:
      return is_null || IsStringType(*t) ? arrow::utf8() : nullptr;
    case Kind::kInt:
      return is_null || IsIntegerType(*t) ? arrow::int64() : nullptr;
    case Kind::kFloat:
      return is_null || IsNumericType(*t) ? arrow::float64() : nullptr;
    case Kind::kBool:
      return is_null || t->id() == arrow::Type::BOOL ? arrow::boolean() : nullptr;
    case Kind::kDate:
      if (is_null || t->id() == arrow::Type::DATE32 || t->id() == arrow::Type::DATE64) {
        return arrow::date32();
      }
      if (IsStringType(*t) && IsConst(arg)) return arrow::date32();
      return nullptr;
    case Kind::kTimestamp:
      if (t->id() == arrow::Type::TIMESTAMP) return t;
      if (is_null || t->id() == arrow::Type::DATE32 || t->id() == arrow::Type::DATE64 ||
          (IsStringType(*t) && IsConst(arg))) {
        return arrow::timestamp(arrow::TimeUnit::MICRO);
      }
      return nullptr;
    case Kind::kAny:
      return t;
  }
  return nullptr;
}

Result<BoundScalarFunction> BindKinds(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args, const std::string& function,
                                      const std::vector<Kind>& kinds,
                                      std::shared_ptr<cp::FunctionOptions> options) {
  std::vector<TypePtr> types;
  for (size_t i = 0; i < args.size(); ++i) {
    Kind k = kinds.empty() ? Kind::kAny : kinds[std::min(i, kinds.size() - 1)];
    TypePtr t = CoerceTo(args[i], k);
    if (t == nullptr) return NoMatch(def, name, args);
    types.push_back(std::move(t));
  }
  return BindArrowAll(function, std::move(types), std::move(options));
}

Result<int64_t> ConstInt(const ScalarArg& arg, const std::string& fn, const std::string& what) {
  if (!IsConst(arg)) {
    return Status::NotImplemented(fn, ": the ", what, " must be a constant");
  }
  if (!arg.literal->is_valid) return Status::Invalid(fn, ": the ", what, " is NULL");
  if (!IsIntegerType(*arg.literal->type)) {
    return Status::TypeError(fn, ": the ", what, " must be an integer, got ",
                             ArrowTypeToSql(*arg.literal->type));
  }
  ARROW_ASSIGN_OR_RAISE(auto s, arg.literal->CastTo(arrow::int64()));
  return arrow::internal::checked_cast<const arrow::Int64Scalar&>(*s).value;
}

Result<std::string> ConstString(const ScalarArg& arg, const std::string& fn,
                                const std::string& what) {
  if (!IsConst(arg)) {
    return Status::NotImplemented(fn, ": the ", what, " must be a constant");
  }
  if (!arg.literal->is_valid) return Status::Invalid(fn, ": the ", what, " is NULL");
  if (!IsStringType(*arg.literal->type)) {
    return Status::TypeError(fn, ": the ", what, " must be a string, got ",
                             ArrowTypeToSql(*arg.literal->type));
  }
  return std::string(
      arrow::internal::checked_cast<const arrow::BaseBinaryScalar&>(*arg.literal).view());
}

}  // namespace function_internal

struct FunctionCatalog::Impl {
  std::unique_ptr<cp::FunctionRegistry> registry;
  std::vector<ScalarDef> defs;
  std::unordered_map<std::string, size_t> by_name;
  std::vector<std::string> aggregate_names, window_names, all_names;
};

FunctionCatalog::FunctionCatalog() : impl_(std::make_shared<Impl>()) {}

const FunctionCatalog& FunctionCatalog::Get() {
  static FunctionCatalog* catalog = [] {
    auto init_status = cp::Initialize();
    auto* c = new FunctionCatalog();
    auto& impl = *c->impl_;
    impl.registry = cp::FunctionRegistry::Make(cp::GetFunctionRegistry());
    Status st = init_status;
    if (st.ok()) st = RegisterConstant(impl.registry.get());
    if (st.ok()) st = RegisterOperatorKernels(impl.registry.get());
    if (st.ok()) st = RegisterDecimalKernels(impl.registry.get());
    if (st.ok()) st = RegisterAggregateKernels(impl.registry.get());
    if (st.ok()) st = RegisterStringMatchKernels(impl.registry.get());
    if (st.ok()) st = RegisterConditionalKernels(impl.registry.get());
    if (st.ok()) st = RegisterStringKernels(impl.registry.get());
    if (st.ok()) st = RegisterMathKernels(impl.registry.get());
    if (st.ok()) st = RegisterDatetimeKernels(impl.registry.get());
    // Registration only fails on a programming error (duplicate names, bad
    // signatures); surface it loudly rather than binding against a partial set.
    if (!st.ok()) {
      std::fprintf(stderr, "shoal: registering SQL functions failed: %s\n",
                   st.ToString().c_str());
      std::abort();
    }
    AddOperatorDefs(&impl.defs);
    AddStringDefs(&impl.defs);
    AddMathDefs(&impl.defs);
    AddDatetimeDefs(&impl.defs);
    AddConditionalDefs(&impl.defs);
    for (size_t i = 0; i < impl.defs.size(); ++i) {
      for (const auto& n : impl.defs[i].names) impl.by_name[n] = i;
    }
    impl.aggregate_names = AggregateNames();
    impl.window_names = WindowNames();
    for (const auto& [n, i] : impl.by_name) {
      if (!n.empty() && std::isalpha(static_cast<unsigned char>(n[0])) &&
          n.find('_') != 0) {
        impl.all_names.push_back(n);
      }
    }
    for (const auto& n : impl.aggregate_names) impl.all_names.push_back(n);
    for (const auto& n : impl.window_names) impl.all_names.push_back(n);
    std::sort(impl.all_names.begin(), impl.all_names.end());
    impl.all_names.erase(std::unique(impl.all_names.begin(), impl.all_names.end()),
                         impl.all_names.end());
    return c;
  }();
  return *catalog;
}

cp::FunctionRegistry* FunctionCatalog::registry() const { return impl_->registry.get(); }

namespace function_internal {
cp::FunctionRegistry* Registry() { return FunctionCatalog::Get().registry(); }
}  // namespace function_internal

bool FunctionCatalog::IsScalar(const std::string& name) const {
  return impl_->by_name.count(ToLower(name)) > 0;
}

bool FunctionCatalog::IsAggregate(const std::string& name) const {
  const auto& v = impl_->aggregate_names;
  return std::find(v.begin(), v.end(), ToLower(name)) != v.end();
}

bool FunctionCatalog::IsWindow(const std::string& name) const {
  const auto& v = impl_->window_names;
  return std::find(v.begin(), v.end(), ToLower(name)) != v.end();
}

std::vector<std::string> FunctionCatalog::AllNames() const { return impl_->all_names; }

Result<BoundScalarFunction> FunctionCatalog::BindScalar(const std::string& raw_name,
                                                        const std::vector<ScalarArg>& args) const {
  const std::string name = ToLower(raw_name);
  auto it = impl_->by_name.find(name);
  if (it == impl_->by_name.end()) {
    if (IsAggregate(name)) {
      return Status::Invalid("function ", name, " is an aggregate; it is not allowed here");
    }
    if (IsWindow(name)) {
      return Status::Invalid("function ", name, " is a window function and needs an OVER clause");
    }
    auto close = ClosestMatches(name, impl_->all_names);
    if (close.empty()) return Status::Invalid("unknown function ", raw_name);
    return Status::Invalid("unknown function ", raw_name, "; did you mean ",
                           JoinQuoted(close, " or "), "?");
  }
  const ScalarDef& def = impl_->defs[it->second];
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i].type == nullptr) {
      return Status::Invalid("function ", name, ": argument ", i + 1, " has no type");
    }
  }
  int n = static_cast<int>(args.size());
  if (n < def.min_args || (def.max_args >= 0 && n > def.max_args)) {
    std::string expected = def.min_args == def.max_args ? std::to_string(def.min_args)
                           : def.max_args < 0 ? "at least " + std::to_string(def.min_args)
                                              : std::to_string(def.min_args) + " to " +
                                                    std::to_string(def.max_args);
    return Status::TypeError("function ", name, " takes ", expected, " argument",
                             expected == "1" ? "" : "s", ", got ", n, "; candidates: ",
                             Join(def.signatures, ", "));
  }
  auto result = def.bind(def, name, args);
  if (!result.ok() && result.status().IsNotImplemented() &&
      result.status().message().find("has no kernel matching") != std::string::npos) {
    return NoMatch(def, name, args);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Execution helpers
// ---------------------------------------------------------------------------

namespace {

cp::ExecContext* DefaultContext() {
  static cp::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                             FunctionCatalog::Get().registry());
  return &ctx;
}

}  // namespace

Result<arrow::Datum> ExecuteScalar(const BoundScalarFunction& bound,
                                   const std::vector<arrow::Datum>& args, int64_t num_rows,
                                   cp::ExecContext* ctx) {
  if (ctx == nullptr) ctx = DefaultContext();
  std::vector<arrow::Datum> call_args;
  for (size_t i = 0; i < bound.arg_indices.size(); ++i) {
    int idx = bound.arg_indices[i];
    if (idx < 0 || idx >= static_cast<int>(args.size())) {
      return Status::Invalid("ExecuteScalar: ", bound.function, " needs argument ", idx + 1,
                             " but only ", args.size(), " were given");
    }
    arrow::Datum a = args[idx];
    if (!a.type()->Equals(*bound.arg_types[i])) {
      ARROW_ASSIGN_OR_RAISE(a, CastValue(a, bound.arg_types[i], /*try_cast=*/false, ctx));
    }
    call_args.push_back(std::move(a));
  }
  if (call_args.empty()) {
    return cp::CallFunction(bound.function, cp::ExecBatch({}, num_rows), bound.options.get(),
                            ctx);
  }
  return cp::CallFunction(bound.function, call_args, bound.options.get(), ctx);
}

}  // namespace shoal
