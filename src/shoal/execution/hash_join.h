// Hash join (equality keys) and nested-loop join (no keys) for every join type.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "shoal/execution/expression_evaluator.h"
#include "shoal/execution/join_hash_table.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/execution/runtime_filter.h"
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
    /// Output columns of each side that the operators above read (empty: all).
    /// Columns nobody reads are neither stored on the build side nor gathered
    /// for output; they are passed on as placeholder arrays of the null type.
    std::vector<bool> left_keep, right_keep;
    /// Columns of each side that `residual` reads (empty: none).
    std::vector<bool> left_residual, right_residual;
  };

  HashJoinOp(TypeVector output_types, Config config);

  const Config& config() const { return config_; }
  /// Build a RuntimeFilter from the build keys in Finalize (planning time only;
  /// see AttachRuntimeFilters).
  void EnableRuntimeFilter() { runtime_filter_ = true; }
  bool runtime_filter_enabled() const { return runtime_filter_; }
  /// The runtime filter built by the finished build side of this query run, or
  /// null (not enabled, or the build side is not finalized).
  const RuntimeFilter* runtime_filter(const QueryContext& query) const;

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
  /// True when a probe row only needs to know whether it has a match.
  bool ExistenceOnly() const;
  Status ProcessPairs(ThreadContext& ctx, ProbeState& st, const Chunk& probe,
                      const Emit& emit) const;
  Status FinishProbeChunk(ThreadContext& ctx, ProbeState& st, const Chunk& probe,
                          const Emit& emit) const;
  Result<Chunk> MakePairs(const Chunk& probe, const Chunk& build,
                          const std::vector<int32_t>& pi, const std::vector<uint32_t>& bi,
                          ThreadContext& ctx) const;
  /// Replace the output columns nobody reads with placeholders and emit.
  Status EmitMasked(Chunk&& out, const Emit& emit) const;
  /// Append null columns of `types` (placeholders where `keep` is false).
  Status AppendNullColumns(const TypeVector& types, const std::vector<bool>& keep, int64_t n,
                           std::vector<std::shared_ptr<arrow::Array>>* out) const;

  Config config_;
  KeyLayout key_layout_;
  const TypeVector* build_types_ = nullptr;
  const TypeVector* probe_types_ = nullptr;
  std::vector<bool> build_store_;  ///< build columns kept by the sink
  std::vector<bool> probe_pair_;   ///< probe columns gathered into pairs
  std::vector<bool> out_keep_;     ///< output columns passed on (others placeholders)
  bool runtime_filter_ = false;
};

}  // namespace shoal::exec
