// Internal helpers for writing Shoal's own Arrow compute kernels (not part of
// the public function API): per-row readers over array-or-scalar inputs, the
// options type Shoal kernels take, and registration helpers.
//
// Shoal kernels are simple row-at-a-time loops: each reader hides whether an
// input is an array or a scalar, and the kernel appends one value (or null)
// per row to an Arrow builder. They allocate their own output
// (COMPUTED_NO_PREALLOCATE / NO_PREALLOCATE).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/array/builder_base.h>
#include <arrow/array/data.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/function.h>
#include <arrow/compute/function_options.h>
#include <arrow/compute/kernel.h>
#include <arrow/compute/registry.h>
#include <arrow/datum.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/status.h"

namespace shoal::function_internal {

namespace cp = arrow::compute;

/// Options of Shoal kernels: constant values and one text (e.g. a date part name).
class ShoalOptions : public cp::FunctionOptions {
 public:
  explicit ShoalOptions(std::vector<std::shared_ptr<arrow::Scalar>> values = {},
                        std::string text = "");
  static constexpr const char kTypeName[] = "ShoalOptions";
  std::vector<std::shared_ptr<arrow::Scalar>> values;
  std::string text;
};

/// Return the process-wide options type of ShoalOptions.
const cp::FunctionOptionsType* ShoalOptionsType();

/// Kernel state holding a copy of the call's ShoalOptions (or defaults).
struct ShoalOptionsState : cp::KernelState {
  ShoalOptions options;
};

/// KernelInit that copies ShoalOptions into a ShoalOptionsState.
Result<std::unique_ptr<cp::KernelState>> InitShoalOptions(cp::KernelContext*,
                                                          const cp::KernelInitArgs& args);

/// Return the options of the running kernel (defaults when none were given).
const ShoalOptions& GetOptions(cp::KernelContext* ctx);

/// Per-row reader of a utf8 / binary (int32 offsets) input.
class StrReader {
 public:
  explicit StrReader(const cp::ExecValue& v);
  bool IsValid(int64_t i) const;
  std::string_view Get(int64_t i) const;

 private:
  const cp::ExecValue* v_;
  const int32_t* offsets_ = nullptr;
  const char* data_ = nullptr;
  std::string_view scalar_value_;
  bool scalar_valid_ = false;
};

/// Per-row reader of a fixed-width primitive input whose C type is T
/// (int64_t for int64, int32_t for date32, double for float64, ...).
template <typename T>
class NumReader {
 public:
  explicit NumReader(const cp::ExecValue& v) : v_(&v) {
    if (v.is_scalar()) {
      scalar_valid_ = v.scalar->is_valid;
      if (scalar_valid_) {
        scalar_value_ = *reinterpret_cast<const T*>(
            static_cast<const arrow::internal::PrimitiveScalarBase*>(v.scalar)->data());
      }
    } else {
      values_ = v.array.GetValues<T>(1);
    }
  }
  bool IsValid(int64_t i) const {
    return v_->is_scalar() ? scalar_valid_ : v_->array.IsValid(i);
  }
  T Get(int64_t i) const { return v_->is_scalar() ? scalar_value_ : values_[i]; }

 private:
  const cp::ExecValue* v_;
  const T* values_ = nullptr;
  T scalar_value_{};
  bool scalar_valid_ = false;
};

/// Per-row reader of a boolean input.
class BoolReader {
 public:
  explicit BoolReader(const cp::ExecValue& v);
  bool IsValid(int64_t i) const;
  bool Get(int64_t i) const;

 private:
  const cp::ExecValue* v_;
  bool scalar_value_ = false;
  bool scalar_valid_ = false;
};

/// Per-row reader of a month_day_nano interval input.
class IntervalReader {
 public:
  explicit IntervalReader(const cp::ExecValue& v);
  bool IsValid(int64_t i) const;
  arrow::MonthDayNanoIntervalType::MonthDayNanos Get(int64_t i) const;

 private:
  const cp::ExecValue* v_;
  arrow::MonthDayNanoIntervalType::MonthDayNanos scalar_value_{};
  bool scalar_valid_ = false;
};

/// The value of a kernel input as a Datum (for kernels that call other functions).
arrow::Datum ToDatum(const cp::ExecValue& v);
/// Store `d` (an array of `length` rows, or a scalar to repeat) as the kernel result.
Status DatumToResult(const arrow::Datum& d, int64_t length, cp::KernelContext* ctx,
                     cp::ExecResult* out);

/// Finish `builder` into the kernel result.
Status FinishInto(arrow::ArrayBuilder* builder, cp::ExecResult* out);

/// Add a kernel that allocates its own output and (optionally) reads ShoalOptions.
Status AddShoalKernel(cp::ScalarFunction* func, std::vector<cp::InputType> in_types,
                      cp::OutputType out_type, cp::ArrayKernelExec exec,
                      bool with_options = false);

/// Make a scalar function with a short doc.
std::shared_ptr<cp::ScalarFunction> MakeFunction(const std::string& name, cp::Arity arity,
                                                 const std::string& summary,
                                                 bool is_pure = true);

// Registration of Shoal's kernels, one function per source file.
Status RegisterStringKernels(cp::FunctionRegistry* registry);
Status RegisterMathKernels(cp::FunctionRegistry* registry);
Status RegisterDatetimeKernels(cp::FunctionRegistry* registry);
Status RegisterOperatorKernels(cp::FunctionRegistry* registry);
Status RegisterDecimalKernels(cp::FunctionRegistry* registry);
Status RegisterAggregateKernels(cp::FunctionRegistry* registry);
Status RegisterStringMatchKernels(cp::FunctionRegistry* registry);
Status RegisterConditionalKernels(cp::FunctionRegistry* registry);

}  // namespace shoal::function_internal
