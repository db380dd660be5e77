// Pipelines: splitting a physical plan at breakers and running the pieces on
// worker threads (see physical_operator.h for the concurrency rules).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "shoal/execution/physical_operator.h"

namespace shoal::exec {

/// A source, a chain of streaming operators and a sink.
struct Pipeline {
  const PhysicalOperator* source = nullptr;
  std::vector<const PhysicalOperator*> operators;  ///< in data-flow order
  const PhysicalOperator* sink = nullptr;
  /// Which input of the sink this pipeline feeds (set operations: 0 left, 1 right).
  int sink_input = 0;
  /// Run on one thread (the output must stay in source order).
  bool single_threaded = false;
};

/// A sink that hands every chunk to a callback (the query result, sub-plans).
/// The callback may be called from several worker threads at once.
class CallbackSink : public PhysicalOperator {
 public:
  using Callback = std::function<Status(Chunk&&)>;
  CallbackSink(TypeVector types, Callback cb)
      : PhysicalOperator("Result", std::move(types)), callback_(std::move(cb)) {}
  Kind kind() const override { return Kind::kBreaker; }
  Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(QueryContext&) const override {
    return std::make_unique<GlobalSinkState>();
  }
  Status Sink(ThreadContext&, Chunk&& input, GlobalSinkState&, LocalSinkState&) const override {
    return callback_(std::move(input));
  }

 private:
  Callback callback_;
};

/// Split the plan under `root` into pipelines ending in `sink`. Pipelines are
/// returned in creation order; RunPipelines works out the dependencies.
Result<std::vector<Pipeline>> BuildPipelines(const PhysicalOperator* root,
                                             const PhysicalOperator* sink, bool ordered_output);

/// Run `pipelines` in dependency order with query.threads workers each; finalize
/// each sink after the last pipeline feeding it.
Status RunPipelines(const std::vector<Pipeline>& pipelines, QueryContext& query);

/// Run the plan under `root` to completion and collect its output chunks (used by
/// recursive CTEs). A fresh QueryContext inherits options and CTE tables from
/// `parent`. Chunks are returned in no particular order.
Status RunSubPlan(const PhysicalOperator* root, const QueryContext& parent,
                  std::vector<Chunk>* out);

/// Describe pipelines for debugging ("Pipeline 0: Scan -> Filter -> HashAggregate").
std::string PipelinesToString(const std::vector<Pipeline>& pipelines);

}  // namespace shoal::exec
