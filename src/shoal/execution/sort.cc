#include "shoal/execution/sort.h"

#include <mutex>

#include <arrow/compute/api_vector.h>

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
  if (limit_ && local.chunks.size() > 1) {
    ARROW_ASSIGN_OR_RAISE(Chunk best, SortChunks(&local.chunks, *limit_ + offset_,
                                                 ctx.arrow_ctx));
    local.chunks.push_back(std::move(best));
  }
  std::lock_guard<std::mutex> lock(g.mu);
  for (auto& c : local.chunks) g.chunks.push_back(std::move(c));
  local.chunks.clear();
  return Status::OK();
}

Status SortOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<SortGlobal&>(global);
  cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, query.registry);
  g.result = std::make_shared<std::vector<Chunk>>();
  if (g.chunks.empty()) return Status::OK();
  std::optional<int64_t> keep;
  if (limit_) keep = *limit_ + offset_;
  ARROW_ASSIGN_OR_RAISE(Chunk sorted, SortChunks(&g.chunks, keep, &ctx));
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
  return std::make_unique<ChunkListSource>(g->result);
}

Result<bool> SortOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                             Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
