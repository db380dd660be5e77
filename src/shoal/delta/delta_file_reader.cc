#include "shoal/delta/delta_file_reader_internal.h"

#include <algorithm>
#include <iterator>
#include <exception>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/initialize.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/type.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include "shoal/delta/deletion_vector.h"
#include "shoal/io/pruning.h"

namespace shoal::delta::internal {

namespace cp = arrow::compute;

namespace {

std::optional<int32_t> ParquetFieldId(const arrow::Field& f) {
  if (!f.metadata()) return std::nullopt;
  int i = f.metadata()->FindKey("PARQUET:field_id");
  if (i < 0) return std::nullopt;
  return static_cast<int32_t>(std::strtol(f.metadata()->value(i).c_str(), nullptr, 10));
}

/// Return the index of the file field holding `logical`, or -1.
int FindFileField(const arrow::FieldVector& file_fields, const arrow::Field& logical,
                  ColumnMappingMode mode) {
  if (mode == ColumnMappingMode::kId) {
    if (auto id = ColumnMappingId(logical)) {
      for (size_t i = 0; i < file_fields.size(); ++i) {
        if (ParquetFieldId(*file_fields[i]) == id) return static_cast<int>(i);
      }
    }
  }
  std::string name = PhysicalName(logical, mode);
  for (size_t i = 0; i < file_fields.size(); ++i) {
    if (file_fields[i]->name() == name) return static_cast<int>(i);
  }
  return -1;
}

std::shared_ptr<arrow::DataType> PlainType(const std::shared_ptr<arrow::DataType>& t) {
  switch (t->id()) {
    case arrow::Type::STRUCT: {
      arrow::FieldVector fields;
      for (const auto& f : t->fields()) fields.push_back(arrow::field(f->name(), PlainType(f->type()), f->nullable()));
      return arrow::struct_(fields);
    }
    case arrow::Type::LIST: {
      const auto& f = t->field(0);
      return arrow::list(arrow::field(f->name(), PlainType(f->type()), f->nullable()));
    }
    case arrow::Type::MAP: {
      const auto& m = static_cast<const arrow::MapType&>(*t);
      return std::make_shared<arrow::MapType>(
          arrow::field(m.key_field()->name(), PlainType(m.key_type()), false),
          arrow::field(m.item_field()->name(), PlainType(m.item_type()), m.item_field()->nullable()));
    }
    default:
      return t;
  }
}

Result<std::shared_ptr<arrow::ArrayData>> ToLogicalData(const std::shared_ptr<arrow::ArrayData>& data,
                                                        const arrow::Field& logical,
                                                        ColumnMappingMode mode) {
  const auto& ltype = logical.type();
  if (ltype->id() == arrow::Type::STRUCT && data->type->id() == arrow::Type::STRUCT) {
    const auto& ftype = *data->type;
    std::vector<std::shared_ptr<arrow::ArrayData>> children;
    arrow::FieldVector fields;
    int64_t child_len = data->offset + data->length;
    for (const auto& lf : ltype->fields()) {
      int idx = FindFileField(ftype.fields(), *lf, mode);
      std::shared_ptr<arrow::ArrayData> child;
      if (idx >= 0) {
        ARROW_ASSIGN_OR_RAISE(child, ToLogicalData(data->child_data[idx], *lf, mode));
      } else {
        ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(PlainType(lf->type()), child_len));
        child = nulls->data();
      }
      fields.push_back(arrow::field(lf->name(), child->type, true));
      children.push_back(std::move(child));
    }
    return arrow::ArrayData::Make(arrow::struct_(fields), data->length, {data->buffers[0]},
                                  std::move(children), data->null_count, data->offset);
  }
  if (ltype->id() == arrow::Type::LIST &&
      (data->type->id() == arrow::Type::LIST || data->type->id() == arrow::Type::LARGE_LIST)) {
    ARROW_ASSIGN_OR_RAISE(auto values, ToLogicalData(data->child_data[0], *ltype->field(0), mode));
    auto elem = arrow::field(ltype->field(0)->name(), values->type, true);
    auto type = data->type->id() == arrow::Type::LIST ? arrow::list(elem) : arrow::large_list(elem);
    return arrow::ArrayData::Make(type, data->length, data->buffers, {values}, data->null_count,
                                  data->offset);
  }
  if (ltype->id() == arrow::Type::MAP && data->type->id() == arrow::Type::MAP) {
    const auto& lm = static_cast<const arrow::MapType&>(*ltype);
    const auto& entries = data->child_data[0];  // struct<key, value>
    ARROW_ASSIGN_OR_RAISE(auto keys, ToLogicalData(entries->child_data[0], *lm.key_field(), mode));
    ARROW_ASSIGN_OR_RAISE(auto items, ToLogicalData(entries->child_data[1], *lm.item_field(), mode));
    auto type = std::make_shared<arrow::MapType>(arrow::field("key", keys->type, false),
                                                 arrow::field("value", items->type, true));
    auto new_entries = arrow::ArrayData::Make(type->value_type(), entries->length,
                                              {entries->buffers[0]}, {keys, items},
                                              entries->null_count, entries->offset);
    return arrow::ArrayData::Make(type, data->length, data->buffers, {new_entries},
                                  data->null_count, data->offset);
  }
  return data;
}

bool EnsureCompute() {
  static bool ok = cp::Initialize().ok();
  return ok;
}

/// Reads the selected row groups of a file one after the other, renames the
/// columns to logical names and drops deleted rows.
class DataFileReader : public arrow::RecordBatchReader {
 public:
  DataFileReader(std::shared_ptr<parquet::arrow::FileReader> reader, std::vector<int> row_groups,
                 std::vector<int64_t> row_group_starts, std::vector<int> leaves,
                 std::vector<int> file_fields, std::vector<std::shared_ptr<arrow::Field>> logical,
                 ColumnMappingMode mode, std::shared_ptr<std::vector<uint64_t>> deleted,
                 std::shared_ptr<std::vector<uint64_t>> keep,
                 std::shared_ptr<arrow::Schema> schema, std::string description)
      : reader_(std::move(reader)),
        row_groups_(std::move(row_groups)),
        starts_(std::move(row_group_starts)),
        leaves_(std::move(leaves)),
        file_fields_(std::move(file_fields)),
        logical_(std::move(logical)),
        mode_(mode),
        deleted_(std::move(deleted)),
        keep_(std::move(keep)),
        schema_(std::move(schema)),
        description_(std::move(description)) {}

  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }

  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    *out = nullptr;
    while (true) {
      if (!current_) {
        if (next_ >= row_groups_.size()) return Status::OK();
        try {
          auto r = reader_->GetRecordBatchReader({row_groups_[next_]}, leaves_);
          if (!r.ok()) return Named(r.status());
          current_ = std::move(*r);
        } catch (const std::exception& e) {
          return Status::IOError("cannot read ", description_, ": ", e.what());
        }
        position_ = starts_[next_];
        ++next_;
      }
      std::shared_ptr<arrow::RecordBatch> batch;
      Status st;
      try {
        st = current_->ReadNext(&batch);
      } catch (const std::exception& e) {
        return Status::IOError("cannot read ", description_, ": ", e.what());
      }
      if (!st.ok()) return Named(st);
      if (!batch) {
        current_.reset();
        continue;
      }
      int64_t start = position_;
      position_ += batch->num_rows();
      ARROW_ASSIGN_OR_RAISE(auto renamed, Rename(*batch));
      ARROW_ASSIGN_OR_RAISE(auto filtered, DropDeleted(renamed, start));
      if (filtered->num_rows() == 0) continue;
      *out = std::move(filtered);
      return Status::OK();
    }
  }

 private:
  Status Named(const Status& st) const {
    return Status::FromArgs(st.code(), "cannot read ", description_, ": ", st.message());
  }

  Result<std::shared_ptr<arrow::RecordBatch>> Rename(const arrow::RecordBatch& batch) const {
    arrow::ArrayVector columns;
    arrow::FieldVector fields;
    const auto& bschema = *batch.schema();
    for (size_t j = 0; j < logical_.size(); ++j) {
      // The batch holds the selected file fields in file order.
      int idx = bschema.GetFieldIndex(file_name_of(j));
      if (idx < 0) continue;
      ARROW_ASSIGN_OR_RAISE(auto arr, ToLogical(batch.column(idx), *logical_[j], mode_));
      fields.push_back(arrow::field(logical_[j]->name(), arr->type()));
      columns.push_back(std::move(arr));
    }
    return arrow::RecordBatch::Make(arrow::schema(fields), batch.num_rows(), std::move(columns));
  }

  const std::string& file_name_of(size_t j) const {
    return reader_->manifest().schema_fields[file_fields_[j]].field->name();
  }

  Result<std::shared_ptr<arrow::RecordBatch>> DropDeleted(std::shared_ptr<arrow::RecordBatch> batch,
                                                          int64_t start) const {
    // `keep_` lists the rows to keep; otherwise `deleted_` the rows to drop.
    const std::vector<uint64_t>* rows = keep_ ? keep_.get() : deleted_.get();
    if (!rows || (!keep_ && rows->empty())) return batch;
    const int64_t n = batch->num_rows();
    auto lo = std::lower_bound(rows->begin(), rows->end(), static_cast<uint64_t>(start));
    auto hi = std::lower_bound(lo, rows->end(), static_cast<uint64_t>(start + n));
    if (lo == hi && !keep_) return batch;
    if (keep_ && hi - lo == n) return batch;
    arrow::BooleanBuilder keep;
    ARROW_RETURN_NOT_OK(keep.Reserve(n));
    auto it = lo;
    for (int64_t i = 0; i < n; ++i) {
      bool listed = it != hi && *it == static_cast<uint64_t>(start + i);
      if (listed) ++it;
      keep.UnsafeAppend(keep_ ? listed : !listed);
    }
    ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
    if (!EnsureCompute()) return Status::Invalid("cannot initialize Arrow compute");
    ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(batch, mask));
    return filtered.record_batch();
  }

  std::shared_ptr<parquet::arrow::FileReader> reader_;
  std::vector<int> row_groups_;
  std::vector<int64_t> starts_;
  std::vector<int> leaves_;
  std::vector<int> file_fields_;
  std::vector<std::shared_ptr<arrow::Field>> logical_;
  ColumnMappingMode mode_;
  std::shared_ptr<std::vector<uint64_t>> deleted_;
  std::shared_ptr<std::vector<uint64_t>> keep_;  ///< When set: only these rows.
  std::shared_ptr<arrow::Schema> schema_;
  std::string description_;
  std::shared_ptr<arrow::RecordBatchReader> current_;
  size_t next_ = 0;
  int64_t position_ = 0;
};

void CollectLeaves(const parquet::arrow::SchemaField& f, std::vector<int>* out) {
  if (f.is_leaf()) out->push_back(f.column_index);
  for (const auto& c : f.children) CollectLeaves(c, out);
}

int64_t CountDeleted(const std::vector<uint64_t>& deleted, int64_t start, int64_t n) {
  auto lo = std::lower_bound(deleted.begin(), deleted.end(), static_cast<uint64_t>(start));
  auto hi = std::lower_bound(lo, deleted.end(), static_cast<uint64_t>(start + n));
  return hi - lo;
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> ToLogical(const std::shared_ptr<arrow::Array>& array,
                                                const arrow::Field& logical,
                                                ColumnMappingMode mode) {
  if (!arrow::is_nested(logical.type()->id())) return array;
  ARROW_ASSIGN_OR_RAISE(auto data, ToLogicalData(array->data(), logical, mode));
  return arrow::MakeArray(data);
}

Result<std::string> DataFilePath(const std::string& root, const std::string& raw) {
  std::string path = DecodeActionPath(raw);
  if (!path.empty() && path[0] == '/') return path;
  if (path.find("://") != std::string::npos) {
    return Status::NotImplemented("data file '", raw, "' is on another file system");
  }
  return JoinPath(root, path);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> OpenDataFile(const DataFileRead& read) {
  const std::string& desc = read.out.description;
  std::shared_ptr<std::vector<uint64_t>> deleted;
  if (read.deletion_vector) {
    ARROW_ASSIGN_OR_RAISE(auto rows,
                          LoadDeletionVector(*read.engine, *read.deletion_vector, read.table_root));
    deleted = std::make_shared<std::vector<uint64_t>>(std::move(rows));
  }
  // Only some rows: keep = selected - deleted (both sorted).
  std::shared_ptr<std::vector<uint64_t>> keep;
  if (read.selected_rows) {
    ARROW_ASSIGN_OR_RAISE(auto rows,
                          LoadDeletionVector(*read.engine, *read.selected_rows, read.table_root));
    std::sort(rows.begin(), rows.end());
    keep = std::make_shared<std::vector<uint64_t>>();
    if (deleted) {
      std::set_difference(rows.begin(), rows.end(), deleted->begin(), deleted->end(),
                          std::back_inserter(*keep));
    } else {
      *keep = std::move(rows);
    }
    deleted.reset();
  }
  arrow::fs::FileInfo info(read.path, arrow::fs::FileType::File);
  if (read.size >= 0) info.set_size(read.size);
  auto input = read.fs->OpenInputFile(info);
  if (!input.ok()) {
    return Status::FromArgs(input.status().code(), "cannot open data file ", desc, ": ",
                            input.status().message());
  }
  try {
    parquet::arrow::FileReaderBuilder builder;
    Status st = builder.Open(*input);
    if (!st.ok()) return Status::IOError("cannot read data file ", desc, ": ", st.message());
    parquet::ArrowReaderProperties props(/*use_threads=*/false);
    props.set_batch_size(read.out.batch_size > 0 ? read.out.batch_size : 8192);
    props.set_pre_buffer(true);
    // Delta timestamps are microseconds; INT96 as nanoseconds overflows for old dates.
    props.set_coerce_int96_timestamp_unit(arrow::TimeUnit::MICRO);
    builder.properties(props);
    auto built = builder.Build();
    if (!built.ok()) {
      return Status::IOError("cannot read data file ", desc, ": ", built.status().message());
    }
    std::shared_ptr<parquet::arrow::FileReader> reader(std::move(*built));
    const auto& manifest = reader->manifest();
    arrow::FieldVector file_fields;
    for (const auto& f : manifest.schema_fields) file_fields.push_back(f.field);

    // Which file fields hold the requested logical columns.
    std::vector<int> leaves, selected_fields;
    std::vector<std::shared_ptr<arrow::Field>> selected_logical;
    for (const auto& lf : read.columns) {
      int idx = FindFileField(file_fields, *lf, read.mode);
      if (idx < 0) continue;  // column added after this file was written: nulls
      CollectLeaves(manifest.schema_fields[idx], &leaves);
      selected_fields.push_back(idx);
      selected_logical.push_back(lf);
    }
    std::sort(leaves.begin(), leaves.end());
    leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());

    // Row groups that may hold matching rows.
    auto meta = reader->parquet_reader()->metadata();
    std::vector<int> row_groups;
    std::vector<int64_t> starts;
    int64_t start = 0, rows = 0, pruned_row_groups = 0;
    const int num_rg = meta->num_row_groups();
    const int splits = std::max(read.num_splits, 1);
    int64_t own_row_groups = 0;
    for (int rg = 0; rg < num_rg; ++rg) {
      auto rg_meta = meta->RowGroup(rg);
      int64_t n = rg_meta->num_rows();
      if (splits > 1 && static_cast<int64_t>(rg) * splits / num_rg != read.split) {
        start += n;  // another split's row group: only its row indexes count
        continue;
      }
      ++own_row_groups;
      bool skip = false;
      if (read.filter) {
        std::vector<cp::Expression> guarantees;
        for (const auto& lf : read.columns) {
          int idx = FindFileField(file_fields, *lf, read.mode);
          if (idx < 0 || !manifest.schema_fields[idx].is_leaf()) continue;
          int leaf = manifest.schema_fields[idx].column_index;
          auto chunk = rg_meta->ColumnChunk(leaf);
          if (!chunk->is_stats_set()) continue;
          auto stats = chunk->statistics();
          if (!stats) continue;
          auto field = arrow::field(lf->name(), NormalizeType(file_fields[idx]->type()));
          auto e = arrow::dataset::ParquetFileFragment::EvaluateStatisticsAsExpression(
              *field, arrow::FieldRef(lf->name()), *stats);
          if (e) guarantees.push_back(std::move(*e));
        }
        skip = !guarantees.empty() && CanSkip(*read.filter, cp::and_(guarantees));
      }
      if (keep && CountDeleted(*keep, start, n) == 0) skip = true;
      if (skip) ++pruned_row_groups;
      if (!skip && n > 0) {
        row_groups.push_back(rg);
        starts.push_back(start);
        rows += keep ? CountDeleted(*keep, start, n)
                     : n - (deleted ? CountDeleted(*deleted, start, n) : 0);
      }
      start += n;
    }
    if (read.file_counters) {
      auto& c = *read.file_counters;
      if (read.split == 0) c.files_read.fetch_add(1, std::memory_order_relaxed);
      c.row_groups_total.fetch_add(own_row_groups, std::memory_order_relaxed);
      c.row_groups_pruned.fetch_add(pruned_row_groups, std::memory_order_relaxed);
    }
    if (leaves.empty()) return MakeConstantReader(read.out, rows);
    arrow::FieldVector out_fields;
    for (const auto& lf : selected_logical) out_fields.push_back(arrow::field(lf->name(), lf->type()));
    auto source = std::make_shared<DataFileReader>(
        reader, std::move(row_groups), std::move(starts), std::move(leaves),
        std::move(selected_fields), std::move(selected_logical), read.mode, std::move(deleted),
        std::move(keep), arrow::schema(out_fields), desc);
    return MakeAdaptedReader(std::move(source), read.out, reader);
  } catch (const std::exception& e) {
    return Status::IOError("cannot read data file ", desc, ": ", e.what());
  }
}

}  // namespace shoal::delta::internal
