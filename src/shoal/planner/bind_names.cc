// Output column names for unaliased select items: a DuckDB-like rendering of
// the expression as written ("sum(l_quantity)", "(a + 1)", "count_star()").
#include "shoal/common/strings.h"
#include "shoal/planner/binder.h"

namespace shoal {

namespace {

constexpr int kMaxRenderDepth = 200;

void Render(const ast::Expr* e, std::string* out, int depth);

void RenderName(const ast::QualifiedName& name, std::string* out) {
  for (size_t i = 0; i < name.parts.size(); ++i) {
    if (i) *out += ".";
    *out += name.parts[i].name;
  }
}

void RenderList(const std::vector<ast::ExprPtr>& list, std::string* out, int depth) {
  for (size_t i = 0; i < list.size(); ++i) {
    if (i) *out += ", ";
    Render(list[i].get(), out, depth);
  }
}

void RenderOrder(const std::vector<ast::OrderByItem>& items, std::string* out, int depth) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) *out += ", ";
    Render(items[i].expr.get(), out, depth);
    if (!items[i].ascending) *out += " DESC";
    if (items[i].nulls_first.has_value()) {
      *out += *items[i].nulls_first ? " NULLS FIRST" : " NULLS LAST";
    }
  }
}

std::string RenderType(const ast::TypeName& t) {
  if (t.element) return RenderType(*t.element) + "[]";
  std::string s = ToUpper(t.name);
  if (!t.params.empty()) {
    s += "(";
    for (size_t i = 0; i < t.params.size(); ++i) {
      if (i) s += ",";
      s += std::to_string(t.params[i]);
    }
    s += ")";
  }
  return s;
}

void Render(const ast::Expr* e, std::string* out, int depth) {
  if (!e) {
    *out += "?";
    return;
  }
  if (depth > kMaxRenderDepth) {
    *out += "...";
    return;
  }
  ++depth;
  switch (e->kind) {
    case ast::ExprKind::kColumnRef:
      *out += static_cast<const ast::ColumnRefExpr*>(e)->name.parts.empty()
                  ? "?"
                  : static_cast<const ast::ColumnRefExpr*>(e)->name.parts.back().name;
      return;
    case ast::ExprKind::kStar: {
      const auto* s = static_cast<const ast::StarExpr*>(e);
      if (s->qualifier) {
        RenderName(*s->qualifier, out);
        *out += ".";
      }
      *out += "*";
      return;
    }
    case ast::ExprKind::kLiteral: {
      const auto* l = static_cast<const ast::LiteralExpr*>(e);
      switch (l->literal_kind) {
        case ast::LiteralKind::kNull: *out += "NULL"; return;
        case ast::LiteralKind::kBool: *out += l->bool_value ? "true" : "false"; return;
        case ast::LiteralKind::kInteger:
        case ast::LiteralKind::kDecimal: *out += l->text; return;
        case ast::LiteralKind::kString: {
          *out += "'";
          for (char c : l->text) {
            if (c == '\'') *out += "'";
            *out += c;
          }
          *out += "'";
          return;
        }
        case ast::LiteralKind::kTyped:
          *out += ToUpper(l->type_name) + " '" + l->text + "'";
          return;
        case ast::LiteralKind::kInterval:
          *out += "INTERVAL '" + l->text + "'";
          if (!l->unit.empty()) *out += " " + ToUpper(l->unit);
          if (!l->unit_to.empty()) *out += " TO " + ToUpper(l->unit_to);
          return;
      }
      return;
    }
    case ast::ExprKind::kParameter:
      *out += "$" + std::to_string(static_cast<const ast::ParameterExpr*>(e)->index);
      return;
    case ast::ExprKind::kFunction: {
      const auto* f = static_cast<const ast::FunctionExpr*>(e);
      std::string name = f->name.parts.empty() ? "?" : ToLower(f->name.parts.back().name);
      if (f->star || (name == "count" && f->args.size() == 1 && f->args[0] &&
                      f->args[0]->kind == ast::ExprKind::kStar)) {
        *out += "count_star()";
      } else {
        *out += name + "(";
        if (f->distinct) *out += "DISTINCT ";
        RenderList(f->args, out, depth);
        if (!f->order_by.empty()) {
          *out += " ORDER BY ";
          RenderOrder(f->order_by, out, depth);
        }
        *out += ")";
      }
      if (f->filter) {
        *out += " FILTER (WHERE ";
        Render(f->filter.get(), out, depth);
        *out += ")";
      }
      if (f->ignore_nulls) *out += " IGNORE NULLS";
      if (f->over) {
        const ast::WindowSpec& w = *f->over;
        *out += " OVER ";
        if (w.name && w.partition_by.empty() && w.order_by.empty() && !w.frame) {
          *out += w.name->name;
          return;
        }
        *out += "(";
        bool space = false;
        if (w.name) {
          *out += w.name->name;
          space = true;
        }
        if (!w.partition_by.empty()) {
          *out += space ? " PARTITION BY " : "PARTITION BY ";
          RenderList(w.partition_by, out, depth);
          space = true;
        }
        if (!w.order_by.empty()) {
          *out += space ? " ORDER BY " : "ORDER BY ";
          RenderOrder(w.order_by, out, depth);
        }
        *out += ")";
      }
      return;
    }
    case ast::ExprKind::kUnary: {
      const auto* u = static_cast<const ast::UnaryExpr*>(e);
      *out += u->op == ast::UnaryOp::kNot ? "(NOT " : u->op == ast::UnaryOp::kMinus ? "(-" : "(+";
      Render(u->operand.get(), out, depth);
      *out += ")";
      return;
    }
    case ast::ExprKind::kBinary: {
      const auto* b = static_cast<const ast::BinaryExpr*>(e);
      *out += "(";
      Render(b->left.get(), out, depth);
      *out += " ";
      *out += BinaryOpToString(b->op);
      *out += " ";
      Render(b->right.get(), out, depth);
      *out += ")";
      return;
    }
    case ast::ExprKind::kCast: {
      const auto* c = static_cast<const ast::CastExpr*>(e);
      *out += c->try_cast ? "TRY_CAST(" : "CAST(";
      Render(c->operand.get(), out, depth);
      *out += " AS " + RenderType(c->type) + ")";
      return;
    }
    case ast::ExprKind::kCase: {
      const auto* c = static_cast<const ast::CaseExpr*>(e);
      *out += "CASE";
      if (c->operand) {
        *out += " ";
        Render(c->operand.get(), out, depth);
      }
      for (const auto& [w, t] : c->when_then) {
        *out += " WHEN ";
        Render(w.get(), out, depth);
        *out += " THEN ";
        Render(t.get(), out, depth);
      }
      if (c->else_expr) {
        *out += " ELSE ";
        Render(c->else_expr.get(), out, depth);
      }
      *out += " END";
      return;
    }
    case ast::ExprKind::kBetween: {
      const auto* b = static_cast<const ast::BetweenExpr*>(e);
      *out += "(";
      Render(b->operand.get(), out, depth);
      *out += b->negated ? " NOT BETWEEN " : " BETWEEN ";
      Render(b->low.get(), out, depth);
      *out += " AND ";
      Render(b->high.get(), out, depth);
      *out += ")";
      return;
    }
    case ast::ExprKind::kInList: {
      const auto* in = static_cast<const ast::InListExpr*>(e);
      *out += "(";
      Render(in->operand.get(), out, depth);
      *out += in->negated ? " NOT IN (" : " IN (";
      RenderList(in->list, out, depth);
      *out += "))";
      return;
    }
    case ast::ExprKind::kInSubquery: {
      const auto* in = static_cast<const ast::InSubqueryExpr*>(e);
      *out += "(";
      Render(in->operand.get(), out, depth);
      *out += in->negated ? " NOT IN (SELECT ...))" : " IN (SELECT ...))";
      return;
    }
    case ast::ExprKind::kExists:
      *out += static_cast<const ast::ExistsExpr*>(e)->negated ? "NOT EXISTS(SELECT ...)"
                                                              : "EXISTS(SELECT ...)";
      return;
    case ast::ExprKind::kSubquery:
      *out += "(SELECT ...)";
      return;
    case ast::ExprKind::kQuantified: {
      const auto* q = static_cast<const ast::QuantifiedExpr*>(e);
      *out += "(";
      Render(q->operand.get(), out, depth);
      *out += " ";
      *out += BinaryOpToString(q->op);
      *out += q->all ? " ALL(SELECT ...))" : " ANY(SELECT ...))";
      return;
    }
    case ast::ExprKind::kIsNull: {
      const auto* n = static_cast<const ast::IsNullExpr*>(e);
      *out += "(";
      Render(n->operand.get(), out, depth);
      *out += n->negated ? " IS NOT NULL)" : " IS NULL)";
      return;
    }
    case ast::ExprKind::kIsBool: {
      const auto* n = static_cast<const ast::IsBoolExpr*>(e);
      *out += "(";
      Render(n->operand.get(), out, depth);
      *out += n->negated ? " IS NOT " : " IS ";
      *out += !n->value.has_value() ? "UNKNOWN)" : *n->value ? "TRUE)" : "FALSE)";
      return;
    }
    case ast::ExprKind::kIsDistinctFrom: {
      const auto* d = static_cast<const ast::IsDistinctFromExpr*>(e);
      *out += "(";
      Render(d->left.get(), out, depth);
      *out += d->negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ";
      Render(d->right.get(), out, depth);
      *out += ")";
      return;
    }
    case ast::ExprKind::kLike: {
      const auto* l = static_cast<const ast::LikeExpr*>(e);
      *out += "(";
      Render(l->operand.get(), out, depth);
      *out += l->negated ? " NOT" : "";
      *out += l->case_insensitive ? " ILIKE " : " LIKE ";
      Render(l->pattern.get(), out, depth);
      if (l->escape) {
        *out += " ESCAPE ";
        Render(l->escape.get(), out, depth);
      }
      *out += ")";
      return;
    }
    case ast::ExprKind::kArray: {
      *out += "[";
      RenderList(static_cast<const ast::ArrayExpr*>(e)->elements, out, depth);
      *out += "]";
      return;
    }
  }
}

}  // namespace

std::string ExpressionDisplayName(const ast::Expr& expr) {
  std::string out;
  Render(&expr, &out, 0);
  return out;
}

}  // namespace shoal
