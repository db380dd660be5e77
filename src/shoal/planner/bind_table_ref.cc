// FROM clause binding: base tables, views, CTE references, paths, table
// functions, subqueries, VALUES and joins (ON, USING, NATURAL).
#include <algorithm>

#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/parser/parser.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

std::string PathStem(const std::string& path) {
  std::string base = path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto slash = base.find_last_of('/');
  if (slash != std::string::npos) base = base.substr(slash + 1);
  auto dot = base.find('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? path : base;
}

plan::JoinType ToPlanJoin(ast::JoinType t) {
  switch (t) {
    case ast::JoinType::kInner:
    case ast::JoinType::kCross: return plan::JoinType::kInner;
    case ast::JoinType::kLeft: return plan::JoinType::kLeft;
    case ast::JoinType::kRight: return plan::JoinType::kRight;
    case ast::JoinType::kFull: return plan::JoinType::kFull;
    case ast::JoinType::kSemi: return plan::JoinType::kSemi;
    case ast::JoinType::kAnti: return plan::JoinType::kAnti;
  }
  return plan::JoinType::kInner;
}

}  // namespace

Result<BoundRelation> QueryBinder::RelationFromPlan(LogicalOpPtr plan,
                                                    const std::string& qualifier) {
  BoundRelation rel;
  for (const auto& col : plan->output) {
    ScopeColumn sc;
    sc.qualifier = qualifier;
    if (!qualifier.empty()) sc.qualifier_path = {qualifier};
    sc.name = col.name;
    sc.id = col.id;
    sc.type = col.type;
    sc.nullable = col.nullable;
    rel.columns.push_back(std::move(sc));
  }
  rel.plan = std::move(plan);
  return rel;
}

Status QueryBinder::ApplyAliases(const ast::TableRef& ref, const std::string& default_name,
                                 std::vector<std::string> path, BoundRelation* rel) {
  std::string qualifier = default_name;
  if (ref.alias) {
    qualifier = Fold(*ref.alias);
    path = {qualifier};
  }
  if (ref.alias || !default_name.empty()) {
    for (auto& col : rel->columns) {
      col.qualifier = qualifier;
      col.qualifier_path = path;
    }
  }
  if (ref.column_aliases.size() > rel->columns.size()) {
    return Error(ref.column_aliases[0].loc,
                 "table '" + qualifier + "' has " + std::to_string(rel->columns.size()) +
                     " columns but " + std::to_string(ref.column_aliases.size()) +
                     " column aliases were given");
  }
  // Column aliases rename the visible columns in order (hidden USING columns
  // are skipped, as in SELECT *).
  size_t next = 0;
  for (auto& col : rel->columns) {
    if (next >= ref.column_aliases.size()) break;
    if (!col.in_star) continue;
    col.name = Fold(ref.column_aliases[next++]);
  }
  return Status::OK();
}

Result<BoundRelation> QueryBinder::BindTableRef(const ast::TableRef& ref) {
  switch (ref.kind) {
    case ast::TableRefKind::kBaseTable:
      return BindBaseTable(static_cast<const ast::BaseTableRef&>(ref));
    case ast::TableRefKind::kJoin:
      return BindJoin(static_cast<const ast::JoinRef&>(ref));
    case ast::TableRefKind::kSubquery: {
      const auto& sq = static_cast<const ast::SubqueryRef&>(ref);
      if (sq.lateral) {
        return Error(ref.loc, "LATERAL subqueries are not supported");
      }
      if (!sq.query) return Error(ref.loc, "malformed subquery in FROM");
      // A derived table sees the enclosing query's outer scope, not its siblings.
      QueryBinder sub(state_, sql_, ctes_, outer_);
      ARROW_ASSIGN_OR_RAISE(auto plan, sub.BindQuery(*sq.query));
      ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(plan, ""));
      ARROW_RETURN_NOT_OK(ApplyAliases(ref, "", {}, &rel));
      return rel;
    }
    case ast::TableRefKind::kValues: {
      const auto& v = static_cast<const ast::ValuesRef&>(ref);
      ARROW_ASSIGN_OR_RAISE(auto plan, BindValues(v.rows, ref.loc));
      ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(plan, ""));
      ARROW_RETURN_NOT_OK(ApplyAliases(ref, "", {}, &rel));
      return rel;
    }
    case ast::TableRefKind::kTableFunction: {
      const auto& tf = static_cast<const ast::TableFunctionRef&>(ref);
      if (tf.name.parts.empty()) return Error(ref.loc, "malformed table function");
      std::string name = ToLower(tf.name.parts.back().name);
      if (!state_->ctx.table_function) {
        return Error(ref.loc, "table function '" + name + "' not found");
      }
      std::vector<std::shared_ptr<arrow::Scalar>> args;
      Scope empty;
      for (const auto& a : tf.args) {
        ExprContext ctx;
        ctx.scope = &empty;
        ctx.clause = "table function arguments";
        ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(a.get(), ctx));
        if (!plan::IsConstant(e)) {
          return Error(a->loc, "arguments of table function '" + name + "' must be constants");
        }
        auto v = EvaluateConstant(e);
        if (!v.ok()) return Error(a->loc, v.status().message());
        args.push_back(*v);
      }
      auto provider = state_->ctx.table_function(name, args);
      if (!provider.ok()) return Error(ref.loc, provider.status().message());
      if (!*provider) return Error(ref.loc, "table function '" + name + "' returned no table");
      auto get = std::make_shared<plan::LogicalGet>();
      get->table_name = name;
      get->table = *provider;
      auto schema = get->table->schema();
      for (int i = 0; i < schema->num_fields(); ++i) {
        get->projection.push_back(i);
        get->output.push_back(NewColumn(schema->field(i)->name(), schema->field(i)->type(),
                                        schema->field(i)->nullable(), name));
      }
      ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(get, name));
      ARROW_RETURN_NOT_OK(ApplyAliases(ref, name, {name}, &rel));
      return rel;
    }
  }
  return Error(ref.loc, "unsupported FROM item");
}

Result<BoundRelation> QueryBinder::BindBaseTable(const ast::BaseTableRef& ref) {
  if (ref.time_travel && (ref.is_path || ref.name.parts.empty())) {
    return Error(ref.loc, "time travel (VERSION AS OF / TIMESTAMP AS OF) needs a registered "
                          "table (for example CREATE EXTERNAL TABLE ... STORED AS DELTATABLE)");
  }
  std::shared_ptr<TableProvider> provider;
  std::string display;
  std::vector<std::string> path;
  if (ref.is_path) {
    if (!state_->ctx.open_path) {
      return Error(ref.loc, "reading files by path ('" + ref.path +
                                "') is disabled; enable it with SET "
                                "shoal.runtime.allow_url_tables = true");
    }
    auto opened = state_->ctx.open_path(ref.path);
    if (!opened.ok()) return Error(ref.loc, opened.status().message());
    provider = *opened;
    if (!provider) return Error(ref.loc, "cannot open '" + ref.path + "'");
    display = ref.path;
    std::string stem = PathStem(ref.path);
    path = {stem};
    auto get = std::make_shared<plan::LogicalGet>();
    get->table_name = display;
    get->table = provider;
    auto schema = provider->schema();
    for (int i = 0; i < schema->num_fields(); ++i) {
      get->projection.push_back(i);
      get->output.push_back(NewColumn(schema->field(i)->name(), schema->field(i)->type(),
                                      schema->field(i)->nullable(), stem));
    }
    ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(get, stem));
    ARROW_RETURN_NOT_OK(ApplyAliases(ref, stem, path, &rel));
    return rel;
  }
  if (ref.name.parts.empty() || ref.name.parts.size() > 3) {
    return Error(ref.loc, "invalid table name");
  }
  std::vector<std::string> parts;
  std::string written;
  for (const auto& p : ref.name.parts) {
    parts.push_back(Fold(p));
    written += (written.empty() ? "" : ".") + p.name;
  }

  // CTEs shadow catalog tables.
  if (parts.size() == 1) {
    const ast::Identifier& ident = ref.name.parts[0];
    const CteNode* found = nullptr;
    for (int pass = 0; pass < 2 && !found; ++pass) {
      if (pass == 1 && (ident.quoted || !state_->fold_identifiers)) break;
      for (const CteNode* n = ctes_.get(); n; n = n->parent.get()) {
        if (pass == 0 ? n->name == parts[0] : EqualsIgnoreCase(n->name, parts[0])) {
          found = n;
          break;
        }
      }
    }
    if (found) {
      ARROW_ASSIGN_OR_RAISE(auto plan, BindCteReference(*found, ref.loc));
      ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(plan, found->name));
      const auto& names = found->cte->column_names;
      if (!found->working_table && !names.empty()) {
        if (names.size() > rel.columns.size()) {
          return Error(names[0].loc, "WITH query '" + found->name + "' has " +
                                         std::to_string(rel.columns.size()) +
                                         " columns but " + std::to_string(names.size()) +
                                         " column names were given");
        }
        for (size_t i = 0; i < names.size(); ++i) rel.columns[i].name = Fold(names[i]);
      }
      ARROW_RETURN_NOT_OK(ApplyAliases(ref, found->name, {found->name}, &rel));
      return rel;
    }
  }

  if (!state_->ctx.catalog) return Error(ref.loc, "table '" + written + "' not found");
  auto entry = state_->ctx.catalog->Lookup(parts);
  if (!entry.ok()) return Error(ref.loc, entry.status().message());
  if (entry->view && ref.time_travel) {
    return Error(ref.loc, "time travel (VERSION AS OF / TIMESTAMP AS OF) is not supported on "
                          "view '" + written + "'");
  }
  if (entry->view) {
    ARROW_ASSIGN_OR_RAISE(auto rel, BindView(*entry, written, ref.loc));
    ARROW_RETURN_NOT_OK(
        ApplyAliases(ref, entry->name, {entry->catalog, entry->schema, entry->name}, &rel));
    return rel;
  }
  if (!entry->table) return Error(ref.loc, "'" + written + "' is neither a table nor a view");
  auto bind_time_travel = [&](const ast::TimeTravel& tt, const std::shared_ptr<TableProvider>& table)
      -> Result<std::shared_ptr<TableProvider>> {
    const bool by_version = tt.kind == ast::TimeTravel::kVersion;
    const char* clause = by_version ? "VERSION AS OF" : "TIMESTAMP AS OF";
    Scope empty;
    ExprContext ctx;
    ctx.scope = &empty;
    ctx.clause = clause;
    ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(tt.value.get(), ctx));
    if (!plan::IsConstant(e)) {
      return Error(tt.value->loc, std::string(clause) + " needs a constant");
    }
    auto value = EvaluateConstant(e);
    if (!value.ok()) return Error(tt.value->loc, value.status().message());
    const auto& v = **value;
    if (!v.is_valid) return Error(tt.value->loc, std::string(clause) + " cannot be NULL");
    TableVersion at;
    if (by_version) {
      if (!arrow::is_integer(v.type->id())) {
        return Error(tt.value->loc, "VERSION AS OF needs an integer version, not " + v.ToString());
      }
      auto as_int = v.CastTo(arrow::int64());
      if (!as_int.ok()) return Error(tt.value->loc, as_int.status().message());
      at.version = static_cast<const arrow::Int64Scalar&>(**as_int).value;
    } else {
      std::string tz;
      if (v.type->id() == arrow::Type::TIMESTAMP) {
        tz = static_cast<const arrow::TimestampType&>(*v.type).timezone();
      }
      auto ts = v.CastTo(arrow::timestamp(arrow::TimeUnit::MICRO, tz));
      if (ts.ok() && (*ts)->is_valid) {
        at.timestamp_us = static_cast<const arrow::TimestampScalar&>(**ts).value;
      }
      if (!at.timestamp_us) {
        return Error(tt.value->loc, "TIMESTAMP AS OF needs a timestamp such as "
                                    "'2026-01-01 00:00:00', not " + v.ToString());
      }
    }
    auto traveled = table->TimeTravel(at);
    if (!traveled.ok()) {
      return Error(tt.value->loc, "cannot read '" + written + "' " + clause + " " + v.ToString() +
                                      ": " + traveled.status().message());
    }
    return *traveled;
  };
  auto get = std::make_shared<plan::LogicalGet>();
  get->table_name = entry->name;
  get->table = entry->table;
  if (ref.time_travel) {
    ARROW_ASSIGN_OR_RAISE(get->table, bind_time_travel(*ref.time_travel, entry->table));
  }
  auto schema = get->table->schema();
  if (!schema) return Error(ref.loc, "table '" + written + "' has no schema");
  for (int i = 0; i < schema->num_fields(); ++i) {
    get->projection.push_back(i);
    get->output.push_back(NewColumn(schema->field(i)->name(), schema->field(i)->type(),
                                    schema->field(i)->nullable(), entry->name));
  }
  ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(get, entry->name));
  ARROW_RETURN_NOT_OK(
      ApplyAliases(ref, entry->name, {entry->catalog, entry->schema, entry->name}, &rel));
  return rel;
}

Result<BoundRelation> QueryBinder::BindView(const CatalogEntry& entry, const std::string& display,
                                            const ast::SourceLocation& loc) {
  std::string key = entry.catalog + "." + entry.schema + "." + entry.name;
  auto& stack = state_->view_stack;
  if (std::find(stack.begin(), stack.end(), key) != stack.end()) {
    std::string chain;
    for (const auto& v : stack) chain += v.substr(v.rfind('.') + 1) + " -> ";
    return Error(loc, "view '" + entry.name + "' is defined recursively (" + chain + entry.name +
                          ")");
  }
  auto parsed = ParseSql(entry.view->sql);
  if (!parsed.ok()) {
    return Error(loc, "cannot parse the definition of view '" + display + "': " +
                          parsed.status().message());
  }
  if (parsed->size() != 1 || !(*parsed)[0] ||
      (*parsed)[0]->kind != ast::StatementKind::kSelect ||
      !static_cast<const ast::SelectStatement&>(*(*parsed)[0]).query) {
    return Error(loc, "the definition of view '" + display + "' is not a single query");
  }
  const auto& query = *static_cast<const ast::SelectStatement&>(*(*parsed)[0]).query;
  stack.push_back(key);
  // A view is bound in a fresh scope: it sees neither the query's CTEs nor its columns.
  QueryBinder view_binder(state_, entry.view->sql, nullptr, nullptr);
  auto plan = view_binder.BindQuery(query);
  stack.pop_back();
  if (!plan.ok()) {
    return Error(loc, "error in view '" + display + "': " + plan.status().message());
  }
  ARROW_ASSIGN_OR_RAISE(auto rel, RelationFromPlan(*plan, entry.name));
  const auto& names = entry.view->column_names;
  if (names.size() > rel.columns.size()) {
    return Error(loc, "view '" + display + "' has " + std::to_string(rel.columns.size()) +
                          " columns but " + std::to_string(names.size()) +
                          " column names were given");
  }
  for (size_t i = 0; i < names.size(); ++i) rel.columns[i].name = names[i];
  return rel;
}

Result<BoundRelation> QueryBinder::BindJoin(const ast::JoinRef& ref) {
  if (!ref.left || !ref.right) return Error(ref.loc, "malformed join");
  ARROW_ASSIGN_OR_RAISE(auto left, BindTableRef(*ref.left));
  ARROW_ASSIGN_OR_RAISE(auto right, BindTableRef(*ref.right));
  auto join = std::make_shared<plan::LogicalJoin>();
  join->join_type = ToPlanJoin(ref.join_type);
  if (ref.join_type == ast::JoinType::kCross && (ref.condition || !ref.using_columns.empty())) {
    return Error(ref.loc, "CROSS JOIN cannot have a join condition");
  }
  bool left_nullable = join->join_type == plan::JoinType::kRight ||
                       join->join_type == plan::JoinType::kFull;
  bool right_nullable = join->join_type == plan::JoinType::kLeft ||
                        join->join_type == plan::JoinType::kFull;
  bool semi = join->join_type == plan::JoinType::kSemi || join->join_type == plan::JoinType::kAnti;
  for (auto& c : left.columns) c.nullable = c.nullable || left_nullable;
  for (auto& c : right.columns) c.nullable = c.nullable || right_nullable;
  join->children = {left.plan, right.plan};
  for (auto col : left.plan->output) {
    col.nullable = col.nullable || left_nullable;
    join->output.push_back(col);
  }
  if (!semi) {
    for (auto col : right.plan->output) {
      col.nullable = col.nullable || right_nullable;
      join->output.push_back(col);
    }
  }

  // USING / NATURAL: equality on the named columns, merged output columns.
  std::vector<std::string> using_names;
  std::vector<ast::SourceLocation> using_locs;
  if (ref.natural) {
    for (const auto& lc : left.columns) {
      if (lc.hidden_unqualified || !lc.in_star) continue;
      for (const auto& rc : right.columns) {
        if (!rc.hidden_unqualified && rc.in_star && rc.name == lc.name &&
            std::find(using_names.begin(), using_names.end(), lc.name) == using_names.end()) {
          using_names.push_back(lc.name);
          using_locs.push_back(ref.loc);
        }
      }
    }
  } else {
    for (const auto& id : ref.using_columns) {
      using_names.push_back(Fold(id));
      using_locs.push_back(id.loc);
    }
  }
  BoundRelation out;
  std::vector<ScopeColumn> merged;
  std::vector<std::pair<ExprPtr, ExprPtr>> full_pairs;
  auto find_side = [&](std::vector<ScopeColumn>& cols, const std::string& name,
                       const ast::SourceLocation& loc, const char* side,
                       ScopeColumn** result) -> Status {
    ScopeColumn* found = nullptr;
    for (int pass = 0; pass < 2 && !found; ++pass) {
      for (auto& c : cols) {
        if (c.hidden_unqualified) continue;
        bool match = pass == 0 ? c.name == name
                               : (state_->fold_identifiers && EqualsIgnoreCase(c.name, name));
        if (!match) continue;
        if (found && found->id != c.id) {
          return Error(loc, "column '" + name + "' in USING is ambiguous in the " + side +
                                " side of the join");
        }
        found = &c;
      }
    }
    if (!found) {
      return Error(loc, "column '" + name + "' specified in USING does not exist in the " +
                            side + " side of the join");
    }
    *result = found;
    return Status::OK();
  };
  std::vector<ExprPtr> conditions;
  for (size_t i = 0; i < using_names.size(); ++i) {
    const std::string& name = using_names[i];
    for (size_t j = 0; j < i; ++j) {
      if (using_names[j] == name) {
        return Error(using_locs[i], "column '" + name + "' appears twice in USING");
      }
    }
    ScopeColumn* lc = nullptr;
    ScopeColumn* rc = nullptr;
    ARROW_RETURN_NOT_OK(find_side(left.columns, name, using_locs[i], "left", &lc));
    ARROW_RETURN_NOT_OK(find_side(right.columns, name, using_locs[i], "right", &rc));
    auto lref = plan::MakeColumnRef(lc->id, lc->name, lc->type, lc->nullable);
    auto rref = plan::MakeColumnRef(rc->id, rc->name, rc->type, rc->nullable);
    ARROW_ASSIGN_OR_RAISE(auto eq, MakeCall("=", {lref, rref}, "=", using_locs[i], nullptr));
    conditions.push_back(eq);
    ScopeColumn m = join->join_type == plan::JoinType::kRight ? *rc : *lc;
    m.qualifier.clear();
    m.qualifier_path.clear();
    m.name = lc->name;
    m.hidden_unqualified = false;
    m.in_star = true;
    if (join->join_type == plan::JoinType::kFull) full_pairs.emplace_back(lref, rref);
    merged.push_back(std::move(m));
    lc->hidden_unqualified = true;
    lc->in_star = false;
    rc->hidden_unqualified = true;
    rc->in_star = false;
  }
  out.columns = merged;
  out.columns.insert(out.columns.end(), left.columns.begin(), left.columns.end());
  if (!semi) out.columns.insert(out.columns.end(), right.columns.begin(), right.columns.end());

  if (ref.condition) {
    if (!using_names.empty()) return Error(ref.loc, "a join cannot have both ON and USING");
    Scope scope;
    scope.outer = outer_;
    scope.columns = left.columns;
    scope.columns.insert(scope.columns.end(), right.columns.begin(), right.columns.end());
    ExprContext ctx;
    ctx.scope = &scope;
    ctx.clause = "JOIN conditions";
    ARROW_ASSIGN_OR_RAISE(auto cond, BindExpr(ref.condition.get(), ctx));
    if (cond->type->id() == arrow::Type::NA) cond = CastTo(cond, arrow::boolean());
    if (cond->type->id() != arrow::Type::BOOL) {
      return Error(ref.condition->loc, "JOIN condition must be boolean, not " +
                                           TypeToSql(cond->type) + " in '" +
                                           ExpressionDisplayName(*ref.condition) + "'");
    }
    plan::SplitConjunction(cond, &conditions);
  } else if (using_names.empty() && !ref.natural &&
             ref.join_type != ast::JoinType::kCross && ref.join_type != ast::JoinType::kInner) {
    return Error(ref.loc, "this join needs an ON or USING clause");
  }
  join->conditions = std::move(conditions);
  out.plan = join;

  if (!full_pairs.empty()) {
    // FULL JOIN USING: the merged column is COALESCE(left, right).
    std::vector<ExprPtr> exprs;
    std::vector<std::string> names;
    for (const auto& col : join->output) {
      exprs.push_back(RefTo(col));
      names.push_back(col.name);
    }
    size_t first = exprs.size();
    for (size_t i = 0; i < full_pairs.size(); ++i) {
      ARROW_ASSIGN_OR_RAISE(auto co, MakeCall("coalesce", {full_pairs[i].first,
                                                           full_pairs[i].second},
                                              "coalesce", ref.loc, nullptr));
      exprs.push_back(co);
      names.push_back(merged[i].name);
    }
    std::vector<std::string> qualifiers;
    for (const auto& col : join->output) qualifiers.push_back(col.qualifier);
    auto proj = MakeProjection(state_, join, exprs, names, qualifiers);
    // Pass-through columns get new ids: re-point every scope column.
    for (auto& sc : out.columns) {
      for (size_t i = 0; i < join->output.size(); ++i) {
        if (join->output[i].id == sc.id) {
          sc.id = proj->output[i].id;
          break;
        }
      }
    }
    for (size_t i = 0; i < full_pairs.size(); ++i) {
      out.columns[i].id = proj->output[first + i].id;
      out.columns[i].type = proj->output[first + i].type;
      out.columns[i].nullable = true;
    }
    out.plan = proj;
  }
  return out;
}

}  // namespace shoal::binder_internal
