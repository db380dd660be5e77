#include "shoal/optimizer/decorrelate_subqueries.h"

#include <arrow/scalar.h>

#include "shoal/optimizer/plan_util.h"
#include "shoal/optimizer/simplify_expressions.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

template <typename... Args>
Status Unsupported(Args&&... parts) {
  return Status::NotImplemented("unsupported correlated subquery: ",
                                std::forward<Args>(parts)...);
}

void CollectProduced(const LogicalOpPtr& op, IdSet* out) {
  for (const auto& c : op->output) out->insert(c.id);
  if (op->kind == LogicalOpKind::kJoin) out->insert(op->As<LogicalJoin>().mark_id);
  for (const auto& c : op->children) CollectProduced(c, out);
}

void CollectReferenced(const LogicalOpPtr& op, IdSet* out) {
  for (const auto& e : op->Expressions()) CollectIds(e, out);
  if (op->kind == LogicalOpKind::kValues) {
    for (const auto& row : op->As<LogicalValues>().rows) {
      for (const auto& e : row) CollectIds(e, out);
    }
  }
  for (const auto& c : op->children) CollectReferenced(c, out);
}

bool RefsAny(const ExprPtr& e, const IdSet& ids) {
  for (ColumnId id : ReferencedIds(e)) {
    if (ids.count(id)) return true;
  }
  return false;
}

bool SubtreeRefsAny(const LogicalOpPtr& op, const IdSet& ids) {
  IdSet refs;
  CollectReferenced(op, &refs);
  for (ColumnId id : refs) {
    if (ids.count(id)) return true;
  }
  return false;
}

/// True when `op` always yields exactly one row.
bool ProvablyOneRow(const LogicalOpPtr& op) {
  switch (op->kind) {
    case LogicalOpKind::kAggregate: {
      const auto& a = op->As<LogicalAggregate>();
      return a.groups.empty() && a.grouping_sets.empty();
    }
    case LogicalOpKind::kProjection:
    case LogicalOpKind::kSort:
      return ProvablyOneRow(op->children[0]);
    case LogicalOpKind::kValues:
      return op->As<LogicalValues>().rows.size() == 1;
    default:
      return false;
  }
}

const OutputColumn* FindColumn(const LogicalOp& op, ColumnId id) {
  for (const auto& c : op.output) {
    if (c.id == id) return &c;
  }
  return nullptr;
}

bool IsCountLike(const std::string& fn) {
  return fn.rfind("count", 0) == 0 || fn == "approx_count_distinct";
}

/// Return the value the scalar subquery `op` yields for an outer row without
/// matching rows, where `agg` is its former scalar aggregate (now grouped by the
/// correlation keys). Null when it cannot be determined.
Result<ExprPtr> EmptyValue(const LogicalOpPtr& op, const LogicalOp* agg, ColumnId value_id,
                           const std::shared_ptr<arrow::DataType>& value_type) {
  std::vector<const LogicalOp*> chain;
  const LogicalOp* cur = op.get();
  while (cur != agg) {
    if (cur->kind != LogicalOpKind::kProjection && cur->kind != LogicalOpKind::kFilter &&
        cur->kind != LogicalOpKind::kSort) {
      return nullptr;
    }
    chain.push_back(cur);
    cur = cur->children[0].get();
  }
  std::unordered_map<ColumnId, ExprPtr> map;
  const auto& a = agg->As<LogicalAggregate>();
  for (size_t i = 0; i < a.groups.size(); ++i) {
    map[agg->output[i].id] = MakeNullLiteral(agg->output[i].type);
  }
  for (size_t i = 0; i < a.aggregates.size(); ++i) {
    const auto& col = agg->output[a.groups.size() + i];
    const auto& fn = static_cast<const AggregateExpr&>(*a.aggregates[i]).function;
    if (IsCountLike(fn)) {
      auto zero = arrow::MakeScalar(col.type, 0);
      if (!zero.ok()) return nullptr;
      map[col.id] = MakeLiteral(*zero);
    } else {
      map[col.id] = MakeNullLiteral(col.type);
    }
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const LogicalOp* step = *it;
    if (step->kind == LogicalOpKind::kFilter) {
      for (const auto& c : step->As<LogicalFilter>().conditions) {
        ARROW_ASSIGN_OR_RAISE(auto v, SimplifyExpr(RemapColumns(c, map)));
        if (IsBoolLiteral(v, false) || IsNullLiteral(v)) return MakeNullLiteral(value_type);
        if (!IsBoolLiteral(v, true)) return nullptr;
      }
    } else if (step->kind == LogicalOpKind::kProjection) {
      const auto& p = step->As<LogicalProjection>();
      std::unordered_map<ColumnId, ExprPtr> next;
      for (size_t i = 0; i < p.exprs.size(); ++i) {
        ARROW_ASSIGN_OR_RAISE(next[step->output[i].id], SimplifyExpr(RemapColumns(p.exprs[i], map)));
      }
      map = std::move(next);
    }
  }
  auto it = map.find(value_id);
  if (it == map.end() || it->second->kind != ExprKind::kLiteral) return nullptr;
  return it->second;
}

const char* SqlComparison(const std::string& fn) {
  if (fn == "equal") return "=";
  if (fn == "not_equal") return "<>";
  if (fn == "less") return "<";
  if (fn == "less_equal") return "<=";
  if (fn == "greater") return ">";
  if (fn == "greater_equal") return ">=";
  return nullptr;
}

Result<ExprPtr> BuildComparison(const std::string& fn, const ExprPtr& a, const ExprPtr& b) {
  if (a->type->Equals(*b->type)) return MakeComparison(fn, a, b);
  const char* sql = SqlComparison(fn);
  if (!sql) return Status::Invalid("unknown comparison '", fn, "' in a subquery");
  return BindCall(sql, {a, b}, sql);
}

ExprPtr MakeIsNull(const ExprPtr& e) {
  auto call = std::make_shared<CallExpr>("is_null", std::vector<ExprPtr>{e}, arrow::boolean(),
                                         nullptr, "is_null");
  call->nullable = false;
  return call;
}

ExprPtr MakeInvert(const ExprPtr& e) {
  auto call = std::make_shared<CallExpr>("invert", std::vector<ExprPtr>{e}, arrow::boolean(),
                                         nullptr, "NOT");
  call->nullable = e->nullable;
  return call;
}

class Decorrelator {
 public:
  explicit Decorrelator(OptimizerContext& ctx) : ctx_(ctx) {}

  /// Rewrite every subquery in `op`'s tree (children first).
  Result<LogicalOpPtr> Visit(LogicalOpPtr op) {
    for (auto& c : op->children) {
    ARROW_ASSIGN_OR_RAISE(c, Visit(c));
  }
    bool has = false;
    for (const auto& e : op->Expressions()) has = has || ContainsKind(e, ExprKind::kSubquery);
    if (op->kind == LogicalOpKind::kValues) {
      for (const auto& row : op->As<LogicalValues>().rows) {
        for (const auto& e : row) {
          if (ContainsKind(e, ExprKind::kSubquery)) {
            return Status::NotImplemented("subqueries inside VALUES are not supported");
          }
        }
      }
    }
    if (!has) return op;
    switch (op->kind) {
      case LogicalOpKind::kFilter:
        return RewriteFilter(op);
      case LogicalOpKind::kJoin: {
        auto& j = op->As<LogicalJoin>();
        if (j.join_type != JoinType::kInner) {
          return Status::NotImplemented("subqueries in the ON condition of a ",
                                        JoinTypeName(j.join_type), " join are not supported");
        }
        std::vector<ExprPtr> plain, with_sub;
        for (const auto& c : j.conditions) {
          (ContainsKind(c, ExprKind::kSubquery) ? with_sub : plain).push_back(c);
        }
        j.conditions = std::move(plain);
        return RewriteFilter(MakeFilter(op, std::move(with_sub)));
      }
      case LogicalOpKind::kProjection:
      case LogicalOpKind::kAggregate:
      case LogicalOpKind::kSort:
      case LogicalOpKind::kTopN:
      case LogicalOpKind::kWindow: {
        LogicalOpPtr input = op->children[0];
        const auto orig_output = op->output;
        const size_t child_width = input->output.size();
        ARROW_RETURN_NOT_OK(MapExpressions(
            op.get(), [&](const ExprPtr& e) { return RewriteExpr(e, &input); }));
        op->children[0] = input;
        if (op->kind == LogicalOpKind::kSort || op->kind == LogicalOpKind::kTopN) {
          op->output = input->output;
          return EnsureOutput(op, orig_output);
        }
        if (op->kind == LogicalOpKind::kWindow) {
          op->output = input->output;
          op->output.insert(op->output.end(), orig_output.begin() + child_width,
                            orig_output.end());
          return EnsureOutput(op, orig_output);
        }
        return op;
      }
      default:
        return Status::NotImplemented("subqueries in a ", LogicalOpKindName(op->kind),
                                      " operator are not supported");
    }
  }

 private:
  /// A decorrelated subquery plan and the predicates pulled out of it.
  struct Sub {
    LogicalOpPtr plan;
    std::vector<ExprPtr> conditions;
    bool grouped_scalar_agg = false;  ///< its scalar aggregate was grouped by correlation keys
    const LogicalOp* scalar_agg = nullptr;
    bool has_key = false;
    ColumnId key_id = 0;  ///< a group key added for the correlation (null: no match)
  };

  Result<LogicalOpPtr> RewriteFilter(LogicalOpPtr op) {
    const auto orig_output = op->output;
    LogicalOpPtr input = op->children[0];
    std::vector<ExprPtr> terms;
    SplitAll(op->As<LogicalFilter>().conditions, &terms);
    std::vector<ExprPtr> kept;
    for (const auto& t : terms) {
      if (!ContainsKind(t, ExprKind::kSubquery)) {
        kept.push_back(t);
        continue;
      }
      bool neg = false;
      ExprPtr e = t;
      while (const CallExpr* call = AsCall(e)) {
        if (call->function != "invert" || call->args.size() != 1) break;
        neg = !neg;
        e = call->args[0];
      }
      ExprPtr replacement;
      if (e->kind == ExprKind::kSubquery) {
        const auto& sub = static_cast<const SubqueryExpr&>(*e);
        if (sub.subquery_kind == SubqueryKind::kExists) {
          ARROW_ASSIGN_OR_RAISE(replacement, JoinExists(sub, neg != sub.negated, true, &input));
        } else if (sub.subquery_kind != SubqueryKind::kScalar) {
          ARROW_ASSIGN_OR_RAISE(replacement, JoinQuantified(sub, neg, true, &input));
        }
      }
      if (!replacement) {
        ARROW_ASSIGN_OR_RAISE(replacement, RewriteExpr(t, &input));
      }
      if (!IsBoolLiteral(replacement, true)) kept.push_back(replacement);
    }
    return EnsureOutput(MakeFilter(input, std::move(kept)), orig_output);
  }

  /// Replace the subqueries inside `expr` by columns of joins added on top of *input.
  Result<ExprPtr> RewriteExpr(const ExprPtr& expr, LogicalOpPtr* input) {
    return TransformUp(expr, [&](const ExprPtr& node) -> Result<ExprPtr> {
      if (node->kind != ExprKind::kSubquery) return node;
      const auto& sub = static_cast<const SubqueryExpr&>(*node);
      switch (sub.subquery_kind) {
        case SubqueryKind::kScalar:
          return JoinScalar(sub, input);
        case SubqueryKind::kExists:
          return JoinExists(sub, sub.negated, false, input);
        default:
          return JoinQuantified(sub, false, false, input);
      }
    });
  }

  Result<ExprPtr> JoinScalar(const SubqueryExpr& sub, LogicalOpPtr* input) {
    if (sub.plan->output.empty()) return Status::Invalid("scalar subquery without columns");
    const ColumnId value_id = sub.plan->output[0].id;
    ARROW_ASSIGN_OR_RAISE(Sub d, Decorrelate(sub.plan, /*allow_scalar_agg=*/true));
    const OutputColumn* value = FindColumn(*d.plan, value_id);
    if (!value) return Status::Invalid("decorrelation lost the subquery's result column");
    JoinType type;
    if (d.conditions.empty()) {
      type = ProvablyOneRow(d.plan) ? JoinType::kInner : JoinType::kSingle;
    } else {
      type = d.grouped_scalar_agg ? JoinType::kLeft : JoinType::kSingle;
    }
    OutputColumn value_col = *value;
    ARROW_RETURN_NOT_OK(CheckResolvable(d.conditions, **input, *d.plan));
    *input = MakeJoin(type, *input, d.plan, d.conditions);
    value_col.nullable = value_col.nullable || type != JoinType::kInner;
    ExprPtr out = RefTo(value_col);
    if (d.grouped_scalar_agg) {
      ARROW_ASSIGN_OR_RAISE(auto empty, EmptyValue(d.plan, d.scalar_agg, value_id, value_col.type));
      if (!empty) {
        return Unsupported("cannot determine the value of a correlated scalar subquery for outer "
                           "rows without matches (HAVING over a correlated aggregate)");
      }
      if (!IsNullLiteral(empty)) {
        const OutputColumn* key = FindColumn(*d.plan, d.key_id);
        if (!d.has_key || !key) {
          return Unsupported("correlated aggregate without an equality on outer columns");
        }
        OutputColumn key_col = *key;
        key_col.nullable = true;
        auto c = std::make_shared<CaseExpr>(
            std::vector<std::pair<ExprPtr, ExprPtr>>{{MakeIsNull(RefTo(key_col)), empty}}, out,
            out->type);
        c->nullable = out->nullable;
        out = c;
      }
    }
    if (!out->type->Equals(*sub.type)) {
      out = std::make_shared<CastExpr>(out, sub.type, false);
    }
    return out;
  }

  Result<ExprPtr> JoinExists(const SubqueryExpr& sub, bool negated, bool as_filter,
                             LogicalOpPtr* input) {
    LogicalOpPtr s = sub.plan;
    for (;;) {
      if (s->kind == LogicalOpKind::kProjection || s->kind == LogicalOpKind::kSort) {
        s = s->children[0];
      } else if (s->kind == LogicalOpKind::kLimit && s->As<LogicalLimit>().offset == 0 &&
                 (!s->As<LogicalLimit>().limit || *s->As<LogicalLimit>().limit >= 1)) {
        s = s->children[0];
      } else if (s->kind == LogicalOpKind::kTopN && s->As<LogicalTopN>().offset == 0 &&
                 s->As<LogicalTopN>().limit >= 1) {
        s = s->children[0];
      } else {
        break;
      }
    }
    if (ProvablyOneRow(s)) return MakeBoolLiteral(!negated);  // EXISTS (SELECT count(*) ...)
    ARROW_ASSIGN_OR_RAISE(Sub d, Decorrelate(s, /*allow_scalar_agg=*/false));
    ARROW_RETURN_NOT_OK(CheckResolvable(d.conditions, **input, *d.plan));
    if (as_filter) {
      *input = MakeJoin(negated ? JoinType::kAnti : JoinType::kSemi, *input, d.plan, d.conditions);
      return MakeBoolLiteral(true);
    }
    ExprPtr mark = AddMarkJoin(input, d.plan, d.conditions, /*null_aware=*/false);
    return negated ? MakeInvert(mark) : mark;
  }

  /// x IN (S), x op ANY/ALL (S), with `neg` NOTs around it.
  Result<ExprPtr> JoinQuantified(const SubqueryExpr& sub, bool neg, bool as_filter,
                                 LogicalOpPtr* input) {
    if (sub.plan->output.empty() || !sub.operand) {
      return Status::Invalid("IN/ANY/ALL subquery without a column or operand");
    }
    std::string cmp = sub.subquery_kind == SubqueryKind::kIn ? "equal" : sub.comparison;
    bool negated = neg != sub.negated;
    if (sub.subquery_kind == SubqueryKind::kQuantified && sub.all) {
      cmp = NegateComparison(cmp);  // x op ALL (S) = NOT (x negop ANY (S))
      negated = !negated;
    }
    if (!IsComparison(cmp)) return Status::Invalid("unknown comparison '", cmp, "' in a subquery");
    ARROW_ASSIGN_OR_RAISE(ExprPtr operand, RewriteExpr(sub.operand, input));
    const ColumnId value_id = sub.plan->output[0].id;
    const bool semi = as_filter && !negated;
    ARROW_ASSIGN_OR_RAISE(Sub d, Decorrelate(sub.plan, /*allow_scalar_agg=*/semi));
    const OutputColumn* value = FindColumn(*d.plan, value_id);
    if (!value) return Status::Invalid("decorrelation lost the subquery's result column");
    ARROW_ASSIGN_OR_RAISE(auto key, BuildComparison(cmp, operand, RefTo(*value)));
    std::vector<ExprPtr> conds = {key};
    conds.insert(conds.end(), d.conditions.begin(), d.conditions.end());
    ARROW_RETURN_NOT_OK(CheckResolvable(conds, **input, *d.plan));
    if (semi) {
      *input = MakeJoin(JoinType::kSemi, *input, d.plan, std::move(conds));
      return MakeBoolLiteral(true);
    }
    const bool nullable = operand->nullable || value->nullable;
    if (as_filter && !nullable) {
      *input = MakeJoin(JoinType::kAnti, *input, d.plan, std::move(conds));
      return MakeBoolLiteral(true);
    }
    ExprPtr mark = AddMarkJoin(input, d.plan, std::move(conds), nullable);
    return negated ? MakeInvert(mark) : mark;
  }

  ExprPtr AddMarkJoin(LogicalOpPtr* input, LogicalOpPtr right, std::vector<ExprPtr> conds,
                      bool null_aware) {
    auto j = MakeJoin(JoinType::kMark, *input, std::move(right), std::move(conds));
    OutputColumn mark;
    mark.id = ctx_.NextColumnId();
    mark.name = "mark";
    mark.type = arrow::boolean();
    mark.nullable = null_aware;
    j->output.push_back(mark);
    j->mark_id = mark.id;
    j->mark_null_aware = null_aware;
    *input = j;
    return RefTo(mark);
  }

  /// Every id in `conds` must come from `left`, `right` or an enclosing query that
  /// is being decorrelated (and may still pull the condition further up).
  Status CheckResolvable(const std::vector<ExprPtr>& conds, const LogicalOp& left,
                         const LogicalOp& right) {
    IdSet ok = OutputIdSet(left);
    for (const auto& c : right.output) ok.insert(c.id);
    for (const auto& c : conds) {
      for (ColumnId id : ReferencedIds(c)) {
        if (!ok.count(id) && !outer_scope_.count(id)) {
          return Unsupported("a condition (", c->ToString(),
                             ") refers to a column that is not visible where the subquery is "
                             "joined");
        }
      }
    }
    return Status::OK();
  }

  Result<Sub> Decorrelate(LogicalOpPtr plan, bool allow_scalar_agg) {
    // Outer references (binder-listed ones of nested subqueries included).
    IdSet produced, referenced;
    CollectProduced(plan, &produced);
    CollectReferenced(plan, &referenced);
    IdSet saved = outer_scope_;
    for (ColumnId id : referenced) {
      if (!produced.count(id)) outer_scope_.insert(id);
    }
    auto visited = Visit(plan);
    outer_scope_ = std::move(saved);
    ARROW_ASSIGN_OR_RAISE(plan, visited);

    produced.clear();
    referenced.clear();
    CollectProduced(plan, &produced);
    CollectReferenced(plan, &referenced);
    IdSet free;
    for (ColumnId id : referenced) {
      if (!produced.count(id)) free.insert(id);
    }
    Sub out;
    if (free.empty()) {
      out.plan = plan;
      return out;
    }
    ARROW_ASSIGN_OR_RAISE(out.plan, PullUp(plan, free, allow_scalar_agg, &out.conditions, &out));
    IdSet still;
    CollectReferenced(out.plan, &still);
    for (ColumnId id : still) {
      if (free.count(id)) {
        return Unsupported("outer column @", id,
                           " is still used inside the subquery after decorrelation");
      }
    }
    return out;
  }

  /// Remove the predicates that mention `free` (outer) columns from `op`'s tree,
  /// appending them to *preds expressed over the returned operator's output.
  Result<LogicalOpPtr> PullUp(LogicalOpPtr op, const IdSet& free, bool allow_scalar_agg,
                              std::vector<ExprPtr>* preds, Sub* info) {
    if (!SubtreeRefsAny(op, free)) return op;
    for (const auto& e : op->Expressions()) {
      if (op->kind != LogicalOpKind::kFilter && op->kind != LogicalOpKind::kJoin &&
          RefsAny(e, free)) {
        return Unsupported("outer columns are used in a ", LogicalOpKindName(op->kind),
                           " inside the subquery (", e->ToString(), ")");
      }
    }
    switch (op->kind) {
      case LogicalOpKind::kFilter: {
        ARROW_ASSIGN_OR_RAISE(auto child,
                              PullUp(op->children[0], free, allow_scalar_agg, preds, info));
        std::vector<ExprPtr> rest;
        for (const auto& c : op->As<LogicalFilter>().conditions) {
          (RefsAny(c, free) ? *preds : rest).push_back(c);
        }
        return MakeFilter(child, std::move(rest));
      }
      case LogicalOpKind::kSort: {
        ARROW_ASSIGN_OR_RAISE(op->children[0],
                              PullUp(op->children[0], free, allow_scalar_agg, preds, info));
        op->output = op->children[0]->output;
        return op;
      }
      case LogicalOpKind::kProjection: {
        ARROW_ASSIGN_OR_RAISE(op->children[0],
                              PullUp(op->children[0], free, allow_scalar_agg, preds, info));
        auto& p = op->As<LogicalProjection>();
        IdSet have = OutputIdSet(*op);
        for (const auto& pred : *preds) {
          for (ColumnId id : ReferencedIds(pred)) {
            if (free.count(id) || have.count(id)) continue;
            const OutputColumn* col = FindColumn(*op->children[0], id);
            if (!col) return Status::Invalid("decorrelation: column @", id, " not found");
            p.exprs.push_back(RefTo(*col));
            op->output.push_back(*col);
            have.insert(id);
          }
        }
        return op;
      }
      case LogicalOpKind::kAggregate:
        return PullUpAggregate(op, free, allow_scalar_agg, preds, info);
      case LogicalOpKind::kJoin:
        return PullUpJoin(op, free, preds, info);
      default:
        return Unsupported("outer columns are used below a ", LogicalOpKindName(op->kind),
                           " inside the subquery");
    }
  }

  Result<LogicalOpPtr> PullUpAggregate(LogicalOpPtr op, const IdSet& free, bool allow_scalar_agg,
                                       std::vector<ExprPtr>* preds, Sub* info) {
    auto& agg = op->As<LogicalAggregate>();
    std::vector<ExprPtr> pulled;
    ARROW_ASSIGN_OR_RAISE(op->children[0], PullUp(op->children[0], free, false, &pulled, info));
    if (pulled.empty()) return op;
    if (!agg.grouping_sets.empty()) {
      return Unsupported("correlated predicates below GROUPING SETS / ROLLUP / CUBE");
    }
    const bool was_scalar = agg.groups.empty();
    if (was_scalar && !allow_scalar_agg) {
      return Unsupported("a correlated aggregate without GROUP BY is only supported as a scalar "
                         "subquery or under IN");
    }
    const IdSet inner = OutputIdSet(*op->children[0]);
    bool has_key = false;
    ColumnId key_id = 0;
    for (const auto& p : pulled) {
      const CallExpr* call = AsCall(p);
      bool done = false;
      if (call && call->function == "equal" && call->args.size() == 2) {
        for (int side = 0; side < 2 && !done; ++side) {
          const ExprPtr& in = call->args[side];
          const ExprPtr& out = call->args[1 - side];
          IdSet in_ids = ReferencedIds(in);
          if (in_ids.empty() || !RefsSubsetOf(in, inner) || !RefsSubsetOf(out, free)) continue;
          ColumnId gid = 0;
          bool found = false;
          for (size_t g = 0; g < agg.groups.size(); ++g) {
            if (ExprEquals(agg.groups[g], in)) {
              gid = op->output[g].id;
              found = true;
              break;
            }
          }
          if (!found) {
            gid = ctx_.NextColumnId();
            OutputColumn col;
            col.id = gid;
            col.name = in->kind == ExprKind::kColumnRef
                           ? static_cast<const ColumnRefExpr&>(*in).name
                           : "corr_key";
            col.type = in->type;
            col.nullable = in->nullable;
            op->output.insert(op->output.begin() + static_cast<long>(agg.groups.size()), col);
            agg.groups.push_back(in);
          }
          std::vector<ExprPtr> args = call->args;
          args[side] = MakeColumnRef(gid, "corr_key", in->type, in->nullable);
          for (const auto& c : op->output) {
            if (c.id == gid) args[side] = RefTo(c);
          }
          preds->push_back(call->WithChildren(std::move(args)));
          if (!has_key) {
            has_key = true;
            key_id = gid;
          }
          done = true;
        }
      }
      if (done) continue;
      // Otherwise the predicate may only use outer columns and plain group columns.
      std::unordered_map<ColumnId, ExprPtr> remap;
      bool ok = true;
      for (ColumnId id : ReferencedIds(p)) {
        if (free.count(id)) continue;
        bool mapped = false;
        for (size_t g = 0; g < agg.groups.size(); ++g) {
          const auto& ge = agg.groups[g];
          if (ge->kind == ExprKind::kColumnRef &&
              static_cast<const ColumnRefExpr&>(*ge).id == id) {
            remap[id] = RefTo(op->output[g]);
            mapped = true;
            break;
          }
        }
        ok = ok && mapped;
      }
      if (!ok) {
        return Unsupported("the correlated condition ", p->ToString(),
                           " is not an equality and cannot be moved above an aggregate");
      }
      preds->push_back(RemapColumns(p, remap));
    }
    if (was_scalar) {
      if (!has_key) {
        return Unsupported("a correlated aggregate needs an equality between an outer and an "
                           "inner column");
      }
      info->grouped_scalar_agg = true;
      info->scalar_agg = op.get();
      info->has_key = true;
      info->key_id = key_id;
    }
    return op;
  }

  Result<LogicalOpPtr> PullUpJoin(LogicalOpPtr op, const IdSet& free,
                                  std::vector<ExprPtr>* preds, Sub* info) {
    auto& j = op->As<LogicalJoin>();
    auto& left = op->children[0];
    auto& right = op->children[1];
    bool cond_refs = false;
    for (const auto& c : j.conditions) cond_refs = cond_refs || RefsAny(c, free);
    if (j.join_type == JoinType::kInner) {
      ARROW_ASSIGN_OR_RAISE(auto l, PullUp(left, free, false, preds, info));
      ARROW_ASSIGN_OR_RAISE(auto r, PullUp(right, free, false, preds, info));
      std::vector<ExprPtr> rest;
      for (const auto& c : j.conditions) (RefsAny(c, free) ? *preds : rest).push_back(c);
      auto out = MakeJoin(JoinType::kInner, l, r, std::move(rest));
      out->build_right = j.build_right;
      return out;
    }
    const bool pull_left = j.join_type != JoinType::kRight;
    const LogicalOpPtr& other = pull_left ? right : left;
    if (j.join_type == JoinType::kFull || cond_refs || SubtreeRefsAny(other, free)) {
      return Unsupported("outer columns are used inside the condition or the inner side of a ",
                         JoinTypeName(j.join_type), " join in the subquery");
    }
    const size_t old_left = left->output.size();
    const size_t old_right = right->output.size();
    if (pull_left) {
      ARROW_ASSIGN_OR_RAISE(left, PullUp(left, free, false, preds, info));
    } else {
      ARROW_ASSIGN_OR_RAISE(right, PullUp(right, free, false, preds, info));
    }
    std::vector<OutputColumn> out;
    if (j.join_type == JoinType::kRight) {
      out = left->output;
      for (auto& c : out) c.nullable = true;
      out.insert(out.end(), right->output.begin(), right->output.end());
    } else {
      out = left->output;
      out.insert(out.end(), op->output.begin() + static_cast<long>(old_left), op->output.end());
    }
    (void)old_right;
    op->output = std::move(out);
    return op;
  }

  OptimizerContext& ctx_;
  IdSet outer_scope_;
};

}  // namespace

Result<bool> DecorrelateSubqueries::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  Decorrelator d(ctx);
  ARROW_ASSIGN_OR_RAISE(*plan, d.Visit(*plan));
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
