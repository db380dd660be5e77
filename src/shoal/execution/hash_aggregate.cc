#include "shoal/execution/hash_aggregate.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/function.h>
#include <arrow/compute/registry.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/scalar.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/group_key_map.h"
#include "shoal/function/group_merge.h"
#include "shoal/execution/sort_util.h"

namespace shoal::exec {

namespace cp = arrow::compute;
using arrow::Datum;

namespace {

/// Collected rows of one Shoal-computed aggregate.
struct ShoalData {
  arrow::ArrayVector ids;
  std::vector<arrow::ArrayVector> args;  // per chunk: argument + order columns
};

Result<std::shared_ptr<arrow::Array>> Zeros(int64_t n, cp::ExecContext* ctx) {
  return arrow::MakeArrayFromScalar(arrow::UInt32Scalar(0), n, ctx->memory_pool());
}



}  // namespace

struct HashAggregateOp::SetState {
  std::unique_ptr<GroupKeyMap> grouper;  // null for the empty key set
  std::vector<std::unique_ptr<cp::KernelState>> kernel_states;
  std::vector<ShoalData> shoal;
  /// Group ids of an ungrouped aggregate (all zero), reused across chunks by slicing.
  std::shared_ptr<arrow::Array> zeros;
  uint32_t num_groups() const { return grouper ? grouper->num_groups() : 1; }
  /// Partitioned merging (set by PreparePartitions): the groups sorted by radix
  /// (the top kRadixBits of their hash); radix r's groups are
  /// part_groups[part_start[r], part_start[r + 1]).
  std::vector<uint32_t> part_groups;
  std::vector<uint32_t> part_start;
};

struct HashAggregateOp::Local : LocalSinkState {
  cp::ExecContext* ctx = nullptr;  // owned by the global state (kernel states keep it)
  std::unique_ptr<ExprListState> inputs;
  std::vector<std::unique_ptr<SetState>> sets;
};

namespace {

std::atomic<uint32_t> g_partition_min_groups{16384};

constexpr int kRadixBits = 8;
constexpr int kRadixes = 1 << kRadixBits;

struct AggGlobal : GlobalSinkState {
  std::mutex mu;
  /// Thread-local tables kept for partitioned merging (see Combine).
  std::vector<std::unique_ptr<HashAggregateOp::SetState>> partitioned;
  /// Set by Finalize when `partitioned` is merged partition by partition by the
  /// source (in parallel) instead of into `sets`.
  int num_partitions = 0;
  std::atomic<int64_t> partition_ns{0};
  std::deque<cp::ExecContext> contexts;  // outlive every kernel state
  std::vector<std::unique_ptr<HashAggregateOp::SetState>> sets;  // merged
  std::shared_ptr<std::vector<Chunk>> result;
  int64_t merge_ns = 0;  // guarded by mu
  cp::ExecContext* NewContext(cp::FunctionRegistry* registry) {
    std::lock_guard<std::mutex> lock(mu);
    contexts.emplace_back(EngineMemoryPool(), nullptr, registry);
    contexts.back().set_use_threads(false);
    return &contexts.back();
  }
};

/// Source over the partitions of a partitioned merge: each claim merges one
/// partition of every thread-local table and finalizes it.
struct PartitionSource : GlobalSourceState {
  explicit PartitionSource(AggGlobal* g) : global(g), counter(g->num_partitions) {}
  AggGlobal* global;
  CounterSourceState counter;
};

struct PartitionLocalSource : LocalSourceState {
  std::vector<Chunk> pending;
  size_t next = 0;
  uint64_t partition = 0;
};

/// True when every kernel state of `st` can merge single groups.
bool GroupMergeable(const HashAggregateOp::SetState& st) {
  if (!st.grouper) return false;
  for (const auto& ks : st.kernel_states) {
    if (ks == nullptr || dynamic_cast<const shoal::GroupMergeable*>(ks.get()) == nullptr) {
      return false;
    }
  }
  return true;
}

/// Sort the groups of `st` by hash radix for partitioned merging; false when the
/// group key map cannot hash its groups.
bool PreparePartitions(HashAggregateOp::SetState* st) {
  std::vector<uint64_t> hashes;
  if (!st->grouper->GroupHashes(&hashes)) return false;
  const size_t n = hashes.size();
  st->part_start.assign(kRadixes + 1, 0);
  for (uint64_t h : hashes) ++st->part_start[(h >> (64 - kRadixBits)) + 1];
  for (int r = 0; r < kRadixes; ++r) st->part_start[r + 1] += st->part_start[r];
  std::vector<uint32_t> pos(st->part_start.begin(), st->part_start.end() - 1);
  st->part_groups.resize(n);
  for (size_t g = 0; g < n; ++g) {
    st->part_groups[pos[hashes[g] >> (64 - kRadixBits)]++] = static_cast<uint32_t>(g);
  }
  return true;
}

}  // namespace

Result<std::shared_ptr<HashAggregateOp>> HashAggregateOp::Make(
    TypeVector output_types, ExprList inputs, int num_groups,
    std::vector<std::vector<int>> sets, bool emit_grouping_id,
    std::vector<AggregateSpec> aggregates, cp::FunctionRegistry* registry) {
  auto input_types = inputs.types();
  for (auto& a : aggregates) {
    a.collect = a.bound.distinct_input || !a.order.empty();
    if (a.collect) continue;  // aggregated at Finalize
    const std::string& fname = a.bound.hash_function;
    ARROW_ASSIGN_OR_RAISE(auto fn, registry->GetFunction(fname));
    if (fn->kind() != cp::Function::HASH_AGGREGATE) {
      return Status::Invalid("internal error: '", fname, "' is not a hash aggregate function");
    }
    a.kernel_types.clear();
    for (int arg : a.args) a.kernel_types.emplace_back(input_types[arg]);
    a.kernel_types.emplace_back(arrow::uint32());
    auto kernel = fn->DispatchExact(a.kernel_types);
    if (!kernel.ok()) {
      std::string types;
      for (size_t i = 0; i + 1 < a.kernel_types.size(); ++i) {
        types += (i ? ", " : "") + a.kernel_types[i].type->ToString();
      }
      return Status::NotImplemented("aggregate ", a.display, ": no kernel of ", fname, " for (",
                                    types, ")");
    }
    a.kernel = static_cast<const cp::HashAggregateKernel*>(*kernel);
    a.kernel_options = a.bound.options ? a.bound.options.get() : fn->default_options();
  }
  return std::make_shared<HashAggregateOp>(std::move(output_types), std::move(inputs),
                                           num_groups, std::move(sets), emit_grouping_id,
                                           std::move(aggregates));
}

std::string HashAggregateOp::Details() const {
  std::string s;
  if (num_groups_ > 0) {
    s += "keys=[";
    for (int i = 0; i < num_groups_; ++i) s += (i ? ", " : "") + inputs_[i]->ToString();
    s += "] ";
  }
  s += "aggs=[";
  for (size_t i = 0; i < aggregates_.size(); ++i) {
    s += (i ? ", " : "") + aggregates_[i].display;
  }
  s += "]";
  if (sets_.size() > 1) s += " sets=" + std::to_string(sets_.size());
  return s;
}

Result<std::unique_ptr<HashAggregateOp::SetState>> HashAggregateOp::MakeSetState(
    size_t set, cp::ExecContext* ctx) const {
  auto st = std::make_unique<SetState>();
  if (!sets_[set].empty()) {
    std::vector<std::shared_ptr<arrow::DataType>> key_types;
    for (int g : sets_[set]) key_types.push_back(inputs_[g]->type());
    ARROW_ASSIGN_OR_RAISE(st->grouper, GroupKeyMap::Make(key_types, ctx));
  }
  st->kernel_states.resize(aggregates_.size());
  st->shoal.resize(aggregates_.size());
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    const auto& spec = aggregates_[a];
    if (spec.kernel == nullptr) continue;
    cp::KernelContext kctx(ctx);
    ARROW_ASSIGN_OR_RAISE(st->kernel_states[a],
                          spec.kernel->init(&kctx, cp::KernelInitArgs{spec.kernel,
                                                                      spec.kernel_types,
                                                                      spec.kernel_options}));
  }
  return st;
}

Result<std::unique_ptr<GlobalSinkState>> HashAggregateOp::MakeGlobalSinkState(
    QueryContext&) const {
  return std::make_unique<AggGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> HashAggregateOp::MakeLocalSinkState(
    ThreadContext& ctx, GlobalSinkState& global) const {
  auto& g = static_cast<AggGlobal&>(global);
  auto local = std::make_unique<Local>();
  local->ctx = g.NewContext(ctx.query->registry);
  local->inputs = std::make_unique<ExprListState>(&inputs_);
  for (size_t s = 0; s < sets_.size(); ++s) {
    ARROW_ASSIGN_OR_RAISE(auto st, MakeSetState(s, local->ctx));
    local->sets.push_back(std::move(st));
  }
  return local;
}

Status HashAggregateOp::Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState&,
                             LocalSinkState& local_state) const {
  auto& local = static_cast<Local&>(local_state);
  cp::ExecContext* ectx = local.ctx;
  ARROW_ASSIGN_OR_RAISE(Chunk evaluated, local.inputs->EvaluateAll(input, ectx));
  arrow::ArrayVector& values = evaluated.columns;
  // FILTER masks, converted to row indexes once per aggregate.
  std::vector<std::shared_ptr<arrow::Array>> filter_idx(aggregates_.size());
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    if (aggregates_[a].filter >= 0) {
      ARROW_ASSIGN_OR_RAISE(auto mask, AsBooleanMask(values[aggregates_[a].filter],
                                                     "FILTER of " + aggregates_[a].display));
      ARROW_ASSIGN_OR_RAISE(filter_idx[a], MaskToIndices(*mask));
    }
  }
  for (size_t s = 0; s < sets_.size(); ++s) {
    SetState& st = *local.sets[s];
    std::shared_ptr<arrow::Array> ids;
    if (st.grouper) {
      std::vector<std::shared_ptr<arrow::Array>> keys;
      for (int g : sets_[s]) keys.push_back(values[g]);
      ARROW_ASSIGN_OR_RAISE(ids, st.grouper->Consume(keys, input.length));
    } else {
      if (!st.zeros || st.zeros->length() < input.length) {
        ARROW_ASSIGN_OR_RAISE(st.zeros, Zeros(std::max<int64_t>(input.length, 8192), ectx));
      }
      ids = st.zeros->Slice(0, input.length);
    }
    uint32_t ngroups = st.num_groups();
    for (size_t a = 0; a < aggregates_.size(); ++a) {
      const auto& spec = aggregates_[a];
      arrow::ArrayVector args;
      for (int c : spec.args) args.push_back(values[c]);
      std::shared_ptr<arrow::Array> agg_ids = ids;
      if (filter_idx[a]) {
        if (filter_idx[a]->length() == 0) continue;
        if (filter_idx[a]->length() < input.length) {
          cp::TakeOptions opts(false);
          for (auto& arr : args) {
            ARROW_ASSIGN_OR_RAISE(Datum t, cp::Take(arr, filter_idx[a], opts, ectx));
            arr = t.make_array();
          }
          ARROW_ASSIGN_OR_RAISE(Datum t, cp::Take(ids, filter_idx[a], opts, ectx));
          agg_ids = t.make_array();
        }
      }
      if (spec.kernel != nullptr) {
        cp::KernelContext kctx(ectx);
        kctx.SetState(st.kernel_states[a].get());
        ARROW_RETURN_NOT_OK(spec.kernel->resize(&kctx, ngroups));
        std::vector<Datum> batch_values;
        for (auto& arr : args) batch_values.emplace_back(arr);
        batch_values.emplace_back(agg_ids);
        cp::ExecBatch batch(std::move(batch_values), agg_ids->length());
        ARROW_RETURN_NOT_OK(spec.kernel->consume(&kctx, cp::ExecSpan(batch)));
      } else {
        for (int c : spec.order) {
          std::shared_ptr<arrow::Array> arr = values[c];
          if (agg_ids.get() != ids.get()) {
            ARROW_ASSIGN_OR_RAISE(Datum t, cp::Take(arr, filter_idx[a],
                                                    cp::TakeOptions(false), ectx));
            arr = t.make_array();
          }
          args.push_back(arr);
        }
        st.shoal[a].ids.push_back(agg_ids);
        st.shoal[a].args.push_back(std::move(args));
      }
    }
  }
  return Status::OK();
}

Status HashAggregateOp::MergeSet(size_t set, SetState* into, SetState* from,
                                 cp::ExecContext* ctx) const {
  std::shared_ptr<arrow::Array> transposition;
  if (into->grouper) {
    ARROW_ASSIGN_OR_RAISE(transposition, into->grouper->Merge(*from->grouper));
  } else {
    ARROW_ASSIGN_OR_RAISE(transposition, Zeros(1, ctx));
  }
  uint32_t ngroups = into->num_groups();
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    const auto& spec = aggregates_[a];
    if (spec.kernel != nullptr) {
      // A worker that saw no rows never sized its kernel state; size it to its group
      // count (1 for an ungrouped aggregate) so merge reads an empty group, not
      // uninitialized memory.
      cp::KernelContext from_ctx(ctx);
      from_ctx.SetState(from->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(spec.kernel->resize(&from_ctx, from->num_groups()));
      cp::KernelContext kctx(ctx);
      kctx.SetState(into->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(spec.kernel->resize(&kctx, ngroups));
      ARROW_RETURN_NOT_OK(spec.kernel->merge(&kctx, std::move(*from->kernel_states[a]),
                                             *transposition->data()));
    } else {
      auto& src = from->shoal[a];
      for (size_t i = 0; i < src.ids.size(); ++i) {
        ARROW_ASSIGN_OR_RAISE(Datum t, cp::Take(transposition, src.ids[i],
                                                cp::TakeOptions(false), ctx));
        into->shoal[a].ids.push_back(t.make_array());
        into->shoal[a].args.push_back(std::move(src.args[i]));
      }
    }
  }
  return Status::OK();
}

Status HashAggregateOp::Combine(ThreadContext& ctx, GlobalSinkState& global,
                                LocalSinkState& local_state) const {
  auto& g = static_cast<AggGlobal&>(global);
  auto& local = static_cast<Local&>(local_state);
  // A large table whose groups can be merged one by one is kept as is (its groups
  // sorted by hash radix, outside the lock) for a parallel merge by partitions.
  if (ctx.query->threads > 1 && local.sets.size() == 1 &&
      local.sets[0]->num_groups() >= g_partition_min_groups.load(std::memory_order_relaxed) &&
      GroupMergeable(*local.sets[0]) && PreparePartitions(local.sets[0].get())) {
    std::lock_guard<std::mutex> lock(g.mu);
    g.partitioned.push_back(std::move(local.sets[0]));
    local.sets.clear();
    return Status::OK();
  }
  std::lock_guard<std::mutex> lock(g.mu);
  if (g.sets.empty()) {
    g.sets = std::move(local.sets);
    return Status::OK();
  }
  auto t0 = std::chrono::steady_clock::now();
  for (size_t s = 0; s < sets_.size(); ++s) {
    ARROW_RETURN_NOT_OK(MergeSet(s, g.sets[s].get(), local.sets[s].get(), local.ctx));
  }
  local.sets.clear();
  g.merge_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
  return Status::OK();
}

Status HashAggregateOp::FinalizeSet(size_t set, SetState* st, cp::ExecContext* ctx,
                                    int64_t batch_size, std::vector<Chunk>* out) const {
  uint32_t n = st->num_groups();
  Chunk chunk;
  chunk.length = n;
  // Group columns: the set's keys, nulls for groups outside the set.
  std::vector<std::shared_ptr<arrow::Array>> keys;
  if (st->grouper) {
    ARROW_ASSIGN_OR_RAISE(keys, st->grouper->GetUniques());
  }
  uint64_t grouping_id = 0;
  for (int g = 0; g < num_groups_; ++g) {
    auto it = std::find(sets_[set].begin(), sets_[set].end(), g);
    if (it == sets_[set].end()) {
      grouping_id |= uint64_t{1} << (num_groups_ - 1 - g);
      ARROW_ASSIGN_OR_RAISE(auto nulls, arrow::MakeArrayOfNull(types()[g], n));
      chunk.columns.push_back(nulls);
    } else {
      auto col = keys[it - sets_[set].begin()];
      if (!col->type()->Equals(*types()[g])) {
        ARROW_ASSIGN_OR_RAISE(Datum c, CastDatum(Datum(col), types()[g], false, ctx));
        col = c.make_array();
      }
      chunk.columns.push_back(col);
    }
  }
  for (size_t a = 0; a < aggregates_.size(); ++a) {
    const auto& spec = aggregates_[a];
    std::shared_ptr<arrow::Array> result;
    if (spec.kernel != nullptr) {
      cp::KernelContext kctx(ctx);
      kctx.SetState(st->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(spec.kernel->resize(&kctx, n));
      Datum d;
      ARROW_RETURN_NOT_OK(spec.kernel->finalize(&kctx, &d));
      ARROW_ASSIGN_OR_RAISE(d, FinalizeAggregate(spec.bound, d, ctx));
      result = d.make_array();
    } else {
      auto& data = st->shoal[a];
      std::shared_ptr<arrow::Array> ids;
      std::vector<std::shared_ptr<arrow::Array>> args;
      size_t nargs = spec.args.size() + spec.order.size();
      if (data.ids.empty()) {
        ARROW_ASSIGN_OR_RAISE(ids, arrow::MakeEmptyArray(arrow::uint32()));
        auto in_types = inputs_.types();
        for (int c : spec.args) {
          ARROW_ASSIGN_OR_RAISE(auto e, arrow::MakeEmptyArray(in_types[c]));
          args.push_back(e);
        }
        for (int c : spec.order) {
          ARROW_ASSIGN_OR_RAISE(auto e, arrow::MakeEmptyArray(in_types[c]));
          args.push_back(e);
        }
      } else {
        ARROW_ASSIGN_OR_RAISE(ids, arrow::Concatenate(data.ids, ctx->memory_pool()));
        for (size_t k = 0; k < nargs; ++k) {
          arrow::ArrayVector parts;
          for (auto& chunk_args : data.args) parts.push_back(chunk_args[k]);
          ARROW_ASSIGN_OR_RAISE(auto arr, arrow::Concatenate(parts, ctx->memory_pool()));
          args.push_back(arr);
        }
      }
      ARROW_ASSIGN_OR_RAISE(result, ComputeCollectedAggregate(spec, ids, args, n, ctx));
    }
    const auto& want = types()[num_groups_ + a];
    if (!result->type()->Equals(*want)) {
      ARROW_ASSIGN_OR_RAISE(Datum c, CastDatum(Datum(result), want, false, ctx));
      result = c.make_array();
    }
    chunk.columns.push_back(result);
  }
  if (emit_grouping_id_) {
    ARROW_ASSIGN_OR_RAISE(auto gid, arrow::MakeArrayFromScalar(arrow::UInt64Scalar(grouping_id),
                                                               n, ctx->memory_pool()));
    chunk.columns.push_back(gid);
  }
  if (n > 0) SplitChunk(chunk, batch_size, out);
  return Status::OK();
}

Status HashAggregateOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<AggGlobal&>(global);
  cp::ExecContext* ctx = g.NewContext(query.registry);
  if (!g.partitioned.empty()) {
    if (g.partitioned.size() == 1 && g.sets.empty()) {
      g.sets = std::move(g.partitioned);  // nothing to merge
      g.partitioned.clear();
    } else {
      if (!g.sets.empty()) {
        if (!PreparePartitions(g.sets[0].get())) {
          return Status::Invalid("internal error: aggregate groups cannot be partitioned");
        }
        g.partitioned.push_back(std::move(g.sets[0]));
        g.sets.clear();
      }
      int64_t groups = 0;
      for (const auto& st : g.partitioned) groups += st->num_groups();
      // About 16K groups per partition (hash tables that fit the cache), at least
      // 4 per thread.
      int parts = 1;
      while (parts < kRadixes &&
             (parts < 4 * query.threads || groups / parts > (int64_t{1} << 14))) {
        parts *= 2;
      }
      g.num_partitions = parts;
      char buf[128];
      std::snprintf(buf, sizeof(buf), "tables=%zu partitions=%d merge=%.1fms",
                    g.partitioned.size(), parts, g.merge_ns / 1e6);
      metrics().SetExtra(buf);
      return Status::OK();
    }
  }
  if (g.sets.empty()) {
    for (size_t s = 0; s < sets_.size(); ++s) {
      ARROW_ASSIGN_OR_RAISE(auto st, MakeSetState(s, ctx));
      g.sets.push_back(std::move(st));
    }
  }
  g.result = std::make_shared<std::vector<Chunk>>();
  auto t0 = std::chrono::steady_clock::now();
  int64_t groups = 0;
  for (size_t s = 0; s < sets_.size(); ++s) {
    groups += g.sets[s]->num_groups();
    ARROW_RETURN_NOT_OK(FinalizeSet(s, g.sets[s].get(), ctx, query.batch_size,
                                    g.result.get()));
    g.sets[s].reset();
  }
  double fin_ms = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count() /
                  1000.0;
  char buf[128];
  std::snprintf(buf, sizeof(buf), "groups=%lld merge=%.1fms finalize=%.1fms",
                static_cast<long long>(groups), g.merge_ns / 1e6, fin_ms);
  metrics().SetExtra(buf);
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> HashAggregateOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<AggGlobal*>(query.sink_state(this));
  if (g->num_partitions > 0) return std::make_unique<PartitionSource>(g);
  return ChunkListSource::Consuming(g->result);
}

Result<std::unique_ptr<LocalSourceState>> HashAggregateOp::MakeLocalSourceState(
    ThreadContext&, GlobalSourceState&) const {
  return std::make_unique<PartitionLocalSource>();
}

Status HashAggregateOp::MergePartition(int part, int num_parts, GlobalSinkState* global,
                                       cp::ExecContext* ctx, int64_t batch_size,
                                       std::vector<Chunk>* out) const {
  auto& g = *static_cast<AggGlobal*>(global);
  ARROW_ASSIGN_OR_RAISE(auto into, MakeSetState(0, ctx));
  const int per = kRadixes / num_parts;
  const int r0 = part * per, r1 = r0 + per;
  for (auto& from : g.partitioned) {
    const uint32_t begin = from->part_start[r0], end = from->part_start[r1];
    if (begin == end) continue;
    const uint32_t* groups = from->part_groups.data() + begin;
    const int64_t n = end - begin;
    ARROW_ASSIGN_OR_RAISE(auto ids, into->grouper->MergeGroups(*from->grouper, groups, n));
    const uint32_t* to = ids->data()->GetValues<uint32_t>(1);
    const uint32_t ngroups = into->num_groups();
    for (size_t a = 0; a < aggregates_.size(); ++a) {
      const auto& spec = aggregates_[a];
      // A worker that saw no rows never sized its kernel state.
      cp::KernelContext from_ctx(ctx);
      from_ctx.SetState(from->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(spec.kernel->resize(&from_ctx, from->num_groups()));
      cp::KernelContext kctx(ctx);
      kctx.SetState(into->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(spec.kernel->resize(&kctx, ngroups));
      auto* merger = dynamic_cast<shoal::GroupMergeable*>(into->kernel_states[a].get());
      ARROW_RETURN_NOT_OK(merger->MergeGroups(*from->kernel_states[a], groups, to, n));
    }
  }
  return FinalizeSet(0, into.get(), ctx, batch_size, out);
}

Result<bool> HashAggregateOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                      LocalSourceState& local_state, Chunk* out) const {
  auto* parts = dynamic_cast<PartitionSource*>(&global);
  if (parts == nullptr) return static_cast<ChunkListSource&>(global).Next(ctx, out);
  auto& local = static_cast<PartitionLocalSource&>(local_state);
  while (local.next >= local.pending.size()) {
    if (ctx.ShouldStopClaiming()) return false;
    const int64_t p = parts->counter.Next();
    if (p < 0) return false;
    local.pending.clear();
    local.next = 0;
    local.partition = static_cast<uint64_t>(p);
    auto t0 = std::chrono::steady_clock::now();
    ARROW_RETURN_NOT_OK(MergePartition(static_cast<int>(p), parts->global->num_partitions,
                                       parts->global, ctx.arrow_ctx, ctx.query->batch_size,
                                       &local.pending));
    const int64_t ns = parts->global->partition_ns +=
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                             t0)
            .count();
    char buf[160];
    std::snprintf(buf, sizeof(buf), "tables=%zu partitions=%d merge=%.1fms partition_merge=%.1fms",
                  parts->global->partitioned.size(), parts->global->num_partitions,
                  parts->global->merge_ns / 1e6, ns / 1e6);
    metrics().SetExtra(buf);
  }
  *out = std::move(local.pending[local.next]);
  out->order = (local.partition << 32) | local.next;
  ++local.next;
  return true;
}

uint32_t SetAggregatePartitionMinGroups(uint32_t n) {
  return g_partition_min_groups.exchange(n);
}

// ---------------------------------------------------------------------------

Result<std::shared_ptr<arrow::Array>> RunHashKernel(
    const std::string& function, const cp::FunctionOptions* options,
    const std::vector<std::shared_ptr<arrow::Array>>& args,
    const std::shared_ptr<arrow::Array>& ids, uint32_t num_groups, cp::ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(auto fn, ctx->func_registry()->GetFunction(function));
  std::vector<arrow::TypeHolder> types;
  for (const auto& a : args) types.emplace_back(a->type());
  types.emplace_back(arrow::uint32());
  ARROW_ASSIGN_OR_RAISE(const cp::Kernel* k, fn->DispatchExact(types));
  const auto* kernel = static_cast<const cp::HashAggregateKernel*>(k);
  if (options == nullptr) options = fn->default_options();
  cp::KernelContext kctx(ctx);
  ARROW_ASSIGN_OR_RAISE(auto state,
                        kernel->init(&kctx, cp::KernelInitArgs{kernel, types, options}));
  kctx.SetState(state.get());
  ARROW_RETURN_NOT_OK(kernel->resize(&kctx, num_groups));
  std::vector<Datum> values;
  for (const auto& a : args) values.emplace_back(a);
  values.emplace_back(ids);
  cp::ExecBatch batch(std::move(values), ids->length());
  ARROW_RETURN_NOT_OK(kernel->consume(&kctx, cp::ExecSpan(batch)));
  Datum out;
  ARROW_RETURN_NOT_OK(kernel->finalize(&kctx, &out));
  return out.make_array();
}

}  // namespace shoal::exec

namespace shoal::exec {

Result<std::shared_ptr<arrow::Array>> ComputeCollectedAggregate(
    const AggregateSpec& spec, const std::shared_ptr<arrow::Array>& ids_in,
    const std::vector<std::shared_ptr<arrow::Array>>& all_args, uint32_t num_groups,
    cp::ExecContext* ctx) {
  std::shared_ptr<arrow::Array> ids = ids_in;
  std::vector<std::shared_ptr<arrow::Array>> args(all_args.begin(),
                                                  all_args.begin() + spec.args.size());
  if (!spec.order.empty() && ids->length() > 1) {
    std::vector<std::shared_ptr<arrow::Array>> cols(all_args.begin() + spec.args.size(),
                                                    all_args.end());
    std::vector<SortSpec> specs;
    for (size_t k = 0; k < spec.order.size(); ++k) {
      specs.push_back({spec.order_ascending[k], spec.order_nulls_first[k]});
    }
    ARROW_ASSIGN_OR_RAISE(auto perm, SortPermutation(cols, specs, ctx));
    cp::TakeOptions opts(false);
    ARROW_ASSIGN_OR_RAISE(Datum t, cp::Take(ids, perm, opts, ctx));
    ids = t.make_array();
    for (auto& a : args) {
      ARROW_ASSIGN_OR_RAISE(Datum ta, cp::Take(a, perm, opts, ctx));
      a = ta.make_array();
    }
  }
  if (spec.bound.distinct_input) {
    if (args.size() != 1) {
      return Status::NotImplemented("aggregate ", spec.bound.name,
                                    "(DISTINCT ...) with several arguments");
    }
    ARROW_ASSIGN_OR_RAISE(auto grouper,
                          cp::Grouper::Make({arrow::uint32(), args[0]->type()}, ctx));
    cp::ExecBatch batch({Datum(ids), Datum(args[0])}, ids->length());
    ARROW_RETURN_NOT_OK(grouper->Populate(cp::ExecSpan(batch)));
    ARROW_ASSIGN_OR_RAISE(cp::ExecBatch uniques, grouper->GetUniques());
    ids = uniques.values[0].make_array();
    args[0] = uniques.values[1].make_array();
  }
  ARROW_ASSIGN_OR_RAISE(auto out, RunHashKernel(spec.bound.hash_function,
                                                spec.bound.options.get(), args, ids,
                                                num_groups, ctx));
  ARROW_ASSIGN_OR_RAISE(Datum d, FinalizeAggregate(spec.bound, Datum(out), ctx));
  return d.make_array();
}

}  // namespace shoal::exec
