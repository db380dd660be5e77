// shoal._shoal: the thin native layer under the Python package. It exposes a
// Session (catalog, settings, SQL) and a streaming Result; the DataFrame API is
// written in Python on top (python/shoal/).
//
// GIL rules: the GIL is released while SQL runs and while waiting for batches;
// waits wake every 100 ms to check for Ctrl-C (PyErr_CheckSignals), which stops
// the query and raises KeyboardInterrupt.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/type.h>
#include <nanobind/nanobind.h>
#include <nanobind/stl/map.h>
#include <nanobind/stl/optional.h>
#include <nanobind/stl/pair.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include "arrow_capsules.h"
#include "shoal/delta/checkpoint_writer.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/snapshot.h"
#include "shoal/delta/snapshot_reuse.h"
#include "shoal/io/file_listing.h"
#include "shoal/main/delta_expression_evaluator.h"
#include "shoal/main/session.h"
#include "shoal/parser/parser.h"

namespace nb = nanobind;
using namespace nb::literals;

namespace shoal::python {

namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(100);

/// Run `f` (returning a Status) with the GIL released. Raise only after the GIL is
/// held again: Python errors must never be set without it.
template <typename F>
Status WithoutGil(F&& f) {
  nb::gil_scoped_release release;
  return f();
}

/// A reader that keeps its session alive as long as the stream is (the result
/// refers to session state while it runs).
class SessionBoundReader : public arrow::RecordBatchReader {
 public:
  SessionBoundReader(std::shared_ptr<Session> session, std::shared_ptr<QueryResult> result)
      : session_(std::move(session)), result_(std::move(result)) {}
  ~SessionBoundReader() override {
    result_.reset();  // close the query before the session may go away
  }
  std::shared_ptr<arrow::Schema> schema() const override { return result_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    return result_->ReadNext(out);
  }
  Status Close() override { return result_->Close(); }

 private:
  std::shared_ptr<Session> session_;
  std::shared_ptr<QueryResult> result_;
};

/// A streaming query result as seen from Python.
class PyResult {
 public:
  PyResult(std::shared_ptr<Session> session, std::shared_ptr<QueryResult> result)
      : session_(std::move(session)), result_(std::move(result)) {}
  ~PyResult() {
    if (result_) {
      nb::gil_scoped_release release;  // closing joins executor threads
      result_.reset();
    }
  }

  nb::object schema() const { return ExportSchemaCapsule(*Get()->schema()); }
  std::string statement_kind() const { return Get()->statement_kind(); }

  /// Return the next batch as a capsule pair, or None at the end of the stream.
  nb::object ReadNext() {
    auto result = Get();
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      bool timed_out = false;
      Status st;
      {
        nb::gil_scoped_release release;
        st = result->ReadNextFor(kPollInterval, &batch, &timed_out);
      }
      if (!st.ok()) RaiseStatus(st);
      if (timed_out) {
        if (PyErr_CheckSignals() != 0) {
          // Ctrl-C (or another signal handler raised): stop this query, then
          // raise with the GIL held.
          {
            nb::gil_scoped_release release;
            (void)result->Close();
          }
          throw nb::python_error();
        }
        continue;
      }
      if (!batch) return nb::none();
      return ExportBatchCapsules(batch);
    }
  }

  /// Export the rest of the stream as an "arrow_array_stream" capsule. The result
  /// is consumed: later calls on this object fail.
  nb::object ExportStream() {
    auto result = Get();
    result_.reset();
    return ExportStreamCapsule(std::make_shared<SessionBoundReader>(session_, std::move(result)));
  }

  void Close() {
    if (!result_) return;
    auto result = std::move(result_);
    nb::gil_scoped_release release;
    (void)result->Close();
    result.reset();
  }

 private:
  const std::shared_ptr<QueryResult>& Get() const {
    if (!result_) {
      PyErr_SetString(PyExc_RuntimeError, "the result was already consumed or closed");
      throw nb::python_error();
    }
    return result_;
  }

  std::shared_ptr<Session> session_;
  std::shared_ptr<QueryResult> result_;
};

/// The session as seen from Python.
class PySession {
 public:
  explicit PySession(const std::map<std::string, std::string>& config)
      : session_(Check(Session::Make(config))) {}

  /// Run SQL on a helper thread so Ctrl-C can interrupt long statements.
  PyResult Sql(const std::string& sql) {
    struct Shared {
      std::mutex mu;
      std::condition_variable cv;
      bool done = false;
      std::optional<Result<std::shared_ptr<QueryResult>>> result;
    };
    auto shared = std::make_shared<Shared>();
    auto session = session_;
    std::thread worker([shared, session, sql] {
      auto r = session->Sql(sql);
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->result.emplace(std::move(r));
      shared->done = true;
      shared->cv.notify_all();
    });
    bool interrupted = false;
    while (true) {
      bool done;
      {
        nb::gil_scoped_release release;
        std::unique_lock<std::mutex> lock(shared->mu);
        done = shared->cv.wait_for(lock, kPollInterval, [&] { return shared->done; });
      }
      if (done) break;
      if (!interrupted && PyErr_CheckSignals() != 0) {
        // Keep the pending KeyboardInterrupt, stop the statement, wait for it.
        interrupted = true;
        session_->Interrupt();
      }
    }
    {
      nb::gil_scoped_release release;
      worker.join();
    }
    auto result = std::move(*shared->result);
    if (interrupted) {
      if (result.ok()) {
        nb::gil_scoped_release release;
        (void)(*result)->Close();
      }
      throw nb::python_error();
    }
    return PyResult(session_, Check(std::move(result)));
  }

  /// Return the kinds of the statements in `sql` ("SELECT", "CREATE_TABLE", ...);
  /// raises on syntax errors.
  std::vector<std::string> StatementKinds(const std::string& sql) {
    auto statements = Check(ParseSql(sql));
    std::vector<std::string> kinds;
    for (const auto& s : statements) {
      switch (s->kind) {
        case ast::StatementKind::kSelect: kinds.push_back("SELECT"); break;
        case ast::StatementKind::kExplain: kinds.push_back("EXPLAIN"); break;
        case ast::StatementKind::kShowTables: kinds.push_back("SHOW_TABLES"); break;
        case ast::StatementKind::kShowVariable: kinds.push_back("SHOW"); break;
        case ast::StatementKind::kDescribe: kinds.push_back("DESCRIBE"); break;
        case ast::StatementKind::kInsert: kinds.push_back("INSERT"); break;
        case ast::StatementKind::kCopy: kinds.push_back("COPY"); break;
        default: kinds.push_back("DDL"); break;
      }
    }
    return kinds;
  }

  void RegisterParquet(const std::string& name, const std::string& path,
                       const std::vector<std::pair<std::string, nb::object>>& partition_cols,
                       const std::string& file_extension, nb::object schema, bool pruning) {
    ParquetOptions options;
    for (const auto& [col, type] : partition_cols) {
      options.partition_cols.emplace_back(col, ImportTypeCapsule(type));
    }
    options.file_extension = file_extension;
    options.pruning = pruning;
    if (!schema.is_none()) options.schema = ImportSchemaCapsule(schema);
    Check(WithoutGil([&] { return session_->RegisterParquet(name, path, options); }));
  }

  void RegisterCsv(const std::string& name, const std::string& path, nb::object schema,
                   bool has_header, const std::string& delimiter,
                   const std::string& file_extension,
                   const std::vector<std::pair<std::string, nb::object>>& partition_cols) {
    if (delimiter.size() != 1) {
      RaiseStatus(Status::Invalid("delimiter must be a single character, got '", delimiter, "'"));
    }
    CsvOptions options;
    options.has_header = has_header;
    options.delimiter = delimiter[0];
    options.file_extension = file_extension;
    if (!schema.is_none()) options.schema = ImportSchemaCapsule(schema);
    for (const auto& [col, type] : partition_cols) {
      options.partition_cols.emplace_back(col, ImportTypeCapsule(type));
    }
    Check(WithoutGil([&] { return session_->RegisterCsv(name, path, options); }));
  }

  void RegisterJson(const std::string& name, const std::string& path, nb::object schema,
                    const std::string& file_extension,
                    const std::vector<std::pair<std::string, nb::object>>& partition_cols) {
    JsonOptions options;
    options.file_extension = file_extension;
    if (!schema.is_none()) options.schema = ImportSchemaCapsule(schema);
    for (const auto& [col, type] : partition_cols) {
      options.partition_cols.emplace_back(col, ImportTypeCapsule(type));
    }
    Check(WithoutGil([&] { return session_->RegisterJson(name, path, options); }));
  }

  void RegisterIpc(const std::string& name, const std::string& path,
                   const std::string& file_extension,
                   const std::vector<std::pair<std::string, nb::object>>& partition_cols) {
    IpcOptions options;
    options.file_extension = file_extension;
    for (const auto& [col, type] : partition_cols) {
      options.partition_cols.emplace_back(col, ImportTypeCapsule(type));
    }
    Check(WithoutGil([&] { return session_->RegisterArrowIpc(name, path, options); }));
  }

  void RegisterRecordBatches(const std::string& name, nb::object schema,
                             const std::vector<std::vector<std::pair<nb::object, nb::object>>>& partitions) {
    std::shared_ptr<arrow::Schema> s;
    if (!schema.is_none()) s = ImportSchemaCapsule(schema);
    std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>> parts;
    for (const auto& part : partitions) {
      std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
      for (const auto& [schema_capsule, array_capsule] : part) {
        batches.push_back(ImportBatchCapsules(schema_capsule, array_capsule));
      }
      parts.push_back(std::move(batches));
    }
    Check(WithoutGil([&] { return session_->RegisterRecordBatches(name, std::move(s), std::move(parts)); }));
  }

  /// Register a stream: one-shot, or (materialize) read now into a memory table.
  void RegisterStream(const std::string& name, nb::object stream_capsule, bool materialize) {
    auto reader = ImportStreamCapsule(stream_capsule);
    Status st;
    {
      nb::gil_scoped_release release;
      if (!materialize) {
        st = session_->RegisterStream(name, std::move(reader));
      } else {
        std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
        auto all = reader->ToRecordBatches();
        st = all.status();
        if (st.ok()) {
          st = session_->RegisterRecordBatches(name, reader->schema(), {std::move(*all)});
        }
      }
    }
    Check(st);
  }

  void DeregisterTable(const std::string& name) { Check(session_->DeregisterTable(name)); }
  std::vector<std::string> TableNames() const { return session_->TableNames(); }
  nb::object TableSchema(const std::string& name) const {
    Result<std::shared_ptr<arrow::Schema>> schema;
    {
      nb::gil_scoped_release release;
      schema = session_->TableSchema(name);
    }
    return ExportSchemaCapsule(*Check(std::move(schema)));
  }

  nb::object QuerySchema(const std::string& sql) {
    Result<std::shared_ptr<arrow::Schema>> schema;
    {
      nb::gil_scoped_release release;
      schema = session_->QuerySchema(sql);
    }
    return ExportSchemaCapsule(*Check(std::move(schema)));
  }

  void SetSetting(const std::string& key, const std::string& value) {
    Check(session_->settings().Set(key, value));
  }
  std::string GetSetting(const std::string& key) const {
    return Check(session_->settings().Get(key));
  }
  std::vector<std::pair<std::string, std::string>> Settings() const {
    return session_->settings().List();
  }
  void Interrupt() { session_->Interrupt(); }

 private:
  std::shared_ptr<Session> session_;
};

/// Write an "arrow_array_stream" capsule to the Delta table at `path`
/// (delta/delta_writer.h); return what was written as a dict.
nb::dict WriteDelta(nb::handle stream, const std::string& path, const std::string& mode,
                    const std::vector<std::string>& partition_by,
                    const std::map<std::string, std::string>& configuration,
                    std::optional<int64_t> target_file_size, const std::string& schema_mode,
                    const std::string& predicate, std::optional<std::string> name,
                    std::optional<std::string> description) {
  delta::DeltaWriteOptions options;
  options.mode = Check(delta::ParseSaveMode(mode));
  options.partition_by = partition_by;
  options.configuration = configuration;
  if (target_file_size) {
    if (*target_file_size <= 0) {
      PyErr_SetString(PyExc_ValueError, "target_file_size must be positive");
      throw nb::python_error();
    }
    options.target_file_size = *target_file_size;
  }
  options.schema_mode = schema_mode;
  options.predicate = predicate;
  options.evaluator = MakeDeltaExpressionEvaluator();  // constraints, replaceWhere
  options.name = std::move(name);
  options.description = std::move(description);
  auto reader = ImportStreamCapsule(stream);
  std::optional<Result<delta::DeltaWriteResult>> result;
  {
    nb::gil_scoped_release release;
    result.emplace(delta::WriteDeltaTable(path, std::move(reader), options));
  }
  auto r = Check(std::move(*result));
  nb::dict out;
  out["version"] = r.version;
  out["skipped"] = r.skipped;
  out["num_rows"] = r.num_rows;
  out["num_files"] = r.num_files;
  out["num_bytes"] = r.num_bytes;
  out["removed_files"] = r.removed_files;
  out["commit_attempts"] = r.commit_attempts;
  out["checkpoint_written"] = r.checkpoint_written;
  out["checkpoint_error"] = r.checkpoint_error;
  return out;
}

/// Write a checkpoint of the Delta table at `path` at `version` (latest when
/// unset) and update _last_checkpoint (delta/checkpoint_writer.h); return what
/// was written as a dict.
nb::dict CreateDeltaCheckpoint(const std::string& path, std::optional<int64_t> version) {
  auto run = [&]() -> Result<delta::CheckpointInfo> {
    ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(path));
    std::string root = loc.path;
    while (root.size() > 1 && root.back() == '/') root.pop_back();
    // Reuse the snapshot the DeltaTable just loaded when the log is unchanged.
    auto snapshot = delta::FindRememberedSnapshot(path, version);
    if (!snapshot) {
      delta::SnapshotSpec spec;
      spec.version = version;
      ARROW_ASSIGN_OR_RAISE(snapshot,
                            delta::Snapshot::Make(delta::MakeWriteEngine(loc.fs), root, spec));
    }
    return delta::WriteCheckpoint(*snapshot, loc.fs);
  };
  std::optional<Result<delta::CheckpointInfo>> result;
  {
    nb::gil_scoped_release release;
    result.emplace(run());
  }
  auto info = Check(std::move(*result));
  nb::dict out;
  out["version"] = info.version;
  out["num_actions"] = info.num_actions;
  out["num_add_files"] = info.num_add_files;
  out["size_in_bytes"] = info.size_in_bytes;
  return out;
}

}  // namespace

}  // namespace shoal::python

NB_MODULE(_shoal, m) {
  using namespace shoal::python;
  m.doc() = "Shoal's native core (use the `shoal` package instead).";
  RegisterExceptions(m);

  nb::class_<PyResult>(m, "Result")
      .def("schema", &PyResult::schema, "Return the result schema as an 'arrow_schema' capsule.")
      .def_prop_ro("statement_kind", &PyResult::statement_kind)
      .def("read_next", &PyResult::ReadNext,
           "Return the next batch as (schema capsule, array capsule), or None at the end.")
      .def("export_stream", &PyResult::ExportStream,
           "Export the remaining stream as an 'arrow_array_stream' capsule (consumes the result).")
      .def("close", &PyResult::Close, "Stop the query.");

  m.def("write_delta", &WriteDelta, "stream"_a, "path"_a, "mode"_a, "partition_by"_a,
        "configuration"_a, "target_file_size"_a.none(), "schema_mode"_a, "predicate"_a,
        "name"_a.none(), "description"_a.none(),
        "Write an Arrow stream capsule to a Delta table; return what was written.");

  m.def("create_delta_checkpoint", &CreateDeltaCheckpoint, "path"_a, "version"_a.none(),
        "Write a checkpoint of a Delta table (latest version by default).");

  nb::class_<PySession>(m, "Session")
      .def(nb::init<const std::map<std::string, std::string>&>(), "config"_a)
      .def("sql", &PySession::Sql, "sql"_a)
      .def("statement_kinds", &PySession::StatementKinds, "sql"_a)
      .def("register_parquet", &PySession::RegisterParquet, "name"_a, "path"_a,
           "partition_cols"_a, "file_extension"_a, "schema"_a.none(), "pruning"_a)
      .def("register_csv", &PySession::RegisterCsv, "name"_a, "path"_a, "schema"_a.none(),
           "has_header"_a, "delimiter"_a, "file_extension"_a, "partition_cols"_a)
      .def("register_json", &PySession::RegisterJson, "name"_a, "path"_a, "schema"_a.none(),
           "file_extension"_a, "partition_cols"_a)
      .def("register_ipc", &PySession::RegisterIpc, "name"_a, "path"_a, "file_extension"_a,
           "partition_cols"_a)
      .def("register_record_batches", &PySession::RegisterRecordBatches, "name"_a,
           "schema"_a.none(), "partitions"_a)
      .def("register_stream", &PySession::RegisterStream, "name"_a, "stream"_a, "materialize"_a)
      .def("deregister_table", &PySession::DeregisterTable, "name"_a)
      .def("table_names", &PySession::TableNames)
      .def("table_schema", &PySession::TableSchema, "name"_a)
      .def("query_schema", &PySession::QuerySchema, "sql"_a,
           "Return the schema of a SELECT without running it.")
      .def("set_setting", &PySession::SetSetting, "key"_a, "value"_a)
      .def("get_setting", &PySession::GetSetting, "key"_a)
      .def("settings", &PySession::Settings)
      .def("interrupt", &PySession::Interrupt);
}
