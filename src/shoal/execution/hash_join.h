// Hash join (equality keys) and nested-loop join (no keys) for every join type.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec {

/// A join that builds on one child (sink role, parallel) and probes with the
/// other (streaming role, parallel). Without keys every build row is a candidate
/// (nested-loop join). `residual` is evaluated on candidate pairs laid out as
/// left columns then right columns. Outer joins' unmatched build rows, and
/// semi/anti/mark joins that build on the left, are emitted by the source role
/// after the probe pipeline.
class HashJoinOp : public PhysicalOperator {
 public:
  struct Config {
    plan::JoinType type = plan::JoinType::kInner;
    bool build_right = true;
    bool mark_null_aware = false;
    TypeVector left_types;
    TypeVector right_types;
    ExprList probe_keys;  ///< over the probe child's columns
    ExprList build_keys;  ///< over the build child's columns (same types)
    std::shared_ptr<const ExprEvaluator> residual;
    std::string details;
  };

  HashJoinOp(TypeVector output_types, Config config);

  Kind kind() const override { return Kind::kJoin; }
  std::string Details() const override { return config_.details; }
  int build_child() const override { return config_.build_right ? 1 : 0; }
  bool has_build_output() const override;

  // build (sink)
  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const override;
  Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const override;
  Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
              LocalSinkState& local) const override;
  Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                 LocalSinkState& local) const override;
  Status Finalize(QueryContext& query, GlobalSinkState& global) const override;

  // probe (streaming)
  Result<std::unique_ptr<OperatorState>> MakeOperatorState(ThreadContext& ctx) const override;
  Status Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                 const Emit& emit) const override;

  // build output (source)
  Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const override;
  Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState& local,
                       Chunk* out) const override;

  struct Global;
  struct ProbeState;

 private:
  /// True when the probe emits matched pairs (not semi/anti/mark on the probe side).
  bool EmitsPairs() const;
  /// True when unmatched probe rows are emitted with null build columns.
  bool ProbeOuter() const;
  /// True when build rows need match flags.
  bool TracksBuildMatches() const;
  Status ProcessPairs(ThreadContext& ctx, ProbeState& st, const Chunk& probe,
                      std::vector<int32_t>* pi, std::vector<uint32_t>* bi,
                      std::vector<uint32_t>* probe_counts, std::vector<uint8_t>* probe_nulls,
                      const Emit& emit) const;
  Status FinishProbeChunk(ThreadContext& ctx, ProbeState& st, const Chunk& probe,
                          const std::vector<uint32_t>& counts,
                          const std::vector<uint8_t>& residual_nulls, const Emit& emit) const;
  Result<Chunk> MakePairs(const Chunk& probe, const Chunk& build,
                          const std::vector<int32_t>& pi, const std::vector<uint32_t>& bi,
                          ThreadContext& ctx) const;

  Config config_;
  bool integer_keys_ = false;
};

}  // namespace shoal::exec
