#include "shoal/planner/expression.h"

#include <algorithm>
#include <sstream>

#include <arrow/compute/api_scalar.h>

#include "shoal/planner/logical_plan.h"

namespace shoal::plan {

namespace {

std::string JoinExprs(const std::vector<ExprPtr>& exprs, const char* sep = ", ") {
  std::string out;
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i) out += sep;
    out += exprs[i] ? exprs[i]->ToString() : "<null>";
  }
  return out;
}

bool IsInfixOperator(const std::string& name) {
  static const char* kOps[] = {"+", "-", "*", "/", "%", "||", "=", "<>", "<", "<=", ">", ">=",
                               "AND", "OR", "and", "or", "LIKE", "ILIKE", "NOT LIKE",
                               "NOT ILIKE", "IS DISTINCT FROM", "IS NOT DISTINCT FROM"};
  for (const char* op : kOps) {
    if (name == op) return true;
  }
  return false;
}

std::string FrameBoundToString(const FrameBound& b) {
  switch (b.kind) {
    case FrameBoundKind::kUnboundedPreceding: return "UNBOUNDED PRECEDING";
    case FrameBoundKind::kPreceding: return (b.offset ? b.offset->ToString() : "?") + " PRECEDING";
    case FrameBoundKind::kCurrentRow: return "CURRENT ROW";
    case FrameBoundKind::kFollowing: return (b.offset ? b.offset->ToString() : "?") + " FOLLOWING";
    case FrameBoundKind::kUnboundedFollowing: return "UNBOUNDED FOLLOWING";
  }
  return "?";
}

}  // namespace

std::string ColumnRefExpr::ToString() const { return name + "@" + std::to_string(id); }

ExprPtr ColumnRefExpr::WithChildren(std::vector<ExprPtr>) const {
  return std::make_shared<ColumnRefExpr>(*this);
}

std::string LiteralExpr::ToString() const {
  if (!value->is_valid) return "NULL";
  std::string s = value->ToString();
  switch (value->type->id()) {
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
      return "'" + s + "'";
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
      return "DATE '" + s + "'";
    case arrow::Type::TIMESTAMP:
      return "TIMESTAMP '" + s + "'";
    default:
      return s;
  }
}

ExprPtr LiteralExpr::WithChildren(std::vector<ExprPtr>) const {
  return std::make_shared<LiteralExpr>(*this);
}

std::string CallExpr::ToString() const {
  // The rendering must identify the call exactly (options included): plans are
  // compared and sub-expressions deduplicated by it.
  const std::string& name = display_name.empty() ? function : display_name;
  if (options && args.size() == 1) {
    if (auto* set = dynamic_cast<const arrow::compute::SetLookupOptions*>(options.get())) {
      std::string values;
      if (set->value_set.is_array()) {
        auto arr = set->value_set.make_array();
        for (int64_t i = 0; i < arr->length(); ++i) {
          auto sc = arr->GetScalar(i);
          if (!sc.ok()) continue;
          values += (i ? ", " : "") + LiteralExpr(*sc).ToString();
        }
      } else {
        values = set->value_set.ToString();
      }
      return args[0]->ToString() + " IN (" + values + ")";
    }
    if (auto* like = dynamic_cast<const arrow::compute::MatchSubstringOptions*>(options.get())) {
      return args[0]->ToString() + " " + name + " '" + like->pattern + "'" +
             (like->ignore_case ? " (ignore case)" : "");
    }
  }
  std::string suffix = options ? "; " + options->ToString() : "";
  if (args.size() == 2 && IsInfixOperator(name) && !options) {
    return "(" + args[0]->ToString() + " " + name + " " + args[1]->ToString() + ")";
  }
  if (args.size() == 1 && (name == "NOT" || name == "not") && !options) {
    return "NOT " + args[0]->ToString();
  }
  if (args.size() == 1 && name == "negate" && !options) return "-" + args[0]->ToString();
  return name + "(" + JoinExprs(args) + suffix + ")";
}

ExprPtr CallExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<CallExpr>(*this);
  out->args = std::move(c);
  return out;
}

std::string CastExpr::ToString() const {
  return std::string(try_cast ? "TRY_CAST(" : "CAST(") + arg->ToString() + " AS " +
         type->ToString() + ")";
}

ExprPtr CastExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<CastExpr>(*this);
  out->arg = std::move(c.at(0));
  return out;
}

std::string CaseExpr::ToString() const {
  std::string out = "CASE";
  for (const auto& [w, t] : when_then) {
    out += " WHEN " + w->ToString() + " THEN " + t->ToString();
  }
  if (else_expr) out += " ELSE " + else_expr->ToString();
  return out + " END";
}

std::vector<ExprPtr> CaseExpr::children() const {
  std::vector<ExprPtr> out;
  for (const auto& [w, t] : when_then) {
    out.push_back(w);
    out.push_back(t);
  }
  out.push_back(else_expr);
  return out;
}

ExprPtr CaseExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<CaseExpr>(*this);
  for (size_t i = 0; i < out->when_then.size(); ++i) {
    out->when_then[i].first = c.at(2 * i);
    out->when_then[i].second = c.at(2 * i + 1);
  }
  out->else_expr = c.at(2 * out->when_then.size());
  return out;
}

std::string SortKey::ToString() const {
  return expr->ToString() + (ascending ? " ASC" : " DESC") +
         (nulls_first ? " NULLS FIRST" : " NULLS LAST");
}

namespace {
std::string SortKeysToString(const std::vector<SortKey>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    out += keys[i].ToString();
  }
  return out;
}
}  // namespace

std::string AggregateExpr::ToString() const {
  std::string out = function + "(";
  if (distinct) out += "DISTINCT ";
  out += args.empty() ? "*" : JoinExprs(args);
  if (!order_by.empty()) out += " ORDER BY " + SortKeysToString(order_by);
  out += ")";
  if (filter) out += " FILTER (WHERE " + filter->ToString() + ")";
  return out;
}

std::vector<ExprPtr> AggregateExpr::children() const {
  std::vector<ExprPtr> out = args;
  if (filter) out.push_back(filter);
  for (const auto& k : order_by) out.push_back(k.expr);
  return out;
}

ExprPtr AggregateExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<AggregateExpr>(*this);
  size_t i = 0;
  for (auto& a : out->args) a = c.at(i++);
  if (out->filter) out->filter = c.at(i++);
  for (auto& k : out->order_by) k.expr = c.at(i++);
  return out;
}

std::string WindowExpr::ToString() const {
  std::string out = function + "(";
  if (distinct) out += "DISTINCT ";
  out += JoinExprs(args) + ")";
  if (ignore_nulls) out += " IGNORE NULLS";
  if (filter) out += " FILTER (WHERE " + filter->ToString() + ")";
  out += " OVER (";
  bool space = false;
  if (!partition_by.empty()) {
    out += "PARTITION BY " + JoinExprs(partition_by);
    space = true;
  }
  if (!order_by.empty()) {
    out += std::string(space ? " " : "") + "ORDER BY " + SortKeysToString(order_by);
    space = true;
  }
  if (has_frame) {
    const char* unit = frame.unit == FrameUnit::kRows    ? "ROWS"
                       : frame.unit == FrameUnit::kRange ? "RANGE"
                                                         : "GROUPS";
    out += std::string(space ? " " : "") + unit + " BETWEEN " + FrameBoundToString(frame.start) +
           " AND " + FrameBoundToString(frame.end);
  }
  return out + ")";
}

std::vector<ExprPtr> WindowExpr::children() const {
  std::vector<ExprPtr> out = args;
  if (filter) out.push_back(filter);
  for (const auto& p : partition_by) out.push_back(p);
  for (const auto& k : order_by) out.push_back(k.expr);
  return out;
}

ExprPtr WindowExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<WindowExpr>(*this);
  size_t i = 0;
  for (auto& a : out->args) a = c.at(i++);
  if (out->filter) out->filter = c.at(i++);
  for (auto& p : out->partition_by) p = c.at(i++);
  for (auto& k : out->order_by) k.expr = c.at(i++);
  return out;
}

std::string SubqueryExpr::ToString() const {
  std::string body = "(subquery)";
  switch (subquery_kind) {
    case SubqueryKind::kScalar:
      return "SCALAR" + body;
    case SubqueryKind::kExists:
      return std::string(negated ? "NOT " : "") + "EXISTS" + body;
    case SubqueryKind::kIn:
      return operand->ToString() + (negated ? " NOT IN " : " IN ") + body;
    case SubqueryKind::kQuantified:
      return operand->ToString() + " " + comparison + (all ? " ALL" : " ANY") + body;
  }
  return body;
}

std::vector<ExprPtr> SubqueryExpr::children() const {
  if (operand) return {operand};
  return {};
}

ExprPtr SubqueryExpr::WithChildren(std::vector<ExprPtr> c) const {
  auto out = std::make_shared<SubqueryExpr>(*this);
  if (out->operand) out->operand = c.at(0);
  return out;
}

// ---------------------------------------------------------------------------

ExprPtr MakeColumnRef(ColumnId id, std::string name, std::shared_ptr<arrow::DataType> type,
                      bool nullable) {
  auto e = std::make_shared<ColumnRefExpr>(id, std::move(name), std::move(type));
  e->nullable = nullable;
  return e;
}

ExprPtr MakeLiteral(std::shared_ptr<arrow::Scalar> value) {
  return std::make_shared<LiteralExpr>(std::move(value));
}

ExprPtr MakeBoolLiteral(bool value) {
  return MakeLiteral(std::make_shared<arrow::BooleanScalar>(value));
}

ExprPtr MakeNullLiteral(std::shared_ptr<arrow::DataType> type) {
  return MakeLiteral(arrow::MakeNullScalar(std::move(type)));
}

ExprPtr MakeAnd(ExprPtr a, ExprPtr b) {
  if (!a) return b;
  if (!b) return a;
  auto e = std::make_shared<CallExpr>("and_kleene", std::vector<ExprPtr>{a, b}, arrow::boolean(),
                                      nullptr, "AND");
  e->nullable = a->nullable || b->nullable;
  return e;
}

ExprPtr MakeConjunction(const std::vector<ExprPtr>& terms) {
  ExprPtr out;
  for (const auto& t : terms) out = MakeAnd(out, t);
  return out ? out : MakeBoolLiteral(true);
}

ExprPtr MakeComparison(const std::string& op, ExprPtr a, ExprPtr b) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"equal", "="}, {"not_equal", "<>"}, {"less", "<"}, {"less_equal", "<="},
      {"greater", ">"}, {"greater_equal", ">="}};
  std::string display = op;
  for (const auto& [fn, sym] : kNames) {
    if (op == fn) display = sym;
  }
  auto e = std::make_shared<CallExpr>(op, std::vector<ExprPtr>{a, b}, arrow::boolean(), nullptr,
                                      display);
  e->nullable = a->nullable || b->nullable;
  return e;
}

void SplitConjunction(const ExprPtr& expr, std::vector<ExprPtr>* out) {
  if (!expr) return;
  if (expr->kind == ExprKind::kCall) {
    const auto& call = static_cast<const CallExpr&>(*expr);
    if ((call.function == "and_kleene" || call.function == "and") && call.args.size() == 2) {
      SplitConjunction(call.args[0], out);
      SplitConjunction(call.args[1], out);
      return;
    }
  }
  out->push_back(expr);
}

void CollectColumnIds(const ExprPtr& expr, std::vector<ColumnId>* out) {
  if (!expr) return;
  if (expr->kind == ExprKind::kColumnRef) {
    out->push_back(static_cast<const ColumnRefExpr&>(*expr).id);
    return;
  }
  if (expr->kind == ExprKind::kSubquery) {
    // Correlated outer references count as references of the enclosing expression.
    const auto& sub = static_cast<const SubqueryExpr&>(*expr);
    for (ColumnId id : sub.correlated_columns) out->push_back(id);
  }
  for (const auto& c : expr->children()) CollectColumnIds(c, out);
}

bool ReferencesOnly(const ExprPtr& expr, const std::vector<ColumnId>& available) {
  std::vector<ColumnId> ids;
  CollectColumnIds(expr, &ids);
  for (ColumnId id : ids) {
    if (std::find(available.begin(), available.end(), id) == available.end()) return false;
  }
  return true;
}

bool ContainsKind(const ExprPtr& expr, ExprKind kind) {
  if (!expr) return false;
  if (expr->kind == kind) return true;
  for (const auto& c : expr->children()) {
    if (ContainsKind(c, kind)) return true;
  }
  return false;
}

bool IsConstant(const ExprPtr& expr) {
  if (!expr) return false;
  switch (expr->kind) {
    case ExprKind::kLiteral:
      return true;
    case ExprKind::kColumnRef:
    case ExprKind::kAggregate:
    case ExprKind::kWindow:
    case ExprKind::kSubquery:
      return false;
    case ExprKind::kCall:
      if (static_cast<const CallExpr&>(*expr).volatile_) return false;
      break;
    default:
      break;
  }
  for (const auto& c : expr->children()) {
    if (!IsConstant(c)) return false;
  }
  return true;
}

ExprPtr RemapColumns(const ExprPtr& expr, const std::unordered_map<ColumnId, ExprPtr>& map) {
  if (!expr) return expr;
  if (expr->kind == ExprKind::kColumnRef) {
    auto it = map.find(static_cast<const ColumnRefExpr&>(*expr).id);
    return it == map.end() ? expr : it->second;
  }
  auto kids = expr->children();
  if (kids.empty()) return expr;
  bool changed = false;
  for (auto& k : kids) {
    auto n = RemapColumns(k, map);
    if (n != k) {
      k = std::move(n);
      changed = true;
    }
  }
  return changed ? expr->WithChildren(std::move(kids)) : expr;
}

bool ExprEquals(const ExprPtr& a, const ExprPtr& b) {
  if (a == b) return true;
  if (!a || !b) return false;
  if (a->kind != b->kind || !a->type->Equals(*b->type)) return false;
  switch (a->kind) {
    case ExprKind::kColumnRef:
      return static_cast<const ColumnRefExpr&>(*a).id == static_cast<const ColumnRefExpr&>(*b).id;
    case ExprKind::kLiteral: {
      const auto& x = static_cast<const LiteralExpr&>(*a);
      const auto& y = static_cast<const LiteralExpr&>(*b);
      return x.value->Equals(*y.value);
    }
    case ExprKind::kCall: {
      const auto& x = static_cast<const CallExpr&>(*a);
      const auto& y = static_cast<const CallExpr&>(*b);
      if (x.function != y.function || x.volatile_ || y.volatile_) return false;
      if ((x.options == nullptr) != (y.options == nullptr)) return false;
      if (x.options && !x.options->Equals(*y.options)) return false;
      break;
    }
    case ExprKind::kCast:
      if (static_cast<const CastExpr&>(*a).try_cast != static_cast<const CastExpr&>(*b).try_cast)
        return false;
      break;
    case ExprKind::kAggregate: {
      const auto& x = static_cast<const AggregateExpr&>(*a);
      const auto& y = static_cast<const AggregateExpr&>(*b);
      if (x.function != y.function || x.distinct != y.distinct) return false;
      if ((x.filter == nullptr) != (y.filter == nullptr)) return false;
      if (x.order_by.size() != y.order_by.size()) return false;
      for (size_t i = 0; i < x.order_by.size(); ++i) {
        if (x.order_by[i].ascending != y.order_by[i].ascending ||
            x.order_by[i].nulls_first != y.order_by[i].nulls_first)
          return false;
      }
      break;
    }
    case ExprKind::kWindow:
    case ExprKind::kSubquery:
      return false;  // never merged
    default:
      break;
  }
  auto ca = a->children();
  auto cb = b->children();
  if (ca.size() != cb.size()) return false;
  for (size_t i = 0; i < ca.size(); ++i) {
    if (!ExprEquals(ca[i], cb[i])) return false;
  }
  return true;
}

}  // namespace shoal::plan
