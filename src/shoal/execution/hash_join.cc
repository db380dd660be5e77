#include "shoal/execution/hash_join.h"

#include <atomic>
#include <mutex>

#include <arrow/array.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>

#include "shoal/execution/join_hash_table.h"

namespace shoal::exec {

namespace cp = arrow::compute;
using plan::JoinType;

struct HashJoinOp::Global : GlobalSinkState {
  std::mutex mu;
  std::vector<Chunk> chunks;        // stored build columns only (others null)
  std::vector<JoinKeys> key_parts;  // one per chunk, same order as `chunks`
  Chunk build;
  std::unique_ptr<JoinHashTable> table;
  std::unique_ptr<std::atomic<uint8_t>[]> matched;
  std::atomic<bool> probe_nonempty{false};
  std::atomic<bool> probe_has_null{false};
  bool build_has_null = false;
  std::unique_ptr<RuntimeFilter> runtime_filter;  // set in Finalize when enabled
  std::atomic<bool> finalized{false};
};

namespace {

struct BuildLocal : LocalSinkState {
  explicit BuildLocal(const ExprList* keys) : key_state(keys) {}
  ExprListState key_state;
  std::vector<Chunk> chunks;
  std::vector<JoinKeys> keys;  // one per chunk
};

template <typename T>
std::shared_ptr<arrow::Array> IndexArray(std::vector<T> v) {
  int64_t n = static_cast<int64_t>(v.size());
  auto buf = arrow::Buffer::FromVector(std::move(v));
  std::shared_ptr<arrow::DataType> type;
  if constexpr (std::is_same_v<T, int32_t>) {
    type = arrow::int32();
  } else if constexpr (std::is_same_v<T, uint32_t>) {
    type = arrow::uint32();
  } else {
    type = arrow::int64();
  }
  return arrow::MakeArray(arrow::ArrayData::Make(type, n, {nullptr, buf}, 0));
}

Result<std::shared_ptr<arrow::Array>> TakeCol(const std::shared_ptr<arrow::Array>& col,
                                              const std::shared_ptr<arrow::Array>& idx,
                                              cp::ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                        cp::Take(col, idx, cp::TakeOptions::NoBoundsCheck(), ctx));
  return d.make_array();
}

std::vector<bool> AllTrueIfEmpty(std::vector<bool> v, size_t n) {
  if (v.empty()) v.assign(n, true);
  v.resize(n, true);
  return v;
}

std::vector<bool> AllFalseIfEmpty(std::vector<bool> v, size_t n) {
  v.resize(n, false);
  return v;
}

}  // namespace

struct HashJoinOp::ProbeState : OperatorState {
  ProbeState(Global* g, const ExprList* keys) : global(g), key_state(keys) {}
  Global* global;
  ExprListState key_state;
  std::unique_ptr<ExprEvaluator::State> residual_state;
  JoinKeys probe_keys;
  // Scratch reused across chunks.
  std::vector<uint32_t> counts;         // matches per probe row
  std::vector<uint8_t> residual_nulls;  // probe rows whose residual was null (mark)
  std::vector<int32_t> pi;              // pending pairs: probe rows
  std::vector<uint32_t> bi;             // pending pairs: build rows
};

HashJoinOp::HashJoinOp(TypeVector output_types, Config config)
    : PhysicalOperator(config.probe_keys.size() > 0 ? "HashJoin" : "NestedLoopJoin",
                       std::move(output_types)),
      config_(std::move(config)) {
  key_layout_ = ChooseKeyLayout(config_.build_keys.types());
  const size_t nl = config_.left_types.size(), nr = config_.right_types.size();
  config_.left_keep = AllTrueIfEmpty(std::move(config_.left_keep), nl);
  config_.right_keep = AllTrueIfEmpty(std::move(config_.right_keep), nr);
  config_.left_residual = AllFalseIfEmpty(std::move(config_.left_residual), nl);
  config_.right_residual = AllFalseIfEmpty(std::move(config_.right_residual), nr);
  const bool br = config_.build_right;
  build_types_ = br ? &config_.right_types : &config_.left_types;
  probe_types_ = br ? &config_.left_types : &config_.right_types;
  const auto& build_keep = br ? config_.right_keep : config_.left_keep;
  const auto& probe_keep = br ? config_.left_keep : config_.right_keep;
  const auto& build_res = br ? config_.right_residual : config_.left_residual;
  const auto& probe_res = br ? config_.left_residual : config_.right_residual;
  // Which side's columns appear in the output.
  const bool build_out = EmitsPairs() || !br;
  const bool probe_out = EmitsPairs() || br;
  build_store_.resize(build_types_->size());
  for (size_t i = 0; i < build_store_.size(); ++i) {
    build_store_[i] = (build_out && build_keep[i]) || build_res[i];
  }
  probe_pair_.resize(probe_types_->size());
  for (size_t i = 0; i < probe_pair_.size(); ++i) {
    probe_pair_[i] = (probe_out && probe_keep[i]) || probe_res[i];
  }
  // Output: left columns, then right columns (pairs) or the mark column.
  out_keep_ = config_.left_keep;
  if (EmitsPairs()) {
    out_keep_.insert(out_keep_.end(), config_.right_keep.begin(), config_.right_keep.end());
  }
  out_keep_.resize(types().size(), true);
}

bool HashJoinOp::ExistenceOnly() const {
  if (!config_.build_right || config_.residual) return false;
  return config_.type == JoinType::kSemi || config_.type == JoinType::kAnti ||
         config_.type == JoinType::kMark;
}

Status HashJoinOp::AppendNullColumns(const TypeVector& types, const std::vector<bool>& keep,
                                     int64_t n,
                                     std::vector<std::shared_ptr<arrow::Array>>* out) const {
  for (size_t i = 0; i < types.size(); ++i) {
    if (i < keep.size() && !keep[i]) {
      out->push_back(MakePlaceholder(n));
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto a, arrow::MakeArrayOfNull(types[i], n));
    out->push_back(std::move(a));
  }
  return Status::OK();
}

Status HashJoinOp::EmitMasked(Chunk&& out, const Emit& emit) const {
  MaskColumns(&out, out_keep_);
  return emit(std::move(out));
}

bool HashJoinOp::has_build_output() const {
  switch (config_.type) {
    case JoinType::kRight:
      return config_.build_right;
    case JoinType::kFull:
      return true;
    case JoinType::kLeft:
    case JoinType::kSingle:
    case JoinType::kSemi:
    case JoinType::kAnti:
    case JoinType::kMark:
      return !config_.build_right;
    default:
      return false;
  }
}

bool HashJoinOp::TracksBuildMatches() const { return has_build_output(); }

bool HashJoinOp::EmitsPairs() const {
  switch (config_.type) {
    case JoinType::kSemi:
    case JoinType::kAnti:
    case JoinType::kMark:
      return false;
    default:
      return true;
  }
}

bool HashJoinOp::ProbeOuter() const {
  switch (config_.type) {
    case JoinType::kLeft:
    case JoinType::kSingle:
      return config_.build_right;
    case JoinType::kRight:
      return !config_.build_right;
    case JoinType::kFull:
      return true;
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------
// Build

Result<std::unique_ptr<GlobalSinkState>> HashJoinOp::MakeGlobalSinkState(QueryContext&) const {
  return std::make_unique<Global>();
}

Result<std::unique_ptr<LocalSinkState>> HashJoinOp::MakeLocalSinkState(ThreadContext&,
                                                                       GlobalSinkState&) const {
  return std::make_unique<BuildLocal>(&config_.build_keys);
}

Status HashJoinOp::Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState&,
                        LocalSinkState& local_state) const {
  auto& local = static_cast<BuildLocal&>(local_state);
  if (config_.build_keys.size() > 0) {
    ARROW_ASSIGN_OR_RAISE(Chunk keys, local.key_state.EvaluateAll(input, ctx.arrow_ctx));
    const auto& cols = keys.columns;
    JoinKeys k;
    ARROW_RETURN_NOT_OK(EncodeJoinKeys(cols, key_layout_, &k));
    local.keys.push_back(std::move(k));
  }
  // Keep only the columns the output or the residual reads.
  for (size_t i = 0; i < input.columns.size() && i < build_store_.size(); ++i) {
    if (!build_store_[i]) input.columns[i] = nullptr;
  }
  local.chunks.push_back(std::move(input));
  return Status::OK();
}

Status HashJoinOp::Combine(ThreadContext&, GlobalSinkState& global,
                           LocalSinkState& local_state) const {
  auto& g = static_cast<Global&>(global);
  auto& local = static_cast<BuildLocal&>(local_state);
  std::lock_guard<std::mutex> lock(g.mu);
  for (auto& c : local.chunks) g.chunks.push_back(std::move(c));
  for (auto& k : local.keys) g.key_parts.push_back(std::move(k));
  local.chunks.clear();
  local.keys.clear();
  return Status::OK();
}

Status HashJoinOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<Global&>(global);
  const TypeVector& build_types = *build_types_;
  // Concatenate the stored columns one at a time, releasing each column's pieces
  // as soon as it is copied, so the build side is held about once.
  int64_t rows = 0;
  for (const auto& c : g.chunks) rows += c.length;
  g.build = Chunk();
  g.build.length = rows;
  g.build.columns.resize(build_types.size());
  int64_t payload_bytes = 0;
  for (size_t i = 0; i < build_types.size(); ++i) {
    if (!build_store_[i]) {
      g.build.columns[i] = MakePlaceholder(rows);
      continue;
    }
    std::vector<Chunk> parts;
    parts.reserve(g.chunks.size());
    for (auto& c : g.chunks) {
      Chunk one;
      one.length = c.length;
      one.columns.push_back(std::move(c.columns[i]));
      parts.push_back(std::move(one));
    }
    ARROW_ASSIGN_OR_RAISE(Chunk col, ConcatenateChunks(parts, {build_types[i]}));
    g.build.columns[i] = std::move(col.columns[0]);
    payload_bytes += ArrayMemoryBytes(*g.build.columns[i]);
  }
  g.chunks.clear();
  g.chunks.shrink_to_fit();
  if (config_.build_keys.size() > 0) {
    for (const auto& k : g.key_parts) g.build_has_null = g.build_has_null || k.any_null;
    if (runtime_filter_) g.runtime_filter = RuntimeFilter::Make(g.key_parts, key_layout_);
    ARROW_ASSIGN_OR_RAISE(g.table,
                          JoinHashTable::Build(&g.key_parts, key_layout_, query.threads));
    std::string extra = "build_rows=" + std::to_string(rows) +
                        " buckets=" + std::to_string(g.table->num_buckets()) +
                        " table_mb=" + std::to_string(g.table->MemoryBytes() >> 20) +
                        " payload_mb=" + std::to_string(payload_bytes >> 20);
    if (g.runtime_filter) extra += " runtime_filter=[" + g.runtime_filter->ToString() + "]";
    metrics().SetExtra(extra);
  } else {
    metrics().SetExtra("build_rows=" + std::to_string(rows));
  }
  if (TracksBuildMatches()) {
    g.matched = std::make_unique<std::atomic<uint8_t>[]>(rows);
    for (int64_t i = 0; i < rows; ++i) g.matched[i].store(0, std::memory_order_relaxed);
  }
  g.finalized.store(true);
  return Status::OK();
}

const RuntimeFilter* HashJoinOp::runtime_filter(const QueryContext& query) const {
  auto* g = static_cast<Global*>(query.sink_state(this));
  if (g == nullptr || !g->finalized.load()) return nullptr;
  return g->runtime_filter.get();
}

// ---------------------------------------------------------------------------
// Probe

Result<std::unique_ptr<OperatorState>> HashJoinOp::MakeOperatorState(ThreadContext& ctx) const {
  auto* g = static_cast<Global*>(ctx.query->sink_state(this));
  if (g == nullptr) return Status::Invalid("internal error: join probed before its build");
  auto st = std::make_unique<ProbeState>(g, &config_.probe_keys);
  if (config_.residual) st->residual_state = config_.residual->MakeState();
  return st;
}

Result<Chunk> HashJoinOp::MakePairs(const Chunk& probe, const Chunk& build,
                                    const std::vector<int32_t>& pi,
                                    const std::vector<uint32_t>& bi, ThreadContext& ctx) const {
  Chunk out;
  const int64_t n = static_cast<int64_t>(pi.size());
  out.length = n;
  out.order = probe.order;
  bool identity = n == probe.length;
  for (int64_t k = 0; identity && k < n; ++k) identity = pi[k] == static_cast<int32_t>(k);
  std::vector<std::shared_ptr<arrow::Array>> pcols, bcols;
  pcols.reserve(probe.columns.size());
  bcols.reserve(build.columns.size());
  std::shared_ptr<arrow::Array> pidx;
  for (size_t c = 0; c < probe.columns.size(); ++c) {
    if (c < probe_pair_.size() && !probe_pair_[c]) {
      pcols.push_back(MakePlaceholder(n));
    } else if (identity) {
      pcols.push_back(probe.columns[c]);
    } else {
      if (pidx == nullptr) pidx = IndexArray(pi);
      ARROW_ASSIGN_OR_RAISE(auto t, TakeCol(probe.columns[c], pidx, ctx.arrow_ctx));
      pcols.push_back(std::move(t));
    }
  }
  std::shared_ptr<arrow::Array> bidx;
  for (size_t c = 0; c < build.columns.size(); ++c) {
    if (!build_store_[c]) {
      bcols.push_back(MakePlaceholder(n));
      continue;
    }
    if (bidx == nullptr) bidx = IndexArray(bi);
    ARROW_ASSIGN_OR_RAISE(auto t, TakeCol(build.columns[c], bidx, ctx.arrow_ctx));
    bcols.push_back(std::move(t));
  }
  auto& first = config_.build_right ? pcols : bcols;
  auto& second = config_.build_right ? bcols : pcols;
  out.columns = std::move(first);
  out.columns.insert(out.columns.end(), second.begin(), second.end());
  return out;
}

Status HashJoinOp::ProcessPairs(ThreadContext& ctx, ProbeState& st, const Chunk& probe,
                                const Emit& emit) const {
  std::vector<int32_t>* pi = &st.pi;
  std::vector<uint32_t>* bi = &st.bi;
  if (pi->empty()) return Status::OK();
  Global& g = *st.global;
  Chunk pairs;
  bool have_pairs = false;
  if (config_.residual) {
    ARROW_ASSIGN_OR_RAISE(pairs, MakePairs(probe, g.build, *pi, *bi, ctx));
    have_pairs = true;
    ARROW_ASSIGN_OR_RAISE(auto mask, config_.residual->EvaluateToArray(
                                         pairs, st.residual_state.get(), ctx.arrow_ctx));
    ARROW_ASSIGN_OR_RAISE(mask, AsBooleanMask(mask, "join condition"));
    const auto& b = static_cast<const arrow::BooleanArray&>(*mask);
    if (b.true_count() != b.length()) {
      const bool track_nulls = !st.residual_nulls.empty();
      size_t out = 0;
      for (size_t k = 0; k < pi->size(); ++k) {
        if (b.IsValid(k) && b.Value(k)) {
          (*pi)[out] = (*pi)[k];
          (*bi)[out] = (*bi)[k];
          ++out;
        } else if (track_nulls && b.IsNull(k)) {
          st.residual_nulls[(*pi)[k]] = 1;
        }
      }
      pi->resize(out);
      bi->resize(out);
      if (EmitsPairs() && out > 0) {
        ARROW_ASSIGN_OR_RAISE(pairs, FilterChunk(pairs, *mask));
      }
    }
  }
  uint32_t* counts = st.counts.data();
  for (int32_t i : *pi) counts[i]++;
  if (TracksBuildMatches()) {
    bool count_mode = config_.type == JoinType::kSingle;
    for (uint32_t r : *bi) {
      auto& m = g.matched[r];
      if (count_mode) {
        if (m.load(std::memory_order_relaxed) < 2) m.fetch_add(1, std::memory_order_relaxed);
      } else if (m.load(std::memory_order_relaxed) == 0) {
        m.store(1, std::memory_order_relaxed);
      }
    }
  }
  if (EmitsPairs() && !pi->empty()) {
    if (!have_pairs) {
      ARROW_ASSIGN_OR_RAISE(pairs, MakePairs(probe, g.build, *pi, *bi, ctx));
    }
    MaskColumns(&pairs, out_keep_);
    const int64_t bs = ctx.query->batch_size;
    if (pairs.length <= bs) {
      ARROW_RETURN_NOT_OK(emit(std::move(pairs)));
    } else {
      std::vector<Chunk> pieces;
      SplitChunk(pairs, bs, &pieces);
      for (auto& p : pieces) ARROW_RETURN_NOT_OK(emit(std::move(p)));
    }
  }
  pi->clear();
  bi->clear();
  return Status::OK();
}

Status HashJoinOp::FinishProbeChunk(ThreadContext& ctx, ProbeState& st, const Chunk& probe_in,
                                    const Emit& emit) const {
  Global& g = *st.global;
  const int64_t n = probe_in.length;
  const uint32_t* counts = st.counts.data();
  if (config_.type == JoinType::kSingle && config_.build_right) {
    for (int64_t i = 0; i < n; ++i) {
      if (counts[i] > 1) return Status::Invalid("scalar subquery returned more than one row");
    }
  }
  // Probe columns nobody reads are not gathered.
  Chunk probe = probe_in;
  const auto& probe_keep = config_.build_right ? config_.left_keep : config_.right_keep;
  MaskColumns(&probe, probe_keep);
  auto select_rows = [&](bool matched) {
    std::vector<int32_t> rows;
    for (int64_t i = 0; i < n; ++i) {
      if ((counts[i] > 0) == matched) rows.push_back(static_cast<int32_t>(i));
    }
    return rows;
  };
  if (ProbeOuter()) {
    auto rows = select_rows(false);
    if (rows.empty()) return Status::OK();
    Chunk out;
    out.length = static_cast<int64_t>(rows.size());
    out.order = probe.order;
    Chunk p;
    if (out.length == n) {
      p = std::move(probe);
    } else {
      ARROW_ASSIGN_OR_RAISE(p, TakeChunk(probe, *IndexArray(rows)));
    }
    const auto& build_keep = config_.build_right ? config_.right_keep : config_.left_keep;
    if (config_.build_right) {
      out.columns = std::move(p.columns);
      ARROW_RETURN_NOT_OK(AppendNullColumns(*build_types_, build_keep, out.length, &out.columns));
    } else {
      ARROW_RETURN_NOT_OK(AppendNullColumns(*build_types_, build_keep, out.length, &out.columns));
      out.columns.insert(out.columns.end(), p.columns.begin(), p.columns.end());
    }
    return EmitMasked(std::move(out), emit);
  }
  if (!config_.build_right) return Status::OK();
  switch (config_.type) {
    case JoinType::kSemi:
    case JoinType::kAnti: {
      auto rows = select_rows(config_.type == JoinType::kSemi);
      if (rows.empty()) return Status::OK();
      if (static_cast<int64_t>(rows.size()) == n) return EmitMasked(std::move(probe), emit);
      ARROW_ASSIGN_OR_RAISE(Chunk out, TakeChunk(probe, *IndexArray(rows)));
      out.length = static_cast<int64_t>(rows.size());
      return EmitMasked(std::move(out), emit);
    }
    case JoinType::kMark: {
      arrow::BooleanBuilder b;
      ARROW_RETURN_NOT_OK(b.Reserve(n));
      bool build_nonempty = g.build.length > 0;
      const bool track_nulls = !st.residual_nulls.empty();
      for (int64_t i = 0; i < n; ++i) {
        if (counts[i] > 0) {
          b.UnsafeAppend(true);
        } else if (config_.mark_null_aware && build_nonempty &&
                   ((st.probe_keys.length == n && st.probe_keys.IsNull(i)) ||
                    g.build_has_null || (track_nulls && st.residual_nulls[i]))) {
          b.UnsafeAppendNull();
        } else {
          b.UnsafeAppend(false);
        }
      }
      std::shared_ptr<arrow::Array> mark;
      ARROW_RETURN_NOT_OK(b.Finish(&mark));
      Chunk out = std::move(probe);
      out.columns.push_back(mark);
      return EmitMasked(std::move(out), emit);
    }
    default:
      return Status::OK();
  }
}

Status HashJoinOp::Execute(ThreadContext& ctx, Chunk&& input, OperatorState* state,
                           const Emit& emit) const {
  auto& st = static_cast<ProbeState&>(*state);
  Global& g = *st.global;
  const int64_t n = input.length;
  if (n > 0 && !g.probe_nonempty.load(std::memory_order_relaxed)) g.probe_nonempty.store(true);
  st.counts.assign(n, 0);
  if (config_.type == JoinType::kMark && config_.mark_null_aware && config_.residual) {
    st.residual_nulls.assign(n, 0);
  } else {
    st.residual_nulls.clear();
  }
  st.pi.clear();
  st.bi.clear();
  const int64_t flush_at = std::max<int64_t>(ctx.query->batch_size, 1024);
  st.probe_keys.length = 0;
  if (config_.probe_keys.size() > 0) {
    ARROW_ASSIGN_OR_RAISE(Chunk keys, st.key_state.EvaluateAll(input, ctx.arrow_ctx));
    ARROW_RETURN_NOT_OK(EncodeJoinKeys(keys.columns, key_layout_, &st.probe_keys));
    if (st.probe_keys.any_null) g.probe_has_null.store(true, std::memory_order_relaxed);
    if (g.build.length > 0) {
      const JoinHashTable& table = *g.table;
      const JoinKeys& pk = st.probe_keys;
      if (ExistenceOnly()) {
        uint32_t* counts = st.counts.data();
        table.ProbeRange<true>(pk, 0, n, [counts](int64_t i, int64_t) { counts[i] = 1; });
      } else {
        auto& pi = st.pi;
        auto& bi = st.bi;
        for (int64_t b0 = 0; b0 < n; b0 += 1024) {
          table.ProbeRange<false>(pk, b0, std::min(n, b0 + 1024), [&](int64_t i, int64_t r) {
            pi.push_back(static_cast<int32_t>(i));
            bi.push_back(static_cast<uint32_t>(r));
          });
          if (static_cast<int64_t>(pi.size()) >= flush_at) {
            ARROW_RETURN_NOT_OK(ProcessPairs(ctx, st, input, emit));
          }
        }
      }
    }
  } else if (g.build.length > 0) {
    // Nested loop: every build row is a candidate for every probe row.
    const int64_t m = g.build.length;
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t r = 0; r < m; ++r) {
        st.pi.push_back(static_cast<int32_t>(i));
        st.bi.push_back(static_cast<uint32_t>(r));
        if (static_cast<int64_t>(st.pi.size()) >= flush_at) {
          ARROW_RETURN_NOT_OK(ctx.query->CheckCancelled());
          ARROW_RETURN_NOT_OK(ProcessPairs(ctx, st, input, emit));
        }
      }
    }
  }
  ARROW_RETURN_NOT_OK(ProcessPairs(ctx, st, input, emit));
  return FinishProbeChunk(ctx, st, input, emit);
}

// ---------------------------------------------------------------------------
// Build output: unmatched build rows (outer joins) and build-side semi/anti/mark.

Result<std::unique_ptr<GlobalSourceState>> HashJoinOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<Global*>(query.sink_state(this));
  if (g == nullptr) return Status::Invalid("internal error: join output before build");
  int64_t bs = std::max<int64_t>(1, query.batch_size);
  return std::make_unique<CounterSourceState>((g->build.length + bs - 1) / bs);
}

Result<bool> HashJoinOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                                 Chunk* out) const {
  auto* g = static_cast<Global*>(ctx.query->sink_state(this));
  auto& counter = static_cast<CounterSourceState&>(global);
  const int64_t bs = std::max<int64_t>(1, ctx.query->batch_size);
  while (true) {
    if (ctx.ShouldStopClaiming()) return false;
    int64_t part = counter.Next();
    if (part < 0) return false;
    int64_t begin = part * bs, end = std::min(g->build.length, begin + bs);
    std::vector<int32_t> rows;
    bool mark = config_.type == JoinType::kMark;
    bool want_matched = config_.type == JoinType::kSemi;
    for (int64_t r = begin; r < end; ++r) {
      uint8_t m = g->matched[r].load(std::memory_order_relaxed);
      if (config_.type == JoinType::kSingle && m > 1) {
        return Status::Invalid("scalar subquery returned more than one row");
      }
      if (mark || (m > 0) == want_matched) rows.push_back(static_cast<int32_t>(r));
    }
    if (rows.empty()) continue;
    Chunk b;
    if (static_cast<int64_t>(rows.size()) == g->build.length) {
      b = g->build;
    } else {
      ARROW_ASSIGN_OR_RAISE(b, TakeChunk(g->build, *IndexArray(rows)));
    }
    b.length = static_cast<int64_t>(rows.size());
    Chunk result;
    result.length = b.length;
    result.order = static_cast<uint64_t>(part);
    switch (config_.type) {
      case JoinType::kSemi:
      case JoinType::kAnti:
        result.columns = b.columns;
        break;
      case JoinType::kMark: {
        arrow::BooleanBuilder mb;
        ARROW_RETURN_NOT_OK(mb.Reserve(b.length));
        bool probe_nonempty = g->probe_nonempty.load();
        bool probe_null = g->probe_has_null.load();
        for (int32_t r : rows) {
          bool key_null = g->table != nullptr && g->table->IsNullKey(r);
          if (g->matched[r].load(std::memory_order_relaxed) > 0) {
            mb.UnsafeAppend(true);
          } else if (config_.mark_null_aware && probe_nonempty && (key_null || probe_null)) {
            mb.UnsafeAppendNull();
          } else {
            mb.UnsafeAppend(false);
          }
        }
        std::shared_ptr<arrow::Array> m;
        ARROW_RETURN_NOT_OK(mb.Finish(&m));
        result.columns = b.columns;
        result.columns.push_back(m);
        break;
      }
      default:
        if (config_.build_right) {
          ARROW_RETURN_NOT_OK(AppendNullColumns(config_.left_types, config_.left_keep, b.length,
                                                &result.columns));
          result.columns.insert(result.columns.end(), b.columns.begin(), b.columns.end());
        } else {
          result.columns = b.columns;
          ARROW_RETURN_NOT_OK(AppendNullColumns(config_.right_types, config_.right_keep,
                                                b.length, &result.columns));
        }
    }
    MaskColumns(&result, out_keep_);
    *out = std::move(result);
    return true;
  }
}

}  // namespace shoal::exec
