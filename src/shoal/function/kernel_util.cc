#include "shoal/function/kernel_util.h"

#include <arrow/array/builder_base.h>
#include <arrow/array/util.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/checked_cast.h>

namespace shoal::function_internal {

namespace {

class ShoalOptionsTypeImpl : public cp::FunctionOptionsType {
 public:
  const char* type_name() const override { return ShoalOptions::kTypeName; }
  std::string Stringify(const cp::FunctionOptions& o) const override {
    const auto& opts = static_cast<const ShoalOptions&>(o);
    std::string s = "ShoalOptions(";
    for (size_t i = 0; i < opts.values.size(); ++i) {
      if (i > 0) s += ", ";
      s += opts.values[i] ? opts.values[i]->ToString() : "<none>";
    }
    if (!opts.text.empty()) s += (opts.values.empty() ? "" : ", ") + opts.text;
    return s + ")";
  }
  bool Compare(const cp::FunctionOptions& a, const cp::FunctionOptions& b) const override {
    const auto& x = static_cast<const ShoalOptions&>(a);
    const auto& y = static_cast<const ShoalOptions&>(b);
    if (x.text != y.text || x.values.size() != y.values.size()) return false;
    for (size_t i = 0; i < x.values.size(); ++i) {
      if ((x.values[i] == nullptr) != (y.values[i] == nullptr)) return false;
      if (x.values[i] && !x.values[i]->Equals(*y.values[i])) return false;
    }
    return true;
  }
  std::unique_ptr<cp::FunctionOptions> Copy(const cp::FunctionOptions& o) const override {
    return std::make_unique<ShoalOptions>(static_cast<const ShoalOptions&>(o));
  }
};

}  // namespace

const cp::FunctionOptionsType* ShoalOptionsType() {
  static ShoalOptionsTypeImpl instance;
  return &instance;
}

ShoalOptions::ShoalOptions(std::vector<std::shared_ptr<arrow::Scalar>> v, std::string t)
    : cp::FunctionOptions(ShoalOptionsType()), values(std::move(v)), text(std::move(t)) {}

Result<std::unique_ptr<cp::KernelState>> InitShoalOptions(cp::KernelContext*,
                                                          const cp::KernelInitArgs& args) {
  auto state = std::make_unique<ShoalOptionsState>();
  if (args.options != nullptr) {
    if (args.options->options_type() != ShoalOptionsType()) {
      return Status::Invalid("Shoal kernel called with options of type ",
                             args.options->type_name(), " instead of ShoalOptions");
    }
    state->options = static_cast<const ShoalOptions&>(*args.options);
  }
  return state;
}

const ShoalOptions& GetOptions(cp::KernelContext* ctx) {
  static const ShoalOptions kDefaults;
  auto* state = static_cast<ShoalOptionsState*>(ctx->state());
  return state == nullptr ? kDefaults : state->options;
}

StrReader::StrReader(const cp::ExecValue& v) : v_(&v) {
  if (v.is_scalar()) {
    scalar_valid_ = v.scalar->is_valid;
    if (scalar_valid_) {
      scalar_value_ =
          arrow::internal::checked_cast<const arrow::BaseBinaryScalar&>(*v.scalar).view();
    }
  } else {
    offsets_ = v.array.GetValues<int32_t>(1);
    data_ = reinterpret_cast<const char*>(v.array.buffers[2].data);
  }
}

bool StrReader::IsValid(int64_t i) const {
  return v_->is_scalar() ? scalar_valid_ : v_->array.IsValid(i);
}

std::string_view StrReader::Get(int64_t i) const {
  if (v_->is_scalar()) return scalar_value_;
  return std::string_view(data_ + offsets_[i], offsets_[i + 1] - offsets_[i]);
}

BoolReader::BoolReader(const cp::ExecValue& v) : v_(&v) {
  if (v.is_scalar()) {
    scalar_valid_ = v.scalar->is_valid;
    if (scalar_valid_) {
      scalar_value_ =
          arrow::internal::checked_cast<const arrow::BooleanScalar&>(*v.scalar).value;
    }
  }
}

bool BoolReader::IsValid(int64_t i) const {
  return v_->is_scalar() ? scalar_valid_ : v_->array.IsValid(i);
}

bool BoolReader::Get(int64_t i) const {
  if (v_->is_scalar()) return scalar_value_;
  return arrow::bit_util::GetBit(v_->array.buffers[1].data, v_->array.offset + i);
}

IntervalReader::IntervalReader(const cp::ExecValue& v) : v_(&v) {
  if (v.is_scalar()) {
    scalar_valid_ = v.scalar->is_valid;
    if (scalar_valid_) {
      scalar_value_ = arrow::internal::checked_cast<const arrow::MonthDayNanoIntervalScalar&>(
                          *v.scalar)
                          .value;
    }
  }
}

bool IntervalReader::IsValid(int64_t i) const {
  return v_->is_scalar() ? scalar_valid_ : v_->array.IsValid(i);
}

arrow::MonthDayNanoIntervalType::MonthDayNanos IntervalReader::Get(int64_t i) const {
  if (v_->is_scalar()) return scalar_value_;
  return v_->array.GetValues<arrow::MonthDayNanoIntervalType::MonthDayNanos>(1)[i];
}

arrow::Datum ToDatum(const cp::ExecValue& v) {
  if (v.is_scalar()) return arrow::Datum(v.scalar->GetSharedPtr());
  return arrow::Datum(v.array.ToArrayData());
}

Status DatumToResult(const arrow::Datum& d, int64_t length, cp::KernelContext* ctx,
                     cp::ExecResult* out) {
  if (d.is_scalar()) {
    ARROW_ASSIGN_OR_RAISE(auto arr, arrow::MakeArrayFromScalar(*d.scalar(), length,
                                                               ctx->memory_pool()));
    out->value = arr->data();
    return Status::OK();
  }
  if (d.is_array()) {
    out->value = d.array();
    return Status::OK();
  }
  return Status::Invalid("kernel produced a ", d.ToString(), " instead of an array");
}

Status FinishInto(arrow::ArrayBuilder* builder, cp::ExecResult* out) {
  std::shared_ptr<arrow::ArrayData> data;
  ARROW_RETURN_NOT_OK(builder->FinishInternal(&data));
  out->value = std::move(data);
  return Status::OK();
}

Status AddShoalKernel(cp::ScalarFunction* func, std::vector<cp::InputType> in_types,
                      cp::OutputType out_type, cp::ArrayKernelExec exec, bool with_options) {
  cp::ScalarKernel kernel(std::move(in_types), std::move(out_type), exec,
                          with_options ? cp::KernelInit(InitShoalOptions) : cp::KernelInit());
  kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
  kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
  return func->AddKernel(std::move(kernel));
}

std::shared_ptr<cp::ScalarFunction> MakeFunction(const std::string& name, cp::Arity arity,
                                                 const std::string& summary, bool is_pure) {
  return std::make_shared<cp::ScalarFunction>(
      name, arity, cp::FunctionDoc(summary, "Shoal SQL function.", {}), nullptr, is_pure);
}

}  // namespace shoal::function_internal
