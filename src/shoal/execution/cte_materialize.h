// Materialized CTEs: a subplan computed once and read by several scans.
#pragma once

#include <string>

#include "shoal/execution/physical_operator.h"

namespace shoal::exec {

/// Reads the rows of a shared subplan (plan::LogicalMaterializedCte). Every reader
/// of one subplan holds the same `definition`; the first reader to start (in
/// MakeGlobalSourceState, on the driving thread, so never concurrently) runs the
/// definition to completion with RunSubPlan and stores its chunks in the query's
/// cte_tables under `cte_index`; later readers scan the stored chunks. A query
/// context created for a sub-plan inherits the rows already stored. The rows stay
/// until the query ends. Row order is not kept (as for any subquery).
class MaterializedCteScanOp : public PhysicalOperator {
 public:
  MaterializedCteScanOp(TypeVector types, int cte_index, std::string name,
                        PhysicalOperatorPtr definition)
      : PhysicalOperator("CteScan", std::move(types)),
        cte_index_(cte_index),
        cte_name_(std::move(name)),
        definition_(std::move(definition)) {}

  Kind kind() const override { return Kind::kSource; }
  std::string Details() const override;
  /// The shared subplan (rendered under the first reader by EXPLAIN).
  const PhysicalOperatorPtr& definition() const { return definition_; }
  int cte_index() const { return cte_index_; }

  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

 private:
  int cte_index_;
  std::string cte_name_;
  PhysicalOperatorPtr definition_;
};

}  // namespace shoal::exec
