#include "shoal/execution/cte_materialize.h"

#include "shoal/execution/pipeline.h"

namespace shoal::exec {

std::string MaterializedCteScanOp::Details() const {
  return (cte_name_.empty() ? "" : cte_name_ + " ") + "#" + std::to_string(cte_index_) +
         " (materialized)";
}

Result<std::unique_ptr<GlobalSourceState>> MaterializedCteScanOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto it = query.cte_tables.find(cte_index_);
  if (it == query.cte_tables.end()) {
    if (definition_ == nullptr) {
      return Status::Invalid("internal error: materialized CTE #", cte_index_,
                             " has no definition");
    }
    auto rows = std::make_shared<std::vector<Chunk>>();
    ARROW_RETURN_NOT_OK(RunSubPlan(definition_.get(), query, rows.get()));
    it = query.cte_tables.emplace(cte_index_, std::move(rows)).first;
  }
  return std::make_unique<ChunkListSource>(it->second);
}

Result<bool> MaterializedCteScanOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                            LocalSourceState&, Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
