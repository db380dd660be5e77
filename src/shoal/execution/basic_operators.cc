#include "shoal/execution/basic_operators.h"

#include <algorithm>

#include <arrow/array.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>

namespace shoal::exec {

// ---------------------------------------------------------------------------
// TableScan

namespace {

struct ScanGlobal : GlobalSourceState {
  std::shared_ptr<TableScan> scan;
  std::unique_ptr<CounterSourceState> morsels;
};

struct ScanLocal : LocalSourceState {
  std::shared_ptr<arrow::RecordBatchReader> reader;
  int64_t morsel = -1;
  int64_t chunk_no = 0;
};

}  // namespace

std::string TableScanOp::Details() const {
  std::string s = table_name_ + " (" + table_->kind() + ")";
  if (!filter_text_.empty()) s += " filters=[" + filter_text_ + "]";
  if (request_.limit) s += " limit=" + std::to_string(*request_.limit);
  return s;
}

Result<std::unique_ptr<GlobalSourceState>> TableScanOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto g = std::make_unique<ScanGlobal>();
  ScanRequest req = request_;
  req.batch_size = query.batch_size;
  ARROW_ASSIGN_OR_RAISE(g->scan, table_->Scan(req));
  g->morsels = std::make_unique<CounterSourceState>(
      static_cast<int64_t>(g->scan->morsels().size()));
  auto m = g->scan->planning_metrics();
  std::string extra = "morsels=" + std::to_string(g->scan->morsels().size());
  if (m.files_total > 0) {
    extra += " files=" + std::to_string(m.files_total) +
             " files_pruned=" + std::to_string(m.files_pruned);
  }
  if (m.row_groups_total > 0) {
    extra += " row_groups=" + std::to_string(m.row_groups_total) +
             " row_groups_pruned=" + std::to_string(m.row_groups_pruned);
  }
  metrics().SetExtra(extra);
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
        ARROW_ASSIGN_OR_RAISE(
            out->columns[i],
            arrow::compute::Cast(*out->columns[i], types()[i],
                                 arrow::compute::CastOptions::Safe(), ctx.arrow_ctx));
      }
    }
    return true;
  }
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

Result<std::unique_ptr<OperatorState>> FilterOp::MakeOperatorState(ThreadContext&) const {
  return std::make_unique<ExprOpState>(&conditions_);
}

const std::vector<bool>& FilterOp::NeededAfter(size_t i) const {
  return i < needed_after_.size() ? needed_after_[i] : all_;
}

Status FilterOp::Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                         const Emit& emit) const {
  auto& st = static_cast<ExprOpState&>(*state);
  Chunk cur = std::move(input);
  std::shared_ptr<arrow::Array> pending;  // AND of masks not yet applied
  for (size_t i = 0; i < conditions_.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto mask, st.exprs.EvaluateArray(i, cur, ctx.arrow_ctx));
    ARROW_ASSIGN_OR_RAISE(mask, AsBooleanMask(mask, "filter condition " + conditions_[i]->ToString()));
    const auto& b = static_cast<const arrow::BooleanArray&>(*mask);
    int64_t trues = b.true_count();
    if (trues == cur.length) continue;
    if (trues == 0) return Status::OK();
    if (pending) {
      ARROW_ASSIGN_OR_RAISE(auto both,
                            arrow::compute::CallFunction("and_kleene", {pending, mask},
                                                         ctx.arrow_ctx));
      mask = both.make_array();
      trues = static_cast<const arrow::BooleanArray&>(*mask).true_count();
      if (trues == 0) return Status::OK();
    }
    bool last = i + 1 == conditions_.size();
    if (last || trues * 2 < cur.length) {
      // Copy only the columns read from here on.
      MaskColumns(&cur, NeededAfter(i));
      ARROW_ASSIGN_OR_RAISE(cur, FilterChunk(cur, *mask));
      pending.reset();
    } else {
      pending = mask;
    }
  }
  if (pending) {
    MaskColumns(&cur, NeededAfter(conditions_.size() - 1));
    ARROW_ASSIGN_OR_RAISE(cur, FilterChunk(cur, *pending));
  }
  if (conditions_.size() > 0) MaskColumns(&cur, NeededAfter(conditions_.size() - 1));
  return emit(std::move(cur));
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
