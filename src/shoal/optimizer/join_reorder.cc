#include "shoal/optimizer/join_reorder.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "shoal/optimizer/cardinality.h"
#include "shoal/optimizer/join_region.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

constexpr size_t kMaxRelations = 64;
/// A semi join moves below an inner join only when it keeps at most this
/// fraction of the rows it is moved onto.
constexpr double kSemiPushSelectivity = 0.5;
/// A reducer must keep at most this fraction of the aggregate's group keys, and
/// read at most this fraction of the table rows the aggregate input reads.
constexpr double kReducerSelectivity = 0.5;
constexpr double kReducerScanShare = 0.5;

bool IsInnerJoin(const LogicalOpPtr& op) {
  return op->kind == LogicalOpKind::kJoin && op->As<LogicalJoin>().join_type == JoinType::kInner;
}

bool IsSemiOrAnti(const LogicalOpPtr& op) {
  if (op->kind != LogicalOpKind::kJoin) return false;
  auto t = op->As<LogicalJoin>().join_type;
  return t == JoinType::kSemi || t == JoinType::kAnti;
}

/// True for a projection whose every output is the child column with the same id.
bool IsPassThrough(const LogicalOp& op) {
  if (op.kind != LogicalOpKind::kProjection) return false;
  const auto& p = op.As<LogicalProjection>();
  for (size_t i = 0; i < p.exprs.size(); ++i) {
    if (p.exprs[i]->kind != ExprKind::kColumnRef ||
        static_cast<const ColumnRefExpr&>(*p.exprs[i]).id != op.output[i].id) {
      return false;
    }
  }
  return true;
}

/// Table rows read by the scans of `op` (a cost measure for copies).
double ScanRows(const LogicalOpPtr& op) {
  if (op->kind == LogicalOpKind::kGet) {
    auto s = op->As<LogicalGet>().table ? op->As<LogicalGet>().table->row_statistics()
                                        : TableStatistics{};
    return s.num_rows ? static_cast<double>(*s.num_rows) : 1000.0;
  }
  double total = 0;
  for (const auto& c : op->children) total += ScanRows(c);
  return total;
}

/// True when `op` may be evaluated a second time as a reducer: no aggregates
/// (too costly), no volatile calls (a copy would see other values), no one-shot
/// scans and no reads of a recursive CTE's working table.
bool Copyable(const LogicalOpPtr& op) {
  switch (op->kind) {
    case LogicalOpKind::kAggregate:
    case LogicalOpKind::kWindow:
    case LogicalOpKind::kCteRef:
    case LogicalOpKind::kRecursiveCte:
    case LogicalOpKind::kMaterializedCte:
      return false;
    case LogicalOpKind::kGet: {
      const auto& get = op->As<LogicalGet>();
      if (!get.table || get.table->one_shot()) return false;
      break;
    }
    default:
      break;
  }
  for (const auto& e : op->Expressions()) {
    if (HasSideEffectsOrSubquery(e)) return false;
  }
  for (const auto& c : op->children) {
    if (!Copyable(c)) return false;
  }
  return true;
}

const OutputColumn* FindOutput(const LogicalOp& op, ColumnId id) {
  for (const auto& c : op.output) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

/// A subtree whose column `col` holds every value the column it was found for
/// can take in the join result.
struct ReducerSource {
  LogicalOpPtr op;
  OutputColumn col;
};

/// Collect reducer sources for column `id` of `op`: `op` itself (when `top`) and
/// the right inputs of semi joins on that column below filters/projections.
void CollectSources(const LogicalOpPtr& op, ColumnId id, bool top,
                    std::vector<ReducerSource>* out) {
  const OutputColumn* col = FindOutput(*op, id);
  if (!col) return;
  if (top) out->push_back({op, *col});
  switch (op->kind) {
    case LogicalOpKind::kFilter:
      CollectSources(op->children[0], id, false, out);
      break;
    case LogicalOpKind::kProjection: {
      const auto& p = op->As<LogicalProjection>();
      for (size_t i = 0; i < p.exprs.size(); ++i) {
        if (op->output[i].id == id && p.exprs[i]->kind == ExprKind::kColumnRef) {
          CollectSources(op->children[0], static_cast<const ColumnRefExpr&>(*p.exprs[i]).id,
                         false, out);
        }
      }
      break;
    }
    case LogicalOpKind::kJoin: {
      const auto& j = op->As<LogicalJoin>();
      const auto& left = op->children[0];
      const auto& right = op->children[1];
      if (j.join_type == JoinType::kSemi) {
        std::vector<ExprPtr> terms;
        SplitAll(j.conditions, &terms);
        for (const auto& t : terms) {
          ColumnId a = 0, b = 0;
          if (!IsColumnEquality(t, &a, &b)) continue;
          if (b == id) std::swap(a, b);
          if (a != id || !FindOutput(*right, b)) continue;
          CollectSources(right, b, true, out);
        }
        CollectSources(left, id, false, out);
      } else if (j.join_type == JoinType::kInner) {
        for (const auto& c : op->children) {
          if (FindOutput(*c, id)) CollectSources(c, id, false, out);
        }
      }
      break;
    }
    default:
      break;
  }
}

/// When `op`'s column `id` is a plain group key of an aggregate reached through
/// filters and pass-through projections, return that aggregate and the group
/// expression (a column of the aggregate's input).
LogicalOp* TraceToGroupKey(const LogicalOpPtr& op, ColumnId id, ExprPtr* group) {
  switch (op->kind) {
    case LogicalOpKind::kFilter:
      return TraceToGroupKey(op->children[0], id, group);
    case LogicalOpKind::kProjection: {
      const auto& p = op->As<LogicalProjection>();
      for (size_t i = 0; i < p.exprs.size(); ++i) {
        if (op->output[i].id == id && p.exprs[i]->kind == ExprKind::kColumnRef) {
          return TraceToGroupKey(op->children[0],
                                 static_cast<const ColumnRefExpr&>(*p.exprs[i]).id, group);
        }
      }
      return nullptr;
    }
    case LogicalOpKind::kAggregate: {
      auto& a = op->As<LogicalAggregate>();
      if (!a.grouping_sets.empty()) return nullptr;
      for (size_t g = 0; g < a.groups.size() && g < op->output.size(); ++g) {
        if (op->output[g].id == id && a.groups[g]->kind == ExprKind::kColumnRef) {
          *group = a.groups[g];
          return op.get();
        }
      }
      return nullptr;
    }
    default:
      return nullptr;
  }
}

class Reorderer {
 public:
  explicit Reorderer(OptimizerContext& ctx) : ctx_(ctx) {}

  LogicalOpPtr Visit(LogicalOpPtr op) {
    if (IsSemiOrAnti(op)) {
      LogicalOpPtr pushed = PushSemi(op);
      if (pushed != op) return Visit(pushed);
    }
    if (IsInnerJoin(op) ||
        (op->kind == LogicalOpKind::kFilter && IsInnerJoin(op->children[0]))) {
      return ReorderRegion(op);
    }
    for (auto& c : op->children) c = Visit(c);
    if (op->kind == LogicalOpKind::kJoin) return ChooseBuildSide(op);
    return op;
  }

 private:
  // -------------------------------------------------------------------------
  // Semi/anti join pushdown

  /// Move the semi/anti join `op` below a filter, pass-through projection or inner
  /// join of its left input when profitable; return `op` itself otherwise.
  LogicalOpPtr PushSemi(const LogicalOpPtr& op) {
    const auto& j = op->As<LogicalJoin>();
    const LogicalOpPtr& left = op->children[0];
    const LogicalOpPtr& right = op->children[1];
    const IdSet right_ids = OutputIdSet(*right);
    IdSet used;
    for (const auto& c : j.conditions) {
      if (HasSideEffectsOrSubquery(c)) return op;
      for (ColumnId id : ReferencedIds(c)) {
        if (!right_ids.count(id)) used.insert(id);
      }
    }
    auto remake = [&](LogicalOpPtr new_left, std::vector<ExprPtr> conds) {
      auto s = MakeJoin(j.join_type, std::move(new_left), right, std::move(conds));
      s->build_right = j.build_right;
      return s;
    };
    switch (left->kind) {
      case LogicalOpKind::kFilter: {
        LogicalOpPtr inner = remake(left->children[0], j.conditions);
        LogicalOpPtr pushed = PushSemi(inner);
        if (pushed == inner) return op;  // only worth it when it goes further down
        LogicalOpPtr f = left->Clone();
        f->children[0] = pushed;
        return f;
      }
      case LogicalOpKind::kProjection: {
        const auto& p = left->As<LogicalProjection>();
        std::unordered_map<ColumnId, ExprPtr> map;
        for (size_t i = 0; i < p.exprs.size(); ++i) {
          if (p.exprs[i]->kind == ExprKind::kColumnRef) map[left->output[i].id] = p.exprs[i];
        }
        for (ColumnId id : used) {
          if (!map.count(id)) return op;
        }
        std::vector<ExprPtr> conds;
        for (const auto& c : j.conditions) conds.push_back(RemapColumns(c, map));
        LogicalOpPtr inner = remake(left->children[0], std::move(conds));
        LogicalOpPtr pushed = PushSemi(inner);
        if (pushed == inner) return op;
        LogicalOpPtr proj = left->Clone();
        proj->children[0] = pushed;
        return proj;
      }
      case LogicalOpKind::kJoin: {
        if (!IsInnerJoin(left)) return op;
        int side = -1;
        for (int s = 0; s < 2 && side < 0; ++s) {
          const IdSet ids = OutputIdSet(*left->children[s]);
          bool all = true;
          for (ColumnId id : used) all = all && ids.count(id);
          if (all) side = s;
        }
        if (side < 0) return op;
        const LogicalOpPtr& target = left->children[side];
        LogicalOpPtr moved = remake(target, j.conditions);
        const double moved_rows = EstimateCardinality(*moved).rows;
        const double target_rows = EstimateCardinality(*target).rows;
        const double join_rows = EstimateCardinality(*left).rows;
        if (!(moved_rows < join_rows && moved_rows <= kSemiPushSelectivity * target_rows)) {
          return op;
        }
        LogicalOpPtr jn = left->Clone();
        jn->children[side] = PushSemi(moved);
        return jn;
      }
      default:
        return op;
    }
  }

  // -------------------------------------------------------------------------
  // Regions

  void Collect(const LogicalOpPtr& op, JoinRegion* region, std::vector<ExprPtr>* conds) {
    if (IsInnerJoin(op)) {
      SplitAll(op->As<LogicalJoin>().conditions, conds);
      Collect(op->children[0], region, conds);
      Collect(op->children[1], region, conds);
      return;
    }
    if (op->kind == LogicalOpKind::kFilter && IsInnerJoin(op->children[0])) {
      SplitAll(op->As<LogicalFilter>().conditions, conds);
      Collect(op->children[0], region, conds);
      return;
    }
    if (IsPassThrough(*op) && IsInnerJoin(op->children[0])) {
      // Columns it drops are pruned later by push_down_projections.
      Collect(op->children[0], region, conds);
      return;
    }
    region->rels.push_back(op);
  }

  /// Visit a region without reordering it (conditions the reorder cannot place).
  LogicalOpPtr KeepShape(LogicalOpPtr op) {
    if (IsInnerJoin(op)) {
      for (auto& c : op->children) c = KeepShape(c);
      return ChooseBuildSide(op);
    }
    if ((op->kind == LogicalOpKind::kFilter || IsPassThrough(*op)) &&
        IsInnerJoin(op->children[0])) {
      op->children[0] = KeepShape(op->children[0]);
      return op;
    }
    return Visit(op);
  }

  LogicalOpPtr ReorderRegion(LogicalOpPtr op) {
    const auto original_output = op->output;
    JoinRegion region;
    std::vector<ExprPtr> conds;
    Collect(op, &region, &conds);
    const size_t n = region.rels.size();
    bool ok = n >= 2 && n <= kMaxRelations;
    for (const auto& c : conds) ok = ok && !HasSideEffectsOrSubquery(c);
    for (size_t i = 0; i < n; ++i) {
      for (const auto& c : region.rels[i]->output) region.owner[c.id] = static_cast<int>(i);
    }
    for (const auto& e : conds) {
      for (ColumnId id : ReferencedIds(e)) ok = ok && region.owner.count(id);
    }
    if (!ok) return KeepShape(op);
    region.Classify(conds);
    for (size_t i = 0; i < n; ++i) region.info.push_back(EstimateCardinality(*region.rels[i]));
    region.Prepare();
    AddReducers(&region);
    for (size_t i = 0; i < n; ++i) {
      region.rels[i] = Visit(region.rels[i]);
      region.info[i] = EstimateCardinality(*region.rels[i]);
    }
    region.Prepare();
    region.Plan();
    LogicalOpPtr tree = region.Build(region.FullMask());
    return EnsureOutput(tree, original_output);
  }

  // -------------------------------------------------------------------------
  // Semi-join reducers for grouped relations

  void AddReducers(JoinRegion* region) {
    const size_t n = region->rels.size();
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < region->classes.size(); ++k) {
        const EqClass& cls = region->classes[k];
        for (const auto& m : cls.members) {
          if (m.rel != static_cast<int>(i)) continue;
          ExprPtr group;
          LogicalOp* agg = TraceToGroupKey(region->rels[i], m.col.id, &group);
          if (!agg) continue;
          if (AddReducer(*region, static_cast<int>(i), cls, agg, group)) {
            region->info[i] = EstimateCardinality(*region->rels[i]);
            break;  // one reducer per relation and class
          }
        }
      }
    }
  }

  bool AddReducer(const JoinRegion& region, int rel, const EqClass& cls, LogicalOp* agg,
                  const ExprPtr& group) {
    const LogicalOpPtr& input = agg->children[0];
    const auto in_info = EstimateCardinality(*input);
    const auto* group_col = &static_cast<const ColumnRefExpr&>(*group);
    auto git = in_info.columns.find(group_col->id);
    double group_ndv = git != in_info.columns.end() ? git->second.ndv : in_info.rows;
    group_ndv = std::min(group_ndv, cls.domain);
    const double input_scan = ScanRows(input);
    std::vector<ReducerSource> sources;
    for (const auto& other : cls.members) {
      if (other.rel == rel) continue;
      CollectSources(region.rels[static_cast<size_t>(other.rel)], other.col.id, true, &sources);
    }
    const ReducerSource* best = nullptr;
    double best_ndv = 0, best_scan = 0;
    for (const auto& s : sources) {
      if (!Copyable(s.op) || !s.col.type ||
          !s.col.type->Equals(*group->type)) {
        continue;
      }
      auto info = EstimateCardinality(*s.op);
      auto it = info.columns.find(s.col.id);
      double ndv = std::min(it != info.columns.end() ? it->second.ndv : info.rows, cls.domain);
      double scan = ScanRows(s.op);
      if (!best || ndv < best_ndv || (ndv == best_ndv && scan < best_scan)) {
        best = &s;
        best_ndv = ndv;
        best_scan = scan;
      }
    }
    if (!best || best_ndv > kReducerSelectivity * group_ndv ||
        best_scan > kReducerScanShare * input_scan) {
      return false;
    }
    std::unordered_map<ColumnId, ColumnId> ids;
    LogicalOpPtr copy =
        CopyWithFreshIds(best->op, [this] { return ctx_.NextColumnId(); }, &ids);
    const OutputColumn* key = FindOutput(*copy, ids.at(best->col.id));
    if (!key) return false;
    auto cond = MakeComparison("equal", group, RefTo(*key));
    agg->children[0] = MakeJoin(JoinType::kSemi, input, copy, {cond});
    return true;
  }

  // -------------------------------------------------------------------------
  // Build sides

  LogicalOpPtr ChooseBuildSide(LogicalOpPtr op) {
    auto& j = op->As<LogicalJoin>();
    double l = EstimateCardinality(*op->children[0]).rows;
    double r = EstimateCardinality(*op->children[1]).rows;
    if (j.join_type == JoinType::kMark && j.mark_null_aware) {
      j.build_right = true;
    } else {
      j.build_right = r <= l;
    }
    return op;
  }

  OptimizerContext& ctx_;
};

}  // namespace

Result<bool> JoinReorder::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  Reorderer r(ctx);
  *plan = r.Visit(*plan);
  AnnotateCardinality(*plan);
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
