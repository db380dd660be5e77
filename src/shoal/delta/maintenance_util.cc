// Shared helpers of the maintenance operations and the replaceWhere rewrite.
#include <chrono>
#include <cctype>

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/delta_file_reader_internal.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/maintenance_internal.h"
#include "shoal/delta/transaction.h"
#include "shoal/io/file_listing.h"

namespace shoal::delta {

namespace cp = arrow::compute;

namespace internal {

int64_t NowMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Result<std::string> TableFilePath(const std::string& root, const std::string& raw) {
  return internal::DataFilePath(root, raw);
}

Result<std::shared_ptr<arrow::RecordBatch>> PartitionValuesBatch(const Snapshot& snapshot,
                                                                  const PartitionValueMap& values) {
  arrow::FieldVector fields;
  arrow::ArrayVector cols;
  const auto& schema = *snapshot.schema();
  for (const auto& p : snapshot.metadata().partition_columns) {
    auto f = schema.GetFieldByName(p);
    if (!f) return Status::Invalid("partition column '", p, "' is not in the table schema");
    auto it = values.find(p);
    std::optional<std::string> raw = it == values.end() ? std::nullopt : it->second;
    ARROW_ASSIGN_OR_RAISE(auto scalar, ParsePartitionValue(raw, f->type()));
    ARROW_ASSIGN_OR_RAISE(auto arr, arrow::MakeArrayFromScalar(*scalar, 1));
    fields.push_back(f);
    cols.push_back(arr);
  }
  return arrow::RecordBatch::Make(arrow::schema(fields), 1, cols);
}

Result<std::shared_ptr<arrow::RecordBatchReader>> ReadTableFile(const Snapshot& snapshot,
                                                                const TableLocation& table,
                                                                const AddFile& add) {
  const auto& annotated = *snapshot.annotated_schema();
  const auto& schema = snapshot.schema();
  const auto& parts = snapshot.metadata().partition_columns;
  DataFileRead read;
  read.fs = table.fs;
  ARROW_ASSIGN_OR_RAISE(read.path, TableFilePath(table.root, add.path));
  read.size = add.size;
  read.mode = snapshot.column_mapping_mode();
  read.deletion_vector = add.deletion_vector;
  read.engine = snapshot.engine();
  read.table_root = table.root;
  MorselOutput& out = read.out;
  out.schema = schema;
  out.batch_size = 65536;
  out.description = "'" + add.path + "' of Delta table '" + table.root + "'";
  out.constants.resize(schema->num_fields());
  for (int i = 0; i < schema->num_fields(); ++i) {
    const auto& f = schema->field(i);
    bool is_part = std::find(parts.begin(), parts.end(), f->name()) != parts.end();
    if (is_part) {
      auto it = add.partition_values.find(f->name());
      std::optional<std::string> raw =
          it == add.partition_values.end() ? std::nullopt : it->second;
      ARROW_ASSIGN_OR_RAISE(out.constants[i], ParsePartitionValue(raw, f->type()));
    } else {
      read.columns.push_back(annotated.field(i));
    }
  }
  return OpenDataFile(read);
}

RemoveFile RemoveFor(const AddFile& add, bool data_change, int64_t now_ms) {
  RemoveFile r;
  r.path = add.path;
  r.deletion_timestamp = now_ms;
  r.data_change = data_change;
  r.partition_values = add.partition_values;
  r.size = add.size;
  r.deletion_vector = add.deletion_vector;
  return r;
}

}  // namespace internal

Result<TableLocation> ResolveTableLocation(const std::string& location,
                                           std::shared_ptr<arrow::fs::FileSystem> fs) {
  ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(location, std::move(fs)));
  TableLocation out;
  out.fs = loc.fs;
  out.root = loc.path;
  while (out.root.size() > 1 && out.root.back() == '/') out.root.pop_back();
  return out;
}

Result<int64_t> ParseIntervalMillis(const std::string& key, const std::string& value) {
  // "interval 7 days", "7 days", "interval 1 week", "168 hours", "1 day 12 hours".
  std::vector<std::string> words;
  std::string cur;
  for (char c : ToLower(value)) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty()) words.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) words.push_back(cur);
  size_t i = 0;
  if (i < words.size() && words[i] == "interval") ++i;
  double total = 0;
  bool any = false;
  auto bad = [&]() {
    return Status::Invalid("table property '", key, "' must be an interval such as 'interval 7 days', not '",
                           value, "'");
  };
  while (i < words.size()) {
    char* end = nullptr;
    double n = std::strtod(words[i].c_str(), &end);
    if (!end || *end != '\0' || i + 1 >= words.size()) return bad();
    std::string unit = words[i + 1];
    if (!unit.empty() && unit.back() == 's') unit.pop_back();
    double ms;
    if (unit == "week") ms = 7 * 86400e3;
    else if (unit == "day") ms = 86400e3;
    else if (unit == "hour") ms = 3600e3;
    else if (unit == "minute") ms = 60e3;
    else if (unit == "second") ms = 1e3;
    else if (unit == "millisecond") ms = 1;
    else return bad();
    total += n * ms;
    any = true;
    i += 2;
  }
  if (!any) return bad();
  return static_cast<int64_t>(total);
}

// ---------------------------------------------------------------------------
// replaceWhere
// ---------------------------------------------------------------------------

Status CheckReplaceWhereRows(const std::string& predicate, const ExpressionEvaluator& evaluator,
                             const arrow::RecordBatch& batch, const std::string& table_root) {
  if (batch.num_rows() == 0) return Status::OK();
  auto result = evaluator.Evaluate(predicate, batch);
  if (!result.ok()) {
    return result.status().WithMessage("cannot evaluate the replaceWhere predicate (", predicate,
                                       "): ", result.status().message());
  }
  if ((*result)->type_id() != arrow::Type::BOOL) {
    return Status::Invalid("the replaceWhere predicate (", predicate, ") is not boolean");
  }
  const auto& b = static_cast<const arrow::BooleanArray&>(**result);
  for (int64_t i = 0; i < b.length(); ++i) {
    if (b.IsNull(i) || !b.Value(i)) {
      return Status::Invalid("data written with replaceWhere to Delta table '", table_root,
                             "' does not match the predicate (", predicate,
                             "): row with values: ", DescribeRow(batch, i));
    }
  }
  return Status::OK();
}

namespace {

/// Whether the predicate is true for a file's partition: true / false when it
/// only reads partition columns, nullopt when it reads data columns.
std::optional<bool> PartitionVerdict(const Snapshot& snapshot, const PartitionValueMap& values,
                                     const std::string& predicate,
                                     const ExpressionEvaluator& evaluator) {
  if (snapshot.metadata().partition_columns.empty()) return std::nullopt;
  auto batch = internal::PartitionValuesBatch(snapshot, values);
  if (!batch.ok()) return std::nullopt;
  auto result = evaluator.Evaluate(predicate, **batch);
  if (!result.ok() || (*result)->type_id() != arrow::Type::BOOL) return std::nullopt;
  const auto& b = static_cast<const arrow::BooleanArray&>(**result);
  return b.IsValid(0) && b.Value(0);
}

}  // namespace

Result<ReplaceWhereRewrite> RewriteForReplaceWhere(const Snapshot& snapshot,
                                                   const TableLocation& table,
                                                   const std::string& predicate,
                                                   const ExpressionEvaluator& evaluator,
                                                   int64_t target_file_size) {
  ReplaceWhereRewrite out;
  int64_t now = internal::NowMillis();
  std::vector<std::shared_ptr<arrow::RecordBatch>> kept;
  for (const auto& add : snapshot.files()) {
    auto verdict = PartitionVerdict(snapshot, add.partition_values, predicate, evaluator);
    if (verdict) {
      if (*verdict) {
        out.removes.push_back(internal::RemoveFor(add, true, now));
        auto n = StatsNumRecords(add);
        if (n) out.rows_deleted += *n;
      }
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto reader, internal::ReadTableFile(snapshot, table, add));
    std::vector<std::shared_ptr<arrow::RecordBatch>> file_kept;
    int64_t matched = 0;
    while (true) {
      std::shared_ptr<arrow::RecordBatch> batch;
      ARROW_RETURN_NOT_OK(reader->ReadNext(&batch));
      if (!batch) break;
      if (batch->num_rows() == 0) continue;
      auto result = evaluator.Evaluate(predicate, *batch);
      if (!result.ok()) {
        return result.status().WithMessage("cannot evaluate the replaceWhere predicate (",
                                           predicate, "): ", result.status().message());
      }
      if ((*result)->type_id() != arrow::Type::BOOL) {
        return Status::Invalid("the replaceWhere predicate (", predicate, ") is not boolean");
      }
      // Keep the rows for which the predicate is not true.
      ARROW_ASSIGN_OR_RAISE(auto filled,
                            cp::CallFunction("coalesce", {*result, arrow::Datum(false)}));
      ARROW_ASSIGN_OR_RAISE(auto keep, cp::CallFunction("invert", {filled}));
      ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(batch, keep));
      auto rest = filtered.record_batch();
      matched += batch->num_rows() - rest->num_rows();
      if (rest->num_rows() > 0) file_kept.push_back(rest);
    }
    if (matched == 0) continue;  // no row matches: the file stays
    out.removes.push_back(internal::RemoveFor(add, true, now));
    out.rows_deleted += matched;
    for (auto& b : file_kept) {
      out.rows_copied += b->num_rows();
      kept.push_back(std::move(b));
    }
  }
  if (!kept.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto reader, arrow::RecordBatchReader::Make(kept, snapshot.schema()));
    int64_t bytes = 0;
    ARROW_ASSIGN_OR_RAISE(out.adds, WriteDataFiles(table.fs, table.root, snapshot.schema(),
                                                   snapshot.metadata().partition_columns,
                                                   snapshot.metadata().configuration,
                                                   target_file_size, reader.get(), true, &bytes));
    for (const auto& a : out.adds) {
      ARROW_ASSIGN_OR_RAISE(auto p, internal::TableFilePath(table.root, a.path));
      out.written.push_back(p);
    }
  }
  return out;
}

void AddReplaceWhereConflictCheck(WriteTransaction* tx, std::shared_ptr<const Snapshot> snapshot,
                                  std::string predicate,
                                  std::shared_ptr<const ExpressionEvaluator> evaluator) {
  std::string root = snapshot->table_root();
  tx->AddConflictCheck([predicate, evaluator, root, snap = std::move(snapshot)](
                           int64_t winner, const ActionBatch& actions) -> Status {
    for (const auto& a : actions.adds) {
      if (!a.data_change) continue;
      auto verdict = PartitionVerdict(*snap, a.partition_values, predicate, *evaluator);
      if (verdict && !*verdict) continue;  // outside the replaced partitions
      return Status::Invalid("concurrent modification: version ", winner, " of Delta table '",
                             root, "' added files whose rows may match the replaceWhere "
                             "predicate (", predicate, "); retry the operation");
    }
    return Status::OK();
  });
}

}  // namespace shoal::delta
