#include "shoal/execution/set_operation.h"

#include <deque>
#include <mutex>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/cast.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/filter_selection.h"
#include "shoal/execution/group_key_map.h"

namespace shoal::exec {

namespace cp = arrow::compute;

namespace {

struct Counts {
  std::unique_ptr<GroupKeyMap> grouper;  // dictionary columns compare by value
  std::vector<int64_t> left, right;
  void Resize() {
    left.resize(grouper->num_groups(), 0);
    right.resize(grouper->num_groups(), 0);
  }
};

struct SetGlobal : GlobalSinkState {
  std::mutex mu;
  std::deque<cp::ExecContext> contexts;
  std::unique_ptr<Counts> merged;
  std::shared_ptr<std::vector<Chunk>> result;
  cp::ExecContext* NewContext(cp::FunctionRegistry* registry) {
    std::lock_guard<std::mutex> lock(mu);
    contexts.emplace_back(EngineMemoryPool(), nullptr, registry);
    return &contexts.back();
  }
};

struct SetLocal : LocalSinkState {
  cp::ExecContext* ctx = nullptr;
  std::unique_ptr<Counts> counts;
};

Result<std::unique_ptr<Counts>> MakeCounts(const TypeVector& types, cp::ExecContext* ctx) {
  if (types.empty()) {
    return Status::NotImplemented("set operations over zero columns");
  }
  auto c = std::make_unique<Counts>();
  ARROW_ASSIGN_OR_RAISE(c->grouper, GroupKeyMap::Make(types, ctx));
  return c;
}

}  // namespace

std::string SetOperationOp::Details() const {
  const char* name = op_ == plan::SetOpKind::kUnion       ? "UNION"
                     : op_ == plan::SetOpKind::kIntersect ? "INTERSECT"
                                                          : "EXCEPT";
  return std::string(name) + (all_ ? " ALL" : "");
}

Result<std::unique_ptr<GlobalSinkState>> SetOperationOp::MakeGlobalSinkState(
    QueryContext&) const {
  return std::make_unique<SetGlobal>();
}

Result<std::unique_ptr<LocalSinkState>> SetOperationOp::MakeLocalSinkState(
    ThreadContext& ctx, GlobalSinkState& global) const {
  auto l = std::make_unique<SetLocal>();
  l->ctx = static_cast<SetGlobal&>(global).NewContext(ctx.query->registry);
  ARROW_ASSIGN_OR_RAISE(l->counts, MakeCounts(types(), l->ctx));
  return l;
}

Status SetOperationOp::Sink(ThreadContext& ctx, Chunk&& input, GlobalSinkState&,
                            LocalSinkState& local_state) const {
  auto& l = static_cast<SetLocal&>(local_state);
  ARROW_ASSIGN_OR_RAISE(auto ids, l.counts->grouper->Consume(input.columns, input.length));
  l.counts->Resize();
  auto& target = ctx.sink_input == 0 ? l.counts->left : l.counts->right;
  const auto& id_arr = static_cast<const arrow::UInt32Array&>(*ids);
  for (int64_t i = 0; i < id_arr.length(); ++i) target[id_arr.Value(i)]++;
  return Status::OK();
}

Status SetOperationOp::Combine(ThreadContext&, GlobalSinkState& global,
                               LocalSinkState& local_state) const {
  auto& g = static_cast<SetGlobal&>(global);
  auto& l = static_cast<SetLocal&>(local_state);
  std::lock_guard<std::mutex> lock(g.mu);
  if (!g.merged) {
    g.merged = std::move(l.counts);
    return Status::OK();
  }
  if (l.counts->grouper->num_groups() == 0) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto ids, g.merged->grouper->Merge(*l.counts->grouper));
  g.merged->Resize();
  const auto& id_arr = static_cast<const arrow::UInt32Array&>(*ids);
  for (int64_t i = 0; i < id_arr.length(); ++i) {
    g.merged->left[id_arr.Value(i)] += l.counts->left[i];
    g.merged->right[id_arr.Value(i)] += l.counts->right[i];
  }
  return Status::OK();
}

Status SetOperationOp::Finalize(QueryContext& query, GlobalSinkState& global) const {
  auto& g = static_cast<SetGlobal&>(global);
  g.result = std::make_shared<std::vector<Chunk>>();
  if (!g.merged) return Status::OK();
  ARROW_ASSIGN_OR_RAISE(auto uniques, g.merged->grouper->GetUniques());
  const int64_t num_uniques = g.merged->grouper->num_groups();
  g.merged->Resize();
  arrow::Int64Builder idx;
  for (int64_t i = 0; i < num_uniques; ++i) {
    int64_t l = g.merged->left[i], r = g.merged->right[i];
    int64_t copies = 0;
    switch (op_) {
      case plan::SetOpKind::kUnion:
        copies = all_ ? l + r : (l + r > 0 ? 1 : 0);
        break;
      case plan::SetOpKind::kIntersect:
        copies = all_ ? std::min(l, r) : (l > 0 && r > 0 ? 1 : 0);
        break;
      case plan::SetOpKind::kExcept:
        copies = all_ ? std::max<int64_t>(l - r, 0) : (l > 0 && r == 0 ? 1 : 0);
        break;
    }
    for (int64_t c = 0; c < copies; ++c) ARROW_RETURN_NOT_OK(idx.Append(i));
  }
  std::shared_ptr<arrow::Array> indices;
  ARROW_RETURN_NOT_OK(idx.Finish(&indices));
  if (indices->length() == 0) return Status::OK();
  Chunk all;
  all.length = num_uniques;
  if (uniques.size() != types().size()) {
    return Status::Invalid("internal error: set operation column count changed");
  }
  cp::ExecContext ctx(EngineMemoryPool(), nullptr, query.registry);
  for (size_t c = 0; c < uniques.size(); ++c) {
    auto col = uniques[c];
    if (!col->type()->Equals(*types()[c])) {
      if (types()[c]->id() == arrow::Type::DICTIONARY) {
        ARROW_ASSIGN_OR_RAISE(col, EncodeDictionary(col, types()[c], &ctx));
      } else {
        ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                              cp::Cast(col, types()[c], cp::CastOptions::Safe(), &ctx));
        col = d.make_array();
      }
    }
    all.columns.push_back(col);
  }
  ARROW_ASSIGN_OR_RAISE(Chunk out, TakeChunk(all, *indices));
  SplitChunk(out, query.batch_size, g.result.get());
  g.merged.reset();
  return Status::OK();
}

Result<std::unique_ptr<GlobalSourceState>> SetOperationOp::MakeGlobalSourceState(
    QueryContext& query) const {
  auto* g = static_cast<SetGlobal*>(query.sink_state(this));
  return ChunkListSource::Consuming(g->result);
}

Result<bool> SetOperationOp::GetData(ThreadContext& ctx, GlobalSourceState& global,
                                     LocalSourceState&, Chunk* out) const {
  return static_cast<ChunkListSource&>(global).Next(ctx, out);
}

}  // namespace shoal::exec
