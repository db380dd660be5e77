// Query-level binding: WITH (inlined and recursive CTEs), set operations,
// VALUES, ORDER BY over a query's output, LIMIT/OFFSET.
#include <unordered_set>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

struct QueryDepthGuard {
  explicit QueryDepthGuard(State* s) : state(s) { ++state->query_depth; }
  ~QueryDepthGuard() { --state->query_depth; }
  State* state;
};

bool ExprReadsCte(const ExprPtr& e, int index);

bool PlanReadsCte(const LogicalOpPtr& op, int index) {
  if (!op) return false;
  if (op->kind == plan::LogicalOpKind::kCteRef &&
      op->As<plan::LogicalCteRef>().cte_index == index) {
    return true;
  }
  for (const auto& e : op->Expressions()) {
    if (ExprReadsCte(e, index)) return true;
  }
  for (const auto& c : op->children) {
    if (PlanReadsCte(c, index)) return true;
  }
  return false;
}

bool ExprReadsCte(const ExprPtr& e, int index) {
  if (!e) return false;
  if (e->kind == plan::ExprKind::kSubquery &&
      PlanReadsCte(static_cast<const plan::SubqueryExpr&>(*e).plan, index)) {
    return true;
  }
  for (const auto& c : e->children()) {
    if (ExprReadsCte(c, index)) return true;
  }
  return false;
}

}  // namespace

bool ReadsCte(const LogicalOpPtr& plan, int cte_index) { return PlanReadsCte(plan, cte_index); }

Result<std::shared_ptr<arrow::Scalar>> EvaluateConstant(const ExprPtr& expr) {
  switch (expr->kind) {
    case plan::ExprKind::kLiteral:
      return static_cast<const plan::LiteralExpr&>(*expr).value;
    case plan::ExprKind::kCast: {
      const auto& c = static_cast<const plan::CastExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto v, EvaluateConstant(c.arg));
      arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                      Functions().registry());
      ARROW_ASSIGN_OR_RAISE(auto d, arrow::compute::Cast(arrow::Datum(v), c.type,
                                                         arrow::compute::CastOptions::Safe(),
                                                         &ctx));
      return d.scalar();
    }
    case plan::ExprKind::kCall: {
      const auto& c = static_cast<const plan::CallExpr&>(*expr);
      std::vector<arrow::Datum> args;
      for (const auto& a : c.args) {
        ARROW_ASSIGN_OR_RAISE(auto v, EvaluateConstant(a));
        args.emplace_back(v);
      }
      arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                      Functions().registry());
      ARROW_ASSIGN_OR_RAISE(auto d, arrow::compute::CallFunction(c.function, args,
                                                                 c.options.get(), &ctx));
      if (!d.is_scalar()) return Status::Invalid("constant expression did not give a scalar");
      return d.scalar();
    }
    default:
      return Status::Invalid("not a constant expression");
  }
}

Result<LogicalOpPtr> QueryBinder::BindQuery(const ast::Query& query) {
  QueryDepthGuard guard(state_);
  if (state_->query_depth > kMaxQueryDepth) {
    return Error(query.loc, "query is nested too deeply (more than " +
                                std::to_string(kMaxQueryDepth) + " levels of subqueries)");
  }
  if (!query.body) return Error(query.loc, "malformed query (no body)");
  CtePtr env = ctes_;
  std::unordered_set<std::string> names;
  for (const auto& cte : query.ctes) {
    if (!cte.query) return Error(cte.name.loc, "malformed CTE '" + cte.name.name + "'");
    std::string name = Fold(cte.name);
    if (!names.insert(name).second) {
      return Error(cte.name.loc, "WITH query name '" + cte.name.name + "' specified more than once");
    }
    auto node = std::make_shared<CteNode>();
    node->name = name;
    node->cte = &cte;
    node->parent = env;
    node->recursive = query.recursive;
    env = node;
  }
  QueryBinder body(state_, sql_, env, outer_);
  LogicalOpPtr plan;
  if (query.body->kind == ast::QueryNodeKind::kSelect) {
    ARROW_ASSIGN_OR_RAISE(plan, body.BindSelect(static_cast<const ast::SelectNode&>(*query.body),
                                                &query.order_by));
  } else {
    ARROW_ASSIGN_OR_RAISE(plan, body.BindQueryNode(*query.body, nullptr));
    if (!query.order_by.empty()) {
      ARROW_ASSIGN_OR_RAISE(plan, body.BindOrderByOutput(plan, query.order_by));
    }
  }
  return body.BindLimit(std::move(plan), query);
}

Result<LogicalOpPtr> QueryBinder::BindQueryNode(const ast::QueryNode& node,
                                                const std::vector<ast::OrderByItem>* order_by) {
  switch (node.kind) {
    case ast::QueryNodeKind::kSelect:
      return BindSelect(static_cast<const ast::SelectNode&>(node), order_by);
    case ast::QueryNodeKind::kSetOperation:
      return BindSetOperation(static_cast<const ast::SetOperationNode&>(node));
    case ast::QueryNodeKind::kValues:
      return BindValues(static_cast<const ast::ValuesNode&>(node).rows, node.loc);
  }
  return Error(node.loc, "unsupported query");
}

Result<LogicalOpPtr> QueryBinder::BindValues(const std::vector<std::vector<ast::ExprPtr>>& rows,
                                             const ast::SourceLocation& loc) {
  if (rows.empty()) return Error(loc, "VALUES needs at least one row");
  size_t width = rows[0].size();
  if (width == 0) return Error(loc, "VALUES rows must have at least one column");
  Scope empty;
  empty.outer = outer_;
  std::vector<std::vector<ExprPtr>> bound;
  for (size_t r = 0; r < rows.size(); ++r) {
    if (rows[r].size() != width) {
      return Error(rows[r].empty() || !rows[r][0] ? loc : rows[r][0]->loc,
                   "VALUES lists must all be the same length: row 1 has " +
                       std::to_string(width) + " values but row " + std::to_string(r + 1) +
                       " has " + std::to_string(rows[r].size()));
    }
    std::vector<ExprPtr> row;
    for (const auto& item : rows[r]) {
      ExprContext ctx;
      ctx.scope = &empty;
      ctx.clause = "VALUES";
      ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(item.get(), ctx));
      if (!plan::IsConstant(e)) {
        return Error(item->loc, "VALUES items must be constant expressions");
      }
      row.push_back(std::move(e));
    }
    bound.push_back(std::move(row));
  }
  auto values = std::make_shared<plan::LogicalValues>();
  for (size_t c = 0; c < width; ++c) {
    std::vector<DataTypePtr> types;
    bool nullable = false;
    for (const auto& row : bound) {
      types.push_back(row[c]->type);
      nullable = nullable || row[c]->nullable;
    }
    ARROW_ASSIGN_OR_RAISE(auto type,
                          CommonTypeOf(types, rows[0][c]->loc,
                                       "VALUES column " + std::to_string(c + 1)));
    for (auto& row : bound) row[c] = CastTo(row[c], type);
    values->output.push_back(NewColumn("column" + std::to_string(c + 1), type, nullable));
  }
  values->rows = std::move(bound);
  return values;
}

Result<LogicalOpPtr> QueryBinder::BindSetOperation(const ast::SetOperationNode& node) {
  if (!node.left || !node.right) return Error(node.loc, "malformed set operation");
  const char* opname = node.op == ast::SetOpKind::kUnion       ? "UNION"
                       : node.op == ast::SetOpKind::kIntersect ? "INTERSECT"
                                                               : "EXCEPT";
  ARROW_ASSIGN_OR_RAISE(auto left, BindQuery(*node.left));
  ARROW_ASSIGN_OR_RAISE(auto right, BindQuery(*node.right));

  std::vector<ExprPtr> lexprs, rexprs;
  std::vector<std::string> names;
  if (node.by_name) {
    auto find = [](const LogicalOpPtr& p, const std::string& name) -> int {
      for (size_t i = 0; i < p->output.size(); ++i) {
        if (EqualsIgnoreCase(p->output[i].name, name)) return static_cast<int>(i);
      }
      return -1;
    };
    for (const auto& col : left->output) names.push_back(col.name);
    for (const auto& col : right->output) {
      if (find(left, col.name) < 0) names.push_back(col.name);
    }
    if (node.op != ast::SetOpKind::kUnion && names.size() != left->output.size()) {
      return Error(node.loc, std::string(opname) +
                                 " BY NAME needs both sides to have the same column names");
    }
    for (const auto& n : names) {
      int l = find(left, n), r = find(right, n);
      if (node.op != ast::SetOpKind::kUnion && r < 0) {
        return Error(node.loc, std::string(opname) + " BY NAME: column '" + n +
                                   "' is missing on the right side");
      }
      DataTypePtr t = l >= 0 ? left->output[l].type : right->output[r].type;
      lexprs.push_back(l >= 0 ? RefTo(left->output[l]) : plan::MakeNullLiteral(t));
      rexprs.push_back(r >= 0 ? RefTo(right->output[r]) : plan::MakeNullLiteral(t));
    }
  } else {
    if (left->output.size() != right->output.size()) {
      return Error(node.loc, std::string("each ") + opname +
                                 " query must have the same number of columns: the left "
                                 "side has " + std::to_string(left->output.size()) +
                                 " and the right side has " +
                                 std::to_string(right->output.size()));
    }
    for (size_t i = 0; i < left->output.size(); ++i) {
      names.push_back(left->output[i].name);
      lexprs.push_back(RefTo(left->output[i]));
      rexprs.push_back(RefTo(right->output[i]));
    }
  }
  bool left_identity = !node.by_name, right_identity = !node.by_name;
  std::vector<DataTypePtr> types;
  for (size_t i = 0; i < names.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(auto type,
                          CommonTypeOf({lexprs[i]->type, rexprs[i]->type}, node.loc,
                                       std::string(opname) + " column " +
                                           std::to_string(i + 1) + " ('" + names[i] + "')"));
    if (!lexprs[i]->type->Equals(*type)) left_identity = false;
    if (!rexprs[i]->type->Equals(*type)) right_identity = false;
    lexprs[i] = CastTo(lexprs[i], type);
    rexprs[i] = CastTo(rexprs[i], type);
    types.push_back(type);
  }
  if (!left_identity) left = MakeProjection(state_, left, lexprs, names);
  if (!right_identity) right = MakeProjection(state_, right, rexprs, names);

  auto setop = std::make_shared<plan::LogicalSetOperation>();
  setop->op = node.op == ast::SetOpKind::kUnion       ? plan::SetOpKind::kUnion
              : node.op == ast::SetOpKind::kIntersect ? plan::SetOpKind::kIntersect
                                                      : plan::SetOpKind::kExcept;
  setop->all = node.all;
  for (size_t i = 0; i < names.size(); ++i) {
    bool nullable = left->output[i].nullable || right->output[i].nullable;
    setop->output.push_back(NewColumn(names[i], types[i], nullable));
  }
  setop->children = {left, right};
  return setop;
}

Result<LogicalOpPtr> QueryBinder::BindOrderByOutput(
    LogicalOpPtr plan, const std::vector<ast::OrderByItem>& order_by) {
  Scope scope;
  scope.outer = outer_;
  for (const auto& col : plan->output) {
    ScopeColumn sc;
    sc.qualifier = col.qualifier;
    if (!col.qualifier.empty()) sc.qualifier_path = {col.qualifier};
    sc.name = col.name;
    sc.id = col.id;
    sc.type = col.type;
    sc.nullable = col.nullable;
    scope.columns.push_back(std::move(sc));
  }
  std::vector<plan::SortKey> keys;
  std::vector<ExprPtr> extra;
  for (const auto& item : order_by) {
    if (!item.expr) return Status::Invalid("malformed ORDER BY item");
    plan::SortKey key;
    key.ascending = item.ascending;
    key.nulls_first = item.nulls_first.value_or(!item.ascending);
    const ast::Expr* e = item.expr.get();
    if (e->kind == ast::ExprKind::kLiteral &&
        static_cast<const ast::LiteralExpr*>(e)->literal_kind == ast::LiteralKind::kInteger) {
      const std::string& t = static_cast<const ast::LiteralExpr*>(e)->text;
      int64_t ordinal = t.size() > 9 ? -1 : std::stoll(t);
      if (ordinal < 1 || ordinal > static_cast<int64_t>(plan->output.size())) {
        return Error(e->loc, "ORDER BY position " + t + " is not in the select list (it has " +
                                 std::to_string(plan->output.size()) + " columns)");
      }
      key.expr = RefTo(plan->output[ordinal - 1]);
    } else {
      ExprContext ctx;
      ctx.scope = &scope;
      ctx.clause = "ORDER BY";
      ARROW_ASSIGN_OR_RAISE(key.expr, BindExpr(e, ctx));
      if (key.expr->kind != plan::ExprKind::kColumnRef) extra.push_back(key.expr);
    }
    keys.push_back(std::move(key));
  }
  if (extra.empty()) {
    auto sort = std::make_shared<plan::LogicalSort>();
    sort->keys = std::move(keys);
    sort->output = plan->output;
    sort->children.push_back(plan);
    return sort;
  }
  // Compute the non-column keys in a projection, sort, then drop them again.
  std::vector<OutputColumn> original = plan->output;
  std::vector<ExprPtr> exprs;
  std::vector<std::string> names;
  for (const auto& col : original) {
    exprs.push_back(RefTo(col));
    names.push_back(col.name);
  }
  size_t first_extra = exprs.size();
  for (const auto& key : keys) {
    if (key.expr->kind != plan::ExprKind::kColumnRef) {
      exprs.push_back(key.expr);
      names.push_back("__order" + std::to_string(exprs.size() - first_extra));
    }
  }
  auto proj = MakeProjection(state_, plan, exprs, names);
  size_t next = first_extra;
  for (auto& key : keys) {
    if (key.expr->kind != plan::ExprKind::kColumnRef) {
      key.expr = RefTo(proj->output[next++]);
    } else {
      // Re-point plain column keys at the projection's pass-through columns.
      auto id = static_cast<const plan::ColumnRefExpr&>(*key.expr).id;
      for (size_t i = 0; i < original.size(); ++i) {
        if (original[i].id == id) key.expr = RefTo(proj->output[i]);
      }
    }
  }
  auto sort = std::make_shared<plan::LogicalSort>();
  sort->keys = std::move(keys);
  sort->output = proj->output;
  sort->children.push_back(proj);
  std::vector<ExprPtr> back;
  std::vector<std::string> back_names;
  for (size_t i = 0; i < original.size(); ++i) {
    back.push_back(RefTo(proj->output[i]));
    back_names.push_back(original[i].name);
  }
  return MakeProjection(state_, sort, back, back_names);
}

Result<std::optional<int64_t>> QueryBinder::BindConstantInteger(const ast::Expr& expr,
                                                                const char* what) {
  Scope empty;
  ExprContext ctx;
  ctx.scope = &empty;
  ctx.clause = what;
  ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(&expr, ctx));
  if (!plan::IsConstant(e)) {
    return Error(expr.loc, std::string(what) + " must be a constant expression");
  }
  auto value = EvaluateConstant(e);
  if (!value.ok()) {
    return Error(expr.loc, std::string("cannot evaluate ") + what + ": " +
                               value.status().message());
  }
  auto scalar = *value;
  if (!scalar->is_valid) return std::optional<int64_t>();
  if (!arrow::is_integer(scalar->type->id())) {
    return Error(expr.loc, std::string(what) + " must be an integer, not " +
                               TypeToSql(scalar->type));
  }
  auto as64 = scalar->CastTo(arrow::int64());
  if (!as64.ok()) return Error(expr.loc, std::string(what) + " is out of range");
  int64_t v = std::static_pointer_cast<arrow::Int64Scalar>(*as64)->value;
  if (v < 0) return Error(expr.loc, std::string(what) + " must not be negative");
  return std::optional<int64_t>(v);
}

Result<LogicalOpPtr> QueryBinder::BindLimit(LogicalOpPtr plan, const ast::Query& query) {
  if (!query.limit && !query.offset) return plan;
  std::optional<int64_t> limit;
  int64_t offset = 0;
  if (query.limit) {
    ARROW_ASSIGN_OR_RAISE(limit, BindConstantInteger(*query.limit, "LIMIT"));
  }
  if (query.offset) {
    ARROW_ASSIGN_OR_RAISE(auto off, BindConstantInteger(*query.offset, "OFFSET"));
    offset = off.value_or(0);
  }
  if (!limit && offset == 0) return plan;
  auto op = std::make_shared<plan::LogicalLimit>();
  op->limit = limit;
  op->offset = offset;
  op->output = plan->output;
  op->children.push_back(std::move(plan));
  return op;
}

Result<LogicalOpPtr> QueryBinder::BindCteReference(const CteNode& cte,
                                                   const ast::SourceLocation& loc) {
  if (cte.working_table) {
    auto ref = std::make_shared<plan::LogicalCteRef>();
    ref->cte_index = cte.cte_index;
    ref->name = cte.name;
    for (const auto& col : cte.working_columns) {
      ref->output.push_back(NewColumn(col.name, col.type, col.nullable));
    }
    return ref;
  }
  if (cte.recursive) {
    ARROW_ASSIGN_OR_RAISE(auto rec, BindRecursiveCte(cte, loc));
    if (rec) return rec;
  }
  QueryBinder inner(state_, sql_, cte.parent, nullptr);
  return inner.BindQuery(*cte.cte->query);
}

Result<LogicalOpPtr> QueryBinder::BindRecursiveCte(const CteNode& cte,
                                                   const ast::SourceLocation& loc) {
  const ast::Query& q = *cte.cte->query;
  if (!q.body || q.body->kind != ast::QueryNodeKind::kSetOperation) return nullptr;
  const auto& setop = static_cast<const ast::SetOperationNode&>(*q.body);
  if (setop.op != ast::SetOpKind::kUnion || setop.by_name || !setop.left || !setop.right) {
    return nullptr;
  }
  if (!q.ctes.empty() || !q.order_by.empty() || q.limit || q.offset) {
    return Error(cte.cte->name.loc, "WITH, ORDER BY and LIMIT are not supported in the body "
                                    "of recursive CTE '" + cte.name + "'");
  }
  QueryBinder anchor_binder(state_, sql_, cte.parent, nullptr);
  ARROW_ASSIGN_OR_RAISE(auto anchor, anchor_binder.BindQuery(*setop.left));
  std::vector<std::string> names;
  if (!cte.cte->column_names.empty()) {
    if (cte.cte->column_names.size() != anchor->output.size()) {
      return Error(cte.cte->name.loc, "recursive CTE '" + cte.name + "' has " +
                                          std::to_string(anchor->output.size()) +
                                          " columns but " +
                                          std::to_string(cte.cte->column_names.size()) +
                                          " column names were given");
    }
    for (const auto& id : cte.cte->column_names) names.push_back(Fold(id));
  } else {
    for (const auto& col : anchor->output) names.push_back(col.name);
  }
  auto working = std::make_shared<CteNode>();
  working->name = cte.name;
  working->cte = cte.cte;
  working->parent = cte.parent;
  working->working_table = true;
  working->cte_index = state_->next_cte_index++;
  for (size_t i = 0; i < names.size(); ++i) {
    OutputColumn col;
    col.name = names[i];
    col.type = anchor->output[i].type;
    col.nullable = true;
    working->working_columns.push_back(col);
  }
  QueryBinder rec_binder(state_, sql_, working, nullptr);
  ARROW_ASSIGN_OR_RAISE(auto rec, rec_binder.BindQuery(*setop.right));
  if (!ReadsCte(rec, working->cte_index)) return nullptr;  // not actually recursive
  if (rec->output.size() != anchor->output.size()) {
    return Error(setop.loc, "the recursive part of CTE '" + cte.name + "' has " +
                                std::to_string(rec->output.size()) +
                                " columns but the anchor has " +
                                std::to_string(anchor->output.size()));
  }
  bool same = true;
  std::vector<ExprPtr> casts;
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& t = anchor->output[i].type;
    if (!rec->output[i].type->Equals(*t)) {
      same = false;
      if (!Functions().CanImplicitlyCast(rec->output[i].type, t) &&
          rec->output[i].type->id() != arrow::Type::NA) {
        return Error(setop.loc, "recursive CTE '" + cte.name + "' column '" + names[i] +
                                    "' has type " + TypeToSql(t) +
                                    " in the anchor but " + TypeToSql(rec->output[i].type) +
                                    " in the recursive part");
      }
    }
    casts.push_back(CastTo(RefTo(rec->output[i]), t));
  }
  if (!same) rec = MakeProjection(state_, rec, casts, names);
  auto out = std::make_shared<plan::LogicalRecursiveCte>();
  out->cte_index = working->cte_index;
  out->name = cte.name;
  out->union_all = setop.all;
  for (size_t i = 0; i < names.size(); ++i) {
    out->output.push_back(NewColumn(names[i], anchor->output[i].type,
                                    anchor->output[i].nullable || rec->output[i].nullable));
  }
  out->children = {anchor, rec};
  return out;
}

}  // namespace shoal::binder_internal
