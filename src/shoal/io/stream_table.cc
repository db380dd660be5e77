#include "shoal/io/stream_table.h"

#include <atomic>

#include <arrow/type.h>

#include "shoal/io/scan_util.h"

namespace shoal {

namespace {

struct StreamState {
  std::string name;
  std::shared_ptr<arrow::RecordBatchReader> reader;
  std::atomic<bool> consumed{false};

  Status Consumed() const {
    return Status::Invalid("stream table '", name, "' was already consumed; register it again");
  }
};

/// Projects the stream's batches onto the requested columns.
class ProjectingReader : public arrow::RecordBatchReader {
 public:
  ProjectingReader(std::shared_ptr<arrow::RecordBatchReader> source,
                   std::shared_ptr<arrow::Schema> schema, std::vector<int> columns,
                   std::string name)
      : source_(std::move(source)), schema_(std::move(schema)), columns_(std::move(columns)),
        name_(std::move(name)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    std::shared_ptr<arrow::RecordBatch> batch;
    Status st = source_->ReadNext(&batch);
    if (!st.ok()) return st.WithMessage("error reading stream table '", name_, "': ", st.message());
    if (!batch) return Status::OK();
    if (batch->num_columns() != source_->schema()->num_fields()) {
      return Status::Invalid("stream table '", name_, "' produced a batch with ",
                             batch->num_columns(), " columns, expected ",
                             source_->schema()->num_fields());
    }
    ARROW_ASSIGN_OR_RAISE(auto projected, batch->SelectColumns(columns_));
    *out = arrow::RecordBatch::Make(schema_, projected->num_rows(), projected->columns());
    return Status::OK();
  }
  Status Close() override { return source_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> source_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<int> columns_;
  std::string name_;
};

class StreamTable : public TableProvider {
 public:
  explicit StreamTable(std::shared_ptr<StreamState> state) : state_(std::move(state)) {
    schema_ = state_->reader->schema();
  }
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "stream"; }
  bool one_shot() const override { return true; }

  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest& request) const override {
    if (state_->consumed.load()) return state_->Consumed();
    ARROW_ASSIGN_OR_RAISE(auto out_schema, ProjectSchema(*schema_, request.columns));
    MorselOutput out;
    out.schema = out_schema;
    out.batch_size = request.batch_size;
    if (request.limit && request.filter.Equals(arrow::compute::literal(true))) {
      out.limit = *request.limit;
    }
    out.description = "stream table '" + state_->name + "'";
    out.counters = std::make_shared<ScanCounters>();
    auto state = state_;
    auto columns = request.columns;
    std::vector<std::shared_ptr<ScanMorsel>> morsels{std::make_shared<FunctionMorsel>(
        0, out.description,
        [state, out, columns]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
          if (state->consumed.exchange(true)) return state->Consumed();
          auto reader = std::move(state->reader);
          auto projected = std::make_shared<ProjectingReader>(std::move(reader), out.schema,
                                                              columns, state->name);
          // The adapted reader only slices (to the batch size) and applies the limit;
          // columns already match by position.
          MorselOutput slicing = out;
          slicing.by_position = true;
          return MakeAdaptedReader(std::move(projected), slicing);
        })};
    return std::make_shared<BasicTableScan>(out_schema, std::move(morsels),
                                            ScanMetricsSnapshot{}, out.counters);
  }

 private:
  std::shared_ptr<StreamState> state_;
  std::shared_ptr<arrow::Schema> schema_;
};

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeStreamTable(
    const std::string& name, std::shared_ptr<arrow::RecordBatchReader> reader) {
  if (!reader) return Status::Invalid("stream table '", name, "' needs a reader");
  auto state = std::make_shared<StreamState>();
  state->name = name;
  state->reader = std::move(reader);
  return std::make_shared<StreamTable>(std::move(state));
}

}  // namespace shoal
