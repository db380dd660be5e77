// UNION / INTERSECT / EXCEPT (distinct and ALL) by hashing whole rows.
#pragma once

#include "shoal/execution/physical_operator.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

/// Counts each distinct row per input (left = sink input 0, right = 1) with a
/// thread-local Arrow Grouper, merges the counts and emits rows by the set rule.
/// UNION ALL does not use this operator (see UnionAllOp).
class SetOperationOp : public PhysicalOperator {
 public:
  SetOperationOp(TypeVector types, plan::SetOpKind op, bool all)
      : PhysicalOperator("SetOperation", std::move(types)), op_(op), all_(all) {}
  Kind kind() const override { return Kind::kBreaker; }
  std::string Details() const override;

  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const override;
  Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
              LocalSinkState& local) const override;
  Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                 LocalSinkState& local) const override;
  Status Finalize(QueryContext& query, GlobalSinkState& global) const override;
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  plan::SetOpKind op_;
  bool all_;
};

}  // namespace shoal::exec
