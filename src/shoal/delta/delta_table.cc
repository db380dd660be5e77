#include "shoal/delta/delta_table.h"

#include <algorithm>
#include <mutex>
#include <tuple>
#include <unordered_map>

#include <arrow/array/builder_base.h>
#include <arrow/array/util.h>
#include <arrow/array/array_primitive.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/expression.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/delta_file_reader_internal.h"
#include "shoal/delta/stats.h"
#include "shoal/delta/table_statistics.h"
#include "shoal/io/file_listing.h"
#include "shoal/io/pruning.h"
#include "shoal/io/scan_util.h"

namespace shoal::delta {

namespace cp = arrow::compute;

struct DeltaTableProvider::State {
  std::shared_ptr<const Snapshot> snapshot;
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;  ///< Table root inside `fs`.
  DeltaTableOptions options;
  /// Logical schema (+ the file column when requested).
  std::shared_ptr<arrow::Schema> schema;
  /// `schema` with partition columns as their value types (not dictionaries):
  /// filters are bound to it for file and row-group skipping.
  std::shared_ptr<arrow::Schema> pruning_schema;
  /// Per schema column: index into partition_fields, or -1.
  std::vector<int> partition_slot;
  std::vector<std::shared_ptr<arrow::Field>> partition_fields;
  int file_column = -1;  ///< Schema index of the file column, or -1.
  int file_index_column = -1;  ///< Schema index of the file index column, or -1.

  struct File {
    const AddFile* add = nullptr;
    /// Typed partition values (empty for unpartitioned tables).
    std::vector<std::shared_ptr<arrow::Scalar>> partition_values;
    /// With dictionary_partition_values: the same values as dictionary scalars
    /// (indexes into one table-wide dictionary per column; nulls as null scalars).
    std::vector<std::shared_ptr<arrow::Scalar>> dictionary_values;
  };
  std::vector<File> files;

  // TableProvider::statistics(), aggregated on its first call.
  mutable std::once_flag table_stats_once;
  mutable TableStatistics table_stats;
};

namespace {

constexpr int64_t kMaxSplitsPerFile = 64;

// Return what `stats` say about column `c` (the same bounds StatsGuarantees uses).
ColumnRange StatsRange(const ParsedStats& stats, const StatsColumn& c) {
  ColumnRange r;
  std::optional<int64_t> nulls;
  if (auto it = stats.null_count.find(c.physical_name); it != stats.null_count.end()) {
    nulls = it->second;
  }
  if (nulls && stats.num_records && *nulls == *stats.num_records && *nulls > 0) {
    r.may_be_valid = false;
    return r;
  }
  if (nulls && *nulls == 0) r.may_be_null = false;
  auto conform = [&](const std::shared_ptr<arrow::Scalar>& s) -> std::shared_ptr<arrow::Scalar> {
    if (!s || !s->is_valid) return nullptr;
    if (s->type->Equals(*c.type)) return s;
    if (s->type->id() == arrow::Type::TIMESTAMP && c.type->id() == arrow::Type::TIMESTAMP &&
        static_cast<const arrow::TimestampType&>(*s->type).unit() ==
            static_cast<const arrow::TimestampType&>(*c.type).unit()) {
      return s;  // same instants; the time zone does not change the order
    }
    auto cast = s->CastTo(c.type);
    return cast.ok() ? *cast : nullptr;
  };
  if (auto it = stats.min_values.find(c.physical_name); it != stats.min_values.end()) {
    r.min = conform(it->second);
  }
  if (auto it = stats.max_values.find(c.physical_name); it != stats.max_values.end()) {
    r.max = conform(it->second);
  }
  if (r.max && c.type->id() == arrow::Type::TIMESTAMP) {
    // Maxima are truncated to milliseconds: the true maximum can be 999 us later.
    const auto& ts = static_cast<const arrow::TimestampType&>(*c.type);
    int64_t widen = ts.unit() == arrow::TimeUnit::MICRO  ? 999
                    : ts.unit() == arrow::TimeUnit::NANO ? 999999
                                                         : 0;
    r.max = std::make_shared<arrow::TimestampScalar>(
        static_cast<const arrow::TimestampScalar&>(*r.max).value + widen, r.max->type);
  }
  if (r.max && c.type->id() == arrow::Type::STRING &&
      static_cast<const arrow::StringScalar&>(*r.max).value->size() >= 32) {
    r.max.reset();  // possibly a truncated prefix
  }
  return r;  // NaN bounds compare as unknown in the pruner
}

// Return the schema index of partition column `p`.
int PartitionColumn(const DeltaTableProvider::State& st, size_t p) {
  for (size_t c = 0; c < st.partition_slot.size(); ++c) {
    if (st.partition_slot[c] == static_cast<int>(p)) return static_cast<int>(c);
  }
  return -1;
}

// Give every file of `st` its partition values as dictionary scalars: one
// dictionary per partition column holding the distinct values of all files (in
// sorted order), shared by every batch, so operators that need one
// dictionary across batches (hash grouping) accept the columns.
Status MakeDictionaryValues(DeltaTableProvider::State* st) {
  struct Eq {
    bool operator()(const std::shared_ptr<arrow::Scalar>& a,
                    const std::shared_ptr<arrow::Scalar>& b) const {
      return a->Equals(*b);
    }
  };
  for (size_t p = 0; p < st->partition_fields.size(); ++p) {
    const auto& field = st->schema->field(PartitionColumn(*st, p));
    const auto& value_type = st->partition_fields[p]->type();
    std::unordered_map<std::shared_ptr<arrow::Scalar>, int32_t, arrow::Scalar::Hash, Eq> index;
    std::unique_ptr<arrow::ArrayBuilder> builder;
    ARROW_RETURN_NOT_OK(arrow::MakeBuilder(arrow::default_memory_pool(), value_type, &builder));
    std::vector<int32_t> file_index(st->files.size(), -1);
    for (size_t i = 0; i < st->files.size(); ++i) {
      const auto& value = st->files[i].partition_values[p];
      if (!value->is_valid) continue;
      auto [it, inserted] = index.emplace(value, static_cast<int32_t>(index.size()));
      if (inserted) ARROW_RETURN_NOT_OK(builder->AppendScalar(*value));
      file_index[i] = it->second;
    }
    ARROW_ASSIGN_OR_RAISE(auto unsorted, builder->Finish());
    // Sorted, so index order is value order (the dictionary type is unordered;
    // this only keeps operators that compare indexes from giving wrong orders).
    ARROW_ASSIGN_OR_RAISE(auto order, cp::SortIndices(*unsorted));
    ARROW_ASSIGN_OR_RAISE(auto dictionary, cp::Take(*unsorted, *order));
    std::vector<int32_t> rank(order->length());
    const auto& order_values = static_cast<const arrow::UInt64Array&>(*order);
    for (int64_t k = 0; k < order->length(); ++k) {
      rank[order_values.Value(k)] = static_cast<int32_t>(k);
    }
    for (auto& idx : file_index) {
      if (idx >= 0) idx = rank[idx];
    }
    for (size_t i = 0; i < st->files.size(); ++i) {
      std::shared_ptr<arrow::Scalar> scalar;
      if (file_index[i] < 0) {
        scalar = arrow::MakeNullScalar(field->type());
      } else {
        scalar = arrow::DictionaryScalar::Make(
            std::make_shared<arrow::Int32Scalar>(file_index[i]), dictionary);
      }
      if (!scalar->type->Equals(*field->type())) {
        return Status::Invalid("partition column '", field->name(), "': dictionary type ",
                               scalar->type->ToString(), " does not match ",
                               field->type()->ToString());
      }
      st->files[i].dictionary_values.push_back(std::move(scalar));
    }
  }
  return Status::OK();
}

Result<int64_t> ParseIntOption(const std::string& key, const std::string& value) {
  char* end = nullptr;
  long long v = std::strtoll(value.c_str(), &end, 10);
  if (value.empty() || !end || *end != '\0') {
    return Status::Invalid("option '", key, "' must be an integer, not '", value, "'");
  }
  return static_cast<int64_t>(v);
}

}  // namespace

Result<DeltaTableOptions> ParseDeltaOptions(const std::map<std::string, std::string>& options) {
  DeltaTableOptions out;
  for (const auto& [k, v] : options) {
    std::string key = ToLower(k);
    if (key == "version") {
      ARROW_ASSIGN_OR_RAISE(auto ver, ParseIntOption(k, v));
      out.spec.version = ver;
    } else if (key == "timestamp") {
      auto us = ParseTimestampMicros(v);
      if (!us) {
        return Status::Invalid("option 'timestamp' must be a timestamp such as "
                               "'2026-01-01 00:00:00', not '", v, "'");
      }
      out.spec.timestamp_ms = *us / 1000;
    } else if (key == "file_column_name") {
      out.file_column_name = v;
    } else if (key == "file_skipping" || key == "dictionary_partition_values") {
      std::string b = ToLower(v);
      if (b != "true" && b != "false") {
        return Status::Invalid("option '", key, "' must be true or false, not '", v, "'");
      }
      (key == "file_skipping" ? out.file_skipping : out.dictionary_partition_values) =
          b == "true";
    } else {
      out.storage_options[k] = v;
    }
  }
  return out;
}

Result<std::shared_ptr<DeltaTableProvider>> DeltaTableProvider::Make(
    const std::string& location, const DeltaTableOptions& options) {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;
  if (options.filesystem) {
    if (!options.storage_options.empty()) {
      return Status::Invalid("storage option '", options.storage_options.begin()->first,
                             "' cannot be combined with an explicit file system");
    }
    ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(location, options.filesystem));
    fs = loc.fs;
    root = loc.path;
  } else {
    ARROW_ASSIGN_OR_RAISE(std::tie(fs, root), OpenStorage(location, options.storage_options));
  }
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  auto engine = MakeArrowEngine(fs);
  ARROW_ASSIGN_OR_RAISE(auto snapshot, Snapshot::Make(engine, root, options.spec));
  return FromSnapshot(std::move(snapshot), fs, options);
}

Result<std::shared_ptr<DeltaTableProvider>> DeltaTableProvider::FromSnapshot(
    std::shared_ptr<const Snapshot> snapshot, std::shared_ptr<arrow::fs::FileSystem> fs,
    const DeltaTableOptions& options) {
  auto state = std::make_shared<State>();
  state->snapshot = snapshot;
  state->fs = std::move(fs);
  state->root = snapshot->table_root();
  state->options = options;
  const auto& logical = *snapshot->schema();
  const auto& annotated = *snapshot->annotated_schema();
  const auto mode = snapshot->column_mapping_mode();
  arrow::FieldVector fields = logical.fields();
  arrow::FieldVector value_fields;
  state->partition_slot.assign(fields.size(), -1);
  std::vector<std::string> physical_partition_names;
  for (const auto& p : snapshot->metadata().partition_columns) {
    int idx = logical.GetFieldIndex(p);
    if (idx < 0) return Status::Invalid("partition column '", p, "' is not in the schema");
    if (arrow::is_nested(logical.field(idx)->type()->id())) {
      return Status::NotImplemented("partition column '", p, "' has a nested type");
    }
    state->partition_slot[idx] = static_cast<int>(state->partition_fields.size());
    state->partition_fields.push_back(logical.field(idx));
    physical_partition_names.push_back(PhysicalName(*annotated.field(idx), mode));
    if (options.dictionary_partition_values) {
      fields[idx] = fields[idx]->WithType(arrow::dictionary(arrow::int32(), fields[idx]->type()));
    }
  }
  if (!options.file_column_name.empty()) {
    if (logical.GetFieldIndex(options.file_column_name) >= 0) {
      return Status::Invalid("file_column_name '", options.file_column_name,
                             "' is already a column of the table");
    }
    state->file_column = static_cast<int>(fields.size());
    fields.push_back(arrow::field(options.file_column_name, arrow::utf8(), false));
    state->partition_slot.push_back(-1);
  }
  if (!options.file_index_column_name.empty()) {
    if (logical.GetFieldIndex(options.file_index_column_name) >= 0 ||
        options.file_index_column_name == options.file_column_name) {
      return Status::Invalid("file_index_column_name '", options.file_index_column_name,
                             "' is already a column of the table");
    }
    state->file_index_column = static_cast<int>(fields.size());
    fields.push_back(arrow::field(options.file_index_column_name, arrow::int32(), false));
    state->partition_slot.push_back(-1);
  }
  value_fields = logical.fields();
  if (state->file_column >= 0) value_fields.push_back(fields[state->file_column]);
  if (state->file_index_column >= 0) value_fields.push_back(fields[state->file_index_column]);
  state->schema = arrow::schema(std::move(fields));
  state->pruning_schema = arrow::schema(std::move(value_fields));

  // Per file only what cannot wait: typed partition values (a bad one is an error
  // when the table is opened). Paths and guarantees are made for the files a scan reads.
  state->files.resize(snapshot->files().size());
  const auto& adds = snapshot->files();
  for (size_t i = 0; i < adds.size(); ++i) {
    const AddFile& add = adds[i];
    State::File& f = state->files[i];
    f.add = &add;
    if (state->partition_fields.empty()) continue;
    f.partition_values.reserve(state->partition_fields.size());
    for (size_t p = 0; p < state->partition_fields.size(); ++p) {
      const auto& field = state->partition_fields[p];
      auto it = add.partition_values.find(physical_partition_names[p]);
      if (it == add.partition_values.end()) it = add.partition_values.find(field->name());
      std::optional<std::string> raw;
      if (it != add.partition_values.end()) raw = it->second;
      auto value = ParsePartitionValue(raw, field->type());
      if (!value.ok()) {
        return value.status().WithMessage("Delta table '", state->root, "' file '", add.path,
                                          "' column '", field->name(), "': ",
                                          value.status().message());
      }
      f.partition_values.push_back(*value);
    }
  }
  if (options.dictionary_partition_values && !state->partition_fields.empty()) {
    ARROW_RETURN_NOT_OK(MakeDictionaryValues(state.get()));
  }
  return std::shared_ptr<DeltaTableProvider>(new DeltaTableProvider(std::move(state)));
}

std::shared_ptr<arrow::Schema> DeltaTableProvider::schema() const { return state_->schema; }

const std::shared_ptr<const Snapshot>& DeltaTableProvider::snapshot() const {
  return state_->snapshot;
}

const DeltaTableOptions& DeltaTableProvider::options() const { return state_->options; }

const std::shared_ptr<arrow::fs::FileSystem>& DeltaTableProvider::filesystem() const {
  return state_->fs;
}

TableStatistics DeltaTableProvider::statistics() const {
  const State& st = *state_;
  // Aggregated once per provider (one snapshot, one only_files set): O(files x
  // columns). When the snapshot's file statistics are decoded already (a scan
  // with a filter came first), from them, with no parsing. Otherwise each file's
  // JSON statistics are decoded (only the range-typed columns' bounds, by the
  // same decoder) and dropped right after aggregation, in parallel chunks: a
  // query that never filters on data columns (count(*)) does not keep the
  // statistics of every file in memory. Both give the same result.
  std::call_once(st.table_stats_once, [&st]() {
    const Snapshot& snap = *st.snapshot;
    const auto& annotated = *snap.annotated_schema();
    std::vector<StatsColumnSource> sources(st.schema->num_fields());
    StatsTypes types;  // for decoding: the columns whose bounds are reported
    for (int c = 0; c < st.schema->num_fields(); ++c) {
      StatsColumnSource& src = sources[c];
      if (c == st.file_column) {
        src.kind = StatsColumnSource::Kind::kFilePath;
      } else if (c == st.file_index_column) {
        src.kind = StatsColumnSource::Kind::kFileIndex;
        src.type = arrow::int32();
      } else if (c < annotated.num_fields() && st.partition_slot[c] >= 0) {
        src.kind = StatsColumnSource::Kind::kPartition;
        src.partition_slot = st.partition_slot[c];
        src.type = st.partition_fields[src.partition_slot]->type();
        // Dictionary-typed partition columns: bounds would not be of the column's type.
        src.bounds = !st.options.dictionary_partition_values;
      } else if (c < annotated.num_fields() &&
                 !arrow::is_nested(annotated.field(c)->type()->id())) {
        src.kind = StatsColumnSource::Kind::kData;
        src.physical_name = PhysicalName(*annotated.field(c), snap.column_mapping_mode());
        src.type = snap.schema()->field(c)->type();
        if (TableStatisticsBuilder::ReportsBounds(*src.type)) {
          types[src.physical_name] = annotated.field(c)->type();
        }
      }
    }
    const auto* decoded = snap.decoded_file_stats();
    auto add_range = [&](TableStatisticsBuilder* builder, size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) {
        const State::File& f = st.files[i];
        if (st.options.only_files &&
            !st.options.only_files->count(DecodeActionPath(f.add->path))) {
          continue;  // not part of this (DML rewrite) table
        }
        FileStatsView view;
        view.index = static_cast<int64_t>(i);
        view.deleted_rows = f.add->deletion_vector ? f.add->deletion_vector->cardinality : 0;
        view.partition_values = &f.partition_values;
        view.size = f.add->size;
        std::optional<ParsedStats> parsed;
        if (decoded) {
          view.stats = i < decoded->size() ? (*decoded)[i].get() : nullptr;
        } else if (f.add->stats_parsed) {
          view.stats = f.add->stats_parsed.get();
        } else if (f.add->stats) {
          auto p = ParseStatsJson(*f.add->stats, types);
          if (p.ok()) {
            parsed = std::move(*p);
            view.stats = &*parsed;
          }
        }
        builder->Add(view);
      }
    };
    constexpr size_t kChunk = 4096;
    const size_t n = st.files.size();
    const size_t chunks = std::max<size_t>((n + kChunk - 1) / kChunk, 1);
    std::vector<std::unique_ptr<TableStatisticsBuilder>> parts(chunks);
    for (auto& p : parts) p = std::make_unique<TableStatisticsBuilder>(sources);
    // Aggregation cannot fail: a file whose statistics do not parse has none.
    (void)RunTasks(decoded || !snap.engine() ? nullptr : snap.engine()->tasks.get(),
                   static_cast<int64_t>(chunks), [&](int64_t k) {
                     size_t begin = static_cast<size_t>(k) * kChunk;
                     add_range(parts[k].get(), begin, std::min(n, begin + kChunk));
                     return Status::OK();
                   });
    for (size_t k = 1; k < chunks; ++k) parts[0]->Merge(*parts[k]);
    st.table_stats = parts[0]->Finish();
  });
  return st.table_stats;
}

TableStatistics DeltaTableProvider::row_statistics() const {
  const State& st = *state_;
  TableStatistics out;
  int64_t bytes = 0, rows = 0;
  bool rows_known = true;
  for (const auto& f : st.files) {
    if (st.options.only_files && !st.options.only_files->count(DecodeActionPath(f.add->path))) {
      continue;  // not part of this (DML rewrite) table
    }
    bytes += std::max<int64_t>(f.add->size, 0);
    if (!rows_known) continue;
    auto n = StatsNumRecords(*f.add);
    if (!n) {
      rows_known = false;
      continue;
    }
    rows += *n - (f.add->deletion_vector ? f.add->deletion_vector->cardinality : 0);
  }
  out.total_bytes = bytes;
  if (rows_known) {
    out.num_rows = rows;
    out.exact = true;
  }
  return out;
}

Result<std::shared_ptr<TableProvider>> DeltaTableProvider::TimeTravel(const TableVersion& at) const {
  DeltaTableOptions options = state_->options;
  options.spec = SnapshotSpec{};
  if (at.version) options.spec.version = *at.version;
  if (at.timestamp_us) {
    // Floor division: a timestamp before the epoch stays before it.
    int64_t us = *at.timestamp_us;
    options.spec.timestamp_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
  }
  const auto& snap = *state_->snapshot;
  ARROW_ASSIGN_OR_RAISE(auto other, Snapshot::Make(snap.engine(), snap.table_root(), options.spec));
  ARROW_ASSIGN_OR_RAISE(auto provider, FromSnapshot(std::move(other), state_->fs, options));
  return std::static_pointer_cast<TableProvider>(provider);
}

Result<std::shared_ptr<TableScan>> DeltaTableProvider::Scan(const ScanRequest& request) const {
  const State& st = *state_;
  const Snapshot& snap = *st.snapshot;
  ARROW_ASSIGN_OR_RAISE(auto output_schema, ProjectSchema(*st.schema, request.columns));
  std::optional<cp::Expression> filter;
  if (st.options.file_skipping) filter = BindPruningFilter(request.filter, *st.pruning_schema);

  // Data columns to read, and the columns the statistics may talk about.
  const auto& annotated = *snap.annotated_schema();
  std::vector<std::shared_ptr<arrow::Field>> read_columns;
  for (int c : request.columns) {
    if (c < annotated.num_fields() && st.partition_slot[c] < 0) {
      read_columns.push_back(annotated.field(c));
    }
  }
  std::vector<StatsColumn> stats_columns;
  const std::vector<std::shared_ptr<const ParsedStats>>* file_stats = nullptr;
  if (filter) {
    for (const auto& ref : cp::FieldsInExpression(*filter)) {
      const std::string* name = ref.name();
      if (!name) continue;
      int idx = annotated.GetFieldIndex(*name);
      if (idx < 0 || st.partition_slot[idx] >= 0) continue;
      const auto& f = annotated.field(idx);
      if (arrow::is_nested(f->type()->id())) continue;
      bool dup = false;
      for (const auto& s : stats_columns) dup = dup || s.name == *name;
      if (!dup) {
        stats_columns.push_back(StatsColumn{*name, PhysicalName(*f, snap.column_mapping_mode()),
                                            snap.schema()->field(idx)->type()});
      }
    }
    // The snapshot's per-file statistics, decoded once per snapshot.
    if (!stats_columns.empty()) file_stats = &snap.file_stats();
  }
  std::optional<int64_t> remaining;
  if (request.limit && IsLiteralTrue(request.filter)) remaining = *request.limit;
  // Without data columns to read (count(*), partition or file columns only),
  // files whose statistics give their row count are not opened.
  const bool rows_only = read_columns.empty();
  int64_t counted_rows = 0;

  // Direct min/max checks for comparisons with literals; Arrow's simplification
  // only for filters (or parts) the range pruner does not understand.
  std::unique_ptr<RangePruner> pruner;
  std::vector<int> pruner_partition, pruner_stats;  // per pruner column, or -1
  bool pruner_uses_partitions = false;
  if (filter) pruner = RangePruner::Make(*filter);
  if (pruner) {
    for (const auto& name : pruner->columns()) {
      int idx = annotated.GetFieldIndex(name);
      int part = idx >= 0 ? st.partition_slot[idx] : -1;
      int stat = -1;
      for (size_t s = 0; s < stats_columns.size(); ++s) {
        if (stats_columns[s].name == name) stat = static_cast<int>(s);
      }
      pruner_partition.push_back(part);
      pruner_stats.push_back(stat);
      pruner_uses_partitions = pruner_uses_partitions || part >= 0;
    }
  }
  std::vector<ColumnRange> ranges;

  ScanMetricsSnapshot metrics;
  metrics.files_pruned_by_partition = 0;
  metrics.files_pruned_by_stats = 0;
  metrics.detail = "version=" + std::to_string(snap.version());
  auto counters = std::make_shared<ScanCounters>();
  auto file_counters = std::make_shared<internal::FileReadCounters>();
  std::vector<std::shared_ptr<ScanMorsel>> morsels;
  const bool partitioned = !st.partition_fields.empty();
  const int64_t batch_size = request.batch_size > 0 ? request.batch_size : 8192;
  for (size_t i = 0; i < st.files.size(); ++i) {
    if (remaining && *remaining <= 0) break;
    const State::File& file = st.files[i];
    if (st.options.only_files && !st.options.only_files->count(DecodeActionPath(file.add->path))) {
      continue;  // DML rewrites read only the files they touch
    }
    ++metrics.files_total;
    if (filter) {
      const ParsedStats* stats = file_stats ? (*file_stats)[i].get() : nullptr;
      bool by_partition = false, by_stats = false, decided = false;
      if (pruner) {
        ranges.assign(pruner->columns().size(), ColumnRange::Unknown());
        for (size_t k = 0; k < ranges.size(); ++k) {
          if (pruner_partition[k] >= 0) {
            ranges[k] = ColumnRange::Constant(file.partition_values[pruner_partition[k]]);
          }
        }
        if (pruner_uses_partitions) by_partition = pruner->CanSkip(ranges);
        if (!by_partition && stats) {
          for (size_t k = 0; k < ranges.size(); ++k) {
            if (pruner_stats[k] >= 0) ranges[k] = StatsRange(*stats, stats_columns[pruner_stats[k]]);
          }
          by_stats = pruner->CanSkip(ranges);
        }
        decided = by_partition || by_stats || pruner->exact();
      }
      if (!decided) {
        cp::Expression partition_guarantee =
            partitioned ? PartitionGuarantee(st.partition_fields, file.partition_values)
                        : cp::literal(true);
        if (partitioned && CanSkip(*filter, partition_guarantee)) {
          by_partition = true;
        } else if (stats) {
          bool skip = true;
          for (const auto& g : StatsGuarantees(*stats, stats_columns)) {
            if (IsLiteralTrue(g) || !CanSkip(*filter, cp::and_(partition_guarantee, g))) {
              skip = false;
              break;
            }
          }
          by_stats = skip;
        }
      }
      if (by_partition || by_stats) {
        ++metrics.files_pruned;
        ++(by_partition ? metrics.files_pruned_by_partition : metrics.files_pruned_by_stats);
        continue;
      }
    }
    // Without data columns to read, a file whose statistics give its row count is
    // not opened; without any column it only adds to one shared row count.
    std::optional<int64_t> known_rows;
    if (rows_only) {
      known_rows = StatsNumRecords(*file.add);
      if (known_rows && file.add->deletion_vector) {
        *known_rows -= file.add->deletion_vector->cardinality;
      }
      if (known_rows && request.columns.empty() && !remaining) {
        counted_rows += std::max<int64_t>(*known_rows, 0);
        continue;
      }
    }
    ARROW_ASSIGN_OR_RAISE(std::string path, internal::DataFilePath(st.root, file.add->path));
    internal::DataFileRead read;
    read.fs = st.fs;
    read.size = file.add->size;
    read.columns = read_columns;
    read.mode = snap.column_mapping_mode();
    read.filter = filter;
    read.deletion_vector = file.add->deletion_vector;
    read.engine = snap.engine();
    read.table_root = st.root;
    read.file_counters = file_counters;
    MorselOutput& out = read.out;
    out.counters = counters;
    out.schema = output_schema;
    out.batch_size = batch_size;
    out.limit = remaining;
    out.description = "'" + path + "' of Delta table '" + st.root + "'";
    read.path = std::move(path);
    out.constants.resize(output_schema->num_fields());
    for (size_t j = 0; j < request.columns.size(); ++j) {
      int c = request.columns[j];
      if (c == st.file_column) {
        out.constants[j] = std::make_shared<arrow::StringScalar>(DecodeActionPath(file.add->path));
      } else if (c == st.file_index_column) {
        out.constants[j] = std::make_shared<arrow::Int32Scalar>(static_cast<int32_t>(i));
      } else if (st.partition_slot[c] >= 0) {
        out.constants[j] = st.options.dictionary_partition_values
                               ? file.dictionary_values[st.partition_slot[c]]
                               : file.partition_values[st.partition_slot[c]];
      }
    }
    if (remaining) {
      // Row counts let the scan stop planning files early; without statistics a
      // file's row count is unknown: keep planning files.
      if (auto n = StatsNumRecords(*file.add)) {
        *remaining -= *n - (file.add->deletion_vector ? file.add->deletion_vector->cardinality : 0);
      }
    }
    int64_t index = static_cast<int64_t>(morsels.size());
    std::string desc = out.description;
    if (known_rows) {
      int64_t rows = *known_rows;
      if (request.columns.empty()) {  // no columns at all: one morsel for all such files
        counted_rows += std::max<int64_t>(rows, 0);
        continue;
      }
      morsels.push_back(std::make_shared<FunctionMorsel>(
          index, desc,
          [out = read.out, rows]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
            return MakeConstantReader(out, std::max<int64_t>(rows, 0));
          }));
      continue;
    }
    // A big file is read by several morsels, each a contiguous range of its row
    // groups, so a table of a few large files still keeps every worker busy.
    const int splits = static_cast<int>(
        std::clamp<int64_t>(file.add->size / std::max<int64_t>(st.options.split_bytes, 1), 1,
                            kMaxSplitsPerFile));
    for (int k = 0; k < splits; ++k) {
      internal::DataFileRead part = read;
      part.split = k;
      part.num_splits = splits;
      if (splits > 1) part.out.description = desc + " part " + std::to_string(k + 1) + "/" +
                                             std::to_string(splits);
      morsels.push_back(std::make_shared<FunctionMorsel>(
          static_cast<int64_t>(morsels.size()), part.out.description,
          [part = std::move(part), keep = state_]() { return internal::OpenDataFile(part); }));
    }
  }
  if (counted_rows > 0) {
    MorselOutput out;
    out.schema = output_schema;
    out.batch_size = request.batch_size > 0 ? request.batch_size : 8192;
    if (request.limit && IsLiteralTrue(request.filter)) out.limit = *request.limit;
    out.counters = counters;
    out.description = "row counts of Delta table '" + st.root + "'";
    morsels.push_back(std::make_shared<FunctionMorsel>(
        static_cast<int64_t>(morsels.size()), out.description,
        [out, counted_rows]() -> Result<std::shared_ptr<arrow::RecordBatchReader>> {
          return MakeConstantReader(out, counted_rows);
        }));
  }
  return std::make_shared<internal::DeltaTableScan>(output_schema, std::move(morsels), metrics,
                                                    std::move(counters), std::move(file_counters));
}

std::optional<ScanMetricsSnapshot> DeltaTableProvider::ExplainScan(const ScanRequest& request) const {
  // Planning reads no data: the snapshot is loaded and statistics are in the log.
  auto scan = Scan(request);
  if (!scan.ok()) return std::nullopt;
  return (*scan)->planning_metrics();
}

}  // namespace shoal::delta
