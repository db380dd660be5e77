// Arrow PyCapsule interface helpers: data crosses the Python boundary only as
// "arrow_schema" / "arrow_array" / "arrow_array_stream" capsules (Arrow C data
// and C stream interfaces), so the module does not link libarrow_python.
#pragma once

#include <memory>

#include <arrow/type_fwd.h>
#include <nanobind/nanobind.h>

#include "shoal/common/status.h"

namespace shoal::python {

namespace nb = nanobind;

/// Raise the Python exception matching `status` (ShoalError subclasses).
[[noreturn]] void RaiseStatus(const Status& status);

/// Throw unless `status` is OK.
inline void Check(const Status& status) {
  if (!status.ok()) RaiseStatus(status);
}
/// Return the value of `result` or raise.
template <typename T>
T Check(Result<T> result) {
  if (!result.ok()) RaiseStatus(result.status());
  return std::move(result).ValueUnsafe();
}

/// Import a schema from an "arrow_schema" capsule.
std::shared_ptr<arrow::Schema> ImportSchemaCapsule(nb::handle capsule);
/// Import a data type from an "arrow_schema" capsule.
std::shared_ptr<arrow::DataType> ImportTypeCapsule(nb::handle capsule);
/// Import a record batch from a ("arrow_schema", "arrow_array") capsule pair
/// (the array must be a struct array, as `__arrow_c_array__` of a batch gives).
std::shared_ptr<arrow::RecordBatch> ImportBatchCapsules(nb::handle schema, nb::handle array);
/// Import a stream from an "arrow_array_stream" capsule (the capsule is consumed).
std::shared_ptr<arrow::RecordBatchReader> ImportStreamCapsule(nb::handle capsule);

/// Export a schema as an "arrow_schema" capsule.
nb::object ExportSchemaCapsule(const arrow::Schema& schema);
/// Export a record batch as a ("arrow_schema", "arrow_array") capsule tuple.
nb::object ExportBatchCapsules(const std::shared_ptr<arrow::RecordBatch>& batch);
/// Export a reader as an "arrow_array_stream" capsule.
nb::object ExportStreamCapsule(std::shared_ptr<arrow::RecordBatchReader> reader);

/// Register the exception classes on the module (ShoalError and subclasses).
void RegisterExceptions(nb::module_& m);

}  // namespace shoal::python
