// Binder entry points and helpers shared by the bind_*.cc files.
#include "shoal/planner/binder.h"

#include <algorithm>
#include <unordered_set>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/source_error.h"
#include "shoal/common/strings.h"
#include "shoal/function/function_catalog.h"
#include "shoal/planner/binder_internal.h"

namespace shoal {

using namespace binder_internal;  // NOLINT

struct BinderState : State {};

Binder::Binder(BinderContext context) : state_(std::make_unique<BinderState>()) {
  state_->ctx = std::move(context);
  if (state_->ctx.settings) {
    state_->fold_identifiers =
        state_->ctx.settings->GetBool("shoal.sql.enable_ident_normalization");
  }
}

Binder::~Binder() = default;

plan::ColumnId Binder::next_column_id() const { return state_->next_id; }

Result<plan::LogicalOpPtr> Binder::BindQuery(const ast::Query& query) {
  QueryBinder qb(state_.get(), state_->ctx.sql, nullptr, nullptr);
  return qb.BindQuery(query);
}

Result<plan::ExprPtr> Binder::BindStandaloneExpression(const ast::Expr& expr,
                                                       const plan::LogicalOpPtr& input) {
  Scope scope;
  if (input) {
    for (const auto& col : input->output) {
      ScopeColumn sc;
      sc.qualifier = col.qualifier;
      if (!col.qualifier.empty()) sc.qualifier_path = {col.qualifier};
      sc.name = col.name;
      sc.id = col.id;
      sc.type = col.type;
      sc.nullable = col.nullable;
      scope.columns.push_back(std::move(sc));
    }
    // Later standalone plans must not reuse ids of `input`.
    for (const auto& col : input->output) {
      state_->next_id = std::max(state_->next_id, col.id + 1);
    }
  }
  QueryBinder qb(state_.get(), state_->ctx.sql, nullptr, nullptr);
  ExprContext ctx;
  ctx.scope = &scope;
  ctx.clause = "expression";
  return qb.BindExpr(&expr, ctx);
}

Result<std::shared_ptr<arrow::DataType>> Binder::BindType(const ast::TypeName& type) {
  QueryBinder qb(state_.get(), state_->ctx.sql, nullptr, nullptr);
  return qb.BindType(type);
}

namespace binder_internal {

const FunctionCatalog& Functions() { return FunctionCatalog::Get(); }

Status QueryBinder::Error(const ast::SourceLocation& loc, std::string_view message) const {
  return SourceError(sql_, loc.offset, message);
}

std::string QueryBinder::Fold(const ast::Identifier& ident) const {
  if (ident.quoted || !state_->fold_identifiers) return ident.name;
  return ToLower(ident.name);
}

OutputColumn QueryBinder::NewColumn(std::string name, DataTypePtr type, bool nullable,
                                    std::string qualifier) {
  OutputColumn col;
  col.id = state_->next_id++;
  col.name = std::move(name);
  col.type = std::move(type);
  col.nullable = nullable;
  col.qualifier = std::move(qualifier);
  return col;
}

Result<std::shared_ptr<arrow::DataType>> QueryBinder::BindType(const ast::TypeName& type) {
  if (type.name == "list" || type.name == "array") {
    if (!type.element) return Error(type.loc, "list type needs an element type");
    ARROW_ASSIGN_OR_RAISE(auto element, BindType(*type.element));
    return arrow::list(element);
  }
  auto result = SqlTypeToArrow(type.name, type.params);
  if (!result.ok()) return Error(type.loc, result.status().message());
  return result;
}

ExprPtr QueryBinder::CastTo(ExprPtr expr, const DataTypePtr& type) {
  if (!type || expr->type->Equals(*type)) return expr;
  auto cast = std::make_shared<plan::CastExpr>(expr, type, false);
  cast->nullable = expr->nullable;
  return cast;
}

Result<DataTypePtr> QueryBinder::CommonTypeOf(const std::vector<DataTypePtr>& types,
                                              const ast::SourceLocation& loc,
                                              const std::string& what) {
  if (types.empty()) return arrow::null();
  DataTypePtr result = types[0];
  for (size_t i = 1; i < types.size(); ++i) {
    if (result->Equals(*types[i])) continue;
    auto common = Functions().CommonType(result, types[i]);
    if (!common.ok()) {
      return Error(loc, "cannot find a common type for " + TypeToSql(result) + " and " +
                            TypeToSql(types[i]) + " in " + what);
    }
    result = *common;
  }
  return result;
}

Result<ExprPtr> QueryBinder::MakeCall(const std::string& name, std::vector<ExprPtr> args,
                                      const std::string& display,
                                      const ast::SourceLocation& loc,
                                      const ast::Expr* what_expr) {
  std::vector<ScalarArg> sargs;
  sargs.reserve(args.size());
  for (const auto& a : args) {
    ScalarArg sa;
    sa.type = a->type;
    if (a->kind == plan::ExprKind::kLiteral) {
      sa.literal = static_cast<const plan::LiteralExpr&>(*a).value;
    }
    sargs.push_back(std::move(sa));
  }
  auto bound = Functions().BindScalar(name, sargs);
  if (!bound.ok()) {
    std::string what = what_expr ? ExpressionDisplayName(*what_expr) : name;
    static const std::unordered_set<std::string> kComparisons = {
        "=", "<>", "<", "<=", ">", ">=", "is_distinct_from", "is_not_distinct_from"};
    if (kComparisons.count(name) && args.size() == 2) {
      return Error(loc, "cannot compare " + TypeToSql(args[0]->type) + " and " +
                            TypeToSql(args[1]->type) + " in '" + what + "'");
    }
    return Error(loc, bound.status().message() + " in '" + what + "'");
  }
  const BoundScalarFunction& b = *bound;
  if (b.arg_types.size() != b.arg_indices.size()) {
    return Status::Invalid("internal error: function binding for '", name,
                           "' has mismatched argument lists");
  }
  std::vector<ExprPtr> passed;
  bool nullable = false;
  for (size_t i = 0; i < b.arg_indices.size(); ++i) {
    int idx = b.arg_indices[i];
    if (idx < 0 || idx >= static_cast<int>(args.size())) {
      return Status::Invalid("internal error: function binding for '", name,
                             "' references argument ", idx);
    }
    nullable = nullable || args[idx]->nullable;
    passed.push_back(CastTo(args[idx], b.arg_types[i]));
  }
  auto call = std::make_shared<plan::CallExpr>(b.function, std::move(passed), b.return_type,
                                               b.options, display);
  call->volatile_ = b.is_volatile;
  // Operators on non-null inputs give non-null results; other functions may
  // return NULL for non-null inputs (nullif, division by zero in some engines).
  static const std::unordered_set<std::string> kNullPreserving = {
      "+", "-", "*", "||", "=", "<>", "<", "<=", ">", ">=", "and", "or", "not", "negate",
      "like", "ilike", "in_list"};
  if (name == "is_null" || name == "is_not_null" || name == "is_distinct_from" ||
      name == "is_not_distinct_from") {
    call->nullable = false;
  } else if (kNullPreserving.count(name)) {
    call->nullable = nullable;
  }
  return call;
}

LogicalOpPtr MakeProjection(State* state, LogicalOpPtr child, std::vector<ExprPtr> exprs,
                            const std::vector<std::string>& names,
                            const std::vector<std::string>& qualifiers) {
  auto proj = std::make_shared<plan::LogicalProjection>();
  proj->children.push_back(std::move(child));
  for (size_t i = 0; i < exprs.size(); ++i) {
    OutputColumn col;
    col.id = state->next_id++;
    col.name = i < names.size() ? names[i] : "column" + std::to_string(i + 1);
    col.type = exprs[i]->type;
    col.nullable = exprs[i]->nullable;
    if (i < qualifiers.size()) col.qualifier = qualifiers[i];
    proj->output.push_back(std::move(col));
  }
  proj->exprs = std::move(exprs);
  return proj;
}

ExprPtr RefTo(const OutputColumn& col) {
  return plan::MakeColumnRef(col.id, col.name, col.type, col.nullable);
}

namespace {

void CollectReferences(const ExprPtr& expr, std::vector<ColumnId>* out) {
  if (!expr) return;
  if (expr->kind == plan::ExprKind::kColumnRef) {
    out->push_back(static_cast<const plan::ColumnRefExpr&>(*expr).id);
    return;
  }
  if (expr->kind == plan::ExprKind::kSubquery) {
    const auto& sq = static_cast<const plan::SubqueryExpr&>(*expr);
    out->insert(out->end(), sq.correlated_columns.begin(), sq.correlated_columns.end());
  }
  for (const auto& child : expr->children()) CollectReferences(child, out);
}

void WalkPlan(const LogicalOpPtr& op, std::unordered_set<ColumnId>* produced,
              std::vector<ColumnId>* used) {
  if (!op) return;
  for (const auto& col : op->output) produced->insert(col.id);
  for (const auto& e : op->Expressions()) CollectReferences(e, used);
  if (op->kind == plan::LogicalOpKind::kValues) {
    for (const auto& row : op->As<plan::LogicalValues>().rows) {
      for (const auto& e : row) CollectReferences(e, used);
    }
  }
  for (const auto& child : op->children) WalkPlan(child, produced, used);
}

}  // namespace

std::vector<ColumnId> OuterReferences(const LogicalOpPtr& plan) {
  std::unordered_set<ColumnId> produced;
  std::vector<ColumnId> used;
  WalkPlan(plan, &produced, &used);
  std::vector<ColumnId> out;
  std::unordered_set<ColumnId> seen;
  for (ColumnId id : used) {
    if (!produced.count(id) && seen.insert(id).second) out.push_back(id);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string TypeToSql(const DataTypePtr& type) {
  if (!type) return "?";
  return ArrowTypeToSql(*type);
}

}  // namespace binder_internal
}  // namespace shoal
