#include "shoal/optimizer/materialize_common_subplans.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <unordered_map>

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

/// What the rule knows about one operator of the plan.
struct NodeInfo {
  bool eligible = true;   ///< may be shared (see the header for the exclusions)
  bool expensive = false; ///< holds an aggregate, join, window or set operation
  std::string shape;      ///< cheap structural key: equal subtrees have equal shapes
  std::string signature;  ///< canonical digest (computed only for repeated shapes)
};

void MaxCteIndexInExpr(const ExprPtr& e, int* max_index);

void MaxCteIndex(const LogicalOpPtr& op, int* max_index) {
  if (!op) return;
  if (op->kind == LogicalOpKind::kCteRef) {
    *max_index = std::max(*max_index, op->As<LogicalCteRef>().cte_index);
  } else if (op->kind == LogicalOpKind::kRecursiveCte) {
    *max_index = std::max(*max_index, op->As<LogicalRecursiveCte>().cte_index);
  } else if (op->kind == LogicalOpKind::kMaterializedCte) {
    *max_index = std::max(*max_index, op->As<LogicalMaterializedCte>().cte_index);
  }
  for (const auto& e : op->Expressions()) MaxCteIndexInExpr(e, max_index);
  for (const auto& c : op->children) MaxCteIndex(c, max_index);
}

void MaxCteIndexInExpr(const ExprPtr& e, int* max_index) {
  if (!e) return;
  if (e->kind == ExprKind::kSubquery) {
    MaxCteIndex(static_cast<const SubqueryExpr&>(*e).plan, max_index);
  }
  for (const auto& c : e->children()) MaxCteIndexInExpr(c, max_index);
}

void AppendExprTypes(const ExprPtr& e, std::string* out) {
  if (!e) return;
  *out += e->type ? e->type->ToString() : "?";
  *out += ",";
  for (const auto& c : e->children()) AppendExprTypes(c, out);
}

/// Append what PlanDigest does not show but equality needs: the identity of every
/// scanned table (two catalogs may hold tables of the same name) and the type of
/// every expression node (literals of different types can print alike).
void AppendIdentity(const LogicalOpPtr& op, std::string* out) {
  if (op->kind == LogicalOpKind::kGet) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), " T%p", static_cast<const void*>(
                                             op->As<LogicalGet>().table.get()));
    *out += buf;
  }
  *out += " E:";
  for (const auto& e : op->Expressions()) AppendExprTypes(e, out);
  if (op->kind == LogicalOpKind::kValues) {
    for (const auto& row : op->As<LogicalValues>().rows) {
      for (const auto& e : row) AppendExprTypes(e, out);
    }
  }
  for (const auto& c : op->children) AppendIdentity(c, out);
}

/// Blank every column name of `op` and below (output columns and references):
/// names are display text and may embed ids (an aggregate's "sum(x@13)"), so equal
/// subplans can differ in them. Readers keep their own names.
void BlankNames(const LogicalOpPtr& op) {
  for (auto& col : op->output) col.name.clear();
  (void)MapExpressions(op.get(), [](const ExprPtr& e) -> Result<ExprPtr> {
    return TransformUp(e, [](const ExprPtr& node) -> Result<ExprPtr> {
      if (node->kind != ExprKind::kColumnRef) return node;
      const auto& ref = static_cast<const ColumnRefExpr&>(*node);
      return MakeColumnRef(ref.id, "", ref.type, ref.nullable);
    });
  });
  for (const auto& c : op->children) BlankNames(c);
}

// ---------------------------------------------------------------------------
// Widening: two subplans equal except for the columns their scans read (the
// other rules prune each copy to what its reader needs, e.g. TPC-H Q11's
// partsupp x supplier x nation with and without ps_partkey) are made equal by
// letting every copy's scans read the union of the columns.

constexpr ColumnId kComputedIdBase = 1u << 30;
constexpr int kMaxWidenColumns = 4096;

ExprPtr RenameRefs(const ExprPtr& e, const std::unordered_map<ColumnId, ColumnId>& ids) {
  auto out = TransformUp(e, [&](const ExprPtr& node) -> Result<ExprPtr> {
    if (node->kind != ExprKind::kColumnRef) return node;
    const auto& ref = static_cast<const ColumnRefExpr&>(*node);
    auto it = ids.find(ref.id);
    return MakeColumnRef(it == ids.end() ? ref.id : it->second, "", ref.type, ref.nullable);
  });
  return out.ok() ? *out : e;
}

bool IsPassThrough(LogicalOpKind k) {
  return k == LogicalOpKind::kFilter || k == LogicalOpKind::kSort ||
         k == LogicalOpKind::kLimit || k == LogicalOpKind::kTopN || k == LogicalOpKind::kJoin;
}

/// Return true when `op` only holds operators whose outputs Widen can recompute.
bool Widenable(const LogicalOpPtr& op) {
  switch (op->kind) {
    case LogicalOpKind::kGet:
    case LogicalOpKind::kFilter:
    case LogicalOpKind::kProjection:
    case LogicalOpKind::kAggregate:
    case LogicalOpKind::kSort:
    case LogicalOpKind::kLimit:
    case LogicalOpKind::kTopN:
      break;
    case LogicalOpKind::kJoin: {
      auto t = op->As<LogicalJoin>().join_type;
      if (t != JoinType::kInner && t != JoinType::kSemi && t != JoinType::kAnti) return false;
      break;
    }
    default:
      return false;
  }
  for (const auto& c : op->children) {
    if (!Widenable(c)) return false;
  }
  return true;
}

/// Return a digest equal for subplans that differ at most in the columns their
/// scans read (scan columns are named by scan position and table column index).
std::string LooseDigest(const LogicalOpPtr& op, std::unordered_map<ColumnId, ColumnId>* ids,
                        ColumnId* counter, int* gets) {
  std::string out = "(";
  for (const auto& c : op->children) out += LooseDigest(c, ids, counter, gets) + ",";
  out += ")";
  LogicalOpPtr copy = op->Clone();
  if (copy->kind == LogicalOpKind::kGet) {
    auto& g = copy->As<LogicalGet>();
    const ColumnId base = static_cast<ColumnId>(++*gets) << 12;
    for (size_t i = 0; i < g.output.size() && i < g.projection.size(); ++i) {
      if (g.projection[i] >= kMaxWidenColumns) return out + "unique" + std::to_string(*counter);
      (*ids)[g.output[i].id] = base + static_cast<ColumnId>(g.projection[i]);
    }
    char buf[32];
    std::snprintf(buf, sizeof(buf), " T%p", static_cast<const void*>(g.table.get()));
    out += buf;
  }
  (void)MapExpressions(copy.get(), [&](const ExprPtr& e) -> Result<ExprPtr> {
    return RenameRefs(e, *ids);
  });
  const bool pass = IsPassThrough(copy->kind);
  for (auto& col : copy->output) {
    auto it = ids->find(col.id);
    if (copy->kind != LogicalOpKind::kGet && (!pass || it == ids->end())) {
      (*ids)[col.id] = kComputedIdBase + (*counter)++;  // made here
      it = ids->find(col.id);
    }
    col.id = it == ids->end() ? col.id : it->second;
    col.name.clear();
  }
  if (copy->kind == LogicalOpKind::kJoin) {
    auto& j = copy->As<LogicalJoin>();
    auto it = ids->find(j.mark_id);
    if (it != ids->end()) j.mark_id = it->second;
  }
  if (copy->kind == LogicalOpKind::kGet) copy->output.clear();
  out += copy->Describe() + " |";
  if (!pass && copy->kind != LogicalOpKind::kGet) {
    for (const auto& col : copy->output) {
      out += " " + std::to_string(col.id) + ":" + (col.type ? col.type->ToString() : "?") +
             (col.nullable ? "?" : "!");
    }
  }
  AppendIdentity(copy, &out);
  return out;
}

void CollectGets(const LogicalOpPtr& op, std::vector<LogicalGet*>* out) {
  if (op->kind == LogicalOpKind::kGet) out->push_back(&op->As<LogicalGet>());
  for (const auto& c : op->children) CollectGets(c, out);
}

/// Recompute the outputs of pass-through operators after their inputs changed
/// (joins are inner, semi or anti: see Widenable).
void RecomputeOutputs(const LogicalOpPtr& op) {
  for (const auto& c : op->children) RecomputeOutputs(c);
  if (!IsPassThrough(op->kind)) return;
  std::unordered_map<ColumnId, OutputColumn> old;
  for (const auto& col : op->output) old[col.id] = col;
  std::vector<OutputColumn> out;
  size_t sides = 1;
  if (op->kind == LogicalOpKind::kJoin && op->As<LogicalJoin>().join_type == JoinType::kInner) {
    sides = 2;
  }
  for (size_t s = 0; s < sides && s < op->children.size(); ++s) {
    for (const auto& col : op->children[s]->output) {
      auto it = old.find(col.id);
      out.push_back(it != old.end() ? it->second : col);
    }
  }
  op->output = std::move(out);
}


/// Return a digest equal exactly for subplans equal up to column ids and names.
std::string StrictSignature(const LogicalOpPtr& op) {
  ColumnId next = 1;
  LogicalOpPtr canon = CopyWithFreshIds(op, [&] { return next++; });
  BlankNames(canon);
  std::string sig = PlanDigest(canon);
  AppendIdentity(op, &sig);
  return sig;
}

class Finder {
 public:
  /// Fill the NodeInfo of `op` and everything below it.
  void Analyze(const LogicalOpPtr& op) {
    NodeInfo in;
    in.shape = std::string(LogicalOpKindName(op->kind)) + "(";
    IdSet available;
    for (const auto& c : op->children) {
      Analyze(c);
      const NodeInfo& ci = info_[c.get()];
      in.eligible = in.eligible && ci.eligible;
      in.expensive = in.expensive || ci.expensive;
      in.shape += ci.shape + ",";
      for (const auto& col : c->output) available.insert(col.id);
    }
    in.shape += ")";
    switch (op->kind) {
      case LogicalOpKind::kCteRef:
      case LogicalOpKind::kRecursiveCte:
      case LogicalOpKind::kMaterializedCte:
        in.eligible = false;
        break;
      case LogicalOpKind::kAggregate:
      case LogicalOpKind::kJoin:
      case LogicalOpKind::kWindow:
      case LogicalOpKind::kSetOperation:
        in.expensive = true;
        break;
      case LogicalOpKind::kGet:
        in.shape += op->As<LogicalGet>().table_name;
        for (const auto& col : op->output) available.insert(col.id);
        break;
      default:
        break;
    }
    for (const auto& e : op->Expressions()) {
      if (HasSideEffectsOrSubquery(e) || !RefsSubsetOf(e, available)) in.eligible = false;
    }
    if (op->kind == LogicalOpKind::kValues) {
      for (const auto& row : op->As<LogicalValues>().rows) {
        for (const auto& e : row) {
          if (HasSideEffectsOrSubquery(e) || !RefsSubsetOf(e, available)) in.eligible = false;
        }
      }
    }
    if (Candidate(*op, in)) ++shape_count_[in.shape];
    info_[op.get()] = std::move(in);
  }

  /// Compute the signatures of candidates whose shape repeats and count them.
  void CountSignatures(const LogicalOpPtr& op) {
    NodeInfo& in = info_[op.get()];
    if (Candidate(*op, in) && shape_count_[in.shape] >= 2) {
      in.signature = StrictSignature(op);
      ++signature_count_[in.signature];
    }
    for (const auto& c : op->children) CountSignatures(c);
  }

  /// Collect the outermost occurrences of repeated subplans (slots holding them).
  void Select(LogicalOpPtr* slot) {
    const LogicalOp* op = slot->get();
    if (op->kind == LogicalOpKind::kRecursiveCte) return;  // leave recursion alone
    const NodeInfo& in = info_[op];
    if (!in.signature.empty() && signature_count_[in.signature] >= 2) {
      auto& slots = groups_[in.signature];
      if (std::find(slots.begin(), slots.end(), slot) == slots.end()) {
        if (slots.empty()) order_.push_back(in.signature);
        slots.push_back(slot);
      }
      return;
    }
    for (auto& c : (*slot)->children) Select(&c);
  }

  /// Return true when `op` (analyzed) may be shared.
  bool IsCandidate(const LogicalOp* op) {
    auto it = info_.find(op);
    return it != info_.end() && Candidate(*op, it->second);
  }

  /// Repeated subplans in the order their first occurrence was met.
  const std::vector<std::string>& order() const { return order_; }
  const std::vector<LogicalOpPtr*>& slots(const std::string& sig) { return groups_[sig]; }

 private:
  static bool Candidate(const LogicalOp& op, const NodeInfo& in) {
    return in.eligible && in.expensive && op.kind != LogicalOpKind::kSort;
  }

  std::unordered_map<const LogicalOp*, NodeInfo> info_;
  std::unordered_map<std::string, int> shape_count_;
  std::unordered_map<std::string, int> signature_count_;
  std::unordered_map<std::string, std::vector<LogicalOpPtr*>> groups_;
  std::vector<std::string> order_;
};

/// Collect the outermost widenable candidates by loose digest.
void SelectLoose(LogicalOpPtr* slot, Finder& finder,
                 std::unordered_map<const LogicalOp*, std::string>& loose,
                 std::unordered_map<std::string, int>& count,
                 std::unordered_map<std::string, std::vector<LogicalOpPtr*>>* groups,
                 std::vector<std::string>* order) {
  const LogicalOp* op = slot->get();
  if (op->kind == LogicalOpKind::kRecursiveCte) return;
  auto it = loose.find(op);
  if (it != loose.end() && count[it->second] >= 2) {
    auto& slots = (*groups)[it->second];
    if (std::find(slots.begin(), slots.end(), slot) == slots.end()) {
      if (slots.empty()) order->push_back(it->second);
      slots.push_back(slot);
    }
    return;
  }
  for (auto& c : (*slot)->children) SelectLoose(&c, finder, loose, count, groups, order);
}

void LooseAll(const LogicalOpPtr& op, Finder& finder,
              std::unordered_map<const LogicalOp*, std::string>* loose,
              std::unordered_map<std::string, int>* count) {
  if (op->kind == LogicalOpKind::kRecursiveCte) return;
  if (finder.IsCandidate(op.get()) && Widenable(op)) {
    std::unordered_map<ColumnId, ColumnId> ids;
    ColumnId counter = 0;
    int gets = 0;
    std::string d = LooseDigest(op, &ids, &counter, &gets);
    (*loose)[op.get()] = d;
    ++(*count)[d];
  }
  for (const auto& c : op->children) LooseAll(c, finder, loose, count);
}

/// Widen the scans of subplans equal but for their scans' columns (see above) when
/// that makes them equal; return whether the plan changed.
bool WidenScans(LogicalOpPtr* plan, OptimizerContext& ctx) {
  Finder finder;
  finder.Analyze(*plan);
  std::unordered_map<const LogicalOp*, std::string> loose;
  std::unordered_map<std::string, int> count;
  LooseAll(*plan, finder, &loose, &count);
  std::unordered_map<std::string, std::vector<LogicalOpPtr*>> groups;
  std::vector<std::string> order;
  SelectLoose(plan, finder, loose, count, &groups, &order);
  bool changed = false;
  for (const auto& d : order) {
    const auto& slots = groups[d];
    if (slots.size() < 2) continue;
    std::vector<LogicalOpPtr> copies;
    std::vector<std::vector<LogicalGet*>> gets;
    for (LogicalOpPtr* slot : slots) {
      copies.push_back(DeepCopyPlan(*slot));
      gets.emplace_back();
      CollectGets(copies.back(), &gets.back());
    }
    bool ok = true, differ = false;
    for (const auto& g : gets) ok = ok && g.size() == gets[0].size();
    if (!ok) continue;
    for (size_t k = 0; k < gets[0].size(); ++k) {
      std::map<int, OutputColumn> columns;  // table column -> a column reading it
      for (const auto& g : gets) {
        for (size_t i = 0; i < g[k]->projection.size() && i < g[k]->output.size(); ++i) {
          columns.emplace(g[k]->projection[i], g[k]->output[i]);
        }
      }
      for (auto& g : gets) {
        LogicalGet* get = g[k];
        std::map<int, OutputColumn> mine;
        for (size_t i = 0; i < get->projection.size() && i < get->output.size(); ++i) {
          mine.emplace(get->projection[i], get->output[i]);
        }
        if (mine.size() != columns.size()) differ = true;
        get->projection.clear();
        get->output.clear();
        for (const auto& [index, col] : columns) {
          auto it = mine.find(index);
          OutputColumn out = it != mine.end() ? it->second : col;
          if (it == mine.end()) out.id = ctx.NextColumnId();
          get->projection.push_back(index);
          get->output.push_back(out);
        }
      }
    }
    if (!differ) continue;  // equal scans: the subplans differ elsewhere
    for (const auto& c : copies) RecomputeOutputs(c);
    std::string first = StrictSignature(copies[0]);
    for (const auto& c : copies) ok = ok && StrictSignature(c) == first;
    if (!ok) continue;
    for (size_t i = 0; i < slots.size(); ++i) {
      *slots[i] = EnsureOutput(copies[i], (*slots[i])->output);
    }
    changed = true;
  }
  return changed;
}

}  // namespace

Result<bool> MaterializeCommonSubplans::Apply(LogicalOpPtr* plan,
                                              OptimizerContext& ctx) const {
  if (!plan || !*plan) return false;
  bool widened = WidenScans(plan, ctx);
  Finder finder;
  finder.Analyze(*plan);
  finder.CountSignatures(*plan);
  finder.Select(plan);
  int next_index = -1;
  MaxCteIndex(*plan, &next_index);
  ++next_index;
  bool changed = widened;
  for (const auto& sig : finder.order()) {
    const auto& slots = finder.slots(sig);
    if (slots.size() < 2) continue;  // the other occurrences sit inside a shared subplan
    const int index = next_index++;
    LogicalOpPtr definition = *slots[0];
    for (LogicalOpPtr* slot : slots) {
      auto ref = std::make_shared<LogicalCteRef>();
      ref->cte_index = index;
      ref->materialized = true;
      ref->output = (*slot)->output;
      ref->estimated_rows = (*slot)->estimated_rows;
      *slot = ref;
    }
    auto m = std::make_shared<LogicalMaterializedCte>();
    m->cte_index = index;
    m->output = (*plan)->output;
    m->estimated_rows = (*plan)->estimated_rows;
    m->children = {definition, *plan};
    *plan = m;
    changed = true;
  }
  return changed;
}

}  // namespace shoal::opt
