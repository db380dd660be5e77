// Physical operators and the rules for running them in parallel.
//
// A physical plan is a tree of const PhysicalOperator objects. The pipeline
// builder (pipeline.h) splits it at pipeline breakers into pipelines: a source,
// a chain of streaming operators and a sink. Each pipeline runs on N worker
// threads (ExecutionOptions::threads) that claim work (scan morsels, partitions of
// a finished sink) from the source's global state and push chunks through the
// chain into the sink.
//
// Concurrency rules (every operator must follow them):
//  1. Operators are immutable after planning. All mutable state lives in state
//     objects: GlobalSourceState / GlobalSinkState (one per operator per query,
//     shared by all threads; any access from GetData/Sink must be synchronized by
//     the operator, e.g. atomics or a mutex) and LocalSourceState / OperatorState /
//     LocalSinkState (one per worker thread per pipeline run; never shared).
//     The only exception is OperatorMetrics, which holds atomics.
//  2. Source: MakeGlobalSourceState runs once on the driving thread before workers
//     start; MakeLocalSourceState and GetData run on each worker, concurrently.
//     GetData returns false when the worker should stop; sources must check
//     ThreadContext::stop_claiming before claiming a new unit of work (a morsel)
//     and must finish a claimed unit first (so order-sensitive sinks see a prefix
//     of the source order).
//  3. Streaming operator: Execute runs concurrently on all workers, each with its
//     own OperatorState; it may call `emit` zero or more times per input chunk.
//  4. Sink: MakeGlobalSinkState runs once before the first pipeline feeding the
//     sink starts (the state is registered in the QueryContext so the operator's
//     source/probe roles in later pipelines can find it). Sink runs in parallel
//     (one LocalSinkState per worker); Combine runs once per worker after that
//     worker's last Sink call (several workers may Combine at the same time, so
//     Combine must lock when touching the global state); Finalize runs exactly
//     once, on one thread, after every pipeline feeding the sink has finished.
//  5. Pipelines run one after another in dependency order; a pipeline starts only
//     when the sinks it reads (as a source or through a probe) are finalized.
//  6. Any error stops all workers of the pipeline (QueryContext::abort) and is
//     returned from the run; the cancel flag is polled between chunks.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/compute/exec.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/execution/chunk.h"

namespace shoal::exec {

class PhysicalOperator;
using PhysicalOperatorPtr = std::shared_ptr<const PhysicalOperator>;
using TypeVector = std::vector<std::shared_ptr<arrow::DataType>>;

class GlobalSourceState {
 public:
  virtual ~GlobalSourceState() = default;
};
class LocalSourceState {
 public:
  virtual ~LocalSourceState() = default;
};
class OperatorState {
 public:
  virtual ~OperatorState() = default;
};
class GlobalSinkState {
 public:
  virtual ~GlobalSinkState() = default;
};
class LocalSinkState {
 public:
  virtual ~LocalSinkState() = default;
};

/// Shared state of one query run: options, cancellation, the global sink states
/// and the working tables of recursive CTEs.
class QueryContext {
 public:
  int threads = 1;
  int64_t batch_size = 8192;
  const std::atomic<bool>* cancel = nullptr;
  arrow::compute::FunctionRegistry* registry = nullptr;
  /// Set when any worker failed; every worker stops at its next check.
  std::atomic<bool> abort{false};

  /// Return Cancelled when the cancel flag is set.
  Status CheckCancelled() const {
    if (cancel != nullptr && cancel->load(std::memory_order_relaxed)) {
      return Status::Cancelled("query cancelled");
    }
    return Status::OK();
  }
  /// Return the global sink state of `op` (null when none was made yet).
  GlobalSinkState* sink_state(const PhysicalOperator* op) const;
  /// Register the global sink state of `op` (driving thread only).
  void set_sink_state(const PhysicalOperator* op, std::unique_ptr<GlobalSinkState> state);
  /// Destroy the global sink state of `op` once no pipeline will use it again
  /// (driving thread only, between pipelines).
  void release_sink_state(const PhysicalOperator* op);
  /// Operators with a registered sink state.
  std::vector<const PhysicalOperator*> sink_state_owners() const;

  /// Working tables of recursive CTEs by cte index (set between iterations by the
  /// driving thread, read by CteScan sources).
  std::map<int, std::shared_ptr<const std::vector<Chunk>>> cte_tables;

 private:
  std::map<const PhysicalOperator*, std::unique_ptr<GlobalSinkState>> sink_states_;
};

/// Per-worker context.
struct ThreadContext {
  QueryContext* query = nullptr;
  int thread_index = 0;
  /// Arrow compute context (Shoal registry, use_threads=false).
  arrow::compute::ExecContext* arrow_ctx = nullptr;
  /// Set when the pipeline's sink needs no more input: sources claim no new work.
  const std::atomic<bool>* stop_claiming = nullptr;
  /// Which input of the sink the running pipeline feeds (0 or 1 for set operations).
  int sink_input = 0;
  bool ShouldStopClaiming() const {
    return stop_claiming != nullptr && stop_claiming->load(std::memory_order_relaxed);
  }
};

/// Counters shown by EXPLAIN ANALYZE (updated with relaxed atomics).
struct OperatorMetrics {
  std::atomic<int64_t> rows_in{0};
  std::atomic<int64_t> rows_out{0};
  std::atomic<int64_t> time_ns{0};
  mutable std::mutex mu;
  std::string extra;  ///< operator-specific text, e.g. scan pruning counters
  void SetExtra(std::string s) {
    std::lock_guard<std::mutex> lock(mu);
    extra = std::move(s);
  }
  std::string GetExtra() const {
    std::lock_guard<std::mutex> lock(mu);
    return extra;
  }
  void Reset() {
    rows_in = 0;
    rows_out = 0;
    time_ns = 0;
    SetExtra("");
  }
};

/// Measure wall time into a metrics counter.
class ScopedTimer {
 public:
  explicit ScopedTimer(std::atomic<int64_t>* out)
      : out_(out), start_(std::chrono::steady_clock::now()) {}
  ~ScopedTimer() {
    out_->fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - start_)
                        .count(),
                    std::memory_order_relaxed);
  }

 private:
  std::atomic<int64_t>* out_;
  std::chrono::steady_clock::time_point start_;
};

/// Callback receiving the chunks an operator produces.
using Emit = std::function<Status(Chunk&&)>;

/// Base of all physical operators. An operator may play several roles: a source
/// (scan, or the output side of a breaker), a streaming operator, a sink (the
/// input side of a breaker). The pipeline builder asks the role predicates.
class PhysicalOperator {
 public:
  PhysicalOperator(std::string name, TypeVector types)
      : name_(std::move(name)), types_(std::move(types)) {}
  virtual ~PhysicalOperator() = default;

  /// Short name, e.g. "HashJoin".
  const std::string& name() const { return name_; }
  /// Return operator details for EXPLAIN ("INNER ON a@1 = b@4").
  virtual std::string Details() const { return ""; }
  /// Output column types.
  const TypeVector& types() const { return types_; }
  /// Child operators (inputs).
  std::vector<PhysicalOperatorPtr> children;
  /// Metrics (mutable: updated by workers with atomics).
  OperatorMetrics& metrics() const { return metrics_; }

  /// How the pipeline builder treats this operator.
  enum class Kind {
    kSource,     ///< leaf source (scan, values)
    kStreaming,  ///< chunk-in, chunks-out operator
    kBreaker,    ///< sink of its child's pipeline and source of the next one
    kJoin,       ///< sink for children[build], streaming for the probe child
    kUnion,      ///< children feed the parent pipeline's sink directly
  };
  virtual Kind kind() const = 0;

  // ---- source role -------------------------------------------------------
  /// True when GetData yields rows in a meaningful order (sorted output).
  virtual bool ordered_source() const { return false; }
  virtual Result<std::unique_ptr<GlobalSourceState>> MakeGlobalSourceState(
      QueryContext& query) const;
  virtual Result<std::unique_ptr<LocalSourceState>> MakeLocalSourceState(
      ThreadContext& ctx, GlobalSourceState& global) const;
  /// Produce the next chunk into `out`; return false when this worker is done.
  virtual Result<bool> GetData(ThreadContext& ctx, GlobalSourceState& global,
                               LocalSourceState& local, Chunk* out) const;

  // ---- streaming role ----------------------------------------------------
  virtual Result<std::unique_ptr<OperatorState>> MakeOperatorState(ThreadContext& ctx) const;
  virtual Status Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                         const Emit& emit) const;

  // ---- sink role ---------------------------------------------------------
  virtual Result<std::unique_ptr<GlobalSinkState>> MakeGlobalSinkState(
      QueryContext& query) const;
  virtual Result<std::unique_ptr<LocalSinkState>> MakeLocalSinkState(
      ThreadContext& ctx, GlobalSinkState& global) const;
  virtual Status Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState& global,
                      LocalSinkState& local) const;
  virtual Status Combine(ThreadContext& ctx, GlobalSinkState& global,
                         LocalSinkState& local) const;
  virtual Status Finalize(QueryContext& query, GlobalSinkState& global) const;
  /// True when the sink needs no more input (a satisfied LIMIT).
  virtual bool SinkSatisfied(GlobalSinkState& global) const { return false; }

  // ---- join role ---------------------------------------------------------
  /// For kJoin: index of the child that feeds the sink (build side).
  virtual int build_child() const { return 1; }
  /// For kJoin: true when, after the probe pipeline, the operator's source role
  /// must emit further rows (unmatched build rows of outer joins).
  virtual bool has_build_output() const { return false; }

 private:
  std::string name_;
  TypeVector types_;
  mutable OperatorMetrics metrics_;
};

/// Helper: a source global state handing out indexes 0..n-1 to workers.
class CounterSourceState : public GlobalSourceState {
 public:
  explicit CounterSourceState(int64_t n) : n_(n) {}
  /// Claim the next index; return -1 when none is left.
  int64_t Next() {
    int64_t i = next_.fetch_add(1, std::memory_order_relaxed);
    return i < n_ ? i : -1;
  }
  int64_t size() const { return n_; }

 private:
  int64_t n_;
  std::atomic<int64_t> next_{0};
};

/// Helper: a source over a vector of finished chunks (breaker output), claimed one
/// chunk at a time; chunk i gets order i.
class ChunkListSource : public GlobalSourceState {
 public:
  /// Hand out copies of `chunks` (which stay intact, e.g. for re-runs).
  explicit ChunkListSource(std::shared_ptr<const std::vector<Chunk>> chunks)
      : chunks_(std::move(chunks)), counter_(static_cast<int64_t>(chunks_->size())) {}
  /// Hand out `chunks` by moving them out, so that each chunk's memory goes
  /// with the last reader (for breaker results read exactly once).
  static std::unique_ptr<ChunkListSource> Consuming(std::shared_ptr<std::vector<Chunk>> chunks) {
    auto s = std::make_unique<ChunkListSource>(chunks);
    s->owned_ = std::move(chunks);
    return s;
  }
  /// Claim the next chunk into `out`; return false when none is left.
  bool Next(const ThreadContext& ctx, Chunk* out) {
    if (ctx.ShouldStopClaiming()) return false;
    int64_t i = counter_.Next();
    if (i < 0) return false;
    if (owned_ != nullptr) {
      *out = std::move((*owned_)[i]);  // each index is claimed by one worker
    } else {
      *out = (*chunks_)[i];
    }
    out->order = static_cast<uint64_t>(i);
    return true;
  }

 private:
  std::shared_ptr<const std::vector<Chunk>> chunks_;
  std::shared_ptr<std::vector<Chunk>> owned_;
  CounterSourceState counter_;
};

/// Split `chunk` into pieces of at most `batch_size` rows appended to `out`.
void SplitChunk(const Chunk& chunk, int64_t batch_size, std::vector<Chunk>* out);

}  // namespace shoal::exec
