// Printing expressions, names, types and window specs.
#include "shoal/common/strings.h"
#include "shoal/parser/lexer.h"
#include "shoal/parser/parser_internal.h"
#include "shoal/parser/printer_internal.h"

namespace shoal::sql {

namespace {

constexpr int kPrecUnaryMinus = 8;
constexpr int kPrecDoubleColon = 9;
constexpr int kPrecAtom = 10;

bool IsBareWord(const std::string& s) {
  if (s.empty()) return false;
  auto first = static_cast<unsigned char>(s[0]);
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') || first == '_' ||
        first >= 0x80)) {
    return false;
  }
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '$' || c >= 0x80)) {
      return false;
    }
  }
  return true;
}

int BinaryPrecedence(ast::BinaryOp op) {
  switch (op) {
    case ast::BinaryOp::kOr: return kPrecOr;
    case ast::BinaryOp::kAnd: return kPrecAnd;
    case ast::BinaryOp::kConcat: return kPrecConcat;
    case ast::BinaryOp::kAdd:
    case ast::BinaryOp::kSub: return kPrecAdditive;
    case ast::BinaryOp::kMul:
    case ast::BinaryOp::kDiv:
    case ast::BinaryOp::kMod: return kPrecMultiplicative;
    default: return kPrecComparison;
  }
}

std::string Upper(const std::string& s) { return ToUpper(s); }

}  // namespace

int ExprPrecedence(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kBinary:
      return BinaryPrecedence(static_cast<const ast::BinaryExpr&>(e).op);
    case ast::ExprKind::kUnary:
      return static_cast<const ast::UnaryExpr&>(e).op == ast::UnaryOp::kNot ? kPrecNot
                                                                             : kPrecUnaryMinus;
    case ast::ExprKind::kBetween:
    case ast::ExprKind::kInList:
    case ast::ExprKind::kInSubquery:
    case ast::ExprKind::kLike:
    case ast::ExprKind::kIsNull:
    case ast::ExprKind::kIsBool:
    case ast::ExprKind::kIsDistinctFrom:
    case ast::ExprKind::kQuantified:
      return kPrecComparison;
    case ast::ExprKind::kExists:
      return static_cast<const ast::ExistsExpr&>(e).negated ? kPrecNot : kPrecAtom;
    case ast::ExprKind::kCast:
      return static_cast<const ast::CastExpr&>(e).double_colon ? kPrecDoubleColon : kPrecAtom;
    default:
      return kPrecAtom;
  }
}

std::string SqlPrinter::Identifier(const ast::Identifier& id) const {
  if (!id.quoted && IsBareWord(id.name) && !IsReservedKeyword(id.name)) return id.name;
  char q = dialect_ == SqlDialect::kSpark ? '`' : '"';
  std::string out(1, q);
  for (char c : id.name) {
    out.push_back(c);
    if (c == q) out.push_back(q);
  }
  out.push_back(q);
  return out;
}

std::string SqlPrinter::Name(const ast::QualifiedName& name) const {
  std::string out;
  for (size_t i = 0; i < name.parts.size(); ++i) {
    if (i > 0) out += ".";
    out += Identifier(name.parts[i]);
  }
  return out;
}

std::string SqlPrinter::StringLiteral(const std::string& s) const {
  std::string out = "'";
  for (char c : s) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  out.push_back('\'');
  return out;
}

std::string SqlPrinter::Type(const ast::TypeName& type) const {
  if (type.element) {
    if (dialect_ == SqlDialect::kSpark) return "ARRAY<" + Type(*type.element) + ">";
    return Type(*type.element) + "[]";
  }
  std::string out = IsBareWord(type.name) ? Upper(type.name) : Identifier({type.name, true, {}});
  if (!type.params.empty()) {
    out += "(";
    for (size_t i = 0; i < type.params.size(); ++i) {
      if (i > 0) out += ", ";
      out += std::to_string(type.params[i]);
    }
    out += ")";
  }
  return out;
}

std::string SqlPrinter::ExprList(const std::vector<ast::ExprPtr>& exprs) const {
  std::string out;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i > 0) out += ", ";
    out += Expr(*exprs[i]);
  }
  return out;
}

std::string SqlPrinter::OrderBy(const std::vector<ast::OrderByItem>& items) const {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += Expr(*items[i].expr);
    if (!items[i].ascending) out += " DESC";
    if (items[i].nulls_first.has_value()) {
      out += *items[i].nulls_first ? " NULLS FIRST" : " NULLS LAST";
    }
  }
  return out;
}

namespace {

std::string FrameBound(const SqlPrinter& p, const ast::FrameBound& b) {
  switch (b.kind) {
    case ast::FrameBoundKind::kUnboundedPreceding: return "UNBOUNDED PRECEDING";
    case ast::FrameBoundKind::kUnboundedFollowing: return "UNBOUNDED FOLLOWING";
    case ast::FrameBoundKind::kCurrentRow: return "CURRENT ROW";
    case ast::FrameBoundKind::kPreceding: return p.Expr(*b.offset) + " PRECEDING";
    case ast::FrameBoundKind::kFollowing: return p.Expr(*b.offset) + " FOLLOWING";
  }
  return "";
}

}  // namespace

std::string SqlPrinter::WindowBody(const ast::WindowSpec& spec) const {
  std::vector<std::string> parts;
  if (spec.name) parts.push_back(Identifier(*spec.name));
  if (!spec.partition_by.empty()) parts.push_back("PARTITION BY " + ExprList(spec.partition_by));
  if (!spec.order_by.empty()) parts.push_back("ORDER BY " + OrderBy(spec.order_by));
  if (spec.frame) {
    const auto& f = *spec.frame;
    std::string unit = f.unit == ast::FrameUnit::kRows    ? "ROWS"
                       : f.unit == ast::FrameUnit::kRange ? "RANGE"
                                                          : "GROUPS";
    parts.push_back(unit + " BETWEEN " + FrameBound(*this, f.start) + " AND " +
                    FrameBound(*this, f.end));
  }
  return "(" + Join(parts, " ") + ")";
}

std::string SqlPrinter::Literal(const ast::LiteralExpr& lit) const {
  switch (lit.literal_kind) {
    case ast::LiteralKind::kNull: return "NULL";
    case ast::LiteralKind::kBool: return lit.bool_value ? "TRUE" : "FALSE";
    case ast::LiteralKind::kInteger:
    case ast::LiteralKind::kDecimal: return lit.text;
    case ast::LiteralKind::kString: return StringLiteral(lit.text);
    case ast::LiteralKind::kTyped: return Upper(lit.type_name) + " " + StringLiteral(lit.text);
    case ast::LiteralKind::kInterval: {
      std::string out = "INTERVAL " + StringLiteral(lit.text);
      if (!lit.unit.empty()) out += " " + Upper(lit.unit);
      if (!lit.unit_to.empty()) out += " TO " + Upper(lit.unit_to);
      return out;
    }
  }
  return "NULL";
}

std::string SqlPrinter::Function(const ast::FunctionExpr& f) const {
  static constexpr std::string_view kBare[] = {"current_date", "current_time",
                                               "current_timestamp", "localtime",
                                               "localtimestamp"};
  std::string out;
  if (f.name.parts.size() == 1 && !f.name.parts[0].quoted) {
    const std::string& n = f.name.parts[0].name;
    bool plain = f.args.empty() && !f.star && !f.distinct && f.order_by.empty() && !f.filter &&
                 !f.over && !f.ignore_nulls;
    for (auto bare : kBare) {
      if (plain && EqualsIgnoreCase(n, bare)) return Upper(n);
    }
    // left(...) and right(...) are calls although LEFT and RIGHT are reserved words.
    out = IsBareWord(n) && (EqualsIgnoreCase(n, "left") || EqualsIgnoreCase(n, "right"))
              ? n
              : Identifier(f.name.parts[0]);
  } else {
    out = Name(f.name);
  }
  out += "(";
  if (f.star) {
    out += "*";
  } else {
    if (f.distinct) out += "DISTINCT ";
    out += ExprList(f.args);
    if (!f.order_by.empty()) out += " ORDER BY " + OrderBy(f.order_by);
  }
  out += ")";
  if (f.filter) out += " FILTER (WHERE " + Expr(*f.filter) + ")";
  if (f.ignore_nulls) out += " IGNORE NULLS";
  if (f.over) {
    const auto& w = *f.over;
    bool name_only = w.name && w.partition_by.empty() && w.order_by.empty() && !w.frame;
    out += " OVER " + (name_only ? Identifier(*w.name) : WindowBody(w));
  }
  return out;
}

std::string SqlPrinter::Expr(const ast::Expr& e, int min_prec) const {
  int prec = ExprPrecedence(e);
  std::string out;
  switch (e.kind) {
    case ast::ExprKind::kColumnRef:
      out = Name(static_cast<const ast::ColumnRefExpr&>(e).name);
      break;
    case ast::ExprKind::kStar: {
      const auto& s = static_cast<const ast::StarExpr&>(e);
      out = s.qualifier ? Name(*s.qualifier) + ".*" : "*";
      if (!s.exclude.empty()) out += " EXCLUDE " + IdentifierList(s.exclude);
      break;
    }
    case ast::ExprKind::kLiteral:
      out = Literal(static_cast<const ast::LiteralExpr&>(e));
      break;
    case ast::ExprKind::kParameter:
      out = "$" + std::to_string(static_cast<const ast::ParameterExpr&>(e).index);
      break;
    case ast::ExprKind::kFunction:
      out = Function(static_cast<const ast::FunctionExpr&>(e));
      break;
    case ast::ExprKind::kUnary: {
      const auto& u = static_cast<const ast::UnaryExpr&>(e);
      if (u.op == ast::UnaryOp::kNot) {
        out = "NOT " + Expr(*u.operand, kPrecNot);
      } else {
        std::string operand = Expr(*u.operand, kPrecUnaryMinus);
        if (!operand.empty() && (operand[0] == '-' || operand[0] == '+')) {
          operand = "(" + operand + ")";
        }
        out = (u.op == ast::UnaryOp::kMinus ? "-" : "+") + operand;
      }
      break;
    }
    case ast::ExprKind::kBinary: {
      const auto& b = static_cast<const ast::BinaryExpr&>(e);
      int left_prec = prec == kPrecComparison ? prec + 1 : prec;
      out = Expr(*b.left, left_prec) + " " + ast::BinaryOpToString(b.op) + " " +
            Expr(*b.right, prec + 1);
      break;
    }
    case ast::ExprKind::kCast: {
      const auto& c = static_cast<const ast::CastExpr&>(e);
      if (c.double_colon) {
        out = Expr(*c.operand, kPrecDoubleColon) + "::" + Type(c.type);
      } else {
        out = std::string(c.try_cast ? "TRY_CAST(" : "CAST(") + Expr(*c.operand) + " AS " +
              Type(c.type) + ")";
      }
      break;
    }
    case ast::ExprKind::kCase: {
      const auto& c = static_cast<const ast::CaseExpr&>(e);
      out = "CASE";
      if (c.operand) out += " " + Expr(*c.operand);
      for (const auto& [when, then] : c.when_then) {
        out += " WHEN " + Expr(*when) + " THEN " + Expr(*then);
      }
      if (c.else_expr) out += " ELSE " + Expr(*c.else_expr);
      out += " END";
      break;
    }
    case ast::ExprKind::kBetween: {
      const auto& b = static_cast<const ast::BetweenExpr&>(e);
      out = Expr(*b.operand, kPrecComparison + 1) + (b.negated ? " NOT BETWEEN " : " BETWEEN ") +
            Expr(*b.low, kPrecComparison + 1) + " AND " + Expr(*b.high, kPrecComparison + 1);
      break;
    }
    case ast::ExprKind::kInList: {
      const auto& in = static_cast<const ast::InListExpr&>(e);
      out = Expr(*in.operand, kPrecComparison + 1) + (in.negated ? " NOT IN (" : " IN (") +
            ExprList(in.list) + ")";
      break;
    }
    case ast::ExprKind::kInSubquery: {
      const auto& in = static_cast<const ast::InSubqueryExpr&>(e);
      out = Expr(*in.operand, kPrecComparison + 1) + (in.negated ? " NOT IN (" : " IN (") +
            Query(*in.subquery) + ")";
      break;
    }
    case ast::ExprKind::kExists: {
      const auto& ex = static_cast<const ast::ExistsExpr&>(e);
      out = std::string(ex.negated ? "NOT EXISTS (" : "EXISTS (") + Query(*ex.subquery) + ")";
      break;
    }
    case ast::ExprKind::kSubquery:
      out = "(" + Query(*static_cast<const ast::SubqueryExpr&>(e).subquery) + ")";
      break;
    case ast::ExprKind::kQuantified: {
      const auto& q = static_cast<const ast::QuantifiedExpr&>(e);
      out = Expr(*q.operand, kPrecComparison + 1) + " " + ast::BinaryOpToString(q.op) +
            (q.all ? " ALL (" : " ANY (") + Query(*q.subquery) + ")";
      break;
    }
    case ast::ExprKind::kIsNull: {
      const auto& n = static_cast<const ast::IsNullExpr&>(e);
      out = Expr(*n.operand, kPrecComparison + 1) + (n.negated ? " IS NOT NULL" : " IS NULL");
      break;
    }
    case ast::ExprKind::kIsBool: {
      const auto& n = static_cast<const ast::IsBoolExpr&>(e);
      std::string value = !n.value ? "UNKNOWN" : (*n.value ? "TRUE" : "FALSE");
      out = Expr(*n.operand, kPrecComparison + 1) + (n.negated ? " IS NOT " : " IS ") + value;
      break;
    }
    case ast::ExprKind::kIsDistinctFrom: {
      const auto& d = static_cast<const ast::IsDistinctFromExpr&>(e);
      out = Expr(*d.left, kPrecComparison + 1) +
            (d.negated ? " IS NOT DISTINCT FROM " : " IS DISTINCT FROM ") +
            Expr(*d.right, kPrecComparison + 1);
      break;
    }
    case ast::ExprKind::kLike: {
      const auto& l = static_cast<const ast::LikeExpr&>(e);
      out = Expr(*l.operand, kPrecComparison + 1) + (l.negated ? " NOT" : "") +
            (l.case_insensitive ? " ILIKE " : " LIKE ") + Expr(*l.pattern, kPrecComparison + 1);
      if (l.escape) out += " ESCAPE " + Expr(*l.escape, kPrecComparison + 1);
      break;
    }
    case ast::ExprKind::kArray: {
      const auto& a = static_cast<const ast::ArrayExpr&>(e);
      out = std::string(dialect_ == SqlDialect::kPostgres ? "ARRAY[" : "[") + ExprList(a.elements) +
            "]";
      break;
    }
  }
  if (prec < min_prec) return "(" + out + ")";
  return out;
}

std::string SqlPrinter::IdentifierList(const std::vector<ast::Identifier>& ids) const {
  std::string out = "(";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) out += ", ";
    out += Identifier(ids[i]);
  }
  return out + ")";
}

}  // namespace shoal::sql

namespace shoal {

std::string ToSql(const ast::Expr& expr, SqlDialect dialect) {
  return sql::SqlPrinter(dialect).Expr(expr);
}

}  // namespace shoal
