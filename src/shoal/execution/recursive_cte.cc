#include "shoal/execution/recursive_cte.h"

#include <algorithm>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/row/grouper.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/basic_operators.h"
#include "shoal/execution/pipeline.h"

namespace shoal::exec {

namespace cp = arrow::compute;

namespace {

struct CteGlobal : GlobalSinkState {
  CollectedChunks anchor;
  std::shared_ptr<std::vector<Chunk>> result;
};

struct CteLocal : LocalSinkState {
  std::vector<Chunk> chunks;
};

/// Keeps rows never seen before (across calls).
class Deduplicator {
 public:
  static Result<std::unique_ptr<Deduplicator>> Make(const TypeVector& types,
                                                    cp::ExecContext* ctx) {
    if (types.empty()) return Status::NotImplemented("recursive UNION over zero columns");
    auto d = std::make_unique<Deduplicator>();
    std::vector<arrow::TypeHolder> th(types.begin(), types.end());
    ARROW_ASSIGN_OR_RAISE(d->grouper_, cp::Grouper::Make(th, ctx));
    return d;
  }
  Result<Chunk> NewRows(const Chunk& c) {
    uint32_t before = grouper_->num_groups();
    std::vector<arrow::Datum> cols(c.columns.begin(), c.columns.end());
    cp::ExecBatch batch(std::move(cols), c.length);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum ids, grouper_->Consume(cp::ExecSpan(batch)));
    const auto& id = static_cast<const arrow::UInt32Array&>(*ids.make_array());
    seen_.resize(grouper_->num_groups(), false);
    arrow::Int64Builder keep;
    for (int64_t i = 0; i < id.length(); ++i) {
      uint32_t g = id.Value(i);
      if (g >= before && !seen_[g]) {
        seen_[g] = true;
        ARROW_RETURN_NOT_OK(keep.Append(i));
      }
    }
    std::shared_ptr<arrow::Array> idx;
    ARROW_RETURN_NOT_OK(keep.Finish(&idx));
    if (idx->length() == c.length) return c;
    ARROW_ASSIGN_OR_RAISE(Chunk out, TakeChunk(c, *idx));
    out.length = idx->length();
    return out;
  }

 private:
  std::unique_ptr<cp::Grouper> grouper_;
  std::vector<bool> seen_;
};

}  // namespace

Result<std::unique_ptr<GlobalSinkState>> RecursiveCteOp::MakeGlobalSinkState(
    QueryContext&) const {
  return std::make_unique<CteGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> RecursiveCteOp::MakeLocalSinkState(
    ThreadContext&, GlobalSinkState&) const {
  return std::make_unique<CteLocal>();
}

Status RecursiveCteOp::Sink(ThreadContext&, Chunk&& input, GlobalSinkState&,
                            LocalSinkState& local) const {
  static_cast<CteLocal&>(local).chunks.push_back(std::move(input));
  return Status::OK();
}

Status RecursiveCteOp::Combine(ThreadContext&, GlobalSinkState& global,
                               LocalSinkState& local) const {
  static_cast<CteGlobal&>(global).anchor.Append(&static_cast<CteLocal&>(local).chunks);
  return Status::OK();
}

Status RecursiveCteOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<CteGlobal&>(global);
  cp::ExecContext ctx(EngineMemoryPool(), nullptr, query.registry);
  std::unique_ptr<Deduplicator> dedup;
  if (!union_all_) {
    ARROW_ASSIGN_OR_RAISE(dedup, Deduplicator::Make(types(), &ctx));
  }
  auto keep_new = [&](std::vector<Chunk>* chunks) -> Status {
    std::vector<Chunk> kept;
    for (auto& c : *chunks) {
      if (c.length == 0) continue;
      if (dedup) {
        ARROW_ASSIGN_OR_RAISE(Chunk n, dedup->NewRows(c));
        if (n.length > 0) kept.push_back(std::move(n));
      } else {
        kept.push_back(std::move(c));
      }
    }
    *chunks = std::move(kept);
    return Status::OK();
  };
  auto all = std::make_shared<std::vector<Chunk>>();
  std::vector<Chunk> working = std::move(g.anchor.chunks);
  std::sort(working.begin(), working.end(),
            [](const Chunk& a, const Chunk& b) { return a.order < b.order; });
  ARROW_RETURN_NOT_OK(keep_new(&working));
  int iterations = 0;
  while (!working.empty()) {
    for (const auto& c : working) all->push_back(c);
    if (++iterations > kMaxIterations) {
      return Status::Invalid("recursive CTE '", cte_name_, "' did not finish after ",
                             kMaxIterations, " iterations (infinite recursion?)");
    }
    ARROW_RETURN_NOT_OK(query.CheckCancelled());
    query.cte_tables[cte_index_] = std::make_shared<std::vector<Chunk>>(std::move(working));
    std::vector<Chunk> next;
    ARROW_RETURN_NOT_OK(RunSubPlan(recursive_.get(), query, &next));
    ARROW_RETURN_NOT_OK(keep_new(&next));
    working = std::move(next);
  }
  query.cte_tables.erase(cte_index_);
  g.result = std::make_shared<std::vector<Chunk>>();
  for (const auto& c : *all) SplitChunk(c, query.batch_size, g.result.get());
  metrics().SetExtra("iterations=" + std::to_string(iterations));
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> RecursiveCteOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<CteGlobal*>(query.sink_state(this));
  return ChunkListSource::Consuming(g->result);
}

Result<bool> RecursiveCteOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                     LocalSourceState&, Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
