#include "shoal/optimizer/plan_validator.h"

#include <unordered_map>
#include <unordered_set>

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

/// Columns visible to an expression: id -> type.
using Scope = std::unordered_map<ColumnId, std::shared_ptr<arrow::DataType>>;

bool SameType(const std::shared_ptr<arrow::DataType>& a,
              const std::shared_ptr<arrow::DataType>& b) {
  if (!a || !b) return a == b;
  return a->Equals(*b, /*check_metadata=*/false);
}

std::string TypeName(const std::shared_ptr<arrow::DataType>& t) {
  return t ? t->ToString() : "<null type>";
}

class Validator {
 public:
  Status Check(const LogicalOpPtr& op, const Scope& outer, const std::string& path) {
    if (!op) return Status::Invalid("invalid plan at ", path, ": null operator");
    std::string here = path.empty() ? LogicalOpKindName(op->kind)
                                    : path + " > " + LogicalOpKindName(op->kind);
    auto fail = [&](auto&&... parts) {
      return Status::Invalid("invalid plan at ", here, " (", op->Describe(), "): ", parts...);
    };
    size_t want_children = 1;
    switch (op->kind) {
      case LogicalOpKind::kGet:
      case LogicalOpKind::kValues:
      case LogicalOpKind::kEmpty:
      case LogicalOpKind::kCteRef:
        want_children = 0;
        break;
      case LogicalOpKind::kJoin:
      case LogicalOpKind::kSetOperation:
      case LogicalOpKind::kRecursiveCte:
      case LogicalOpKind::kMaterializedCte:
        want_children = 2;
        break;
      default:
        break;
    }
    if (op->children.size() != want_children) {
      return fail("expected ", want_children, " children, found ", op->children.size());
    }
    if (op->kind == LogicalOpKind::kMaterializedCte) {
      // The definition first: the readers under children[1] check against it.
      ARROW_RETURN_NOT_OK(Check(op->children[0], outer, here));
      materialized_[op->As<LogicalMaterializedCte>().cte_index] = op->children[0].get();
      ARROW_RETURN_NOT_OK(Check(op->children[1], outer, here));
    } else {
      for (const auto& c : op->children) ARROW_RETURN_NOT_OK(Check(c, outer, here));
    }
    if (op->kind == LogicalOpKind::kCteRef && op->As<LogicalCteRef>().materialized) {
      auto it = materialized_.find(op->As<LogicalCteRef>().cte_index);
      if (it == materialized_.end()) return fail("no MaterializedCte above with this index");
      const auto& def = it->second->output;
      if (def.size() != op->output.size()) {
        return fail("reads ", op->output.size(), " columns of a definition with ", def.size());
      }
      for (size_t i = 0; i < def.size(); ++i) {
        if (!SameType(def[i].type, op->output[i].type)) {
          return fail("column ", i, " has type ", TypeName(op->output[i].type),
                      " but the definition's has type ", TypeName(def[i].type));
        }
      }
    }

    std::unordered_set<ColumnId> seen;
    for (const auto& c : op->output) {
      if (!seen.insert(c.id).second) return fail("duplicate output column id @", c.id);
      if (!c.type) return fail("output column ", c.name, "@", c.id, " has no type");
    }

    // Scope for this operator's expressions: children outputs + outer scope.
    Scope scope = outer;
    for (const auto& c : op->children) {
      for (const auto& col : c->output) scope[col.id] = col.type;
    }
    if (op->kind == LogicalOpKind::kGet) {
      for (const auto& col : op->output) scope[col.id] = col.type;
    }
    for (const auto& e : op->Expressions()) {
      ARROW_RETURN_NOT_OK(CheckExpr(e, scope, here, op));
    }
    if (op->kind == LogicalOpKind::kValues) {
      for (const auto& row : op->As<LogicalValues>().rows) {
        for (const auto& e : row) ARROW_RETURN_NOT_OK(CheckExpr(e, scope, here, op));
      }
    }
    return CheckShape(*op, fail);
  }

 private:
  Status CheckExpr(const ExprPtr& e, const Scope& scope, const std::string& path,
                   const LogicalOpPtr& op) {
    if (!e) return Status::Invalid("invalid plan at ", path, ": null expression");
    if (!e->type) {
      return Status::Invalid("invalid plan at ", path, ": expression ", e->ToString(),
                             " has no type");
    }
    if (e->kind == ExprKind::kColumnRef) {
      const auto& ref = static_cast<const ColumnRefExpr&>(*e);
      auto it = scope.find(ref.id);
      if (it == scope.end()) {
        return Status::Invalid("invalid plan at ", path, " (", op->Describe(),
                               "): column reference ", ref.ToString(),
                               " does not resolve to an output of the operator's inputs");
      }
      if (!SameType(it->second, ref.type)) {
        return Status::Invalid("invalid plan at ", path, " (", op->Describe(),
                               "): column reference ", ref.ToString(), " has type ",
                               TypeName(ref.type), " but the column has type ",
                               TypeName(it->second));
      }
      return Status::OK();
    }
    if (e->kind == ExprKind::kSubquery) {
      const auto& sub = static_cast<const SubqueryExpr&>(*e);
      ARROW_RETURN_NOT_OK(Check(sub.plan, scope, path + " > subquery"));
    }
    for (const auto& c : e->children()) ARROW_RETURN_NOT_OK(CheckExpr(c, scope, path, op));
    return Status::OK();
  }

  template <typename Fail>
  Status CheckShape(const LogicalOp& op, Fail& fail) {
    auto same_ids = [&](const LogicalOp& child) -> Status {
      if (op.output.size() != child.output.size()) {
        return fail("output has ", op.output.size(), " columns but its input has ",
                    child.output.size());
      }
      for (size_t i = 0; i < op.output.size(); ++i) {
        if (op.output[i].id != child.output[i].id) {
          return fail("output column ", i, " is @", op.output[i].id, " but the input's is @",
                      child.output[i].id);
        }
      }
      return Status::OK();
    };
    auto computed = [&](size_t offset, const std::vector<ExprPtr>& exprs) -> Status {
      for (size_t i = 0; i < exprs.size(); ++i) {
        const auto& col = op.output[offset + i];
        if (!SameType(col.type, exprs[i]->type)) {
          return fail("output column ", col.name, "@", col.id, " has type ", TypeName(col.type),
                      " but its expression ", exprs[i]->ToString(), " has type ",
                      TypeName(exprs[i]->type));
        }
      }
      return Status::OK();
    };
    switch (op.kind) {
      case LogicalOpKind::kFilter:
      case LogicalOpKind::kSort:
      case LogicalOpKind::kLimit:
      case LogicalOpKind::kTopN:
        return same_ids(*op.children[0]);
      case LogicalOpKind::kMaterializedCte:
        return same_ids(*op.children[1]);
      case LogicalOpKind::kProjection: {
        const auto& p = op.As<LogicalProjection>();
        if (p.exprs.size() != op.output.size()) {
          return fail(p.exprs.size(), " expressions for ", op.output.size(), " output columns");
        }
        return computed(0, p.exprs);
      }
      case LogicalOpKind::kAggregate: {
        const auto& a = op.As<LogicalAggregate>();
        size_t want = a.groups.size() + a.aggregates.size() + (a.grouping_sets.empty() ? 0 : 1);
        if (op.output.size() != want) {
          return fail("expected ", want, " output columns (groups, aggregates), found ",
                      op.output.size());
        }
        for (const auto& agg : a.aggregates) {
          if (agg->kind != ExprKind::kAggregate) {
            return fail("aggregate list holds a non-aggregate ", agg->ToString());
          }
        }
        for (const auto& set : a.grouping_sets) {
          for (int g : set) {
            if (g < 0 || static_cast<size_t>(g) >= a.groups.size()) {
              return fail("grouping set index ", g, " out of range");
            }
          }
        }
        ARROW_RETURN_NOT_OK(computed(0, a.groups));
        return computed(a.groups.size(), a.aggregates);
      }
      case LogicalOpKind::kWindow: {
        const auto& w = op.As<LogicalWindow>();
        const auto& child = *op.children[0];
        if (op.output.size() != child.output.size() + w.window_exprs.size()) {
          return fail("output must be the input's ", child.output.size(), " columns plus ",
                      w.window_exprs.size(), " window columns, found ", op.output.size());
        }
        for (size_t i = 0; i < child.output.size(); ++i) {
          if (op.output[i].id != child.output[i].id) {
            return fail("output column ", i, " is @", op.output[i].id, " but the input's is @",
                        child.output[i].id);
          }
        }
        return computed(child.output.size(), w.window_exprs);
      }
      case LogicalOpKind::kJoin: {
        const auto& j = op.As<LogicalJoin>();
        const auto& l = *op.children[0];
        const auto& r = *op.children[1];
        std::vector<ColumnId> want = l.OutputIds();
        if (j.join_type == JoinType::kMark) {
          want.push_back(j.mark_id);
        } else if (j.join_type != JoinType::kSemi && j.join_type != JoinType::kAnti) {
          for (auto id : r.OutputIds()) want.push_back(id);
        }
        if (want != op.OutputIds()) {
          return fail("output ids do not match a ", JoinTypeName(j.join_type),
                      " join of its inputs");
        }
        for (const auto& c : j.conditions) {
          if (!c->type->Equals(*arrow::boolean())) {
            return fail("join condition ", c->ToString(), " is not boolean");
          }
        }
        return Status::OK();
      }
      case LogicalOpKind::kGet: {
        const auto& g = op.As<LogicalGet>();
        if (!g.table) return fail("no table provider");
        if (g.projection.size() != op.output.size()) {
          return fail(g.projection.size(), " projected columns for ", op.output.size(),
                      " output columns");
        }
        auto schema = g.table->schema();
        for (size_t i = 0; i < g.projection.size(); ++i) {
          int idx = g.projection[i];
          if (idx < 0 || idx >= schema->num_fields()) {
            return fail("projection index ", idx, " out of range for a table with ",
                        schema->num_fields(), " columns");
          }
          if (!SameType(schema->field(idx)->type(), op.output[i].type)) {
            return fail("output column ", op.output[i].name, " has type ",
                        TypeName(op.output[i].type), " but table column ",
                        schema->field(idx)->name(), " has type ",
                        TypeName(schema->field(idx)->type()));
          }
        }
        return Status::OK();
      }
      case LogicalOpKind::kSetOperation:
      case LogicalOpKind::kRecursiveCte: {
        for (const auto& c : op.children) {
          if (c->output.size() != op.output.size()) {
            return fail("input has ", c->output.size(), " columns, the operator ",
                        op.output.size());
          }
          for (size_t i = 0; i < op.output.size(); ++i) {
            if (!SameType(c->output[i].type, op.output[i].type)) {
              return fail("column ", i, " has type ", TypeName(op.output[i].type),
                          " but an input's is ", TypeName(c->output[i].type));
            }
          }
        }
        return Status::OK();
      }
      case LogicalOpKind::kValues: {
        const auto& v = op.As<LogicalValues>();
        for (const auto& row : v.rows) {
          if (row.size() != op.output.size()) {
            return fail("a row has ", row.size(), " values for ", op.output.size(), " columns");
          }
        }
        return Status::OK();
      }
      default:
        return Status::OK();
    }
  }

  /// Definitions of the MaterializedCte operators seen so far, by index.
  std::unordered_map<int, const LogicalOp*> materialized_;
};

}  // namespace

Status ValidatePlan(const LogicalOpPtr& plan) {
  Validator v;
  return v.Check(plan, {}, "");
}

}  // namespace shoal::opt
