#include "arrow_capsules.h"

#include <cstdlib>
#include <string>

#include <arrow/c/abi.h>
#include <arrow/c/bridge.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

namespace shoal::python {

namespace {

// Exception classes created at import time (owned by the module).
PyObject* g_shoal_error = nullptr;
PyObject* g_invalid_error = nullptr;
PyObject* g_not_found_error = nullptr;
PyObject* g_not_supported_error = nullptr;
PyObject* g_io_error = nullptr;
PyObject* g_type_error = nullptr;
PyObject* g_cancelled_error = nullptr;
PyObject* g_exists_error = nullptr;

template <typename T>
T* CapsulePointer(nb::handle capsule, const char* name) {
  if (!PyCapsule_IsValid(capsule.ptr(), name)) {
    std::string msg = std::string("expected a PyCapsule named '") + name + "'";
    throw nb::type_error(msg.c_str());
  }
  return static_cast<T*>(PyCapsule_GetPointer(capsule.ptr(), name));
}

void ReleaseSchemaCapsule(PyObject* capsule) {
  auto* schema = static_cast<ArrowSchema*>(PyCapsule_GetPointer(capsule, "arrow_schema"));
  if (schema == nullptr) return;
  if (schema->release != nullptr) schema->release(schema);
  std::free(schema);
}

void ReleaseArrayCapsule(PyObject* capsule) {
  auto* array = static_cast<ArrowArray*>(PyCapsule_GetPointer(capsule, "arrow_array"));
  if (array == nullptr) return;
  if (array->release != nullptr) array->release(array);
  std::free(array);
}

void ReleaseStreamCapsule(PyObject* capsule) {
  auto* stream =
      static_cast<ArrowArrayStream*>(PyCapsule_GetPointer(capsule, "arrow_array_stream"));
  if (stream == nullptr) return;
  if (stream->release != nullptr) stream->release(stream);
  std::free(stream);
}

nb::object MakeCapsule(void* ptr, const char* name, PyCapsule_Destructor destructor) {
  PyObject* capsule = PyCapsule_New(ptr, name, destructor);
  if (capsule == nullptr) throw nb::python_error();
  return nb::steal<nb::object>(capsule);
}

PyObject* NewException(nb::module_& m, const char* name, PyObject* bases, const char* doc) {
  std::string qualified = std::string("shoal.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases, nullptr);
  if (type == nullptr) throw nb::python_error();
  m.attr(name) = nb::handle(type);
  return type;
}

}  // namespace

void RegisterExceptions(nb::module_& m) {
  g_shoal_error = NewException(m, "ShoalError", PyExc_Exception,
                               "Base class of every error raised by the Shoal engine.");
  auto bases = [](PyObject* a, PyObject* b) { return PyTuple_Pack(2, a, b); };
  g_invalid_error = NewException(m, "InvalidError", bases(g_shoal_error, PyExc_ValueError),
                                 "Invalid SQL, arguments or data (syntax, binding, types).");
  g_not_found_error = NewException(m, "NotFoundError", bases(g_shoal_error, PyExc_LookupError),
                                   "A table, view, column or setting does not exist.");
  g_exists_error = NewException(m, "AlreadyExistsError", bases(g_shoal_error, PyExc_ValueError),
                                "A table or view of that name already exists.");
  g_not_supported_error =
      NewException(m, "NotSupportedError", bases(g_shoal_error, PyExc_NotImplementedError),
                   "The feature is not supported (yet).");
  g_io_error = NewException(m, "ShoalIOError", bases(g_shoal_error, PyExc_OSError),
                            "Reading or writing files failed.");
  g_type_error = NewException(m, "ShoalTypeError", bases(g_shoal_error, PyExc_TypeError),
                              "A value has the wrong type.");
  g_cancelled_error = NewException(m, "QueryCancelledError", g_shoal_error,
                                   "The query was cancelled or interrupted.");
}

void RaiseStatus(const Status& status) {
  PyObject* type = g_shoal_error;
  switch (status.code()) {
    case arrow::StatusCode::Invalid:
    case arrow::StatusCode::IndexError:
    case arrow::StatusCode::CapacityError:
      type = g_invalid_error;
      break;
    case arrow::StatusCode::KeyError:
      type = g_not_found_error;
      break;
    case arrow::StatusCode::AlreadyExists:
      type = g_exists_error;
      break;
    case arrow::StatusCode::NotImplemented:
      type = g_not_supported_error;
      break;
    case arrow::StatusCode::IOError:
      type = g_io_error;
      break;
    case arrow::StatusCode::TypeError:
      type = g_type_error;
      break;
    case arrow::StatusCode::Cancelled:
      type = g_cancelled_error;
      break;
    default:
      break;
  }
  if (type == nullptr) type = PyExc_RuntimeError;
  PyErr_SetString(type, status.message().c_str());
  throw nb::python_error();
}

std::shared_ptr<arrow::Schema> ImportSchemaCapsule(nb::handle capsule) {
  auto* c_schema = CapsulePointer<ArrowSchema>(capsule, "arrow_schema");
  // Importing moves from the struct (the capsule's destructor then only frees it),
  // as the PyCapsule protocol allows: each capsule is consumed once.
  return Check(arrow::ImportSchema(c_schema));
}

std::shared_ptr<arrow::DataType> ImportTypeCapsule(nb::handle capsule) {
  auto* c_schema = CapsulePointer<ArrowSchema>(capsule, "arrow_schema");
  return Check(arrow::ImportType(c_schema));
}

std::shared_ptr<arrow::RecordBatch> ImportBatchCapsules(nb::handle schema, nb::handle array) {
  auto* c_schema = CapsulePointer<ArrowSchema>(schema, "arrow_schema");
  auto* c_array = CapsulePointer<ArrowArray>(array, "arrow_array");
  return Check(arrow::ImportRecordBatch(c_array, c_schema));
}

std::shared_ptr<arrow::RecordBatchReader> ImportStreamCapsule(nb::handle capsule) {
  auto* c_stream = CapsulePointer<ArrowArrayStream>(capsule, "arrow_array_stream");
  return Check(arrow::ImportRecordBatchReader(c_stream));
}

nb::object ExportSchemaCapsule(const arrow::Schema& schema) {
  auto* c_schema = static_cast<ArrowSchema*>(std::malloc(sizeof(ArrowSchema)));
  c_schema->release = nullptr;
  Status st = arrow::ExportSchema(schema, c_schema);
  if (!st.ok()) {
    std::free(c_schema);
    RaiseStatus(st);
  }
  return MakeCapsule(c_schema, "arrow_schema", ReleaseSchemaCapsule);
}

nb::object ExportBatchCapsules(const std::shared_ptr<arrow::RecordBatch>& batch) {
  auto* c_schema = static_cast<ArrowSchema*>(std::malloc(sizeof(ArrowSchema)));
  auto* c_array = static_cast<ArrowArray*>(std::malloc(sizeof(ArrowArray)));
  c_schema->release = nullptr;
  c_array->release = nullptr;
  Status st = arrow::ExportRecordBatch(*batch, c_array, c_schema);
  if (!st.ok()) {
    std::free(c_schema);
    std::free(c_array);
    RaiseStatus(st);
  }
  nb::object schema_capsule = MakeCapsule(c_schema, "arrow_schema", ReleaseSchemaCapsule);
  nb::object array_capsule = MakeCapsule(c_array, "arrow_array", ReleaseArrayCapsule);
  return nb::make_tuple(schema_capsule, array_capsule);
}

nb::object ExportStreamCapsule(std::shared_ptr<arrow::RecordBatchReader> reader) {
  auto* c_stream = static_cast<ArrowArrayStream*>(std::malloc(sizeof(ArrowArrayStream)));
  c_stream->release = nullptr;
  Status st = arrow::ExportRecordBatchReader(std::move(reader), c_stream);
  if (!st.ok()) {
    std::free(c_stream);
    RaiseStatus(st);
  }
  return MakeCapsule(c_stream, "arrow_array_stream", ReleaseStreamCapsule);
}

}  // namespace shoal::python
