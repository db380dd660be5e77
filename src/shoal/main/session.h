// The public entry point of the Shoal engine: a session holds a catalog and
// settings and runs SQL, streaming Arrow record batches back to the caller.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/settings.h"
#include "shoal/common/status.h"
#include "shoal/io/options.h"

namespace shoal {

class Catalog;
class SessionState;

/// A streaming query result. Batches are produced by the executor's worker
/// threads into a bounded queue (backpressure) and pulled here; destroying or
/// cancelling the result stops the query.
class QueryResult : public arrow::RecordBatchReader {
 public:
  ~QueryResult() override;
  /// Return the result schema.
  std::shared_ptr<arrow::Schema> schema() const override;
  /// Read the next batch; sets `*out` to nullptr at the end of the stream.
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override;
  /// Read the next batch, waiting at most `timeout` (used by callers that must stay
  /// responsive, e.g. to check for Ctrl-C). When nothing arrived in time, `*out` is
  /// null and `*timed_out` is true; otherwise behaves like ReadNext.
  Status ReadNextFor(std::chrono::milliseconds timeout, std::shared_ptr<arrow::RecordBatch>* out,
                     bool* timed_out);
  /// Stop the query; a later ReadNext returns a Cancelled status.
  Status Close() override;
  /// Read every remaining batch into a table.
  Result<std::shared_ptr<arrow::Table>> ToTable();
  /// Return the statement kind that produced this result ("SELECT", "CREATE VIEW", ...).
  const std::string& statement_kind() const { return statement_kind_; }

  /// Implementation detail: the producer side. Created by the session.
  class Producer;
  QueryResult(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<Producer> producer,
              std::string statement_kind);

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::shared_ptr<Producer> producer_;
  std::string statement_kind_;
};

/// A Shoal session: catalog, settings and the query entry point.
/// A session may be used from several threads; statements are serialized.
class Session {
 public:
  /// Create a session; `config` holds settings ("shoal.execution.threads" -> "4").
  static Result<std::shared_ptr<Session>> Make(
      const std::map<std::string, std::string>& config = {});
  ~Session();

  /// Run one or more SQL statements and return the result of the last one.
  /// DDL and DML run eagerly; a query returns a stream that runs as it is read.
  Result<std::shared_ptr<QueryResult>> Sql(std::string_view sql);

  /// Register a table provider under `name` (replaces an existing table of that name).
  Status RegisterTable(const std::string& name, std::shared_ptr<TableProvider> table);
  /// Remove a table or view; an error if it does not exist.
  Status DeregisterTable(const std::string& name);
  /// Register Parquet files (a file, a directory, or a glob).
  Status RegisterParquet(const std::string& name, const std::string& path,
                         const ParquetOptions& options = {});
  /// Register CSV files (a file, a directory, or a glob).
  Status RegisterCsv(const std::string& name, const std::string& path,
                     const CsvOptions& options = {});
  /// Register newline-delimited JSON files.
  Status RegisterJson(const std::string& name, const std::string& path,
                      const JsonOptions& options = {});
  /// Register Arrow IPC files.
  Status RegisterArrowIpc(const std::string& name, const std::string& path,
                          const IpcOptions& options = {});
  /// Register in-memory record batches; each inner vector is one partition.
  Status RegisterRecordBatches(
      const std::string& name, std::shared_ptr<arrow::Schema> schema,
      std::vector<std::vector<std::shared_ptr<arrow::RecordBatch>>> partitions);
  /// Register a one-shot stream (scanning it twice is an error).
  Status RegisterStream(const std::string& name,
                        std::shared_ptr<arrow::RecordBatchReader> reader);
  /// Return the result schema of a single SELECT without running it (the query
  /// is parsed and bound only, so one-shot streams are not consumed).
  Result<std::shared_ptr<arrow::Schema>> QuerySchema(std::string_view sql);
  /// Return the names of the registered tables and views, sorted.
  std::vector<std::string> TableNames() const;
  /// Return the schema of a table or view.
  Result<std::shared_ptr<arrow::Schema>> TableSchema(const std::string& name) const;

  /// Return the session settings.
  Settings& settings();
  /// Interrupt every query running in this session (thread-safe; used for Ctrl-C).
  void Interrupt();

 private:
  Session();
  std::shared_ptr<SessionState> state_;
};

}  // namespace shoal
