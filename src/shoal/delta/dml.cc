#include "shoal/delta/dml.h"

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include <numeric>

#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/schema.h"
#include "shoal/delta/stats.h"
#include "shoal/io/pruning.h"

namespace shoal::delta {

namespace cp = arrow::compute;

RemoveFile RemoveForFile(const AddFile& add, int64_t deletion_timestamp_ms) {
  RemoveFile r;
  r.path = add.path;
  r.deletion_timestamp = deletion_timestamp_ms;
  r.data_change = true;
  r.partition_values = add.partition_values;
  r.size = add.size;
  r.deletion_vector = add.deletion_vector;
  return r;
}

// ---------------------------------------------------------------------------
// FileMatcher
// ---------------------------------------------------------------------------

FileMatcher::FileMatcher(std::shared_ptr<const Snapshot> snapshot, const cp::Expression& filter)
    : snapshot_(std::move(snapshot)) {
  if (!snapshot_ || IsLiteralTrue(filter)) return;
  auto bound = BindPruningFilter(filter, *snapshot_->schema());
  if (!bound) return;
  bound_ = std::move(*bound);
  all_ = false;
}

bool FileMatcher::MayMatch(const AddFile& add) const {
  if (all_) return true;
  const Snapshot& snap = *snapshot_;
  const auto& logical = *snap.schema();
  const auto& annotated = *snap.annotated_schema();
  const auto mode = snap.column_mapping_mode();
  // Partition values.
  std::vector<std::shared_ptr<arrow::Field>> pfields;
  std::vector<std::shared_ptr<arrow::Scalar>> pvalues;
  std::vector<bool> is_partition(logical.num_fields(), false);
  for (const auto& p : snap.metadata().partition_columns) {
    int idx = logical.GetFieldIndex(p);
    if (idx < 0) return true;
    is_partition[idx] = true;
    const auto& field = logical.field(idx);
    auto it = add.partition_values.find(PhysicalName(*annotated.field(idx), mode));
    if (it == add.partition_values.end()) it = add.partition_values.find(field->name());
    std::optional<std::string> raw;
    if (it != add.partition_values.end()) raw = it->second;
    auto value = ParsePartitionValue(raw, field->type());
    if (!value.ok()) return true;
    pfields.push_back(field);
    pvalues.push_back(*value);
  }
  cp::Expression partition = pfields.empty() ? cp::literal(true)
                                             : PartitionGuarantee(pfields, pvalues);
  if (!pfields.empty() && CanSkip(bound_, partition)) return false;
  // Statistics of the data columns the filter talks about.
  std::vector<StatsColumn> columns;
  StatsTypes types;
  for (const auto& ref : cp::FieldsInExpression(bound_)) {
    const std::string* name = ref.name();
    if (!name) continue;
    int idx = logical.GetFieldIndex(*name);
    if (idx < 0 || is_partition[idx]) continue;
    const auto& f = annotated.field(idx);
    if (arrow::is_nested(f->type()->id())) continue;
    bool dup = false;
    for (const auto& c : columns) dup = dup || c.name == *name;
    if (dup) continue;
    std::string physical = PhysicalName(*f, mode);
    columns.push_back(StatsColumn{*name, physical, logical.field(idx)->type()});
    types[physical] = f->type();
  }
  if (columns.empty()) return true;
  std::shared_ptr<const ParsedStats> stats = add.stats_parsed;
  if (!stats && add.stats) {
    auto parsed = ParseStatsJson(*add.stats, types);
    if (parsed.ok()) stats = std::make_shared<ParsedStats>(std::move(*parsed));
  }
  if (!stats) return true;
  auto guarantees = StatsGuarantees(*stats, columns);
  if (guarantees.empty()) return true;
  for (const auto& g : guarantees) {
    if (IsLiteralTrue(g) || !CanSkip(bound_, cp::and_(partition, g))) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------
// DmlScanProvider
// ---------------------------------------------------------------------------

namespace {

/// Inserts the row id column into each batch of an inner reader.
class RowIdReader : public arrow::RecordBatchReader {
 public:
  RowIdReader(std::shared_ptr<arrow::RecordBatchReader> inner,
              std::shared_ptr<arrow::Schema> schema, int position, int64_t base)
      : inner_(std::move(inner)), schema_(std::move(schema)), position_(position),
        next_(base) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(inner_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return Status::OK();
    }
    const int64_t n = batch->num_rows();
    ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(n * sizeof(int64_t)));
    auto* values = reinterpret_cast<int64_t*>(buffer->mutable_data());
    std::iota(values, values + n, next_);
    next_ += n;
    auto ids = std::make_shared<arrow::Int64Array>(n, std::move(buffer));
    arrow::ArrayVector cols = batch->columns();
    cols.insert(cols.begin() + position_, ids);
    *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), std::move(cols));
    return Status::OK();
  }

  Status Close() override { return inner_->Close(); }

 private:
  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  int position_;
  int64_t next_;
};

/// Inserts the physical row index column into the batches of one whole data
/// file (the file told by the batches' file index column): the k-th row read is
/// the k-th row of the file not deleted by its deletion vector.
class PhysicalRowIdReader : public arrow::RecordBatchReader {
 public:
  PhysicalRowIdReader(std::shared_ptr<arrow::RecordBatchReader> inner,
                      std::shared_ptr<arrow::Schema> schema, int position,
                      int file_index_position, bool drop_file_index,
                      const PhysicalRowIds* physical, std::string description)
      : inner_(std::move(inner)), schema_(std::move(schema)), position_(position),
        file_index_position_(file_index_position), drop_file_index_(drop_file_index),
        physical_(physical), description_(std::move(description)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(inner_->ReadNext(&batch));
    if (!batch) {
      *out = nullptr;
      return Status::OK();
    }
    const int64_t n = batch->num_rows();
    if (n > 0) ARROW_RETURN_NOT_OK(CheckFile(*batch));
    ARROW_ASSIGN_OR_RAISE(auto buffer, arrow::AllocateBuffer(n * sizeof(int64_t)));
    auto* values = reinterpret_cast<int64_t*>(buffer->mutable_data());
    for (int64_t i = 0; i < n; ++i) {
      while (d_ < deleted_.size() && deleted_[d_] <= next_) {
        if (deleted_[d_] == next_) ++next_;
        ++d_;
      }
      values[i] = static_cast<int64_t>(next_++);
    }
    auto ids = std::make_shared<arrow::Int64Array>(n, std::move(buffer));
    arrow::ArrayVector cols = batch->columns();
    if (drop_file_index_) cols.erase(cols.begin() + file_index_position_);
    cols.insert(cols.begin() + position_, ids);
    *out = arrow::RecordBatch::Make(schema_, n, std::move(cols));
    return Status::OK();
  }

  Status Close() override { return inner_->Close(); }

 private:
  /// Load the deletion vector of the batch's file on the first batch; check that
  /// every batch comes from that file.
  Status CheckFile(const arrow::RecordBatch& batch) {
    const auto& col = *batch.column(file_index_position_);
    if (col.type_id() != arrow::Type::INT32 || col.null_count() > 0) {
      return Status::Invalid("internal: bad file index column reading ", description_);
    }
    const auto& ids = static_cast<const arrow::Int32Array&>(col);
    const int32_t first = ids.Value(0), last = ids.Value(ids.length() - 1);
    if (file_ < 0) {
      const auto& files = physical_->snapshot->files();
      if (first < 0 || static_cast<size_t>(first) >= files.size()) {
        return Status::Invalid("internal: file index ", first, " out of range reading ",
                               description_);
      }
      file_ = first;
      const auto& dv = files[first].deletion_vector;
      if (dv) {
        ARROW_ASSIGN_OR_RAISE(deleted_, LoadDeletionVector(*physical_->snapshot->engine(), *dv,
                                                           physical_->table_root));
      }
    }
    if (first != file_ || last != file_) {
      return Status::Invalid("internal: ", description_,
                             " holds rows of several data files; physical row ids need one "
                             "morsel per file");
    }
    return Status::OK();
  }

  std::shared_ptr<arrow::RecordBatchReader> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  int position_;
  int file_index_position_;
  bool drop_file_index_;
  const PhysicalRowIds* physical_;
  std::string description_;
  int32_t file_ = -1;
  std::vector<uint64_t> deleted_;  ///< Sorted rows of the file's deletion vector.
  size_t d_ = 0;
  uint64_t next_ = 0;  ///< Physical index of the next row not yet numbered.
};

class RowIdMorsel : public ScanMorsel {
 public:
  RowIdMorsel(std::shared_ptr<ScanMorsel> inner, std::shared_ptr<arrow::Schema> schema,
              int position, int64_t ordinal, int file_index_position, bool drop_file_index,
              const PhysicalRowIds* physical)
      : inner_(std::move(inner)), schema_(std::move(schema)), position_(position),
        ordinal_(ordinal), file_index_position_(file_index_position),
        drop_file_index_(drop_file_index), physical_(physical) {}
  int64_t index() const override { return inner_->index(); }
  std::string description() const override { return inner_->description(); }
  Result<std::shared_ptr<arrow::RecordBatchReader>> Open() const override {
    ARROW_ASSIGN_OR_RAISE(auto reader, inner_->Open());
    if (physical_) {
      return std::make_shared<PhysicalRowIdReader>(std::move(reader), schema_, position_,
                                                   file_index_position_, drop_file_index_,
                                                   physical_, inner_->description());
    }
    return std::make_shared<RowIdReader>(std::move(reader), schema_, position_,
                                         ordinal_ << 40);
  }

 private:
  std::shared_ptr<ScanMorsel> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  int position_;
  int64_t ordinal_;
  int file_index_position_;  ///< In the batches of `inner_` (physical ids only).
  bool drop_file_index_;     ///< The file index column is not part of the output.
  const PhysicalRowIds* physical_;  ///< Owned by the provider; null: per-scan ids.
};

class RowIdScan : public TableScan {
 public:
  RowIdScan(std::shared_ptr<TableScan> inner, std::shared_ptr<arrow::Schema> schema,
            std::vector<std::shared_ptr<ScanMorsel>> morsels)
      : inner_(std::move(inner)), schema_(std::move(schema)), morsels_(std::move(morsels)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  const std::vector<std::shared_ptr<ScanMorsel>>& morsels() const override { return morsels_; }
  ScanMetricsSnapshot planning_metrics() const override { return inner_->planning_metrics(); }
  ScanMetricsSnapshot metrics() const override { return inner_->metrics(); }

 private:
  std::shared_ptr<TableScan> inner_;
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<std::shared_ptr<ScanMorsel>> morsels_;
};

}  // namespace

DmlScanProvider::DmlScanProvider(std::shared_ptr<TableProvider> inner, std::string row_id_column,
                                 std::optional<PhysicalRowIds> physical)
    : inner_(std::move(inner)), physical_(std::move(physical)) {
  auto fields = inner_->schema()->fields();
  if (physical_) file_index_index_ = inner_->schema()->GetFieldIndex(physical_->file_index_column);
  if (!row_id_column.empty()) {
    row_id_index_ = static_cast<int>(fields.size());
    fields.push_back(arrow::field(row_id_column, arrow::int64(), false));
  }
  schema_ = arrow::schema(std::move(fields));
}

cp::Expression DmlScanProvider::last_filter() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return last_filter_;
}

Result<std::shared_ptr<TableScan>> DmlScanProvider::Scan(const ScanRequest& request) const {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_filter_ = request.filter;
  }
  ScanRequest inner_request = request;
  int position = -1;
  int file_index_position = -1;  // in the inner scan's batches
  if (row_id_index_ >= 0) {
    inner_request.columns.clear();
    for (size_t i = 0; i < request.columns.size(); ++i) {
      if (request.columns[i] == row_id_index_) {
        position = static_cast<int>(i);
      } else {
        if (request.columns[i] == file_index_index_) {
          file_index_position = static_cast<int>(inner_request.columns.size());
        }
        inner_request.columns.push_back(request.columns[i]);
      }
    }
  }
  const PhysicalRowIds* physical = nullptr;
  if (physical_ && position >= 0) {
    // Row-group pruning would break the numbering; the filter is for pruning only.
    inner_request.filter = cp::literal(true);
    inner_request.limit.reset();
    if (file_index_position < 0) {
      if (file_index_index_ < 0) {
        return Status::Invalid("internal: physical row ids need the file index column '",
                               physical_->file_index_column, "'");
      }
      file_index_position = static_cast<int>(inner_request.columns.size());
      inner_request.columns.push_back(file_index_index_);  // dropped again below
    }
    physical = &*physical_;
  }
  ARROW_ASSIGN_OR_RAISE(auto scan, inner_->Scan(inner_request));
  if (position < 0) return scan;
  auto fields = scan->schema()->fields();
  // The file index column added for the numbering only is the inner scan's last.
  const bool drop_file_index =
      physical && inner_request.columns.size() == request.columns.size();
  if (drop_file_index) fields.pop_back();
  fields.insert(fields.begin() + position, schema_->field(row_id_index_));
  auto schema = arrow::schema(std::move(fields));
  std::vector<std::shared_ptr<ScanMorsel>> morsels;
  int64_t ordinal = 0;
  for (const auto& m : scan->morsels()) {
    morsels.push_back(std::make_shared<RowIdMorsel>(m, schema, position, ordinal++,
                                                    file_index_position, drop_file_index,
                                                    physical));
  }
  return std::make_shared<RowIdScan>(std::move(scan), std::move(schema), std::move(morsels));
}

}  // namespace shoal::delta
