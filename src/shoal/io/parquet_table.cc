#include "shoal/io/parquet_table.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <unordered_map>

#include <arrow/compute/expression.h>
#include <arrow/dataset/file_parquet.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/caching.h>
#include <arrow/io/interfaces.h>
#include <arrow/type.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/schema.h>
#include <parquet/exception.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>
#include <parquet/properties.h>
#include <parquet/statistics.h>

#include "shoal/common/memory_pool.h"
#include "shoal/io/file_table.h"
#include "shoal/io/parquet_footer_internal.h"
#include "shoal/io/pruning.h"

namespace shoal {

namespace cp = arrow::compute;

namespace {

/// What a file's footer tells the planner, decoded once.
struct ParquetFooter {
  std::shared_ptr<parquet::FileMetaData> metadata;
  /// Arrow schema of the file (as parquet::arrow reads it).
  std::shared_ptr<arrow::Schema> schema;
  /// Per top-level field: the Parquet leaf column indexes under it.
  std::vector<std::vector<int>> leaves;
  /// Per top-level field: its leaf column index when it is a primitive column, else -1.
  std::vector<int> stats_column;
  /// Leaf column indexes of top-level utf8 / binary columns (candidates for
  /// dictionary reads, see PreferDictionaryRead).
  std::vector<int> string_leaves;
};

void CollectLeaves(const parquet::arrow::SchemaField& f, std::vector<int>* out) {
  if (f.is_leaf()) out->push_back(f.column_index);
  for (const auto& c : f.children) CollectLeaves(c, out);
}

arrow::fs::FileInfo InfoOf(const DataFile& file) {
  arrow::fs::FileInfo info(file.path, arrow::fs::FileType::File);
  if (file.size >= 0) info.set_size(file.size);
  return info;
}

Result<std::shared_ptr<const ParquetFooter>> ReadFooter(
    const std::shared_ptr<arrow::fs::FileSystem>& fs, const DataFile& file) {
  auto input = fs->OpenInputFile(InfoOf(file));
  if (!input.ok()) return FileError(input.status(), "cannot open parquet file", file.path);
  auto footer = std::make_shared<ParquetFooter>();
  try {
    auto raw = parquet::ParquetFileReader::Open(*input, parquet::default_reader_properties());
    // Decode view and dictionary columns straight into plain types (see
    // parquet_footer_internal.h); morsels open the file with this footer.
    footer->metadata = WithPlainStoredSchema(raw->metadata());
    const auto& meta = *footer->metadata;
    parquet::ArrowReaderProperties props(/*use_threads=*/false);
    parquet::arrow::SchemaManifest manifest;
    Status st = parquet::arrow::SchemaManifest::Make(meta.schema(), meta.key_value_metadata(),
                                                     props, &manifest);
    if (st.ok()) {
      st = parquet::arrow::FromParquetSchema(meta.schema(), props, meta.key_value_metadata(),
                                             &footer->schema);
    }
    if (!st.ok()) return FileError(st, "cannot read the schema of parquet file", file.path);
    for (const auto& f : manifest.schema_fields) {
      std::vector<int> leaves;
      CollectLeaves(f, &leaves);
      footer->leaves.push_back(std::move(leaves));
      footer->stats_column.push_back(f.is_leaf() ? f.column_index : -1);
      auto type_id = f.field->type()->id();
      if (f.is_leaf() && (type_id == arrow::Type::STRING || type_id == arrow::Type::BINARY)) {
        footer->string_leaves.push_back(f.column_index);
      }
    }
    if (footer->leaves.size() != static_cast<size_t>(footer->schema->num_fields())) {
      return Status::Invalid("cannot read parquet file '", file.path,
                             "': schema and column layout disagree");
    }
  } catch (const std::exception& e) {
    return Status::IOError("cannot read parquet file '", file.path, "': ", e.what());
  }
  return footer;
}

/// Footers of a table's files keyed by path, valid while size and mtime match.
class FooterCache {
 public:
  Result<std::shared_ptr<const ParquetFooter>> Get(const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                                   const DataFile& file) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = entries_.find(file.path);
      if (it != entries_.end() && it->second.size == file.size &&
          it->second.mtime_ns == file.mtime_ns) {
        return it->second.footer;
      }
    }
    reads_.fetch_add(1);
    ARROW_ASSIGN_OR_RAISE(auto footer, ReadFooter(fs, file));
    std::lock_guard<std::mutex> lock(mu_);
    entries_[file.path] = Entry{file.size, file.mtime_ns, footer};
    return footer;
  }
  int64_t reads() const { return reads_.load(); }

 private:
  struct Entry {
    int64_t size;
    int64_t mtime_ns;
    std::shared_ptr<const ParquetFooter> footer;
  };
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
  std::atomic<int64_t> reads_{0};
};

struct ParquetShared {
  ParquetOptions options;
  FooterCache cache;
  std::string schema_source;  ///< the file the schema came from ("" when declared)
  /// statistics() of the listing described by stats_key (guarded by stats_mu).
  std::mutex stats_mu;
  bool stats_valid = false;
  std::string stats_key;
  TableStatistics stats;
};

class ParquetTable : public FileTable {
 public:
  ParquetTable(std::shared_ptr<const FileTableConfig> config, std::shared_ptr<ParquetShared> shared)
      : FileTable(std::move(config)), shared_(std::move(shared)) {}

  std::string kind() const override { return "parquet"; }

  TableStatistics statistics() const override {
    TableStatistics stats;
    auto files = ListFiles();
    if (!files.ok() || files->size() > 1000) return stats;
    // The optimizer asks often (every estimate of a scan): reuse the merged
    // statistics while the listing (paths, sizes, mtimes) is unchanged.
    std::string key;
    for (const auto& f : *files) {
      key += f.path;
      key += '\0' + std::to_string(f.size) + '/' + std::to_string(f.mtime_ns) + '\n';
    }
    {
      std::lock_guard<std::mutex> lock(shared_->stats_mu);
      if (shared_->stats_valid && shared_->stats_key == key) return shared_->stats;
    }
    const auto& data_schema = *config_->data_schema;
    std::vector<ColumnStatisticsBuilder> builders;
    builders.reserve(data_schema.num_fields());
    for (const auto& f : data_schema.fields()) builders.emplace_back(f->type());
    int64_t rows = 0, bytes = 0;
    for (const auto& f : *files) {
      // The same cached footers the scans use for pruning: read at most once.
      auto footer = shared_->cache.Get(config_->location.fs, f);
      if (!footer.ok()) return TableStatistics{};
      const auto& meta = *(*footer)->metadata;
      rows += meta.num_rows();
      bytes += std::max<int64_t>(f.size, 0);
      const auto& fschema = *(*footer)->schema;
      try {
        for (int i = 0; i < data_schema.num_fields(); ++i) {
          int idx = fschema.GetFieldIndex(data_schema.field(i)->name());
          if (idx < 0) {
            builders[i].AddMissing(meta.num_rows());
            continue;
          }
          int leaf = (*footer)->stats_column[idx];
          if (leaf < 0) {
            builders[i].Invalidate();
            continue;
          }
          for (int rg = 0; rg < meta.num_row_groups(); ++rg) {
            auto rg_meta = meta.RowGroup(rg);
            if (leaf >= rg_meta->num_columns()) {
              builders[i].Invalidate();
              break;
            }
            builders[i].AddChunk(*rg_meta->ColumnChunk(leaf));
          }
        }
      } catch (const std::exception&) {
        for (auto& b : builders) b.Invalidate();
      }
    }
    stats.num_rows = rows;
    stats.exact = true;
    stats.total_bytes = bytes;
    for (const auto& b : builders) stats.columns.push_back(b.Finish());
    // Partition columns: nothing known per column.
    stats.columns.resize(config_->schema->num_fields());
    std::lock_guard<std::mutex> lock(shared_->stats_mu);
    shared_->stats_key = std::move(key);
    shared_->stats = stats;
    shared_->stats_valid = true;
    return stats;
  }

 protected:
  Status PlanFile(const DataFile& file,
                  const std::vector<std::shared_ptr<arrow::Scalar>>& partition_values,
                  const cp::Expression& partition_guarantee, FilePlan* plan) const override {
    const auto& cfg = *config_;
    ARROW_ASSIGN_OR_RAISE(auto footer, shared_->cache.Get(cfg.location.fs, file));
    const auto& fschema = *footer->schema;
    for (const auto& field : cfg.data_schema->fields()) {
      int idx = fschema.GetFieldIndex(field->name());
      if (idx >= 0 && !IsCompatibleType(fschema.field(idx)->type(), field->type())) {
        return Status::TypeError(
            "incompatible parquet schema: column '", field->name(), "' has type ",
            fschema.field(idx)->type()->ToString(), " in '", file.path, "' but type ",
            field->type()->ToString(), " in ",
            shared_->schema_source.empty() ? std::string("the declared schema")
                                           : "'" + shared_->schema_source + "'");
      }
    }
    std::vector<int> leaves;
    for (const auto& name : plan->data_columns) {
      int idx = fschema.GetFieldIndex(name);
      if (idx < 0) continue;
      for (int leaf : footer->leaves[idx]) leaves.push_back(leaf);
    }
    std::sort(leaves.begin(), leaves.end());
    leaves.erase(std::unique(leaves.begin(), leaves.end()), leaves.end());

    std::vector<std::string> filter_columns;
    if (plan->filter && shared_->options.pruning) {
      for (const auto& ref : cp::FieldsInExpression(*plan->filter)) {
        if (const std::string* name = ref.name()) filter_columns.push_back(*name);
      }
    }
    const auto& meta = *footer->metadata;
    // Output positions of partition columns get constants.
    MorselOutput base = plan->Output(partition_values, "");
    base.keep_dictionaries = plan->request->keep_dictionaries;
    for (int j = 0; j < plan->output_schema->num_fields(); ++j) {
      int c = plan->request->columns[j];
      int p = c - cfg.data_schema->num_fields();
      if (p >= 0) base.constants[j] = partition_values[p];
    }
    const int num_row_groups = meta.num_row_groups();
    // Row groups often have equal statistics for the filter's columns (values
    // spread over every row group): simplify the filter once per distinct guarantee.
    std::unordered_map<cp::Expression, bool, cp::Expression::Hash> skip_by_guarantee;
    for (int rg = 0; rg < num_row_groups; ++rg) {
      if (plan->remaining && *plan->remaining <= 0) break;
      ++plan->metrics.row_groups_total;
      int64_t rows = 0, bytes = 0;
      std::vector<int> dict_leaves;
      std::vector<cp::Expression> guarantees{partition_guarantee};
      try {
        auto rg_meta = meta.RowGroup(rg);
        rows = rg_meta->num_rows();
        for (int leaf : leaves) {
          if (leaf >= rg_meta->num_columns()) continue;
          auto chunk = rg_meta->ColumnChunk(leaf);
          bytes += chunk->total_compressed_size();
          if (shared_->options.dictionary_reads &&
              std::binary_search(footer->string_leaves.begin(), footer->string_leaves.end(),
                                 leaf) &&
              PreferDictionaryRead(*chunk)) {
            dict_leaves.push_back(leaf);
          }
        }
        for (const auto& name : filter_columns) {
          int table_idx = cfg.data_schema->GetFieldIndex(name);
          if (table_idx < 0) continue;  // partition column or unknown
          int idx = fschema.GetFieldIndex(name);
          if (idx < 0) {
            guarantees.push_back(cp::is_null(cp::field_ref(name)));
            continue;
          }
          int leaf = footer->stats_column[idx];
          if (leaf < 0 || leaf >= rg_meta->num_columns()) continue;
          auto chunk = rg_meta->ColumnChunk(leaf);
          if (!chunk->is_stats_set()) continue;
          auto stats = chunk->statistics();
          if (!stats) continue;
          auto field = fschema.field(idx)->WithType(NormalizeType(fschema.field(idx)->type()));
          auto e = arrow::dataset::ParquetFileFragment::EvaluateStatisticsAsExpression(
              *field, arrow::FieldRef(name), *stats);
          if (e) guarantees.push_back(std::move(*e));
        }
      } catch (const std::exception& e) {
        return Status::IOError("cannot read row group ", rg, " metadata of parquet file '",
                               file.path, "': ", e.what());
      }
      if (plan->filter && shared_->options.pruning && guarantees.size() > 1) {
        cp::Expression guarantee = cp::and_(guarantees);
        auto it = skip_by_guarantee.find(guarantee);
        if (it == skip_by_guarantee.end()) {
          bool skip = CanSkip(*plan->filter, guarantee);
          it = skip_by_guarantee.emplace(std::move(guarantee), skip).first;
        }
        if (it->second) {
          ++plan->metrics.row_groups_pruned;
          continue;
        }
      }
      if (rows <= 0) continue;
      MorselOutput out = base;
      out.description = "'" + file.path + "' row group " + std::to_string(rg);
      out.source_bytes = bytes;
      if (plan->remaining) {
        out.limit = *plan->remaining;
        *plan->remaining -= rows;
      }
      plan->morsels.push_back(std::make_shared<FunctionMorsel>(
          plan->next_index(), out.description,
          [fs = cfg.location.fs, file, footer, rg, leaves, dict_leaves, rows, out,
           options = &shared_->options, keep = shared_]() {
            return OpenRowGroup(fs, file, footer, rg, leaves, dict_leaves, rows, out, *options);
          }));
    }
    return Status::OK();
  }

 private:
  static Result<std::shared_ptr<arrow::RecordBatchReader>> OpenRowGroup(
      const std::shared_ptr<arrow::fs::FileSystem>& fs, const DataFile& file,
      const std::shared_ptr<const ParquetFooter>& footer, int rg, const std::vector<int>& leaves,
      const std::vector<int>& dict_leaves, int64_t rows, const MorselOutput& out,
      const ParquetOptions& options) {
    if (leaves.empty()) return MakeConstantReader(out, rows);
    auto input = fs->OpenInputFile(InfoOf(file));
    if (!input.ok()) return FileError(input.status(), "cannot open parquet file", file.path);
    try {
      parquet::arrow::FileReaderBuilder builder;
      Status st = builder.Open(*input, parquet::ReaderProperties(EngineMemoryPool()),
                               footer->metadata);
      if (!st.ok()) return FileError(st, "cannot read parquet file", file.path);
      parquet::ArrowReaderProperties props(/*use_threads=*/false);
      props.set_batch_size(out.batch_size);
      props.set_pre_buffer(options.pre_buffer);
      props.set_cache_options(arrow::io::CacheOptions::LazyDefaults());
      props.set_io_context(arrow::io::IOContext(EngineMemoryPool()));
      // Low-cardinality string chunks decode much faster as dictionaries; the
      // adapted reader casts them back to the plain type.
      for (int leaf : dict_leaves) props.set_read_dictionary(leaf, true);
      builder.properties(props);
      builder.memory_pool(EngineMemoryPool());
      auto reader = builder.Build();
      if (!reader.ok()) return FileError(reader.status(), "cannot read parquet file", file.path);
      std::shared_ptr<parquet::arrow::FileReader> owner(std::move(*reader));
      auto batches = owner->GetRecordBatchReader({rg}, leaves);
      if (!batches.ok()) {
        return Status::FromArgs(batches.status().code(), "cannot read ", out.description, ": ",
                                batches.status().message());
      }
      std::shared_ptr<arrow::RecordBatchReader> source(std::move(*batches));
      return MakeAdaptedReader(std::move(source), out, owner);
    } catch (const std::exception& e) {
      return Status::IOError("cannot read ", out.description, ": ", e.what());
    }
  }

  std::shared_ptr<ParquetShared> shared_;
};

std::shared_ptr<arrow::Schema> StripMetadata(const std::shared_ptr<arrow::Schema>& schema) {
  arrow::FieldVector fields;
  for (const auto& f : schema->fields()) fields.push_back(f->RemoveMetadata());
  return arrow::schema(std::move(fields));
}

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeParquetTable(const std::string& path,
                                                        const ParquetOptions& options) {
  std::vector<std::string> exts;
  if (!options.file_extension.empty()) exts.push_back(options.file_extension);
  ARROW_ASSIGN_OR_RAISE(auto prepared, PrepareFileTable(path, options.filesystem, exts,
                                                        options.partition_cols));
  auto& [config, files] = prepared;
  auto shared = std::make_shared<ParquetShared>();
  shared->options = options;
  std::shared_ptr<arrow::Schema> data_schema;
  if (options.schema) {
    data_schema = options.schema;
  } else {
    if (files.empty()) {
      return Status::Invalid("no parquet files found at '", path,
                             "'; cannot determine the table schema");
    }
    ARROW_ASSIGN_OR_RAISE(auto footer, shared->cache.Get(config->location.fs, files.front()));
    data_schema = NormalizeSchema(StripMetadata(footer->schema));
    shared->schema_source = files.front().path;
  }
  FinishFileTableSchema(config.get(), data_schema);
  return std::make_shared<ParquetTable>(std::move(config), std::move(shared));
}

}  // namespace shoal
