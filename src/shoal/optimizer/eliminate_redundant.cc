#include "shoal/optimizer/eliminate_redundant.h"

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

bool IsEmpty(const LogicalOpPtr& op) { return op->kind == LogicalOpKind::kEmpty; }

bool IsUnitValues(const LogicalOpPtr& op) {
  return op->kind == LogicalOpKind::kValues && op->output.empty() &&
         op->As<LogicalValues>().rows.size() == 1;
}

bool IsIdentityProjection(const LogicalOp& op, bool is_root) {
  const auto& p = op.As<LogicalProjection>();
  const auto& child = *op.children[0];
  if (p.exprs.size() != child.output.size()) return false;
  for (size_t i = 0; i < p.exprs.size(); ++i) {
    const auto& e = p.exprs[i];
    if (e->kind != ExprKind::kColumnRef) return false;
    ColumnId id = static_cast<const ColumnRefExpr&>(*e).id;
    if (id != op.output[i].id || id != child.output[i].id) return false;
    if (is_root && op.output[i].name != child.output[i].name) return false;
  }
  return true;
}

bool OrderSensitive(const ExprPtr& e) {
  if (e->kind != ExprKind::kAggregate) return true;
  const auto& a = static_cast<const AggregateExpr&>(*e);
  if (!a.order_by.empty()) return true;
  static const char* kSensitive[] = {"string_agg", "array_agg", "list", "first", "last",
                                     "first_value", "last_value", "listagg", "group_concat",
                                     "any_value", "arbitrary"};
  for (const char* s : kSensitive) {
    if (a.function == s) return true;
  }
  return false;
}

void CountRefs(const ExprPtr& e, std::unordered_map<ColumnId, int>* counts) {
  if (!e) return;
  if (e->kind == ExprKind::kColumnRef) {
    ++(*counts)[static_cast<const ColumnRefExpr&>(*e).id];
    return;
  }
  if (e->kind == ExprKind::kSubquery) {
    for (ColumnId id : static_cast<const SubqueryExpr&>(*e).correlated_columns) {
      (*counts)[id] += 2;  // never inline into subqueries
    }
  }
  for (const auto& c : e->children()) CountRefs(c, counts);
}

/// Try to merge Projection `op` with its Projection child; return null if unsafe.
LogicalOpPtr MergeProjections(const LogicalOpPtr& op) {
  const auto& outer = op->As<LogicalProjection>();
  const auto& inner_op = op->children[0];
  const auto& inner = inner_op->As<LogicalProjection>();
  std::unordered_map<ColumnId, int> counts;
  for (const auto& e : outer.exprs) CountRefs(e, &counts);
  std::unordered_map<ColumnId, ExprPtr> map;
  for (size_t i = 0; i < inner.exprs.size(); ++i) {
    const auto& e = inner.exprs[i];
    ColumnId id = inner_op->output[i].id;
    auto it = counts.find(id);
    int uses = it == counts.end() ? 0 : it->second;
    if (uses == 0) continue;
    if (HasSideEffectsOrSubquery(e) || ContainsKind(e, ExprKind::kWindow) ||
        ContainsKind(e, ExprKind::kAggregate)) {
      return nullptr;
    }
    bool cheap = e->kind == ExprKind::kColumnRef || e->kind == ExprKind::kLiteral;
    if (uses > 1 && !cheap) return nullptr;
    map[id] = e;
  }
  auto merged = std::static_pointer_cast<LogicalProjection>(op->Clone());
  for (auto& e : merged->exprs) e = RemapColumns(e, map);
  merged->children = inner_op->children;
  return merged;
}

/// One local simplification of `op` (children already done); null when none applies.
LogicalOpPtr Step(const LogicalOpPtr& op, bool is_root) {
  const bool child_empty = !op->children.empty() && IsEmpty(op->children[0]);
  switch (op->kind) {
    case LogicalOpKind::kFilter: {
      auto& f = op->As<LogicalFilter>();
      if (child_empty) return MakeEmptyLike(*op);
      if (f.conditions.empty()) return op->children[0];
      const auto& child = op->children[0];
      if (child->kind == LogicalOpKind::kFilter) {
        auto merged = std::static_pointer_cast<LogicalFilter>(child->Clone());
        for (const auto& c : f.conditions) {
          bool dup = false;
          for (const auto& x : merged->conditions) dup = dup || ExprEquals(x, c);
          if (!dup || HasSideEffectsOrSubquery(c)) merged->conditions.push_back(c);
        }
        return merged;
      }
      return nullptr;
    }
    case LogicalOpKind::kProjection:
      if (child_empty) return MakeEmptyLike(*op);
      if (IsIdentityProjection(*op, is_root)) return op->children[0];
      if (op->children[0]->kind == LogicalOpKind::kProjection) return MergeProjections(op);
      return nullptr;
    case LogicalOpKind::kSort:
      if (child_empty) return MakeEmptyLike(*op);
      if (op->children[0]->kind == LogicalOpKind::kSort) {
        op->children[0] = op->children[0]->children[0];
        return op;
      }
      return nullptr;
    case LogicalOpKind::kLimit: {
      if (child_empty) return MakeEmptyLike(*op);
      const auto& l = op->As<LogicalLimit>();
      if (!l.limit && l.offset == 0) return op->children[0];
      return nullptr;
    }
    case LogicalOpKind::kTopN:
    case LogicalOpKind::kWindow:
      return child_empty ? MakeEmptyLike(*op) : nullptr;
    case LogicalOpKind::kAggregate: {
      auto& a = op->As<LogicalAggregate>();
      if (child_empty && !a.groups.empty() && a.grouping_sets.empty()) return MakeEmptyLike(*op);
      if (op->children[0]->kind == LogicalOpKind::kSort) {
        for (const auto& e : a.aggregates) {
          if (OrderSensitive(e)) return nullptr;
        }
        op->children[0] = op->children[0]->children[0];
        return op;
      }
      return nullptr;
    }
    case LogicalOpKind::kJoin: {
      auto& j = op->As<LogicalJoin>();
      const bool le = IsEmpty(op->children[0]);
      const bool re = IsEmpty(op->children[1]);
      switch (j.join_type) {
        case JoinType::kInner:
          if (le || re) return MakeEmptyLike(*op);
          if (j.conditions.empty() && IsUnitValues(op->children[1])) return op->children[0];
          if (j.conditions.empty() && IsUnitValues(op->children[0])) return op->children[1];
          return nullptr;
        case JoinType::kSemi:
          return le || re ? MakeEmptyLike(*op) : nullptr;
        case JoinType::kAnti:
          if (le) return MakeEmptyLike(*op);
          if (re) return op->children[0];
          return nullptr;
        case JoinType::kLeft:
        case JoinType::kSingle:
        case JoinType::kMark:
          return le ? MakeEmptyLike(*op) : nullptr;
        case JoinType::kRight:
          return re ? MakeEmptyLike(*op) : nullptr;
        case JoinType::kFull:
          return le && re ? MakeEmptyLike(*op) : nullptr;
      }
      return nullptr;
    }
    case LogicalOpKind::kSetOperation: {
      const auto& s = op->As<LogicalSetOperation>();
      const bool le = IsEmpty(op->children[0]);
      const bool re = IsEmpty(op->children[1]);
      if (le && re) return MakeEmptyLike(*op);
      if (le && s.op != SetOpKind::kExcept && s.op != SetOpKind::kUnion) return MakeEmptyLike(*op);
      if (re && s.op == SetOpKind::kIntersect) return MakeEmptyLike(*op);
      return nullptr;
    }
    default:
      return nullptr;
  }
}

LogicalOpPtr Rewrite(LogicalOpPtr op, bool is_root) {
  for (auto& c : op->children) c = Rewrite(c, false);
  for (int guard = 0; guard < 64; ++guard) {
    LogicalOpPtr next = Step(op, is_root);
    if (!next) break;
    if (next == op) continue;  // changed in place; look again
    op = next;
  }
  return op;
}

}  // namespace

Result<bool> EliminateRedundant::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  *plan = Rewrite(*plan, true);
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
