#include "shoal/optimizer/push_down_filters.h"

#include <arrow/type.h>

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

bool Movable(const ExprPtr& e) {
  return !HasSideEffectsOrSubquery(e) && !ContainsKind(e, ExprKind::kAggregate) &&
         !ContainsKind(e, ExprKind::kWindow);
}

void AddUnique(std::vector<ExprPtr>* v, const ExprPtr& e) {
  for (const auto& x : *v) {
    if (ExprEquals(x, e)) return;
  }
  v->push_back(e);
}

void SplitOr(const ExprPtr& e, std::vector<ExprPtr>* out) {
  const CallExpr* call = AsCall(e);
  if (call && call->function == "or_kleene" && call->args.size() == 2) {
    SplitOr(call->args[0], out);
    SplitOr(call->args[1], out);
    return;
  }
  out->push_back(e);
}

/// For a disjunction spanning several inputs, return the weaker predicate that
/// only uses `ids` and is implied by it (each disjunct restricted to its terms on
/// `ids`), or null. E.g. (a = 1 AND x = 2) OR (a = 3 AND x = 4) implies
/// (a = 1 OR a = 3) on a's side. The original stays where it is.
ExprPtr ImpliedPredicate(const ExprPtr& pred, const IdSet& ids) {
  std::vector<ExprPtr> disjuncts;
  SplitOr(pred, &disjuncts);
  if (disjuncts.size() < 2) return nullptr;
  ExprPtr out;
  for (const auto& d : disjuncts) {
    std::vector<ExprPtr> terms, mine;
    SplitConjunction(d, &terms);
    for (const auto& t : terms) {
      if (!ReferencedIds(t).empty() && RefsSubsetOf(t, ids) && Movable(t)) mine.push_back(t);
    }
    if (mine.empty()) return nullptr;
    ExprPtr conj = MakeConjunction(mine);
    if (!out) {
      out = conj;
    } else {
      auto call = std::make_shared<CallExpr>("or_kleene", std::vector<ExprPtr>{out, conj},
                                             arrow::boolean(), nullptr, "OR");
      call->nullable = out->nullable || conj->nullable;
      out = call;
    }
  }
  return out;
}

/// True when `e` is a column of `ids`, possibly under casts (null in, null out).
bool IsColumnOf(const ExprPtr& e, const IdSet& ids) {
  ExprPtr cur = e;
  while (cur->kind == ExprKind::kCast) cur = static_cast<const CastExpr&>(*cur).arg;
  return cur->kind == ExprKind::kColumnRef &&
         ids.count(static_cast<const ColumnRefExpr&>(*cur).id) > 0;
}

/// True when `pred` is never true if all columns of `ids` are null (a comparison
/// on one of them, or a conjunction containing one), so an outer join's
/// null-supplying side can become an inner join.
bool NullRejecting(const ExprPtr& pred, const IdSet& ids) {
  const CallExpr* call = AsCall(pred);
  if (!call) return false;
  if (call->function == "and_kleene" || call->function == "and") {
    for (const auto& a : call->args) {
      if (NullRejecting(a, ids)) return true;
    }
    return false;
  }
  if (IsComparison(call->function) || call->function == "is_valid") {
    for (const auto& a : call->args) {
      if (IsColumnOf(a, ids)) return true;
    }
  }
  return false;
}

/// Return `e` with casts of dictionary columns to their value type removed
/// (CAST(day AS string) -> day for a dictionary<int32, string> day): scans
/// compare dictionary columns by value, and only a plain column reference lets
/// them skip partitions and files.
ExprPtr StripDictionaryCasts(const ExprPtr& e) {
  if (e->kind == ExprKind::kCast) {
    const auto& cast = static_cast<const CastExpr&>(*e);
    const auto& from = cast.arg->type;
    if (!cast.try_cast && cast.arg->kind == ExprKind::kColumnRef && from && e->type &&
        from->id() == arrow::Type::DICTIONARY &&
        static_cast<const arrow::DictionaryType&>(*from).value_type()->Equals(*e->type)) {
      return cast.arg;
    }
  }
  std::vector<ExprPtr> kids = e->children();
  if (kids.empty()) return e;
  bool changed = false;
  for (auto& k : kids) {
    ExprPtr s = StripDictionaryCasts(k);
    changed = changed || s != k;
    k = std::move(s);
  }
  return changed ? e->WithChildren(std::move(kids)) : e;
}

class FilterPusher {
 public:
  /// Push `preds` (movable terms over op's output) into `op`; return the new subtree
  /// with the same output.
  Result<LogicalOpPtr> Push(LogicalOpPtr op, std::vector<ExprPtr> preds) {
    switch (op->kind) {
      case LogicalOpKind::kFilter: {
        std::vector<ExprPtr> terms, stuck;
        SplitAll(op->As<LogicalFilter>().conditions, &terms);
        for (auto& t : terms) {
          if (Movable(t)) {
            AddUnique(&preds, t);
          } else {
            stuck.push_back(t);
          }
        }
        if (stuck.empty()) return Push(op->children[0], std::move(preds));
        ARROW_ASSIGN_OR_RAISE(auto child, Push(op->children[0], std::move(preds)));
        return MakeFilter(child, std::move(stuck));
      }
      case LogicalOpKind::kProjection: {
        const auto& p = op->As<LogicalProjection>();
        std::unordered_map<ColumnId, ExprPtr> map;
        IdSet unsafe;
        for (size_t i = 0; i < p.exprs.size(); ++i) {
          map[op->output[i].id] = p.exprs[i];
          if (!Movable(p.exprs[i])) unsafe.insert(op->output[i].id);
        }
        std::vector<ExprPtr> down, keep;
        for (auto& pr : preds) {
          bool ok = true;
          for (ColumnId id : ReferencedIds(pr)) ok = ok && !unsafe.count(id);
          if (ok) {
            down.push_back(RemapColumns(pr, map));
          } else {
            keep.push_back(pr);
          }
        }
        ARROW_ASSIGN_OR_RAISE(op->children[0], Push(op->children[0], std::move(down)));
        return MakeFilter(op, std::move(keep));
      }
      case LogicalOpKind::kAggregate: {
        const auto& a = op->As<LogicalAggregate>();
        std::unordered_map<ColumnId, ExprPtr> map;
        IdSet group_ids;
        if (a.grouping_sets.empty()) {
          for (size_t i = 0; i < a.groups.size(); ++i) {
            if (!Movable(a.groups[i])) continue;
            map[op->output[i].id] = a.groups[i];
            group_ids.insert(op->output[i].id);
          }
        }
        std::vector<ExprPtr> down, keep;
        for (auto& pr : preds) {
          if (!ReferencedIds(pr).empty() && RefsSubsetOf(pr, group_ids)) {
            down.push_back(RemapColumns(pr, map));
          } else {
            keep.push_back(pr);
          }
        }
        ARROW_ASSIGN_OR_RAISE(op->children[0], Push(op->children[0], std::move(down)));
        return MakeFilter(op, std::move(keep));
      }
      case LogicalOpKind::kJoin:
        return PushJoin(op, std::move(preds));
      case LogicalOpKind::kSort: {
        ARROW_ASSIGN_OR_RAISE(op->children[0], Push(op->children[0], std::move(preds)));
        return op;
      }
      case LogicalOpKind::kWindow: {
        const auto& w = op->As<LogicalWindow>();
        IdSet common;
        bool first = true;
        for (const auto& e : w.window_exprs) {
          IdSet ids;
          if (e->kind == ExprKind::kWindow) {
            for (const auto& pb : static_cast<const WindowExpr&>(*e).partition_by) {
              if (pb->kind == ExprKind::kColumnRef) {
                ids.insert(static_cast<const ColumnRefExpr&>(*pb).id);
              }
            }
          }
          if (first) {
            common = ids;
            first = false;
          } else {
            IdSet both;
            for (ColumnId id : common) {
              if (ids.count(id)) both.insert(id);
            }
            common = std::move(both);
          }
        }
        std::vector<ExprPtr> down, keep;
        for (auto& pr : preds) {
          (!ReferencedIds(pr).empty() && RefsSubsetOf(pr, common) ? down : keep).push_back(pr);
        }
        ARROW_ASSIGN_OR_RAISE(op->children[0], Push(op->children[0], std::move(down)));
        return MakeFilter(op, std::move(keep));
      }
      case LogicalOpKind::kSetOperation: {
        for (auto& child : op->children) {
          std::unordered_map<ColumnId, ExprPtr> map;
          for (size_t i = 0; i < op->output.size() && i < child->output.size(); ++i) {
            map[op->output[i].id] = RefTo(child->output[i]);
          }
          std::vector<ExprPtr> mapped;
          for (const auto& pr : preds) mapped.push_back(RemapColumns(pr, map));
          ARROW_ASSIGN_OR_RAISE(child, Push(child, std::move(mapped)));
        }
        return op;
      }
      case LogicalOpKind::kGet: {
        auto& g = op->As<LogicalGet>();
        IdSet own = OutputIdSet(*op);
        for (const auto& pr : preds) {
          if (RefsSubsetOf(pr, own)) AddUnique(&g.filters, StripDictionaryCasts(pr));
        }
        return MakeFilter(op, std::move(preds));
      }
      case LogicalOpKind::kRecursiveCte:
      case LogicalOpKind::kMaterializedCte:
        // The recursive part reads a working table; leave the whole CTE alone (a
        // materialized one is made after this rule runs).
        return MakeFilter(op, std::move(preds));
      default: {
        // Limit, TopN, Values, Empty, CteRef: terms stay above; process below.
        for (auto& child : op->children) {
    ARROW_ASSIGN_OR_RAISE(child, Push(child, {}));
  }
        return MakeFilter(op, std::move(preds));
      }
    }
  }

 private:
  Result<LogicalOpPtr> PushJoin(LogicalOpPtr op, std::vector<ExprPtr> preds) {
    auto& j = op->As<LogicalJoin>();
    const IdSet left_ids = OutputIdSet(*op->children[0]);
    const IdSet right_ids = OutputIdSet(*op->children[1]);
    auto side_of = [&](const ExprPtr& e) {
      IdSet ids = ReferencedIds(e);
      if (ids.empty()) return 0;
      bool l = true, r = true;
      for (ColumnId id : ids) {
        l = l && left_ids.count(id);
        r = r && right_ids.count(id);
      }
      return l ? 1 : r ? 2 : 3;  // 1 left only, 2 right only, 3 both/other
    };
    // Outer join simplification: a filter that rejects nulls of the
    // null-supplying side removes every row the outer join adds.
    if (j.join_type == JoinType::kLeft || j.join_type == JoinType::kRight) {
      const IdSet& nullable = j.join_type == JoinType::kLeft ? right_ids : left_ids;
      for (const auto& pr : preds) {
        if (NullRejecting(pr, nullable)) {
          j.join_type = JoinType::kInner;
          break;
        }
      }
    }
    std::vector<ExprPtr> conds;
    SplitAll(j.conditions, &conds);
    std::vector<ExprPtr> to_left, to_right, keep, join_conds;
    switch (j.join_type) {
      case JoinType::kInner:
        for (auto& c : conds) preds.push_back(c);
        for (auto& pr : preds) {
          if (!Movable(pr)) {
            join_conds.push_back(pr);
            continue;
          }
          switch (side_of(pr)) {
            case 1: AddUnique(&to_left, pr); break;
            case 2: AddUnique(&to_right, pr); break;
            default:
              AddUnique(&join_conds, pr);
              if (auto l = ImpliedPredicate(pr, left_ids)) AddUnique(&to_left, l);
              if (auto r = ImpliedPredicate(pr, right_ids)) AddUnique(&to_right, r);
              break;
          }
        }
        break;
      case JoinType::kLeft:
      case JoinType::kSingle:
      case JoinType::kRight: {
        const bool left_preserved = j.join_type != JoinType::kRight;
        for (auto& pr : preds) {
          int s = side_of(pr);
          if (s == (left_preserved ? 1 : 2)) {
            (left_preserved ? to_left : to_right).push_back(pr);
          } else {
            keep.push_back(pr);
          }
        }
        for (auto& c : conds) {
          int s = side_of(c);
          if (Movable(c) && s == (left_preserved ? 2 : 1)) {
            (left_preserved ? to_right : to_left).push_back(c);
          } else {
            join_conds.push_back(c);
          }
        }
        break;
      }
      case JoinType::kSemi:
      case JoinType::kAnti:
      case JoinType::kMark:
        for (auto& pr : preds) {
          (side_of(pr) == 1 ? to_left : keep).push_back(pr);
        }
        for (auto& c : conds) {
          int s = side_of(c);
          if (Movable(c) && s == 2) {
            to_right.push_back(c);
          } else if (Movable(c) && s == 1 && j.join_type == JoinType::kSemi) {
            to_left.push_back(c);
          } else {
            join_conds.push_back(c);
          }
        }
        break;
      case JoinType::kFull:
        keep = std::move(preds);
        join_conds = std::move(conds);
        break;
    }
    j.conditions = std::move(join_conds);
    ARROW_ASSIGN_OR_RAISE(op->children[0], Push(op->children[0], std::move(to_left)));
    ARROW_ASSIGN_OR_RAISE(op->children[1], Push(op->children[1], std::move(to_right)));
    return MakeFilter(op, std::move(keep));
  }
};

}  // namespace

Result<bool> PushDownFilters::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  FilterPusher pusher;
  ARROW_ASSIGN_OR_RAISE(*plan, pusher.Push(*plan, {}));
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
