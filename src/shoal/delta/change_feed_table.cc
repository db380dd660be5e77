#include "shoal/delta/change_feed_table.h"

#include <arrow/compute/expression.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/delta/delta_file_reader_internal.h"
#include "shoal/io/pruning.h"
#include "shoal/io/scan_util.h"

namespace shoal::delta {

namespace cp = arrow::compute;

struct ChangeFeedTableProvider::State {
  ChangeFeedPlan plan;
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string root;
  std::shared_ptr<arrow::Schema> schema;  ///< Table columns + the three change columns.
  int num_table_columns = 0;
  std::vector<int> partition_slot;  ///< Per table column: index into partition_fields, or -1.
  std::vector<std::shared_ptr<arrow::Field>> partition_fields;
  std::vector<std::string> partition_physical;

  struct File {
    const ChangeFile* change = nullptr;
    std::string path;  ///< Inside `fs`.
    std::vector<std::shared_ptr<arrow::Scalar>> partition_values;
    std::shared_ptr<arrow::Scalar> version, timestamp, change_type;
    cp::Expression guarantee;  ///< What every row of the file satisfies.
  };
  std::vector<File> files;
};

namespace {

std::shared_ptr<arrow::DataType> CommitTimestampType() {
  return arrow::timestamp(arrow::TimeUnit::MICRO, "UTC");
}

}  // namespace

Result<std::shared_ptr<ChangeFeedTableProvider>> ChangeFeedTableProvider::Make(
    std::shared_ptr<Engine> engine, std::shared_ptr<arrow::fs::FileSystem> fs,
    const std::string& table_root, const ChangeFeedRange& range) {
  auto state = std::make_shared<State>();
  ARROW_ASSIGN_OR_RAISE(state->plan, PlanChangeFeed(engine, table_root, range));
  state->fs = std::move(fs);
  state->root = table_root;
  const Snapshot& snap = *state->plan.snapshot;
  const auto& logical = *snap.schema();
  const auto& annotated = *snap.annotated_schema();
  arrow::FieldVector fields = logical.fields();
  for (const char* name : {kChangeTypeColumn, kCommitVersionColumn, kCommitTimestampColumn}) {
    if (logical.GetFieldIndex(name) >= 0) {
      return Status::NotImplemented("Delta table '", table_root, "' has a column named '", name,
                                    "', which its change data feed also adds");
    }
  }
  state->num_table_columns = static_cast<int>(fields.size());
  state->partition_slot.assign(fields.size(), -1);
  for (const auto& p : snap.metadata().partition_columns) {
    int idx = logical.GetFieldIndex(p);
    if (idx < 0) return Status::Invalid("partition column '", p, "' is not in the schema");
    state->partition_slot[idx] = static_cast<int>(state->partition_fields.size());
    state->partition_fields.push_back(logical.field(idx));
    state->partition_physical.push_back(PhysicalName(*annotated.field(idx), snap.column_mapping_mode()));
  }
  fields.push_back(arrow::field(kChangeTypeColumn, arrow::utf8()));
  fields.push_back(arrow::field(kCommitVersionColumn, arrow::int64()));
  fields.push_back(arrow::field(kCommitTimestampColumn, CommitTimestampType()));
  state->schema = arrow::schema(fields);

  auto change_type_field = state->schema->field(state->num_table_columns);
  auto meta_fields = std::vector<std::shared_ptr<arrow::Field>>{
      state->schema->field(state->num_table_columns + 1),
      state->schema->field(state->num_table_columns + 2)};
  for (const auto& change : state->plan.files) {
    State::File f;
    f.change = &change;
    ARROW_ASSIGN_OR_RAISE(f.path, internal::DataFilePath(state->root, change.path));
    for (size_t p = 0; p < state->partition_fields.size(); ++p) {
      const auto& field = state->partition_fields[p];
      auto it = change.partition_values.find(state->partition_physical[p]);
      if (it == change.partition_values.end()) it = change.partition_values.find(field->name());
      std::optional<std::string> raw;
      if (it != change.partition_values.end()) raw = it->second;
      auto value = ParsePartitionValue(raw, field->type());
      if (!value.ok()) {
        return value.status().WithMessage("Delta table '", table_root, "' version ",
                                          change.version, " file '", change.path, "' column '",
                                          field->name(), "': ", value.status().message());
      }
      f.partition_values.push_back(*value);
    }
    f.version = std::make_shared<arrow::Int64Scalar>(change.version);
    f.timestamp = std::make_shared<arrow::TimestampScalar>(change.timestamp_ms * 1000,
                                                           CommitTimestampType());
    auto guarantee_fields = state->partition_fields;
    auto guarantee_values = f.partition_values;
    guarantee_fields.insert(guarantee_fields.end(), meta_fields.begin(), meta_fields.end());
    guarantee_values.push_back(f.version);
    guarantee_values.push_back(f.timestamp);
    if (!change.is_cdc) {
      f.change_type = std::make_shared<arrow::StringScalar>(change.change_type);
      guarantee_fields.push_back(change_type_field);
      guarantee_values.push_back(f.change_type);
    }
    f.guarantee = PartitionGuarantee(guarantee_fields, guarantee_values);
    state->files.push_back(std::move(f));
  }
  return std::shared_ptr<ChangeFeedTableProvider>(new ChangeFeedTableProvider(std::move(state)));
}

std::shared_ptr<arrow::Schema> ChangeFeedTableProvider::schema() const { return state_->schema; }

const ChangeFeedPlan& ChangeFeedTableProvider::plan() const { return state_->plan; }

Result<std::shared_ptr<TableScan>> ChangeFeedTableProvider::Scan(const ScanRequest& request) const {
  const State& st = *state_;
  const Snapshot& snap = *st.plan.snapshot;
  const auto& annotated = *snap.annotated_schema();
  ARROW_ASSIGN_OR_RAISE(auto output_schema, ProjectSchema(*st.schema, request.columns));
  std::optional<cp::Expression> filter = BindPruningFilter(request.filter, *st.schema);
  const int change_type_col = st.num_table_columns;
  bool wants_change_type = false;
  std::vector<std::shared_ptr<arrow::Field>> data_columns;
  for (int c : request.columns) {
    if (c < st.num_table_columns && st.partition_slot[c] < 0) {
      data_columns.push_back(annotated.field(c));
    }
    wants_change_type = wants_change_type || c == change_type_col;
  }
  ScanMetricsSnapshot metrics;
  metrics.detail = "versions=" + std::to_string(st.plan.start_version) + ".." +
                   std::to_string(st.plan.end_version);
  auto counters = std::make_shared<ScanCounters>();
  auto file_counters = std::make_shared<internal::FileReadCounters>();
  std::vector<std::shared_ptr<ScanMorsel>> morsels;
  for (const auto& file : st.files) {
    ++metrics.files_total;
    if (filter && CanSkip(*filter, file.guarantee)) {
      ++metrics.files_pruned;
      continue;
    }
    const ChangeFile& change = *file.change;
    internal::DataFileRead read;
    read.fs = st.fs;
    read.path = file.path;
    read.size = change.size;
    read.columns = data_columns;
    if (change.is_cdc && wants_change_type) {
      read.columns.push_back(arrow::field(kChangeTypeColumn, arrow::utf8()));
    }
    read.mode = snap.column_mapping_mode();
    read.filter = filter;
    read.deletion_vector = change.excluded_rows;
    read.selected_rows = change.selected_rows;
    read.engine = snap.engine();
    read.table_root = st.root;
    read.file_counters = file_counters;
    MorselOutput& out = read.out;
    out.schema = output_schema;
    out.batch_size = request.batch_size > 0 ? request.batch_size : 8192;
    out.counters = counters;
    out.description = "'" + file.path + "' (version " + std::to_string(change.version) +
                      " changes) of Delta table '" + st.root + "'";
    out.constants.resize(output_schema->num_fields());
    for (size_t j = 0; j < request.columns.size(); ++j) {
      int c = request.columns[j];
      if (c < st.num_table_columns) {
        if (st.partition_slot[c] >= 0) out.constants[j] = file.partition_values[st.partition_slot[c]];
      } else if (c == change_type_col) {
        out.constants[j] = file.change_type;  // null for cdc files: read from the file
      } else if (c == change_type_col + 1) {
        out.constants[j] = file.version;
      } else {
        out.constants[j] = file.timestamp;
      }
    }
    int64_t index = static_cast<int64_t>(morsels.size());
    std::string desc = out.description;
    morsels.push_back(std::make_shared<FunctionMorsel>(
        index, desc,
        [read = std::move(read), keep = state_]() { return internal::OpenDataFile(read); }));
  }
  return std::make_shared<internal::DeltaTableScan>(output_schema, std::move(morsels), metrics,
                                                    std::move(counters), std::move(file_counters));
}

std::optional<ScanMetricsSnapshot> ChangeFeedTableProvider::ExplainScan(
    const ScanRequest& request) const {
  auto scan = Scan(request);
  if (!scan.ok()) return std::nullopt;
  return (*scan)->planning_metrics();
}

}  // namespace shoal::delta
