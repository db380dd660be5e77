#include "shoal/execution/basic_operators.h"

#include <algorithm>
#include <mutex>

#include <arrow/array.h>
#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>

#include "shoal/execution/filter_selection.h"
#include "shoal/execution/hash_join.h"

namespace shoal::exec {

namespace cp = arrow::compute;

// ---------------------------------------------------------------------------
// TableScan

namespace {

struct ScanGlobal : GlobalSourceState {
  std::shared_ptr<TableScan> scan;
  std::unique_ptr<CounterSourceState> morsels;
  std::mutex metrics_mu;  ///< Orders the EXPLAIN ANALYZE text updates.
  // Runtime filters (one per TableScanOp::runtime_filters() entry; null: not built).
  std::vector<const RuntimeFilter*> filters;
  std::unique_ptr<RuntimeFilterCounters[]> counters;
  bool any_membership = false;
  std::string rf_skipped;        ///< why the whole scan was skipped ("" when it was not)
  int64_t static_pruned = -1;    ///< row groups/files pruned without runtime filters
};

/// Return `column BETWEEN lo AND hi` over table column `field`, or nullopt for
/// types without an integer literal here.
std::optional<cp::Expression> RangeExpression(const arrow::Field& field, int64_t lo,
                                              int64_t hi) {
  auto lit = [&](int64_t v) -> std::shared_ptr<arrow::Scalar> {
    switch (field.type()->id()) {
      case arrow::Type::INT8:
        return std::make_shared<arrow::Int8Scalar>(static_cast<int8_t>(v));
      case arrow::Type::INT16:
        return std::make_shared<arrow::Int16Scalar>(static_cast<int16_t>(v));
      case arrow::Type::INT32:
        return std::make_shared<arrow::Int32Scalar>(static_cast<int32_t>(v));
      case arrow::Type::INT64:
        return std::make_shared<arrow::Int64Scalar>(v);
      case arrow::Type::DATE32:
        return std::make_shared<arrow::Date32Scalar>(static_cast<int32_t>(v));
      default:
        return nullptr;
    }
  };
  auto a = lit(lo), b = lit(hi);
  if (a == nullptr || b == nullptr) return std::nullopt;
  auto ref = cp::field_ref(field.name());
  return cp::and_(cp::greater_equal(ref, cp::literal(std::move(a))),
                  cp::less_equal(ref, cp::literal(std::move(b))));
}

/// Return the pruning counters (and `detail`) of a scan as EXPLAIN text.
std::string PlanningMetricsText(const ScanMetricsSnapshot& m) {
  std::string s;
  auto add = [&](const std::string& part) {
    if (!part.empty()) s += (s.empty() ? "" : " ") + part;
  };
  add(m.detail);
  if (m.files_total > 0) {
    std::string f = "files=" + std::to_string(m.files_total) +
                    " files_pruned=" + std::to_string(m.files_pruned);
    if (m.files_pruned_by_partition >= 0 || m.files_pruned_by_stats >= 0) {
      f += " (by_partition=" + std::to_string(std::max<int64_t>(m.files_pruned_by_partition, 0)) +
           " by_stats=" + std::to_string(std::max<int64_t>(m.files_pruned_by_stats, 0)) + ")";
    }
    add(f);
  }
  return s;
}

/// Return the full counters of a scan (planning and run time) for EXPLAIN ANALYZE.
std::string ScanMetricsText(size_t morsels, const ScanMetricsSnapshot& m) {
  std::string s = "morsels=" + std::to_string(morsels);
  std::string planning = PlanningMetricsText(m);
  if (!planning.empty()) s += " " + planning;
  if (m.files_read >= 0) s += " files_read=" + std::to_string(m.files_read);
  if (m.row_groups_total > 0) {
    s += " row_groups=" + std::to_string(m.row_groups_total) +
         " row_groups_pruned=" + std::to_string(m.row_groups_pruned);
  }
  if (m.files_read >= 0 || m.rows_read > 0) s += " rows_read=" + std::to_string(m.rows_read);
  return s;
}

struct ScanLocal : LocalSourceState {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  int64_t morsel = -1;
  int64_t chunk_no = 0;
  // Runtime filter scratch.
  JoinKeys keys;
  SelectionVector sel;
};

/// EXPLAIN ANALYZE text of a scan's runtime filters.
std::string RuntimeFilterText(const ScanGlobal& g, size_t n) {
  if (n == 0) return "";
  if (!g.rf_skipped.empty()) return " runtime_filter=[" + g.rf_skipped + "]";
  int64_t checked = 0, dropped = 0, disabled = 0, built = 0;
  for (size_t i = 0; i < n; ++i) {
    if (g.filters[i] != nullptr) ++built;
    checked += g.counters[i].rows_checked.load(std::memory_order_relaxed);
    dropped += g.counters[i].rows_dropped.load(std::memory_order_relaxed);
    disabled += g.counters[i].disabled.load(std::memory_order_relaxed) ? 1 : 0;
  }
  std::string s = " runtime_filter=[filters=" + std::to_string(built) + "/" +
                  std::to_string(n) + " rows_checked=" + std::to_string(checked) +
                  " rows_dropped=" + std::to_string(dropped);
  if (disabled > 0) s += " disabled=" + std::to_string(disabled);
  if (g.static_pruned >= 0 && g.scan != nullptr) {
    auto m = g.scan->metrics();
    int64_t pruned = m.row_groups_total > 0 ? m.row_groups_pruned : m.files_pruned;
    s += std::string(m.row_groups_total > 0 ? " row_groups_skipped=" : " files_skipped=") +
         std::to_string(std::max<int64_t>(0, pruned - g.static_pruned));
  }
  return s + "]";
}

}  // namespace

std::string TableScanOp::Details() const {
  std::string s = table_name_ + " (" + table_->kind() + ")";
  if (!filter_text_.empty()) s += " filters=[" + filter_text_ + "]";
  if (request_.limit) s += " limit=" + std::to_string(*request_.limit);
  // Plain EXPLAIN: providers with cheap planning tell what the scan will skip.
  // (After a run, EXPLAIN ANALYZE shows the counters in the metrics instead.)
  if (metrics().GetExtra().empty()) {
    if (auto m = table_->ExplainScan(request_)) {
      std::string text = PlanningMetricsText(*m);
      if (!text.empty()) s += " " + text;
    }
  }
  return s;
}

Result<std::unique_ptr<GlobalSourceState>> TableScanOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto g = std::make_unique<ScanGlobal>();
  ScanRequest req = request_;
  req.batch_size = query.batch_size;
  const size_t nrf = runtime_filters_.size();
  g->filters.assign(nrf, nullptr);
  g->counters = std::make_unique<RuntimeFilterCounters[]>(nrf);
  bool ranged = false;
  for (size_t i = 0; i < nrf; ++i) {
    const auto& t = runtime_filters_[i];
    const RuntimeFilter* f = t.join->runtime_filter(query);
    g->filters[i] = f;
    if (f == nullptr) continue;
    if (f->empty()) {
      g->rf_skipped = "empty build side: scan skipped";
      break;
    }
    g->any_membership = g->any_membership || f->has_membership();
    if (f->has_range() && t.columns.size() == 1) {
      int c = request_.columns[t.columns[0]];
      const auto& field = table_->schema()->field(c);
      if (field->type()->Equals(*types()[t.columns[0]])) {
        if (auto e = RangeExpression(*field, f->min(), f->max())) {
          req.filter = cp::and_(req.filter, *e);
          ranged = true;
        }
      }
    }
  }
  if (!g->rf_skipped.empty()) {
    g->morsels = std::make_unique<CounterSourceState>(0);
    metrics().SetExtra("morsels=0" + RuntimeFilterText(*g, nrf));
    return g;
  }
  ARROW_ASSIGN_OR_RAISE(g->scan, table_->Scan(req));
  if (ranged) {
    ScanRequest plain = request_;
    plain.batch_size = query.batch_size;
    // What the scan prunes without the runtime filters (EXPLAIN ANALYZE tells the
    // difference); providers without cheap EXPLAIN planning plan the scan again.
    std::optional<ScanMetricsSnapshot> m = table_->ExplainScan(plain);
    if (!m) {
      auto again = table_->Scan(plain);
      if (again.ok()) m = (*again)->planning_metrics();
    }
    if (m) g->static_pruned = m->row_groups_total > 0 ? m->row_groups_pruned : m->files_pruned;
  }
  g->morsels = std::make_unique<CounterSourceState>(
      static_cast<int64_t>(g->scan->morsels().size()));
  metrics().SetExtra(ScanMetricsText(g->scan->morsels().size(), g->scan->metrics()) +
                     RuntimeFilterText(*g, nrf));
  return g;
}

Result<std::unique_ptr<LocalSourceState>> TableScanOp::MakeLocalSourceState(
    ThreadContext&, GlobalSourceState&) const {
  return std::make_unique<ScanLocal>();
}

Result<bool> TableScanOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                  LocalSourceState& local, Chunk* out) const {
  auto& g = static_cast<ScanGlobal&>(global);
  auto& l = static_cast<ScanLocal&>(local);
  while (true) {
    if (l.reader == nullptr) {
      if (ctx.ShouldStopClaiming()) return false;
      l.morsel = g.morsels->Next();
      if (l.morsel < 0) return false;
      const auto& morsel = g.scan->morsels()[l.morsel];
      auto r = morsel->Open();
      if (!r.ok()) return r.status().WithMessage(r.status().message());
      l.reader = *r;
      l.chunk_no = 0;
    }
    std::shared_ptr<arrow::RecordBatch> batch;
    Status st = l.reader->ReadNext(&batch);
    if (!st.ok()) {
      return st.WithMessage(st.message(), " (reading ",
                            g.scan->morsels()[l.morsel]->description(), ")");
    }
    if (batch == nullptr) {
      l.reader.reset();
      {
        // Refresh the run-time counters; under the lock the last update sees the most.
        std::lock_guard<std::mutex> lock(g.metrics_mu);
        metrics().SetExtra(ScanMetricsText(g.scan->morsels().size(), g.scan->metrics()) +
                           RuntimeFilterText(g, runtime_filters_.size()));
      }
      continue;
    }
    if (batch->num_rows() == 0) continue;
    *out = Chunk::FromRecordBatch(*batch, MakeOrder(l.morsel, l.chunk_no++));
    if (out->num_columns() != static_cast<int>(types().size())) {
      return Status::Invalid("table '", table_name_, "' produced ", out->num_columns(),
                             " columns, expected ", types().size());
    }
    for (size_t i = 0; i < out->columns.size(); ++i) {
      if (!out->columns[i]->type()->Equals(*types()[i])) {
        // Dictionaries of the right value type go to the filter above as they
        // are (see ScanRequest::keep_dictionaries); it decodes the kept rows.
        if (request_.keep_dictionaries &&
            out->columns[i]->type_id() == arrow::Type::DICTIONARY &&
            static_cast<const arrow::DictionaryType&>(*out->columns[i]->type())
                .value_type()
                ->Equals(*types()[i])) {
          continue;
        }
        ARROW_ASSIGN_OR_RAISE(
            out->columns[i],
            arrow::compute::Cast(*out->columns[i], types()[i],
                                 arrow::compute::CastOptions::Safe(), ctx.arrow_ctx));
      }
    }
    if (g.any_membership) {
      ARROW_ASSIGN_OR_RAISE(bool any, ApplyRuntimeFilters(ctx, global, local, out));
      if (!any) continue;
    }
    return true;
  }
}

Result<bool> TableScanOp::ApplyRuntimeFilters(ThreadContext& ctx, GlobalSourceState& global,
                                              LocalSourceState& local, Chunk* chunk) const {
  auto& g = static_cast<ScanGlobal&>(global);
  auto& l = static_cast<ScanLocal&>(local);
  // Give up on a filter that dropped under a tenth of this many rows.
  constexpr int64_t kTrialRows = int64_t{1} << 18;
  for (size_t i = 0; i < runtime_filters_.size(); ++i) {
    const RuntimeFilter* f = g.filters[i];
    auto& counters = g.counters[i];
    if (f == nullptr || !f->has_membership() ||
        counters.disabled.load(std::memory_order_relaxed)) {
      continue;
    }
    std::vector<std::shared_ptr<arrow::Array>> cols;
    for (int c : runtime_filters_[i].columns) {
      auto col = chunk->columns[c];
      if (col->type_id() == arrow::Type::DICTIONARY) {
        ARROW_ASSIGN_OR_RAISE(col, DecodeDictionary(col, ctx.arrow_ctx));
      }
      cols.push_back(std::move(col));
    }
    l.sel.clear();
    if (cols.size() != 1 || !f->SelectColumn(*cols[0], &l.sel)) {
      l.sel.clear();
      ARROW_RETURN_NOT_OK(EncodeJoinKeys(cols, f->layout(), &l.keys));
      f->Select(l.keys, &l.sel);
    }
    const int64_t n = chunk->length;
    const int64_t kept = static_cast<int64_t>(l.sel.size());
    const int64_t checked = counters.rows_checked.fetch_add(n, std::memory_order_relaxed) + n;
    const int64_t rejected =
        counters.rows_rejected.fetch_add(n - kept, std::memory_order_relaxed) + (n - kept);
    if (checked >= kTrialRows && rejected * 10 < checked) {
      counters.disabled.store(true, std::memory_order_relaxed);
    }
    // Dropping a few rows costs a copy of every column; the join checks them anyway.
    if (kept * 8 > n * 7) continue;
    counters.rows_dropped.fetch_add(n - kept, std::memory_order_relaxed);
    if (kept == 0) return false;
    // Dictionary columns stay dictionaries (a filter above decodes the kept rows).
    if (kept * 2 < n) {
      auto idx = SelectionArray(l.sel);
      for (auto& col : chunk->columns) {
        if (col->type_id() == arrow::Type::DICTIONARY) {
          ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                                cp::Take(col, idx, cp::TakeOptions::NoBoundsCheck(), ctx.arrow_ctx));
          col = d.make_array();
        } else {
          ARROW_ASSIGN_OR_RAISE(col, GatherColumn(col, idx, ctx.arrow_ctx));
        }
      }
    } else {
      ARROW_ASSIGN_OR_RAISE(auto mask, SelectionMask(l.sel, n));
      for (auto& col : chunk->columns) {
        if (col->type_id() == arrow::Type::DICTIONARY) {
          ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                                cp::Filter(col, mask, cp::FilterOptions::Defaults(), ctx.arrow_ctx));
          col = d.make_array();
        } else {
          ARROW_ASSIGN_OR_RAISE(col, FilterColumn(col, mask, kept, ctx.arrow_ctx));
        }
      }
    }
    chunk->length = kept;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Values / CteScan

std::string ValuesOp::Details() const {
  int64_t n = 0;
  for (const auto& c : *chunks_) n += c.length;
  return std::to_string(n) + " rows";
}

Result<std::unique_ptr<GlobalSourceState>> ValuesOp::MakeGlobalSourceState(QueryContext&) const {
  return std::make_unique<ChunkListSource>(chunks_);
}

Result<bool> ValuesOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                               Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

Result<std::unique_ptr<GlobalSourceState>> CteScanOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto it = query.cte_tables.find(cte_index_);
  if (it == query.cte_tables.end()) {
    return Status::Invalid("internal error: no working table for recursive CTE '", cte_name_,
                           "'");
  }
  return std::make_unique<ChunkListSource>(it->second);
}

Result<bool> CteScanOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                LocalSourceState&, Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

// ---------------------------------------------------------------------------
// Filter / Projection

namespace {

struct ExprOpState : OperatorState {
  explicit ExprOpState(const ExprList* list) : exprs(list) {}
  ExprListState exprs;
};

std::string ListText(const ExprList& list, const char* sep) {
  std::string s;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) s += sep;
    s += list[i]->ToString();
  }
  return s;
}

}  // namespace

std::string FilterOp::Details() const { return ListText(conditions_, " AND "); }

namespace {

/// Per-thread filter state: one evaluator state per condition plus the compiled
/// fast paths and the dictionary verdicts of the last dictionary seen.
struct FilterState : OperatorState {
  struct Condition {
    std::unique_ptr<ExprEvaluator::State> state;
    std::optional<ExprEvaluator::ColumnComparison> comparison;
    std::vector<int> inputs;
    bool elementwise = false;
    /// ColumnCompare for the column type last seen (`compare_type`).
    std::optional<ColumnCompare> compare;
    std::shared_ptr<arrow::DataType> compare_type;
    /// Verdict per dictionary entry (+1 for NULL) of `dict_seen`.
    std::shared_ptr<arrow::ArrayData> dict_seen;
    std::vector<uint8_t> dict_keep;
    bool dict_failed = false;
  };
  std::vector<Condition> conditions;
  SelectionVector sel;
};

/// Evaluate `ev` and return its boolean mask, or nullopt for a scalar result
/// (`*scalar_pass` then tells whether it keeps every row).
Result<std::optional<std::shared_ptr<arrow::Array>>> EvaluateMask(
    const ExprEvaluator& ev, const Chunk& chunk, ExprEvaluator::State* state,
    arrow::compute::ExecContext* ctx, bool* scalar_pass) {
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d, ev.Evaluate(chunk, state, ctx));
  if (d.is_scalar()) {
    const auto& s = *d.scalar();
    if (s.type->id() != arrow::Type::BOOL && s.type->id() != arrow::Type::NA) {
      return Status::TypeError("filter condition ", ev.ToString(), " must be a boolean, got ",
                               s.type->ToString());
    }
    *scalar_pass = s.is_valid && s.type->id() == arrow::Type::BOOL &&
                   static_cast<const arrow::BooleanScalar&>(s).value;
    return std::nullopt;
  }
  std::shared_ptr<arrow::Array> arr;
  if (d.is_array()) {
    arr = d.make_array();
  } else {
    ARROW_ASSIGN_OR_RAISE(arr, ev.EvaluateToArray(chunk, state, ctx));
  }
  ARROW_ASSIGN_OR_RAISE(arr, AsBooleanMask(arr, "filter condition " + ev.ToString()));
  return std::optional<std::shared_ptr<arrow::Array>>(std::move(arr));
}

/// Compute cond.dict_keep for the dictionary of `column` (a dictionary array).
Status DictionaryVerdicts(const ExprEvaluator& ev, FilterState::Condition& cond,
                          const arrow::DictionaryArray& column, int position, int num_columns,
                          arrow::compute::ExecContext* ctx) {
  const auto& values = column.dictionary();
  const int64_t n = values->length();
  ARROW_ASSIGN_OR_RAISE(auto null_value, arrow::MakeArrayOfNull(values->type(), 1));
  ARROW_ASSIGN_OR_RAISE(auto with_null, arrow::Concatenate({values, null_value}));
  Chunk sub;
  sub.length = n + 1;
  for (int c = 0; c < num_columns; ++c) {
    sub.columns.push_back(c == position ? with_null : MakePlaceholder(n + 1));
  }
  bool scalar_pass = false;
  ARROW_ASSIGN_OR_RAISE(auto mask, EvaluateMask(ev, sub, cond.state.get(), ctx, &scalar_pass));
  cond.dict_keep.assign(n + 1, scalar_pass ? 1 : 0);
  if (mask.has_value()) {
    const auto& b = static_cast<const arrow::BooleanArray&>(**mask);
    for (int64_t k = 0; k <= n; ++k) cond.dict_keep[k] = b.IsValid(k) && b.Value(k) ? 1 : 0;
  }
  cond.dict_seen = values->data();
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<OperatorState>> FilterOp::MakeOperatorState(ThreadContext&) const {
  auto st = std::make_unique<FilterState>();
  st->conditions.resize(conditions_.size());
  for (size_t i = 0; i < conditions_.size(); ++i) {
    auto& c = st->conditions[i];
    const auto& ev = *conditions_[i];
    c.state = ev.MakeState();
    c.comparison = ev.AsColumnComparison();
    c.inputs = ev.InputColumns();
    c.elementwise = ev.elementwise();
  }
  return st;
}

const std::vector<bool>& FilterOp::NeededAfter(size_t i) const {
  return i < needed_after_.size() ? needed_after_[i] : all_;
}

Status FilterOp::Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                         const Emit& emit) const {
  // Conditions refine a selection vector (all rows at first); the kept columns
  // are gathered once at the end. Dictionary columns (from scans that keep them,
  // see ScanRequest::keep_dictionaries) are decoded only for the kept rows.
  auto& st = static_cast<FilterState&>(*state);
  Chunk in = std::move(input);
  const int64_t len = in.length;
  auto* actx = ctx.arrow_ctx;
  SelectionVector& sel = st.sel;
  sel.clear();
  bool all = true;
  for (size_t i = 0; i < conditions_.size(); ++i) {
    if (!all && sel.empty()) return Status::OK();
    const ExprEvaluator& ev = *conditions_[i];
    auto& cond = st.conditions[i];
    // 1. column <op> literal on raw values.
    if (cond.comparison.has_value() && cond.comparison->column < in.num_columns()) {
      const auto& col = in.columns[cond.comparison->column];
      if (cond.compare_type == nullptr || !cond.compare_type->Equals(*col->type())) {
        cond.compare = ColumnCompare::Make(*cond.comparison, *col->type());
        cond.compare_type = col->type();
      }
      if (cond.compare.has_value()) {
        cond.compare->Select(*col, all, len, &sel);
        all = false;
        continue;
      }
    }
    // 2. One dictionary column: evaluate once per dictionary entry.
    if (cond.inputs.size() == 1 && cond.elementwise && !cond.dict_failed &&
        cond.inputs[0] < in.num_columns() &&
        in.columns[cond.inputs[0]]->type_id() == arrow::Type::DICTIONARY) {
      const auto& dict = static_cast<const arrow::DictionaryArray&>(*in.columns[cond.inputs[0]]);
      bool ready = cond.dict_seen != nullptr && cond.dict_seen == dict.dictionary()->data();
      if (!ready && dict.dictionary()->length() <= std::max<int64_t>(len, 1024)) {
        Status s = DictionaryVerdicts(ev, cond, dict, cond.inputs[0], in.num_columns(), actx);
        // An error on some dictionary entry may concern rows already dropped:
        // evaluate on the rows instead.
        if (!s.ok()) {
          cond.dict_failed = true;
          cond.dict_seen.reset();
        }
        ready = s.ok();
      }
      if (ready) {
        SelectByDictionary(dict, cond.dict_keep, all, &sel);
        all = false;
        continue;
      }
    }
    // 3. Evaluate on the whole chunk while most rows are selected.
    if (all || static_cast<int64_t>(sel.size()) * 2 > len) {
      for (int c : cond.inputs) {
        if (c < in.num_columns() && in.columns[c]->type_id() == arrow::Type::DICTIONARY) {
          ARROW_ASSIGN_OR_RAISE(in.columns[c], DecodeDictionary(in.columns[c], actx));
        }
      }
      bool scalar_pass = false;
      auto mask = EvaluateMask(ev, in, cond.state.get(), actx, &scalar_pass);
      if (mask.ok() || all) {
        ARROW_RETURN_NOT_OK(mask.status());
        if (!mask->has_value()) {
          if (!scalar_pass) return Status::OK();
          continue;
        }
        RefineSelection(***mask, all, &sel);
        all = false;
        continue;
      }
      // The error may come from rows an earlier condition dropped: retry on the
      // selected rows only.
    }
    // 4. Evaluate on the selected rows (only the columns the condition reads).
    Chunk sub;
    sub.length = static_cast<int64_t>(sel.size());
    sub.order = in.order;
    auto sel_arr = SelectionArray(sel);
    sub.columns.resize(in.num_columns());
    std::vector<bool> read(in.num_columns(), false);
    for (int c : cond.inputs) {
      if (c < in.num_columns()) read[c] = true;
    }
    for (int c = 0; c < in.num_columns(); ++c) {
      if (read[c]) {
        ARROW_ASSIGN_OR_RAISE(sub.columns[c], GatherColumn(in.columns[c], sel_arr, actx));
      } else {
        sub.columns[c] = MakePlaceholder(sub.length);
      }
    }
    bool scalar_pass = false;
    ARROW_ASSIGN_OR_RAISE(auto mask, EvaluateMask(ev, sub, cond.state.get(), actx, &scalar_pass));
    if (!mask.has_value()) {
      if (!scalar_pass) return Status::OK();
      continue;
    }
    RefineSelectionBySubset(**mask, &sel);
  }
  const std::vector<bool>* keep =
      conditions_.size() == 0 ? nullptr : &NeededAfter(conditions_.size() - 1);
  auto kept = [&](int c) {
    return keep == nullptr || c >= static_cast<int>(keep->size()) || (*keep)[c];
  };
  if (all) {
    for (int c = 0; c < in.num_columns(); ++c) {
      if (!kept(c)) continue;
      if (in.columns[c]->type_id() == arrow::Type::DICTIONARY) {
        ARROW_ASSIGN_OR_RAISE(in.columns[c], DecodeDictionary(in.columns[c], actx));
      }
    }
    if (keep != nullptr) MaskColumns(&in, *keep);
    return emit(std::move(in));
  }
  if (sel.empty()) return Status::OK();
  Chunk out;
  out.order = in.order;
  out.length = static_cast<int64_t>(sel.size());
  out.columns.resize(in.num_columns());
  // Dense selections copy runs of rows (filter); sparse ones gather (take).
  const bool dense = out.length * 2 > len;
  std::shared_ptr<arrow::Array> sel_arr;
  if (dense) {
    ARROW_ASSIGN_OR_RAISE(sel_arr, SelectionMask(sel, len));
  } else {
    sel_arr = SelectionArray(sel);
  }
  for (int c = 0; c < in.num_columns(); ++c) {
    if (kept(c) && in.columns[c]->type_id() == arrow::Type::DICTIONARY) {
      ARROW_ASSIGN_OR_RAISE(out.columns[c], DecodeDictionaryRows(in.columns[c], &sel, actx));
    } else if (kept(c)) {
      ARROW_ASSIGN_OR_RAISE(out.columns[c],
                            dense ? FilterColumn(in.columns[c], sel_arr, out.length, actx)
                                  : GatherColumn(in.columns[c], sel_arr, actx));
    } else {
      out.columns[c] = MakePlaceholder(out.length);
    }
  }
  return emit(std::move(out));
}

std::string ProjectionOp::Details() const { return ListText(exprs_, ", "); }

Result<std::unique_ptr<OperatorState>> ProjectionOp::MakeOperatorState(ThreadContext&) const {
  return std::make_unique<ExprOpState>(&exprs_);
}

Status ProjectionOp::Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                             const Emit& emit) const {
  auto& st = static_cast<ExprOpState&>(*state);
  ARROW_ASSIGN_OR_RAISE(Chunk out, st.exprs.EvaluateAll(input, ctx.arrow_ctx));
  return emit(std::move(out));
}

// ---------------------------------------------------------------------------
// Limit

namespace {

struct LimitGlobal : GlobalSinkState {
  std::atomic<int64_t> rows{0};
  CollectedChunks collected;
  std::shared_ptr<std::vector<Chunk>> result;
};

struct LimitLocal : LocalSinkState {
  std::vector<Chunk> chunks;
};

}  // namespace

std::string LimitOp::Details() const {
  std::string s;
  if (limit_) s += "limit=" + std::to_string(*limit_);
  if (offset_) s += std::string(s.empty() ? "" : " ") + "offset=" + std::to_string(offset_);
  return s;
}

Result<std::unique_ptr<GlobalSinkState>> LimitOp::MakeGlobalSinkState(QueryContext&) const {
  return std::make_unique<LimitGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> LimitOp::MakeLocalSinkState(ThreadContext&,
                                                                    GlobalSinkState&) const {
  return std::make_unique<LimitLocal>();
}

bool LimitOp::SinkSatisfied(GlobalSinkState& global) const {
  if (!limit_) return false;
  return static_cast<LimitGlobal&>(global).rows.load() >= *limit_ + offset_;
}

Status LimitOp::Sink(ThreadContext&, Chunk&& input, GlobalSinkState& global,
                     LocalSinkState& local) const {
  auto& g = static_cast<LimitGlobal&>(global);
  g.rows.fetch_add(input.length);
  static_cast<LimitLocal&>(local).chunks.push_back(std::move(input));
  return Status::OK();
}

Status LimitOp::Combine(ThreadContext&, GlobalSinkState& global, LocalSinkState& local) const {
  static_cast<LimitGlobal&>(global).collected.Append(&static_cast<LimitLocal&>(local).chunks);
  return Status::OK();
}

Status LimitOp::Finalize(QueryContext&, GlobalSinkState& global) const {
  auto& g = static_cast<LimitGlobal&>(global);
  auto& chunks = g.collected.chunks;
  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const Chunk& a, const Chunk& b) { return a.order < b.order; });
  g.result = std::make_shared<std::vector<Chunk>>();
  int64_t skip = offset_;
  int64_t want = limit_ ? *limit_ : INT64_MAX;
  for (auto& c : chunks) {
    if (want <= 0) break;
    if (skip >= c.length) {
      skip -= c.length;
      continue;
    }
    int64_t n = std::min(c.length - skip, want);
    g.result->push_back(c.Slice(skip, n));
    want -= n;
    skip = 0;
  }
  chunks.clear();
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> LimitOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<LimitGlobal*>(query.sink_state(this));
  return ChunkListSource::Consuming(g->result);
}

Result<bool> LimitOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                              Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
