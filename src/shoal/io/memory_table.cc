#include "shoal/io/memory_table.h"

#include <arrow/array.h>
#include <arrow/chunked_array.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/io/scan_util.h"

namespace shoal {

namespace {

/// Produces `batch` rows [begin, end) in slices of at most `batch_size` rows.
class SlicingReader : public arrow::RecordBatchReader {
 public:
  SlicingReader(std::shared_ptr<arrow::RecordBatch> batch, int64_t begin, int64_t end,
                int64_t batch_size, std::shared_ptr<ScanCounters> counters)
      : batch_(std::move(batch)), offset_(begin), end_(end),
        batch_size_(batch_size > 0 ? batch_size : 8192), counters_(std::move(counters)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return batch_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    if (offset_ >= end_) return Status::OK();
    int64_t n = std::min(batch_size_, end_ - offset_);
    *out = (offset_ == 0 && n == batch_->num_rows()) ? batch_ : batch_->Slice(offset_, n);
    offset_ += n;
    counters_->Add(n);
    return Status::OK();
  }

 private:
  std::shared_ptr<arrow::RecordBatch> batch_;
  int64_t offset_;
  int64_t end_;
  int64_t batch_size_;
  std::shared_ptr<ScanCounters> counters_;
};

}  // namespace

Result<std::shared_ptr<MemoryTable>> MemoryTable::Make(std::shared_ptr<arrow::Schema> schema,
                                                       Partitions partitions) {
  if (!schema) return Status::Invalid("memory table needs a schema");
  auto table = std::shared_ptr<MemoryTable>(new MemoryTable(std::move(schema)));
  auto parts = std::make_shared<Partitions>();
  for (auto& partition : partitions) {
    std::vector<std::shared_ptr<arrow::RecordBatch>> conformed;
    for (auto& batch : partition) {
      ARROW_ASSIGN_OR_RAISE(auto b, table->Conform(batch));
      conformed.push_back(std::move(b));
    }
    parts->push_back(std::move(conformed));
  }
  table->partitions_ = std::move(parts);
  return table;
}

Result<std::shared_ptr<arrow::RecordBatch>> MemoryTable::Conform(
    const std::shared_ptr<arrow::RecordBatch>& batch) const {
  if (!batch) return Status::Invalid("null record batch");
  if (batch->num_columns() != schema_->num_fields()) {
    return Status::Invalid("batch has ", batch->num_columns(), " columns but the table has ",
                           schema_->num_fields());
  }
  for (int i = 0; i < schema_->num_fields(); ++i) {
    const auto& field = schema_->field(i);
    const auto& col = batch->column(i);
    if (!col->type()->Equals(*field->type())) {
      return Status::TypeError("column ", i + 1, " ('", batch->schema()->field(i)->name(),
                               "') has type ", col->type()->ToString(), " but table column '",
                               field->name(), "' has type ", field->type()->ToString());
    }
    if (!field->nullable() && col->null_count() > 0) {
      return Status::Invalid("column '", field->name(), "' is NOT NULL but ",
                             col->null_count(), " null values were given");
    }
  }
  if (batch->schema()->Equals(*schema_, /*check_metadata=*/false)) return batch;
  return arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
}

std::shared_ptr<const MemoryTable::Partitions> MemoryTable::partitions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return partitions_;
}

TableStatistics MemoryTable::statistics() const {
  auto parts = partitions();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stats_of_ == parts) return stats_;
  }
  int64_t rows = 0, bytes = 0;
  for (const auto& p : *parts) {
    for (const auto& b : p) {
      rows += b->num_rows();
      for (const auto& c : b->columns()) {
        for (const auto& buf : c->data()->buffers) {
          if (buf) bytes += buf->size();
        }
      }
    }
  }
  TableStatistics stats;
  stats.num_rows = rows;
  stats.exact = true;
  stats.total_bytes = bytes;
  for (int i = 0; i < schema_->num_fields(); ++i) {
    ColumnStatistics col;
    const auto& type = schema_->field(i)->type();
    arrow::ArrayVector chunks;
    for (const auto& p : *parts) {
      for (const auto& b : p) chunks.push_back(b->column(i));
    }
    auto chunked = arrow::ChunkedArray::Make(std::move(chunks), type);
    if (chunked.ok()) {
      col.null_count = (*chunked)->null_count();
      const auto id = type->id();
      if (rows > (*col.null_count) && (arrow::is_integer(id) || arrow::is_floating(id) ||
                                       arrow::is_decimal(id) || arrow::is_temporal(id))) {
        auto mm = arrow::compute::MinMax(*chunked);
        if (mm.ok() && mm->is_scalar()) {
          const auto& st = static_cast<const arrow::StructScalar&>(*mm->scalar());
          if (st.is_valid && st.value.size() == 2 && st.value[0]->is_valid &&
              st.value[1]->is_valid) {
            col.min = st.value[0];
            col.max = st.value[1];
          }
        }
      }
    }
    stats.columns.push_back(std::move(col));
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_of_ = parts;
  stats_ = stats;
  return stats;
}

Result<std::shared_ptr<TableScan>> MemoryTable::Scan(const ScanRequest& request) const {
  auto parts = partitions();
  ARROW_ASSIGN_OR_RAISE(auto out_schema, ProjectSchema(*schema_, request.columns));
  std::optional<int64_t> remaining;
  if (request.limit && request.filter.literal() &&
      request.filter.Equals(arrow::compute::literal(true))) {
    remaining = *request.limit;
  }
  std::vector<std::shared_ptr<ScanMorsel>> morsels;
  auto counters = std::make_shared<ScanCounters>();
  int64_t batch_no = 0;
  for (size_t p = 0; p < parts->size(); ++p) {
    for (const auto& batch : (*parts)[p]) {
      ++batch_no;
      ARROW_ASSIGN_OR_RAISE(auto projected, batch->SelectColumns(request.columns));
      projected = arrow::RecordBatch::Make(out_schema, projected->num_rows(),
                                           projected->columns());
      for (int64_t begin = 0; begin < batch->num_rows(); begin += kMorselRows) {
        if (remaining && *remaining <= 0) break;
        int64_t end = std::min(batch->num_rows(), begin + kMorselRows);
        if (remaining) {
          end = std::min(end, begin + *remaining);
          *remaining -= end - begin;
        }
        std::string desc = "memory partition " + std::to_string(p) + " batch " +
                           std::to_string(batch_no - 1) + " rows " + std::to_string(begin) +
                           ".." + std::to_string(end);
        int64_t batch_size = request.batch_size;
        morsels.push_back(std::make_shared<FunctionMorsel>(
            static_cast<int64_t>(morsels.size()), desc,
            [projected, begin, end, batch_size,
             counters]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
              return std::make_shared<SlicingReader>(projected, begin, end, batch_size,
                                                     counters);
            }));
      }
    }
  }
  return std::make_shared<BasicTableScan>(out_schema, std::move(morsels), ScanMetricsSnapshot{},
                                          std::move(counters));
}

Status MemoryTable::Append(const std::vector<std::shared_ptr<arrow::RecordBatch>>& batches) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> conformed;
  for (const auto& b : batches) {
    auto c = Conform(b);
    if (!c.ok()) return c.status().WithMessage("cannot insert: ", c.status().message());
    if ((*c)->num_rows() > 0) conformed.push_back(std::move(*c));
  }
  if (conformed.empty()) return Status::OK();
  std::lock_guard<std::mutex> lock(mu_);
  auto next = std::make_shared<Partitions>(*partitions_);
  next->push_back(std::move(conformed));
  partitions_ = std::move(next);
  return Status::OK();
}

}  // namespace shoal
