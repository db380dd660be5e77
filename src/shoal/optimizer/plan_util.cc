#include "shoal/optimizer/plan_util.h"

#include <algorithm>

#include "shoal/function/function_catalog.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

Result<ExprPtr> CopySubqueries(const ExprPtr& expr) {
  return TransformUp(expr, [](const ExprPtr& e) -> Result<ExprPtr> {
    if (e->kind != ExprKind::kSubquery) return e;
    auto copy = std::make_shared<SubqueryExpr>(static_cast<const SubqueryExpr&>(*e));
    copy->plan = DeepCopyPlan(copy->plan);
    return copy;
  });
}

void MaxIdInExpr(const ExprPtr& expr, ColumnId* max_id) {
  if (!expr) return;
  if (expr->kind == ExprKind::kColumnRef) {
    *max_id = std::max(*max_id, static_cast<const ColumnRefExpr&>(*expr).id);
  } else if (expr->kind == ExprKind::kSubquery) {
    const auto& sub = static_cast<const SubqueryExpr&>(*expr);
    *max_id = std::max(*max_id, MaxColumnId(sub.plan));
  }
  for (const auto& c : expr->children()) MaxIdInExpr(c, max_id);
}

void DigestExpr(const ExprPtr& expr, std::string* out);

void DigestOp(const LogicalOpPtr& op, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth), ' ');
  if (!op) {
    out->append("<null>\n");
    return;
  }
  out->append(op->Describe());
  out->append(" |");
  for (const auto& c : op->output) {
    out->append(" " + c.name + "@" + std::to_string(c.id) + ":" +
                (c.type ? c.type->ToString() : "?") + (c.nullable ? "?" : "!"));
  }
  switch (op->kind) {
    case LogicalOpKind::kGet: {
      const auto& get = op->As<LogicalGet>();
      out->append(" proj=");
      for (int i : get.projection) out->append(std::to_string(i) + ",");
      break;
    }
    case LogicalOpKind::kJoin:
      out->append(op->As<LogicalJoin>().build_right ? " br" : " bl");
      break;
    case LogicalOpKind::kValues:
      for (const auto& row : op->As<LogicalValues>().rows) {
        out->append(" (");
        for (const auto& e : row) out->append(e->ToString() + ",");
        out->append(")");
      }
      break;
    default:
      break;
  }
  for (const auto& e : op->Expressions()) DigestExpr(e, out);
  out->append("\n");
  for (const auto& c : op->children) DigestOp(c, depth + 1, out);
}

void DigestExpr(const ExprPtr& expr, std::string* out) {
  if (!expr) return;
  if (expr->kind == ExprKind::kSubquery) {
    out->append(" {sub:");
    DigestOp(static_cast<const SubqueryExpr&>(*expr).plan, 1, out);
    out->append("}");
  }
  if (expr->kind == ExprKind::kCall) {
    const auto& call = static_cast<const CallExpr&>(*expr);
    if (call.options) out->append(" [" + call.options->ToString() + "]");
  }
  for (const auto& c : expr->children()) DigestExpr(c, out);
}

}  // namespace

LogicalOpPtr DeepCopyPlan(const LogicalOpPtr& plan) {
  if (!plan) return plan;
  LogicalOpPtr copy = plan->Clone();
  for (auto& child : copy->children) child = DeepCopyPlan(child);
  bool has_subquery = false;
  for (const auto& e : copy->Expressions()) {
    if (ContainsKind(e, ExprKind::kSubquery)) has_subquery = true;
  }
  if (has_subquery) {
    // Errors cannot happen here (the rewrite never fails).
    (void)MapExpressions(copy.get(), CopySubqueries);
  }
  return copy;
}

namespace {

LogicalOpPtr CopyFresh(const LogicalOpPtr& op, const std::function<ColumnId()>& next_id,
                       std::unordered_map<ColumnId, ColumnId>* ids) {
  IdSet from_children;
  for (const auto& c : op->children) {
    for (const auto& col : c->output) from_children.insert(col.id);
  }
  LogicalOpPtr copy = op->Clone();
  for (auto& child : copy->children) child = CopyFresh(child, next_id, ids);
  if (copy->kind == LogicalOpKind::kGet) {
    // A scan's pushed filters use its own columns: rename them first.
    for (const auto& col : copy->output) (*ids)[col.id] = next_id();
  }
  // Expressions see the children's renamed columns.
  (void)MapExpressions(copy.get(), [&](const ExprPtr& e) -> Result<ExprPtr> {
    return TransformUp(e, [&](const ExprPtr& node) -> Result<ExprPtr> {
      if (node->kind != ExprKind::kColumnRef) return node;
      const auto& ref = static_cast<const ColumnRefExpr&>(*node);
      auto it = ids->find(ref.id);
      if (it == ids->end()) return node;
      return MakeColumnRef(it->second, ref.name, ref.type, ref.nullable);
    });
  });
  // Pass-through columns keep the child's new id; columns made here get fresh ids.
  for (auto& col : copy->output) {
    if (copy->kind != LogicalOpKind::kGet &&
        (!from_children.count(col.id) || !ids->count(col.id))) {
      (*ids)[col.id] = next_id();
    }
    col.id = (*ids)[col.id];
  }
  if (copy->kind == LogicalOpKind::kJoin) {
    auto& j = copy->As<LogicalJoin>();
    auto it = ids->find(j.mark_id);
    if (j.join_type == JoinType::kMark && it != ids->end()) j.mark_id = it->second;
  }
  return copy;
}

}  // namespace

LogicalOpPtr CopyWithFreshIds(const LogicalOpPtr& plan, const std::function<ColumnId()>& next_id,
                              std::unordered_map<ColumnId, ColumnId>* mapping) {
  std::unordered_map<ColumnId, ColumnId> ids;
  LogicalOpPtr out = CopyFresh(plan, next_id, &ids);
  if (mapping) *mapping = std::move(ids);
  return out;
}

ColumnId MaxColumnId(const LogicalOpPtr& plan) {
  ColumnId max_id = 0;
  if (!plan) return max_id;
  for (const auto& c : plan->output) max_id = std::max(max_id, c.id);
  if (plan->kind == LogicalOpKind::kJoin) max_id = std::max(max_id, plan->As<LogicalJoin>().mark_id);
  for (const auto& e : plan->Expressions()) MaxIdInExpr(e, &max_id);
  if (plan->kind == LogicalOpKind::kValues) {
    for (const auto& row : plan->As<LogicalValues>().rows) {
      for (const auto& e : row) MaxIdInExpr(e, &max_id);
    }
  }
  for (const auto& c : plan->children) max_id = std::max(max_id, MaxColumnId(c));
  return max_id;
}

Status MapExpressions(LogicalOp* op, const std::function<Result<ExprPtr>(const ExprPtr&)>& fn) {
  auto map_vec = [&](std::vector<ExprPtr>* v) -> Status {
    for (auto& e : *v) {
      if (!e) continue;
      ARROW_ASSIGN_OR_RAISE(e, fn(e));
    }
    return Status::OK();
  };
  auto map_keys = [&](std::vector<SortKey>* keys) -> Status {
    for (auto& k : *keys) {
    ARROW_ASSIGN_OR_RAISE(k.expr, fn(k.expr));
  }
    return Status::OK();
  };
  switch (op->kind) {
    case LogicalOpKind::kGet:
      return map_vec(&op->As<LogicalGet>().filters);
    case LogicalOpKind::kFilter:
      return map_vec(&op->As<LogicalFilter>().conditions);
    case LogicalOpKind::kProjection:
      return map_vec(&op->As<LogicalProjection>().exprs);
    case LogicalOpKind::kAggregate: {
      auto& agg = op->As<LogicalAggregate>();
      ARROW_RETURN_NOT_OK(map_vec(&agg.groups));
      return map_vec(&agg.aggregates);
    }
    case LogicalOpKind::kJoin:
      return map_vec(&op->As<LogicalJoin>().conditions);
    case LogicalOpKind::kSort:
      return map_keys(&op->As<LogicalSort>().keys);
    case LogicalOpKind::kTopN:
      return map_keys(&op->As<LogicalTopN>().keys);
    case LogicalOpKind::kWindow:
      return map_vec(&op->As<LogicalWindow>().window_exprs);
    case LogicalOpKind::kValues:
      for (auto& row : op->As<LogicalValues>().rows) ARROW_RETURN_NOT_OK(map_vec(&row));
      return Status::OK();
    default:
      return Status::OK();
  }
}

Result<ExprPtr> TransformUp(const ExprPtr& expr,
                            const std::function<Result<ExprPtr>(const ExprPtr&)>& fn) {
  if (!expr) return expr;
  auto kids = expr->children();
  ExprPtr node = expr;
  if (!kids.empty()) {
    bool changed = false;
    for (auto& k : kids) {
      if (!k) continue;
      ARROW_ASSIGN_OR_RAISE(auto n, TransformUp(k, fn));
      if (n != k) {
        k = std::move(n);
        changed = true;
      }
    }
    if (changed) node = expr->WithChildren(std::move(kids));
  }
  return fn(node);
}

void CollectIds(const ExprPtr& expr, IdSet* out) {
  std::vector<ColumnId> ids;
  CollectColumnIds(expr, &ids);
  out->insert(ids.begin(), ids.end());
}

IdSet ReferencedIds(const ExprPtr& expr) {
  IdSet out;
  CollectIds(expr, &out);
  return out;
}

bool RefsSubsetOf(const ExprPtr& expr, const IdSet& available) {
  std::vector<ColumnId> ids;
  CollectColumnIds(expr, &ids);
  for (ColumnId id : ids) {
    if (!available.count(id)) return false;
  }
  return true;
}

IdSet OutputIdSet(const LogicalOp& op) {
  IdSet out;
  for (const auto& c : op.output) out.insert(c.id);
  return out;
}

bool HasSideEffectsOrSubquery(const ExprPtr& expr) {
  if (!expr) return false;
  if (expr->kind == ExprKind::kSubquery) return true;
  if (expr->kind == ExprKind::kCall && static_cast<const CallExpr&>(*expr).volatile_) return true;
  for (const auto& c : expr->children()) {
    if (HasSideEffectsOrSubquery(c)) return true;
  }
  return false;
}

std::string PlanDigest(const LogicalOpPtr& plan) {
  std::string out;
  DigestOp(plan, 0, &out);
  return out;
}

ExprPtr RefTo(const OutputColumn& col) {
  return MakeColumnRef(col.id, col.name, col.type, col.nullable);
}

LogicalOpPtr MakePassThrough(const LogicalOpPtr& child, const std::vector<OutputColumn>& columns) {
  auto proj = std::make_shared<LogicalProjection>();
  proj->children = {child};
  for (const auto& c : columns) {
    proj->exprs.push_back(RefTo(c));
    proj->output.push_back(c);
  }
  proj->estimated_rows = child->estimated_rows;
  return proj;
}

LogicalOpPtr EnsureOutput(const LogicalOpPtr& op, const std::vector<OutputColumn>& columns) {
  bool same = op->output.size() == columns.size();
  for (size_t i = 0; same && i < columns.size(); ++i) same = op->output[i].id == columns[i].id;
  return same ? op : MakePassThrough(op, columns);
}

LogicalOpPtr MakeFilter(const LogicalOpPtr& child, std::vector<ExprPtr> conditions) {
  if (conditions.empty()) return child;
  auto f = std::make_shared<LogicalFilter>();
  f->children = {child};
  f->output = child->output;
  f->conditions = std::move(conditions);
  return f;
}

std::shared_ptr<LogicalJoin> MakeJoin(JoinType type, LogicalOpPtr left, LogicalOpPtr right,
                                      std::vector<ExprPtr> conditions) {
  auto j = std::make_shared<LogicalJoin>();
  j->join_type = type;
  j->output = left->output;
  if (type != JoinType::kSemi && type != JoinType::kAnti && type != JoinType::kMark) {
    for (auto c : right->output) {
      if (type == JoinType::kLeft || type == JoinType::kFull || type == JoinType::kSingle) {
        c.nullable = true;
      }
      j->output.push_back(std::move(c));
    }
    if (type == JoinType::kRight || type == JoinType::kFull) {
      for (size_t i = 0; i < left->output.size(); ++i) j->output[i].nullable = true;
    }
  }
  j->children = {std::move(left), std::move(right)};
  j->conditions = std::move(conditions);
  return j;
}

LogicalOpPtr MakeEmptyLike(const LogicalOp& op) {
  auto e = std::make_shared<LogicalEmpty>();
  e->output = op.output;
  e->estimated_rows = 0;
  return e;
}

Result<ExprPtr> BindCall(const std::string& sql_name, std::vector<ExprPtr> args,
                         const std::string& display_name) {
  std::vector<ScalarArg> sargs;
  for (const auto& a : args) {
    ScalarArg sa;
    sa.type = a->type;
    if (a->kind == ExprKind::kLiteral) sa.literal = static_cast<const LiteralExpr&>(*a).value;
    sargs.push_back(std::move(sa));
  }
  ARROW_ASSIGN_OR_RAISE(auto bound, FunctionCatalog::Get().BindScalar(sql_name, sargs));
  std::vector<ExprPtr> passed;
  bool nullable = false;
  for (size_t i = 0; i < bound.arg_indices.size(); ++i) {
    ExprPtr a = args.at(static_cast<size_t>(bound.arg_indices[i]));
    if (i < bound.arg_types.size() && bound.arg_types[i] &&
        !a->type->Equals(*bound.arg_types[i])) {
      auto cast = std::make_shared<CastExpr>(a, bound.arg_types[i], false);
      cast->nullable = a->nullable;
      a = cast;
    }
    nullable = nullable || a->nullable;
    passed.push_back(std::move(a));
  }
  auto call = std::make_shared<CallExpr>(bound.function, std::move(passed), bound.return_type,
                                         bound.options,
                                         display_name.empty() ? sql_name : display_name);
  call->volatile_ = bound.is_volatile;
  call->nullable = nullable;
  return call;
}

Result<ExprPtr> MakeNot(ExprPtr expr) {
  ARROW_ASSIGN_OR_RAISE(auto e, BindCall("not", {std::move(expr)}, "NOT"));
  return e;
}

std::string FlipComparison(const std::string& fn) {
  if (fn == "less") return "greater";
  if (fn == "less_equal") return "greater_equal";
  if (fn == "greater") return "less";
  if (fn == "greater_equal") return "less_equal";
  return fn;  // equal, not_equal are symmetric
}

std::string NegateComparison(const std::string& fn) {
  if (fn == "equal") return "not_equal";
  if (fn == "not_equal") return "equal";
  if (fn == "less") return "greater_equal";
  if (fn == "less_equal") return "greater";
  if (fn == "greater") return "less_equal";
  if (fn == "greater_equal") return "less";
  return "";
}

bool IsComparison(const std::string& fn) {
  return fn == "equal" || fn == "not_equal" || fn == "less" || fn == "less_equal" ||
         fn == "greater" || fn == "greater_equal";
}

const CallExpr* AsCall(const ExprPtr& expr) {
  if (!expr || expr->kind != ExprKind::kCall) return nullptr;
  return static_cast<const CallExpr*>(expr.get());
}

bool IsBoolLiteral(const ExprPtr& expr, bool value) {
  if (!expr || expr->kind != ExprKind::kLiteral) return false;
  const auto& lit = static_cast<const LiteralExpr&>(*expr);
  if (!lit.value->is_valid || lit.value->type->id() != arrow::Type::BOOL) return false;
  return static_cast<const arrow::BooleanScalar&>(*lit.value).value == value;
}

bool IsNullLiteral(const ExprPtr& expr) {
  return expr && expr->kind == ExprKind::kLiteral &&
         !static_cast<const LiteralExpr&>(*expr).value->is_valid;
}

void SplitAll(const std::vector<ExprPtr>& conds, std::vector<ExprPtr>* out) {
  for (const auto& c : conds) SplitConjunction(c, out);
}

}  // namespace shoal::opt
