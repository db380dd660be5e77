#include "shoal/execution/sort.h"

#include <algorithm>
#include <mutex>

#include <arrow/builder.h>

#include <arrow/compute/api_vector.h>

#include "shoal/common/memory_pool.h"

namespace shoal::exec {

namespace cp = arrow::compute;

namespace {

struct SortGlobal : GlobalSinkState {
  std::mutex mu;
  std::vector<Chunk> chunks;  // payload + key columns
  std::shared_ptr<std::vector<Chunk>> result;
};

struct SortLocal : LocalSinkState {
  explicit SortLocal(const ExprList* keys) : key_state(keys) {}
  ExprListState key_state;
  std::vector<Chunk> chunks;
  int64_t rows = 0;
};

}  // namespace

Result<std::unique_ptr<GlobalSinkState>> SortOp::MakeGlobalSinkState(QueryContext&) const {
  return std::make_unique<SortGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> SortOp::MakeLocalSinkState(ThreadContext&,
                                                                   GlobalSinkState&) const {
  return std::make_unique<SortLocal>(&keys_);
}

Result<Chunk> SortOp::SortChunks(std::vector<Chunk>* chunks, std::optional<int64_t> keep,
                                 cp::ExecContext* ctx) const {
  TypeVector all_types = types();
  for (const auto& t : keys_.types()) all_types.push_back(t);
  ARROW_ASSIGN_OR_RAISE(Chunk all, ConcatenateChunks(*chunks, all_types));
  chunks->clear();
  const size_t payload = types().size();
  std::vector<std::shared_ptr<arrow::Array>> key_cols(all.columns.begin() + payload,
                                                      all.columns.end());
  ARROW_ASSIGN_OR_RAISE(auto perm, SortPermutation(key_cols, specs_, ctx));
  if (keep && *keep < perm->length()) perm = perm->Slice(0, *keep);
  ARROW_ASSIGN_OR_RAISE(Chunk sorted, TakeChunk(all, *perm));
  sorted.length = perm->length();
  return sorted;
}

Status SortOp::Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState&,
                    LocalSinkState& local_state) const {
  auto& local = static_cast<SortLocal&>(local_state);
  Chunk c = std::move(input);
  ARROW_ASSIGN_OR_RAISE(Chunk extra, local.key_state.EvaluateAll(c, ctx.arrow_ctx));
  MaskColumns(&c, keep_);
  for (auto& col : extra.columns) c.columns.push_back(std::move(col));
  local.rows += c.length;
  local.chunks.push_back(std::move(c));
  if (limit_) {
    // Top-N: compact the buffer to the best offset+limit rows when it grows.
    int64_t keep = *limit_ + offset_;
    if (local.rows > std::max<int64_t>(2 * keep, ctx.query->batch_size) &&
        local.chunks.size() > 1) {
      ARROW_ASSIGN_OR_RAISE(Chunk best, SortChunks(&local.chunks, keep, ctx.arrow_ctx));
      local.rows = best.length;
      local.chunks.push_back(std::move(best));
    }
  }
  return Status::OK();
}

Status SortOp::Combine(ThreadContext& ctx, GlobalSinkState& global,
                       LocalSinkState& local_state) const {
  auto& g = static_cast<SortGlobal&>(global);
  auto& local = static_cast<SortLocal&>(local_state);
  if (local.chunks.empty()) return Status::OK();
  // Each thread sorts its own rows (in parallel); Finalize merges the runs.
  std::optional<int64_t> keep;
  if (limit_) keep = *limit_ + offset_;
  ARROW_ASSIGN_OR_RAISE(Chunk run, SortChunks(&local.chunks, keep, ctx.arrow_ctx));
  std::lock_guard<std::mutex> lock(g.mu);
  if (run.length > 0) g.chunks.push_back(std::move(run));
  return Status::OK();
}

Status SortOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<SortGlobal&>(global);
  cp::ExecContext ctx(EngineMemoryPool(), nullptr, query.registry);
  g.result = std::make_shared<std::vector<Chunk>>();
  if (g.chunks.empty()) return Status::OK();
  int64_t keep = limit_ ? *limit_ + offset_ : INT64_MAX;
  Chunk sorted;
  if (g.chunks.size() == 1) {
    sorted = std::move(g.chunks[0]);
  } else {
    // K-way merge of the sorted runs (ties: lower run first, stable).
    const size_t payload = types().size();
    std::vector<int64_t> starts;
    int64_t total = 0;
    for (const auto& c : g.chunks) {
      starts.push_back(total);
      total += c.length;
    }
    TypeVector all_types = types();
    for (const auto& t : keys_.types()) all_types.push_back(t);
    ARROW_ASSIGN_OR_RAISE(Chunk all, ConcatenateChunks(g.chunks, all_types));
    std::vector<std::unique_ptr<RowComparator>> cmps;
    for (size_t k = 0; k < specs_.size(); ++k) {
      ARROW_ASSIGN_OR_RAISE(auto c, RowComparator::Make(*all.columns[payload + k]->type(),
                                                        specs_[k]));
      cmps.push_back(std::move(c));
    }
    auto less = [&](int64_t a, int64_t b) {  // row a sorts before row b?
      for (size_t k = 0; k < cmps.size(); ++k) {
        const auto& col = *all.columns[payload + k];
        int c = cmps[k]->Compare(col, a, col, b);
        if (c != 0) return c < 0;
      }
      return a < b;  // rows of earlier runs have smaller positions
    };
    auto heap_cmp = [&](int64_t a, int64_t b) { return less(b, a); };
    std::vector<int64_t> heap, ends;
    for (size_t r = 0; r < g.chunks.size(); ++r) {
      ends.push_back(starts[r] + g.chunks[r].length);
      heap.push_back(starts[r]);
    }
    std::make_heap(heap.begin(), heap.end(), heap_cmp);
    std::vector<int64_t> order;
    order.reserve(std::min(total, keep));
    while (!heap.empty() && static_cast<int64_t>(order.size()) < keep) {
      std::pop_heap(heap.begin(), heap.end(), heap_cmp);
      int64_t row = heap.back();
      heap.pop_back();
      order.push_back(row);
      // Advance within the row's run.
      size_t r = std::upper_bound(starts.begin(), starts.end(), row) - starts.begin() - 1;
      if (row + 1 < ends[r]) {
        heap.push_back(row + 1);
        std::push_heap(heap.begin(), heap.end(), heap_cmp);
      }
    }
    g.chunks.clear();
    arrow::Int64Builder ib;
    ARROW_RETURN_NOT_OK(ib.AppendValues(order));
    std::shared_ptr<arrow::Array> idx;
    ARROW_RETURN_NOT_OK(ib.Finish(&idx));
    all.columns.resize(payload);
    ARROW_ASSIGN_OR_RAISE(sorted, TakeChunk(all, *idx));
    sorted.length = idx->length();
  }
  sorted.columns.resize(types().size());  // drop key columns
  if (limit_) {
    int64_t begin = std::min(offset_, sorted.length);
    sorted = sorted.Slice(begin, std::min(*limit_, sorted.length - begin));
  }
  if (sorted.length > 0) SplitChunk(sorted, query.batch_size, g.result.get());
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> SortOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<SortGlobal*>(query.sink_state(this));
  return ChunkListSource::Consuming(g->result);
}

Result<bool> SortOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                             Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
