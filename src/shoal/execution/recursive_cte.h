// WITH RECURSIVE: iterate the recursive part over a working table.
#pragma once

#include <string>

#include "shoal/execution/physical_operator.h"

namespace shoal::exec {

/// Sinks the anchor rows, then (at Finalize) runs the recursive part again and
/// again with the previous iteration's new rows as the working table (read by
/// CteScanOp with the same index) until an iteration yields no (new) rows. UNION
/// (not ALL) drops rows seen before. Stops with an error after kMaxIterations.
class RecursiveCteOp : public PhysicalOperator {
 public:
  static constexpr int kMaxIterations = 10000;

  RecursiveCteOp(TypeVector types, int cte_index, std::string name, bool union_all,
                 PhysicalOperatorPtr recursive)
      : PhysicalOperator("RecursiveCte", std::move(types)),
        cte_index_(cte_index),
        cte_name_(std::move(name)),
        union_all_(union_all),
        recursive_(std::move(recursive)) {}

  Kind kind() const override { return Kind::kBreaker; }
  std::string Details() const override {
    return cte_name_ + (union_all_ ? " UNION ALL" : " UNION");
  }
  const PhysicalOperatorPtr& recursive() const { return recursive_; }

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
  int cte_index_;
  std::string cte_name_;
  bool union_all_;
  PhysicalOperatorPtr recursive_;
};

}  // namespace shoal::exec
