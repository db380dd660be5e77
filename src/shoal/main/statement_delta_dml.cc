// DELETE and UPDATE on Delta tables, copy-on-write:
//   1. scan: `SELECT file_index, count(*) ... WHERE pred GROUP BY file_index`
//      over the table (the int32 index of the row's file in the snapshot)
//      (the Delta scan skips files by partition values and statistics; a
//      predicate on partition columns only is answered from the statistics'
//      row counts without reading data) gives the touched files and rows;
//   2. rewrite: files whose every row matches are removed without reading
//      them (DELETE); the others are read again (only them) and their
//      surviving / updated rows written to new files;
//      With delta.enableDeletionVectors (and the deletionVectors feature),
//      DELETE instead marks the matching rows of partly deleted files in a
//      deletion vector (delta_dml_dv.cc): one deletion_vector_<uuid>.bin per
//      commit, each file removed and added again with its merged vector; the
//      rows' physical positions come from a scan of those files with physical
//      row ids. UPDATE marks the updated rows the same way, from the scan that
//      writes their new values, and writes only them;
//   3. commit: removes + adds, the files read and the predicate for the
//      conflict check, commitInfo with operation DELETE / UPDATE and metrics.
// The statement returns one row of metrics (delta-rs names).
#include <atomic>
#include <limits>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/table.h>

#include "shoal/common/strings.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/checkpoint_writer.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/function/function_catalog.h"
#include "shoal/main/delta_dml_internal.h"
#include "shoal/main/delta_expression_evaluator.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/printer.h"

namespace shoal {
namespace dml {

namespace cp = arrow::compute;

std::string QuoteIdent(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string QuoteString(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

int64_t MillisSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool FoldIdents(SessionState* state) {
  return state->settings().GetBool("shoal.sql.enable_ident_normalization");
}

}  // namespace

Result<Target> ResolveTarget(SessionState* state, const ast::QualifiedName& qname,
                             const std::string& verb) {
  Target t;
  t.name = FoldName(qname, FoldIdents(state));
  t.qualified = Join(t.name, ".");
  ARROW_ASSIGN_OR_RAISE(auto entry, state->catalog().Lookup(t.name));
  if (!entry.table || entry.table->kind() != "delta") {
    return Status::NotImplemented(verb, " is not supported on '", t.qualified,
                                  "': in-memory and file tables are append-only (only Delta "
                                  "tables support DELETE, UPDATE and MERGE)");
  }
  t.registered = std::dynamic_pointer_cast<delta::DeltaTableProvider>(entry.table);
  if (!t.registered) return Status::Invalid("'", t.qualified, "' is not a Delta table");
  const auto& opened = t.registered->options();
  if (opened.spec.version || opened.spec.timestamp_ms) {
    return Status::Invalid("cannot ", verb, " '", t.qualified,
                           "': it was registered at a fixed version or timestamp (time travel)");
  }
  t.fs = t.registered->filesystem();
  t.root = t.registered->snapshot()->table_root();
  auto engine = delta::MakeWriteEngine(t.fs);
  ARROW_ASSIGN_OR_RAISE(t.snapshot, delta::Snapshot::Make(engine, t.root));
  ARROW_RETURN_NOT_OK(delta::CheckWriteSupported(t.snapshot->protocol(), t.snapshot->metadata(),
                                                 t.root));
  const auto& config = t.snapshot->metadata().configuration;
  auto it = config.find("delta.appendOnly");
  if (it != config.end() && ToLower(it->second) == "true") {
    return Status::Invalid("cannot ", verb, " '", t.qualified,
                           "': the Delta table is append-only (delta.appendOnly = true)");
  }
  auto constraints = delta::CollectConstraints(t.snapshot->metadata());
  if (!constraints.ok()) {
    return constraints.status().WithMessage("cannot ", verb, " '", t.qualified, "': ",
                                            constraints.status().message());
  }
  t.constraints = std::move(*constraints);
  if (!t.constraints.empty()) t.evaluator = MakeDeltaExpressionEvaluator();
  return t;
}

bool IsGenerated(const Target& target, const std::string& name) {
  for (const auto& g : target.constraints.generated) {
    if (g.column == name) return true;
  }
  return false;
}

Result<std::shared_ptr<delta::DmlScanProvider>> TargetScan(
    const Target& target, bool row_id, std::shared_ptr<const std::set<std::string>> only_files,
    bool physical_rows) {
  delta::DeltaTableOptions options;
  options.filesystem = target.fs;
  options.file_index_column_name = kFileIndexCol;
  options.only_files = std::move(only_files);
  std::optional<delta::PhysicalRowIds> physical;
  if (physical_rows) {
    row_id = true;
    options.split_bytes = std::numeric_limits<int64_t>::max();  // one morsel per file
    physical = delta::PhysicalRowIds{target.snapshot, kFileIndexCol, target.root};
  }
  ARROW_ASSIGN_OR_RAISE(auto provider,
                        delta::DeltaTableProvider::FromSnapshot(target.snapshot, target.fs,
                                                                options));
  return std::make_shared<delta::DmlScanProvider>(provider, row_id ? kRowIdCol : "",
                                                  std::move(physical));
}

Result<std::unique_ptr<TempTable>> TempTable::Register(SessionState* state,
                                                       std::shared_ptr<TableProvider> table) {
  static std::atomic<int64_t> counter{0};
  std::vector<std::string> name = {"__shoal_dml_" + std::to_string(++counter)};
  ARROW_RETURN_NOT_OK(state->catalog().RegisterTable(name, std::move(table), /*replace=*/true));
  return std::unique_ptr<TempTable>(new TempTable(state, std::move(name)));
}

TempTable::~TempTable() { (void)state_->catalog().Drop(name_, false, /*if_exists=*/true); }

Result<std::unique_ptr<InternalQuery>> StartQuery(SessionState* state, std::string text,
                                                  const std::string& context) {
  auto q = std::make_unique<InternalQuery>();
  q->text = std::move(text);
  auto run = [&]() -> Status {
    ARROW_ASSIGN_OR_RAISE(q->query, ParseQueryText(q->text));
    ARROW_ASSIGN_OR_RAISE(auto result, RunQueryStatement(state, q->text, *q->query, true));
    q->reader = std::static_pointer_cast<arrow::RecordBatchReader>(result);
    return Status::OK();
  };
  Status st = run();
  if (!st.ok()) return st.WithMessage(context, ": ", st.message());
  return q;
}

Result<std::shared_ptr<arrow::Table>> RunQuery(SessionState* state, std::string text,
                                               const std::string& context) {
  ARROW_ASSIGN_OR_RAISE(auto q, StartQuery(state, std::move(text), context));
  auto table = q->reader->ToTable();
  if (!table.ok()) {
    return table.status().WithMessage(context, ": ", table.status().message());
  }
  return *table;
}

Result<std::vector<int64_t>> Int64Column(const arrow::RecordBatch& batch, const std::string& name,
                                         int64_t null_value) {
  auto col = batch.GetColumnByName(name);
  if (!col) return Status::Invalid("internal: column '", name, "' missing");
  if (col->type()->id() != arrow::Type::INT64) {
    ARROW_ASSIGN_OR_RAISE(auto casted, cp::Cast(*col, arrow::int64()));
    col = casted;
  }
  const auto& a = static_cast<const arrow::Int64Array&>(*col);
  std::vector<int64_t> out(a.length());
  for (int64_t i = 0; i < a.length(); ++i) out[i] = a.IsNull(i) ? null_value : a.Value(i);
  return out;
}

namespace {

/// Counts action values into `into`: the usual small ones in an array first,
/// added on Flush (or destruction).
class ActionCounts {
 public:
  explicit ActionCounts(std::unordered_map<int64_t, int64_t>* into) : into_(into) {}
  ~ActionCounts() { Flush(); }
  void Add(int64_t a) {
    if (a >= 0 && a < kSmall) {
      ++small_[a];
    } else {
      ++(*into_)[a];
    }
  }
  void Flush() {
    for (int64_t a = 0; a < kSmall; ++a) {
      if (small_[a]) (*into_)[a] += small_[a];
      small_[a] = 0;
    }
  }

 private:
  static constexpr int64_t kSmall = 64;
  std::unordered_map<int64_t, int64_t>* into_;
  int64_t small_[kSmall] = {};
};

}  // namespace

Status TallyReader::ReadNext(std::shared_ptr<arrow::RecordBatch>* out) {
  std::shared_ptr<arrow::RecordBatch> batch;
  ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
  if (!batch) {
    *out = nullptr;
    return Status::OK();
  }
  if (!batch->GetColumnByName(kActCol)) {
    rows_ += batch->num_rows();
    *out = std::move(batch);
    return Status::OK();
  }
  std::vector<int64_t> rids;
  std::shared_ptr<arrow::Array> matched;
  if (batch->GetColumnByName(kMatchedCol) && batch->GetColumnByName(kRowIdCol)) {
    ARROW_ASSIGN_OR_RAISE(rids, Int64Column(*batch, kRowIdCol, -1));
    matched = batch->GetColumnByName(kMatchedCol);
  }
  if (!matched) {
    // Nothing to drop: only count the actions.
    ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(*batch, kActCol, 0));
    ActionCounts counts(&actions_);
    for (int64_t a : acts) counts.Add(a);
    rows_ += batch->num_rows();
    *out = std::move(batch);
    return Status::OK();
  }
  ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(*batch, kActCol, 0));
  arrow::BooleanBuilder keep;
  ARROW_RETURN_NOT_OK(keep.Reserve(batch->num_rows()));
  bool dropped = false;
  ActionCounts counts(&actions_);
  for (int64_t i = 0; i < batch->num_rows(); ++i) {
    bool k = true;
    if (matched && acts[i] == 0) {
      const auto& m = static_cast<const arrow::BooleanArray&>(*matched);
      if (m.IsValid(i) && m.Value(i) && !copied_matched_.insert(rids[i]).second) k = false;
    }
    keep.UnsafeAppend(k);
    if (!k) {
      dropped = true;
      continue;
    }
    ++rows_;
    counts.Add(acts[i]);
  }
  counts.Flush();
  if (dropped) {
    ARROW_ASSIGN_OR_RAISE(auto mask, keep.Finish());
    ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(batch, mask));
    batch = filtered.record_batch();
  }
  *out = std::move(batch);
  return Status::OK();
}


namespace {

/// Return the boolean mask of the rows `batch` changes: the action column is
/// not 0 (`act_col`), or the utf8 column `type_col` holds one of `types`.
Result<std::shared_ptr<arrow::Array>> ChangedRows(const arrow::RecordBatch& batch,
                                                  const std::string& act_col,
                                                  const std::string& type_col,
                                                  const std::vector<std::string>& types) {
  arrow::BooleanBuilder b;
  ARROW_RETURN_NOT_OK(b.Reserve(batch.num_rows()));
  if (!act_col.empty()) {
    ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(batch, act_col, 0));
    for (int64_t a : acts) b.UnsafeAppend(a != 0);
  } else {
    auto col = batch.GetColumnByName(type_col);
    if (!col || col->type_id() != arrow::Type::STRING) {
      return Status::Invalid("internal: column '", type_col, "' missing or not utf8");
    }
    const auto& s = static_cast<const arrow::StringArray&>(*col);
    for (int64_t i = 0; i < s.length(); ++i) {
      bool hit = false;
      if (s.IsValid(i)) {
        auto v = s.GetView(i);
        for (const auto& t : types) hit = hit || v == t;
      }
      b.UnsafeAppend(hit);
    }
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(b.Finish(&out));
  return out;
}

/// Return `batch` with `constraints` enforced on the rows `changed` marks
/// (delta::EnforceConstraints over the table columns of those rows, plus NOT
/// NULL when `not_null`): generated columns computed in place; other rows as
/// they are. A violation is an error naming the constraint and the row.
Result<std::shared_ptr<arrow::RecordBatch>> EnforceOnChanged(
    const Target& target, const delta::TableConstraints& constraints, bool not_null,
    std::shared_ptr<arrow::RecordBatch> batch, const std::shared_ptr<arrow::Array>& changed) {
  const auto& mask = static_cast<const arrow::BooleanArray&>(*changed);
  int64_t n_changed = mask.true_count();
  if (n_changed == 0) return batch;
  const auto& schema = target.snapshot->schema();
  // All nullable: NOT NULL is checked below, after generated columns are computed.
  arrow::ArrayVector cols;
  arrow::FieldVector fields;
  for (const auto& f : schema->fields()) {
    fields.push_back(f->WithNullable(true));
    auto col = batch->GetColumnByName(f->name());
    if (!col) return Status::Invalid("internal: column '", f->name(), "' missing from the rows");
    if (!col->type()->Equals(*f->type())) {
      auto casted = cp::Cast(*col, f->type(), cp::CastOptions::Safe());
      if (!casted.ok()) {
        return Status::Invalid("cannot convert column '", f->name(), "' to ",
                               f->type()->ToString(), ": ", casted.status().message());
      }
      col = *casted;
    }
    cols.push_back(std::move(col));
  }
  auto rows = arrow::RecordBatch::Make(arrow::schema(fields), batch->num_rows(), cols);
  bool all = n_changed == batch->num_rows();
  std::shared_ptr<arrow::RecordBatch> sub = rows;
  if (!all) {
    ARROW_ASSIGN_OR_RAISE(auto filtered, cp::Filter(rows, changed));
    sub = filtered.record_batch();
  }
  if (!constraints.empty()) {
    ARROW_ASSIGN_OR_RAISE(sub, delta::EnforceConstraints(constraints, *target.evaluator, sub,
                                                         target.root));
  }
  if (not_null) {
    for (int i = 0; i < sub->num_columns(); ++i) {
      const auto& f = schema->field(i);
      const auto& col = *sub->column(i);
      if (f->nullable() || col.null_count() == 0) continue;
      int64_t row = 0;
      while (row < col.length() && col.IsValid(row)) ++row;
      return Status::Invalid("NOT NULL column '", f->name(), "' of Delta table '", target.root,
                             "' violated by row with values: ", delta::DescribeRow(*sub, row));
    }
  }
  for (const auto& g : constraints.generated) {
    int ti = schema->GetFieldIndex(g.column);
    int bi = batch->schema()->GetFieldIndex(g.column);
    if (ti < 0 || bi < 0) continue;
    std::shared_ptr<arrow::Array> value = sub->column(ti);
    if (!all) {
      ARROW_ASSIGN_OR_RAISE(auto replaced, cp::CallFunction("replace_with_mask",
                                                            {rows->column(ti), changed, value}));
      value = replaced.make_array();
    }
    ARROW_ASSIGN_OR_RAISE(batch, batch->SetColumn(bi, schema->field(ti), value));
  }
  return batch;
}

/// Passes batches on with constraints enforced on the changed rows.
class ConstraintReader : public arrow::RecordBatchReader {
 public:
  ConstraintReader(const Target& target, delta::TableConstraints constraints, bool not_null,
                   arrow::RecordBatchReader* input, std::string act_col, std::string type_col,
                   std::vector<std::string> types)
      : target_(target),
        constraints_(std::move(constraints)),
        not_null_(not_null),
        input_(input),
        act_col_(std::move(act_col)),
        type_col_(std::move(type_col)),
        types_(std::move(types)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return input_->schema(); }
  Status ReadNext(std::shared_ptr<arrow::RecordBatch>* out) override {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(input_->ReadNext(&batch));
    if (!batch || batch->num_rows() == 0) {
      *out = std::move(batch);
      return Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(auto changed, ChangedRows(*batch, act_col_, type_col_, types_));
    ARROW_ASSIGN_OR_RAISE(*out, EnforceOnChanged(target_, constraints_, not_null_,
                                                 std::move(batch), changed));
    return Status::OK();
  }
  Status Close() override { return input_->Close(); }

 private:
  const Target& target_;
  delta::TableConstraints constraints_;
  bool not_null_;
  arrow::RecordBatchReader* input_;
  std::string act_col_, type_col_;
  std::vector<std::string> types_;
};

bool HasNotNull(const Target& target) {
  for (const auto& f : target.snapshot->schema()->fields()) {
    if (!f->nullable()) return true;
  }
  return false;
}

}  // namespace

Result<Written> WriteRows(const Target& target, arrow::RecordBatchReader* reader) {
  std::unique_ptr<ConstraintReader> checked;
  bool not_null = HasNotNull(target);
  if ((not_null || !target.constraints.empty()) &&
      reader->schema()->GetFieldIndex(kActCol) >= 0) {
    checked = std::make_unique<ConstraintReader>(target, target.constraints, not_null, reader,
                                                 kActCol, "", std::vector<std::string>{});
    reader = checked.get();
  }
  const auto& meta = target.snapshot->metadata();
  ARROW_ASSIGN_OR_RAISE(int64_t target_size,
                        delta::IntProperty(meta.configuration, "delta.targetFileSize",
                                           100LL * 1024 * 1024));
  Written w;
  ARROW_ASSIGN_OR_RAISE(w.adds, delta::WriteDataFiles(target.fs, target.root,
                                                      target.snapshot->schema(),
                                                      meta.partition_columns, meta.configuration,
                                                      target_size, reader,
                                                      /*data_change=*/true, &w.bytes));
  return w;
}

bool ChangeDataFeedEnabled(const Target& target) {
  const auto& config = target.snapshot->metadata().configuration;
  auto it = config.find("delta.enableChangeDataFeed");
  return it != config.end() && ToLower(it->second) == "true";
}

Result<std::vector<delta::CdcFile>> WriteChanges(SessionState* state, const Target& target,
                                                 std::string query,
                                                 const std::string& context) {
  const auto& meta = target.snapshot->metadata();
  auto fields = target.snapshot->schema()->fields();
  fields.push_back(arrow::field("_change_type", arrow::utf8()));
  ARROW_ASSIGN_OR_RAISE(auto q, StartQuery(state, std::move(query), context));
  arrow::RecordBatchReader* reader = q->reader.get();
  std::unique_ptr<ConstraintReader> generated;
  if (!target.constraints.generated.empty()) {
    // Only compute (and verify) generated columns: the data files' rows are checked fully.
    delta::TableConstraints gen;
    gen.generated = target.constraints.generated;
    generated = std::make_unique<ConstraintReader>(
        target, std::move(gen), /*not_null=*/false, reader, "", "_change_type",
        std::vector<std::string>{"update_postimage", "insert"});
    reader = generated.get();
  }
  ARROW_ASSIGN_OR_RAISE(int64_t target_size,
                        delta::IntProperty(meta.configuration, "delta.targetFileSize",
                                           100LL * 1024 * 1024));
  auto written = delta::WriteDataFiles(target.fs, delta::JoinPath(target.root, "_change_data"),
                                       arrow::schema(fields), meta.partition_columns,
                                       meta.configuration, target_size, reader,
                                       /*data_change=*/false);
  if (!written.ok()) {
    return written.status().WithMessage(context, ": change data: ", written.status().message());
  }
  std::vector<delta::CdcFile> out;
  for (const auto& a : *written) {
    delta::CdcFile c;
    c.path = "_change_data/" + a.path;
    c.partition_values = a.partition_values;
    c.size = a.size;
    out.push_back(std::move(c));
  }
  return out;
}

Result<int64_t> CommitDml(SessionState* state, const Target& target, CommitRequest request) {
  auto delete_added = [&]() {
    for (const auto& a : request.adds) {
      (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(a.path)));
    }
    for (const auto& c : request.cdcs) {
      (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(c.path)));
    }
    for (const auto& f : request.written_files) {
      (void)target.fs->DeleteFile(delta::JoinPath(target.root, f));
    }
  };
  auto tx = delta::WriteTransaction::ForSnapshot(target.snapshot);
  if (!tx.ok()) {
    delete_added();
    return tx.status();
  }
  auto& t = **tx;
  t.SetOperation(request.operation, std::move(request.parameters));
  for (const auto& [k, v] : request.metrics) t.SetMetric(k, v);
  t.RemoveFiles(request.removes);
  t.AddFiles(request.adds);
  t.AddFiles(request.dv_adds);
  t.AddChangeFiles(request.cdcs);
  if (!request.cdcs.empty()) t.SetMetric("numAddedChangeFiles",
                                         static_cast<int64_t>(request.cdcs.size()));
  std::function<bool(const delta::AddFile&)> may_match;
  if (request.matcher) {
    auto m = request.matcher;
    may_match = [m](const delta::AddFile& a) { return m->MayMatch(a); };
  }
  t.ReadFiles(std::move(request.read_files), std::move(may_match), request.predicate);
  auto committed = t.Commit();
  if (!committed.ok()) {
    delete_added();
    return committed.status().WithMessage(request.operation, " on '", target.qualified, "': ",
                                          committed.status().message());
  }
  int64_t version = committed->version;
  auto interval = delta::IntProperty(target.snapshot->metadata().configuration,
                                     "delta.checkpointInterval", 100);
  if (interval.ok() && *interval > 0 && version > 0 && version % *interval == 0) {
    auto snap = delta::Snapshot::Make(target.snapshot->engine(), target.root,
                                      delta::SnapshotSpec{version, std::nullopt});
    if (snap.ok()) (void)delta::WriteCheckpoint(**snap, target.fs);  // failure keeps the commit
  }
  // Refresh the catalog entry to the new version, keeping how the table was opened.
  delta::DeltaTableOptions reopen = target.registered->options();
  reopen.filesystem = target.fs;
  ARROW_ASSIGN_OR_RAISE(auto fresh, delta::DeltaTableProvider::Make(target.root, reopen));
  ARROW_RETURN_NOT_OK(state->catalog().RegisterTable(target.name, fresh, /*replace=*/true));
  return version;
}

std::shared_ptr<QueryResult> MetricsResult(
    const std::vector<std::pair<std::string, int64_t>>& metrics, const std::string& kind) {
  arrow::FieldVector fields;
  arrow::ArrayVector arrays;
  for (const auto& [k, v] : metrics) {
    arrow::Int64Builder b;
    (void)b.Append(v);
    std::shared_ptr<arrow::Array> arr;
    (void)b.Finish(&arr);
    fields.push_back(arrow::field(k, arrow::int64()));
    arrays.push_back(std::move(arr));
  }
  return MakeTableResult(arrow::Table::Make(arrow::schema(fields), arrays), kind);
}

std::unordered_map<std::string, const delta::AddFile*> FilesByPath(const delta::Snapshot& snap) {
  std::unordered_map<std::string, const delta::AddFile*> out;
  for (const auto& f : snap.files()) out[delta::DecodeActionPath(f.path)] = &f;
  return out;
}

namespace {

/// What pass 1 found: rows matching the predicate per touched file (by index
/// in the snapshot's files()).
struct Touched {
  std::map<int32_t, int64_t> rows_by_file;
  std::vector<std::string> read_files;  ///< Candidate files (not skipped).
  std::shared_ptr<const delta::FileMatcher> matcher;
  int64_t scan_ms = 0;
};

Result<Touched> FindTouched(SessionState* state, const Target& target, const std::string& alias,
                            const std::string& pred, const std::string& context) {
  auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, /*row_id=*/false));
  ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
  std::string q = "SELECT " + QuoteIdent(kFileIndexCol) + ", count(*) AS n FROM " +
                  tmp->sql_name() + " AS " + QuoteIdent(alias) + " WHERE " + pred +
                  " GROUP BY " + QuoteIdent(kFileIndexCol);
  ARROW_ASSIGN_OR_RAISE(auto table, RunQuery(state, q, context));
  Touched out;
  ARROW_ASSIGN_OR_RAISE(auto combined, table->CombineChunksToBatch());
  if (combined->num_rows() > 0) {
    const auto& files = static_cast<const arrow::Int32Array&>(*combined->column(0));
    ARROW_ASSIGN_OR_RAISE(auto counts, Int64Column(*combined, "n", 0));
    const auto num_files = static_cast<int32_t>(target.snapshot->files().size());
    for (int64_t i = 0; i < combined->num_rows(); ++i) {
      int32_t index = files.Value(i);
      if (index < 0 || index >= num_files) {
        return Status::Invalid(context, ": internal: bad data file index ", index);
      }
      if (counts[i] > 0) out.rows_by_file[index] += counts[i];
    }
  }
  out.matcher = std::make_shared<delta::FileMatcher>(target.snapshot, scan->last_filter());
  for (const auto& f : target.snapshot->files()) {
    if (out.matcher->MayMatch(f)) out.read_files.push_back(delta::DecodeActionPath(f.path));
  }
  out.scan_ms = MillisSince(start);
  return out;
}

/// Return the live row count of a file from its statistics (minus deleted rows).
std::optional<int64_t> LiveRows(const delta::AddFile& add) {
  auto n = delta::StatsNumRecords(add);
  if (!n) return std::nullopt;
  if (add.deletion_vector) *n -= add.deletion_vector->cardinality;
  return n;
}

/// The name the statement's expressions use for the table: its alias, else its name.
std::string TableAlias(SessionState* state, const Target& t,
                       const std::optional<ast::Identifier>& alias) {
  if (!alias) return t.name.back();
  return FoldIdents(state) && !alias->quoted ? ToLower(alias->name) : alias->name;
}

/// The common end of DELETE and UPDATE: commit the rewrite (when any file changed)
/// with commitInfo metrics in Delta's camelCase names, and return the statement's
/// metrics row in delta-rs's snake_case names. `verb` is "deleted" or "updated".
Result<std::shared_ptr<QueryResult>> FinishRewrite(
    SessionState* state, const Target& target, CommitRequest req, const Touched& touched,
    bool has_where, const std::string& pred_text, const std::string& operation,
    const std::string& verb, int64_t changed, int64_t copied, int64_t rewrite_ms,
    std::chrono::steady_clock::time_point start) {
  const std::string verb_camel = std::string(1, static_cast<char>(verb[0] - 'a' + 'A')) +
                                 verb.substr(1);
  // Files re-added with a deletion vector are neither added nor removed files.
  const int64_t dvs_added = static_cast<int64_t>(req.dv_adds.size());
  const int64_t removed_files = static_cast<int64_t>(req.removes.size()) - dvs_added;
  int64_t dvs_removed = 0;
  for (const auto& r : req.removes) dvs_removed += r.deletion_vector ? 1 : 0;
  std::vector<std::pair<std::string, int64_t>> metrics = {
      {"num_added_files", static_cast<int64_t>(req.adds.size())},
      {"num_removed_files", removed_files},
      {"num_" + verb + "_rows", changed},
      {"num_copied_rows", copied},
  };
  if (dvs_added > 0 || dvs_removed > 0) {
    metrics.push_back({"num_deletion_vectors_added", dvs_added});
    metrics.push_back({"num_deletion_vectors_removed", dvs_removed});
  }
  if (!req.removes.empty()) {
    req.operation = operation;
    if (has_where) req.parameters.Add("predicate", delta::JsonValue::String(pred_text));
    req.read_files = touched.read_files;
    req.matcher = touched.matcher;
    req.predicate = has_where ? pred_text : "TRUE";
    req.metrics = {{"numAddedFiles", static_cast<int64_t>(req.adds.size())},
                   {"numRemovedFiles", removed_files},
                   {"num" + verb_camel + "Rows", changed},
                   {"numCopiedRows", copied},
                   {"scanTimeMs", touched.scan_ms},
                   {"rewriteTimeMs", rewrite_ms},
                   {"executionTimeMs", MillisSince(start)}};
    if (dvs_added > 0 || dvs_removed > 0) {
      req.metrics.push_back({"numDeletionVectorsAdded", dvs_added});
      req.metrics.push_back({"numDeletionVectorsRemoved", dvs_removed});
    }
    ARROW_RETURN_NOT_OK(CommitDml(state, target, std::move(req)).status());
  }
  metrics.push_back({"execution_time_ms", MillisSince(start)});
  metrics.push_back({"scan_time_ms", touched.scan_ms});
  metrics.push_back({"rewrite_time_ms", rewrite_ms});
  return MetricsResult(metrics, operation);
}

Result<std::shared_ptr<QueryResult>> ExecuteDelete(SessionState* state,
                                                   const ast::DeleteStatement& st) {
  auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveTarget(state, st.table, "DELETE"));
  std::string context = "DELETE FROM " + target.qualified;
  std::string pred_text = st.where ? ToSql(*st.where) : "";
  std::string pred = st.where ? "(" + pred_text + ")" : "TRUE";
  std::string alias = TableAlias(state, target, st.alias);
  ARROW_ASSIGN_OR_RAISE(auto touched, FindTouched(state, target, alias, pred, context));

  const auto& files = target.snapshot->files();
  int64_t now = NowMs();
  CommitRequest req;
  auto rewrite = std::make_shared<std::set<std::string>>();
  int64_t deleted = 0;
  const bool use_dv = DeletionVectorsEnabled(target);
  auto marked = std::make_shared<std::set<std::string>>();  // partly deleted, by vector
  auto dv_start = std::chrono::steady_clock::now();
  for (const auto& [index, n] : touched.rows_by_file) {
    const delta::AddFile& add = files[index];
    std::string path = delta::DecodeActionPath(add.path);
    deleted += n;
    req.removes.push_back(delta::RemoveForFile(add, now));
    auto live = LiveRows(add);
    if (live && *live == n) continue;  // every row goes: remove the file
    (use_dv ? marked : rewrite)->insert(path);
  }
  if (!marked->empty()) {
    // The deleted rows' physical positions, from one scan of the partly deleted files.
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, true, marked, /*physical_rows=*/true));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    ARROW_ASSIGN_OR_RAISE(
        auto rows, QueryRows(state,
                             "SELECT " + QuoteIdent(kFileIndexCol) + ", " + QuoteIdent(kRowIdCol) +
                                 " FROM " + tmp->sql_name() + " AS " + QuoteIdent(alias) +
                                 " WHERE " + pred,
                             context));
    for (const auto& [index, positions] : rows) {
      int64_t n = touched.rows_by_file[index];
      if (static_cast<int64_t>(positions.size()) != n) {
        return Status::Invalid(context, ": internal: data file '",
                               delta::DecodeActionPath(files[index].path), "' has ",
                               positions.size(), " matching rows by row index but ", n,
                               " by the scan");
      }
    }
    delta::DeletionVectorFileWriter dv_file;
    ARROW_RETURN_NOT_OK(MarkRowsDeleted(target, std::move(rows), now, &dv_file, &req).status());
    ARROW_RETURN_NOT_OK(WriteDeletionVectorFile(target, dv_file, context, &req));
  }
  int64_t copied = 0, rewrite_ms = use_dv ? MillisSince(dv_start) : 0;
  if (!rewrite->empty()) {
    auto rw_start = std::chrono::steady_clock::now();
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, false, rewrite));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    std::string q = "SELECT * FROM " + tmp->sql_name() + " AS " + QuoteIdent(alias) + " WHERE " +
                    pred + " IS NOT TRUE";
    ARROW_ASSIGN_OR_RAISE(auto query, StartQuery(state, q, context));
    TallyReader tally(query->reader);
    auto written = WriteRows(target, &tally);
    if (!written.ok()) {
      return written.status().WithMessage(context, ": ", written.status().message());
    }
    copied = tally.rows();
    req.adds = std::move(written->adds);
    rewrite_ms = MillisSince(rw_start);
  }
  if (!req.removes.empty() && ChangeDataFeedEnabled(target)) {
    auto read = std::make_shared<std::set<std::string>>();
    for (const auto& [index, n] : touched.rows_by_file) {
      read->insert(delta::DecodeActionPath(files[index].path));
    }
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, false, read));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    auto cdcs = WriteChanges(state, target,
                             "SELECT *, 'delete' AS _change_type FROM " + tmp->sql_name() +
                                 " AS " + QuoteIdent(alias) + " WHERE " + pred + " IS TRUE",
                             context);
    if (!cdcs.ok()) {
      for (const auto& a : req.adds) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(a.path)));
      }
      for (const auto& f : req.written_files) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, f));
      }
      return cdcs.status();
    }
    req.cdcs = std::move(*cdcs);
  }
  return FinishRewrite(state, target, std::move(req), touched, st.where != nullptr, pred_text,
                       "DELETE", "deleted", deleted, copied, rewrite_ms, start);
}

Result<std::shared_ptr<QueryResult>> ExecuteUpdate(SessionState* state,
                                                   const ast::UpdateStatement& st) {
  auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveTarget(state, st.table, "UPDATE"));
  std::string context = "UPDATE " + target.qualified;
  const auto& schema = *target.snapshot->schema();
  bool fold = FoldIdents(state);
  std::vector<std::string> values(schema.num_fields());
  for (const auto& [id, expr] : st.assignments) {
    std::string col = fold && !id.quoted ? ToLower(id.name) : id.name;
    int idx = schema.GetFieldIndex(col);
    if (idx < 0) {
      for (int i = 0; i < schema.num_fields(); ++i) {
        if (ToLower(schema.field(i)->name()) == ToLower(col)) idx = i;
      }
    }
    if (idx < 0) {
      return Status::Invalid(context, ": column '", col, "' does not exist (columns: ",
                             Join(schema.field_names(), ", "), ")");
    }
    if (!values[idx].empty()) {
      return Status::Invalid(context, ": column '", col, "' is assigned twice");
    }
    values[idx] = ToSql(*expr);
  }
  // Generated columns not assigned are computed again from the new values.
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (values[i].empty() && IsGenerated(target, schema.field(i)->name())) values[i] = "NULL";
  }
  std::string pred_text = st.where ? ToSql(*st.where) : "";
  std::string pred = st.where ? "(" + pred_text + ")" : "TRUE";
  std::string alias = TableAlias(state, target, st.alias);
  ARROW_ASSIGN_OR_RAISE(auto touched, FindTouched(state, target, alias, pred, context));

  const auto& files = target.snapshot->files();
  int64_t now = NowMs();
  CommitRequest req;
  auto rewrite = std::make_shared<std::set<std::string>>();
  // With deletion vectors the updated rows are marked deleted in their files and
  // only they are written (new values) to new files; the scan that reads them
  // gives their physical positions.
  const bool use_dv = DeletionVectorsEnabled(target);
  for (const auto& [index, n] : touched.rows_by_file) {
    req.removes.push_back(delta::RemoveForFile(files[index], now));
    rewrite->insert(delta::DecodeActionPath(files[index].path));
  }
  int64_t updated = 0, copied = 0, rewrite_ms = 0;
  if (!rewrite->empty()) {
    auto rw_start = std::chrono::steady_clock::now();
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, use_dv, rewrite, use_dv));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    std::string q = "SELECT ";
    std::string pre_select = "SELECT ";  // the pre-image of an updated row
    for (int i = 0; i < schema.num_fields(); ++i) {
      const auto& f = schema.field(i);
      std::string col = QuoteIdent(alias) + "." + QuoteIdent(f->name());
      pre_select += col + " AS " + QuoteIdent(f->name()) + ", ";
      if (values[i].empty()) {
        q += col;
      } else {
        std::string v = "(" + values[i] + ")";
        if (!arrow::is_nested(f->type()->id())) {
          v = "CAST(" + v + " AS " + ArrowTypeToSql(*f->type()) + ")";
        }
        q += "CASE WHEN " + pred + " THEN " + v + " ELSE " + col + " END";
      }
      q += " AS " + QuoteIdent(f->name()) + ", ";
    }
    // The post-image of an updated row: the new values, unconditionally.
    std::string post_select = "SELECT ";
    for (int i = 0; i < schema.num_fields(); ++i) {
      const auto& f = schema.field(i);
      std::string v = QuoteIdent(alias) + "." + QuoteIdent(f->name());
      if (!values[i].empty()) {
        v = "(" + values[i] + ")";
        if (!arrow::is_nested(f->type()->id())) {
          v = "CAST(" + v + " AS " + ArrowTypeToSql(*f->type()) + ")";
        }
      }
      post_select += v + " AS " + QuoteIdent(f->name()) + ", ";
    }
    if (use_dv) {
      for (const char* c : {kFileIndexCol, kRowIdCol}) {
        q += QuoteIdent(alias) + "." + QuoteIdent(c) + " AS " + QuoteIdent(c) + ", ";
      }
    }
    q += "CASE WHEN " + pred + " THEN 1 ELSE 0 END AS " + QuoteIdent(kActCol) + " FROM " +
         tmp->sql_name() + " AS " + QuoteIdent(alias);
    if (use_dv) q += " WHERE " + pred + " IS TRUE";
    ARROW_ASSIGN_OR_RAISE(auto query, StartQuery(state, q, context));
    RowsByFile rows;
    std::shared_ptr<arrow::RecordBatchReader> input = query->reader;
    if (use_dv) input = std::make_shared<RowsReader>(input, std::vector<int64_t>{}, &rows);
    TallyReader tally(input);
    auto written = WriteRows(target, &tally);
    if (!written.ok()) {
      return written.status().WithMessage(context, ": ", written.status().message());
    }
    auto delete_written = [&]() {
      for (const auto& a : written->adds) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(a.path)));
      }
      for (const auto& f : req.written_files) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, f));
      }
    };
    if (use_dv) {
      delta::DeletionVectorFileWriter dv_file;
      Status st = MarkRowsDeleted(target, std::move(rows), now, &dv_file, &req).status();
      if (st.ok()) st = WriteDeletionVectorFile(target, dv_file, context, &req);
      if (!st.ok()) {
        delete_written();
        return st;
      }
    }
    if (ChangeDataFeedEnabled(target)) {
      std::string from = " FROM " + tmp->sql_name() + " AS " + QuoteIdent(alias) + " WHERE " +
                         pred + " IS TRUE";
      std::string changes = pre_select + "'update_preimage' AS _change_type" + from +
                            " UNION ALL " + post_select + "'update_postimage' AS _change_type" +
                            from;
      auto cdcs = WriteChanges(state, target, std::move(changes), context);
      if (!cdcs.ok()) {
        delete_written();
        return cdcs.status();
      }
      req.cdcs = std::move(*cdcs);
    }
    auto it = tally.actions().find(1);
    updated = it == tally.actions().end() ? 0 : it->second;
    copied = tally.rows() - updated;
    req.adds = std::move(written->adds);
    rewrite_ms = MillisSince(rw_start);
  }
  return FinishRewrite(state, target, std::move(req), touched, st.where != nullptr, pred_text,
                       "UPDATE", "updated", updated, copied, rewrite_ms, start);
}

}  // namespace
}  // namespace dml

Result<std::shared_ptr<QueryResult>> ExecuteDeltaDml(SessionState* state, std::string_view sql,
                                                     const ast::Statement& stmt) {
  switch (stmt.kind) {
    case ast::StatementKind::kDelete:
      return dml::ExecuteDelete(state, static_cast<const ast::DeleteStatement&>(stmt));
    case ast::StatementKind::kUpdate:
      return dml::ExecuteUpdate(state, static_cast<const ast::UpdateStatement&>(stmt));
    case ast::StatementKind::kMerge:
      return dml::ExecuteMerge(state, sql, static_cast<const ast::MergeStatement&>(stmt));
    default:
      return Status::Invalid("not a DELETE, UPDATE or MERGE statement");
  }
}

}  // namespace shoal
