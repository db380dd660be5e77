#include "shoal/execution/window.h"

#include <map>
#include <mutex>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api_vector.h>
#include <arrow/scalar.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/basic_operators.h"
#include "shoal/execution/sort_util.h"

namespace shoal::exec {

namespace cp = arrow::compute;

namespace {

struct WindowGlobal : GlobalSinkState {
  CollectedChunks collected;
  std::shared_ptr<std::vector<Chunk>> result;
};

struct WindowLocal : LocalSinkState {
  explicit WindowLocal(const ExprList* list) : inputs(list) {}
  ExprListState inputs;
  std::vector<Chunk> chunks;
};

Result<std::shared_ptr<arrow::Scalar>> ConstantOf(const plan::ExprPtr& e,
                                                  cp::FunctionRegistry* registry) {
  ARROW_ASSIGN_OR_RAISE(auto ev, ExprEvaluator::Make(e, {}, registry));
  auto c = ev->constant();
  if (c == nullptr) {
    return Status::Invalid("window frame offset must be a constant: ", e->ToString());
  }
  return c;
}

}  // namespace

Result<std::shared_ptr<WindowOp>> WindowOp::Make(const plan::LogicalWindow& window,
                                                 cp::FunctionRegistry* registry) {
  if (window.children.empty()) return Status::Invalid("internal error: window without input");
  const auto& child = *window.children[0];
  auto layout = MakeLayout(child.output);
  std::vector<plan::ExprPtr> inputs;
  std::vector<Function> fns;
  auto add = [&](const plan::ExprPtr& e) {
    inputs.push_back(e);
    return static_cast<int>(inputs.size()) - 1;
  };
  for (const auto& e : window.window_exprs) {
    if (e->kind != plan::ExprKind::kWindow) {
      return Status::Invalid("internal error: window list holds ", e->ToString());
    }
    const auto& w = static_cast<const plan::WindowExpr&>(*e);
    if (w.filter) return Status::NotImplemented("FILTER in window functions: ", w.ToString());
    if (w.distinct) return Status::NotImplemented("DISTINCT in window functions: ", w.ToString());
    Function fn;
    fn.name = w.function;
    fn.type = w.type;
    fn.display = w.ToString();
    fn.frame = w.frame;
    fn.has_frame = w.has_frame;
    fn.ignore_nulls = w.ignore_nulls;
    for (const auto& a : w.args) fn.args.push_back(add(a));
    for (const auto& p : w.partition_by) {
      fn.partition.push_back(add(p));
      fn.spec_key += p->ToString() + ",";
    }
    fn.spec_key += "|";
    for (const auto& k : w.order_by) {
      fn.order.push_back(add(k.expr));
      fn.ascending.push_back(k.ascending);
      fn.nulls_first.push_back(k.nulls_first);
      fn.spec_key += k.ToString() + ",";
    }
    for (auto* b : {&w.frame.start, &w.frame.end}) {
      if (b->kind != plan::FrameBoundKind::kPreceding &&
          b->kind != plan::FrameBoundKind::kFollowing) {
        continue;
      }
      if (b->offset == nullptr) return Status::Invalid("window frame offset missing");
      ARROW_ASSIGN_OR_RAISE(auto s, ConstantOf(b->offset, registry));
      if (!s->is_valid) return Status::Invalid("window frame offset must not be NULL");
      ARROW_ASSIGN_OR_RAISE(auto d, s->CastTo(arrow::float64()));
      double v = static_cast<const arrow::DoubleScalar&>(*d).value;
      if (v < 0) return Status::Invalid("window frame offset must not be negative");
      if (b == &w.frame.start) {
        fn.start_offset = static_cast<int64_t>(v);
        fn.start_range = v;
      } else {
        fn.end_offset = static_cast<int64_t>(v);
        fn.end_range = v;
      }
    }
    fns.push_back(std::move(fn));
  }
  ARROW_ASSIGN_OR_RAISE(auto list, ExprList::Make(inputs, layout, registry));
  TypeVector types;
  for (const auto& c : window.output) types.push_back(c.type);
  return std::make_shared<WindowOp>(std::move(types), std::move(list), std::move(fns),
                                    child.output.size());
}

std::string WindowOp::Details() const {
  std::string s;
  for (size_t i = 0; i < functions_.size(); ++i) s += (i ? ", " : "") + functions_[i].display;
  return s;
}

Result<std::unique_ptr<GlobalSinkState>> WindowOp::MakeGlobalSinkState(QueryContext&) const {
  return std::make_unique<WindowGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> WindowOp::MakeLocalSinkState(ThreadContext&,
                                                                     GlobalSinkState&) const {
  return std::make_unique<WindowLocal>(&inputs_);
}

Status WindowOp::Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState&,
                      LocalSinkState& local_state) const {
  auto& local = static_cast<WindowLocal&>(local_state);
  Chunk c = std::move(input);
  ARROW_ASSIGN_OR_RAISE(Chunk extra, local.inputs.EvaluateAll(c, ctx.arrow_ctx));
  for (auto& col : extra.columns) c.columns.push_back(std::move(col));
  local.chunks.push_back(std::move(c));
  return Status::OK();
}

Status WindowOp::Combine(ThreadContext&, GlobalSinkState& global, LocalSinkState& local) const {
  static_cast<WindowGlobal&>(global).collected.Append(&static_cast<WindowLocal&>(local).chunks);
  return Status::OK();
}

Status WindowOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<WindowGlobal&>(global);
  cp::ExecContext ctx(EngineMemoryPool(), nullptr, query.registry);
  g.result = std::make_shared<std::vector<Chunk>>();
  auto& chunks = g.collected.chunks;
  // Keep the input's natural order (stable results for ties).
  std::stable_sort(chunks.begin(), chunks.end(),
                   [](const Chunk& a, const Chunk& b) { return a.order < b.order; });
  TypeVector all_types(types().begin(), types().begin() + payload_);
  for (const auto& t : inputs_.types()) all_types.push_back(t);
  ARROW_ASSIGN_OR_RAISE(Chunk all, ConcatenateChunks(chunks, all_types));
  chunks.clear();
  if (all.length == 0) return Status::OK();
  std::vector<std::shared_ptr<arrow::Array>> inputs(all.columns.begin() + payload_,
                                                    all.columns.end());
  std::vector<std::shared_ptr<arrow::Array>> results(functions_.size());
  std::vector<bool> done(functions_.size(), false);
  for (size_t f = 0; f < functions_.size(); ++f) {
    if (done[f]) continue;
    const Function& spec = functions_[f];
    std::vector<std::shared_ptr<arrow::Array>> keys;
    std::vector<SortSpec> specs;
    for (int p : spec.partition) {
      keys.push_back(inputs[p]);
      specs.push_back({true, true});
    }
    for (size_t k = 0; k < spec.order.size(); ++k) {
      keys.push_back(inputs[spec.order[k]]);
      specs.push_back({spec.ascending[k], spec.nulls_first[k]});
    }
    std::shared_ptr<arrow::Array> perm;
    std::vector<std::shared_ptr<arrow::Array>> sorted = inputs;
    if (!keys.empty()) {
      ARROW_ASSIGN_OR_RAISE(perm, SortPermutation(keys, specs, &ctx));
      for (auto& c : sorted) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum d, cp::Take(c, perm, cp::TakeOptions(false), &ctx));
        c = d.make_array();
      }
    }
    std::shared_ptr<arrow::Array> inverse;
    if (perm) {
      const auto& p = static_cast<const arrow::UInt64Array&>(*perm);
      std::vector<int64_t> inv(p.length());
      for (int64_t k = 0; k < p.length(); ++k) inv[p.Value(k)] = k;
      arrow::Int64Builder b;
      ARROW_RETURN_NOT_OK(b.AppendValues(inv));
      ARROW_RETURN_NOT_OK(b.Finish(&inverse));
    }
    for (size_t h = f; h < functions_.size(); ++h) {
      if (done[h] || functions_[h].spec_key != spec.spec_key) continue;
      ARROW_ASSIGN_OR_RAISE(auto r, ComputeWindowFunction(functions_[h], sorted, all.length, &ctx));
      if (inverse) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum d, cp::Take(r, inverse, cp::TakeOptions(false), &ctx));
        r = d.make_array();
      }
      const auto& want = types()[payload_ + h];
      if (!r->type()->Equals(*want)) {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum d, CastDatum(arrow::Datum(r), want, false, &ctx));
        r = d.make_array();
      }
      results[h] = r;
      done[h] = true;
    }
  }
  Chunk out;
  out.length = all.length;
  out.columns.assign(all.columns.begin(), all.columns.begin() + payload_);
  for (auto& r : results) out.columns.push_back(r);
  SplitChunk(out, query.batch_size, g.result.get());
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> WindowOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<WindowGlobal*>(query.sink_state(this));
  return ChunkListSource::Consuming(g->result);
}

Result<bool> WindowOp::GetData(ThreadContext& ctx, GlobalSourceState& global, LocalSourceState&,
                               Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
