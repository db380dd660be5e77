#include "shoal/optimizer/cardinality.h"

#include <algorithm>
#include <cmath>

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

constexpr double kUnknownTableRows = 1000;

/// Return the column id when `e` is a column (possibly under casts).
const ColumnRefExpr* BaseColumn(const ExprPtr& e) {
  ExprPtr cur = e;
  while (cur && cur->kind == ExprKind::kCast) cur = static_cast<const CastExpr&>(*cur).arg;
  if (cur && cur->kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr*>(cur.get());
  return nullptr;
}

double Ndv(const ExprPtr& e, const NdvMap& ndv) {
  if (const auto* col = BaseColumn(e)) {
    auto it = ndv.find(col->id);
    if (it != ndv.end()) return std::max(1.0, it->second);
  }
  return -1;
}

bool HasColumns(const ExprPtr& e) { return !ReferencedIds(e).empty(); }

}  // namespace

bool IsEquiCondition(const ExprPtr& cond) {
  const auto* call = AsCall(cond);
  if (!call || call->function != "equal" || call->args.size() != 2) return false;
  return HasColumns(call->args[0]) && HasColumns(call->args[1]);
}

double ConditionSelectivity(const ExprPtr& cond, const NdvMap& ndv) {
  if (IsBoolLiteral(cond, true)) return 1.0;
  if (IsBoolLiteral(cond, false) || IsNullLiteral(cond)) return 0.0;
  const auto* call = AsCall(cond);
  if (!call) return 0.5;
  const std::string& fn = call->function;
  if (fn == "and_kleene" || fn == "and") {
    double s = 1;
    for (const auto& a : call->args) s *= ConditionSelectivity(a, ndv);
    return s;
  }
  if (fn == "or_kleene" || fn == "or") {
    double s = 0;
    for (const auto& a : call->args) {
      double t = ConditionSelectivity(a, ndv);
      s = s + t - s * t;
    }
    return s;
  }
  if (fn == "invert" && call->args.size() == 1) {
    return 1.0 - ConditionSelectivity(call->args[0], ndv);
  }
  if (fn == "equal" && call->args.size() == 2) {
    if (IsEquiCondition(cond)) {
      double a = Ndv(call->args[0], ndv);
      double b = Ndv(call->args[1], ndv);
      if (a < 0 && b < 0) return 0.1;
      if (a < 0) return 1.0 / b;
      if (b < 0) return 1.0 / a;
      return 1.0 / std::min(a, b);
    }
    return 0.1;
  }
  if (fn == "not_equal") return 0.9;
  if (fn == "less" || fn == "less_equal" || fn == "greater" || fn == "greater_equal") return 0.3;
  if (fn.find("like") != std::string::npos) return 0.25;
  if (fn == "is_null") return 0.1;
  if (fn == "is_valid" || fn == "is_not_null") return 0.9;
  if (fn == "is_in") return 0.2;
  return 0.5;
}

double InnerJoinRows(double left_rows, double right_rows, const std::vector<ExprPtr>& conditions,
                     const NdvMap& ndv) {
  double eq_sel = 1.0;
  double other_sel = 1.0;
  for (const auto& c : conditions) {
    double s = ConditionSelectivity(c, ndv);
    if (IsEquiCondition(c)) {
      eq_sel = std::min(eq_sel, s);
    } else {
      other_sel *= s;
    }
  }
  return std::max(1.0, left_rows * right_rows * eq_sel * other_sel);
}

CardinalityInfo EstimateCardinality(LogicalOp& op) {
  std::vector<CardinalityInfo> kids;
  kids.reserve(op.children.size());
  for (auto& c : op.children) kids.push_back(EstimateCardinality(*c));
  CardinalityInfo out;
  auto own_columns = [&](size_t from) {
    for (size_t i = from; i < op.output.size(); ++i) out.ndv[op.output[i].id] = out.rows;
  };
  switch (op.kind) {
    case LogicalOpKind::kGet: {
      const auto& get = op.As<LogicalGet>();
      auto stats = get.table ? get.table->statistics() : TableStatistics{};
      out.rows = stats.num_rows ? static_cast<double>(*stats.num_rows) : kUnknownTableRows;
      own_columns(0);
      if (get.limit) out.rows = std::min(out.rows, static_cast<double>(*get.limit));
      break;
    }
    case LogicalOpKind::kFilter: {
      out = kids[0];
      for (const auto& c : op.As<LogicalFilter>().conditions) {
        out.rows *= ConditionSelectivity(c, out.ndv);
      }
      out.rows = std::max(out.rows, std::min(1.0, kids[0].rows));
      break;
    }
    case LogicalOpKind::kProjection: {
      const auto& p = op.As<LogicalProjection>();
      out.rows = kids[0].rows;
      for (size_t i = 0; i < p.exprs.size() && i < op.output.size(); ++i) {
        double n = -1;
        if (p.exprs[i]->kind == ExprKind::kColumnRef) n = Ndv(p.exprs[i], kids[0].ndv);
        out.ndv[op.output[i].id] = n < 0 ? out.rows : n;
      }
      break;
    }
    case LogicalOpKind::kAggregate: {
      const auto& a = op.As<LogicalAggregate>();
      double child = kids[0].rows;
      if (a.groups.empty()) {
        out.rows = 1;
      } else {
        double product = 1;
        for (const auto& g : a.groups) {
          double n = Ndv(g, kids[0].ndv);
          product *= n < 0 ? child : n;
          if (product > child) break;
        }
        double heuristic = child * std::min(1.0, 0.1 * std::pow(3.0, a.groups.size() - 1));
        out.rows = std::max(1.0, std::min({child, product, heuristic}));
        if (!a.grouping_sets.empty()) out.rows *= static_cast<double>(a.grouping_sets.size());
      }
      own_columns(0);
      break;
    }
    case LogicalOpKind::kJoin: {
      const auto& j = op.As<LogicalJoin>();
      NdvMap both = kids[0].ndv;
      both.insert(kids[1].ndv.begin(), kids[1].ndv.end());
      double l = kids[0].rows;
      double r = kids[1].rows;
      double inner = InnerJoinRows(l, r, j.conditions, both);
      switch (j.join_type) {
        case JoinType::kInner: out.rows = inner; break;
        case JoinType::kLeft: out.rows = std::max(inner, l); break;
        case JoinType::kRight: out.rows = std::max(inner, r); break;
        case JoinType::kFull: out.rows = std::max({inner, l, r}); break;
        case JoinType::kSemi: out.rows = std::max(1.0, l * std::min(1.0, inner / std::max(1.0, l))); break;
        case JoinType::kAnti:
          out.rows = std::max(1.0, l * std::max(0.1, 1.0 - std::min(1.0, inner / std::max(1.0, l))));
          break;
        case JoinType::kMark:
        case JoinType::kSingle: out.rows = l; break;
      }
      if (l == 0 && j.join_type != JoinType::kRight && j.join_type != JoinType::kFull) out.rows = 0;
      out.ndv = std::move(both);
      if (j.join_type == JoinType::kMark) out.ndv[j.mark_id] = 3;
      break;
    }
    case LogicalOpKind::kSort:
      out = kids[0];
      break;
    case LogicalOpKind::kWindow:
      out = kids[0];
      own_columns(op.children[0]->output.size());
      break;
    case LogicalOpKind::kLimit: {
      const auto& lim = op.As<LogicalLimit>();
      out = kids[0];
      out.rows = std::max(0.0, out.rows - static_cast<double>(lim.offset));
      if (lim.limit) out.rows = std::min(out.rows, static_cast<double>(*lim.limit));
      break;
    }
    case LogicalOpKind::kTopN: {
      out = kids[0];
      out.rows = std::min(out.rows, static_cast<double>(op.As<LogicalTopN>().limit));
      break;
    }
    case LogicalOpKind::kSetOperation: {
      const auto& s = op.As<LogicalSetOperation>();
      double l = kids[0].rows, r = kids[1].rows;
      switch (s.op) {
        case SetOpKind::kUnion: out.rows = s.all ? l + r : std::max(l, r) + 0.5 * std::min(l, r); break;
        case SetOpKind::kIntersect: out.rows = 0.5 * std::min(l, r); break;
        case SetOpKind::kExcept: out.rows = 0.5 * l; break;
      }
      own_columns(0);
      break;
    }
    case LogicalOpKind::kValues:
      out.rows = static_cast<double>(op.As<LogicalValues>().rows.size());
      own_columns(0);
      break;
    case LogicalOpKind::kEmpty:
      out.rows = 0;
      own_columns(0);
      break;
    case LogicalOpKind::kCteRef:
      out.rows = kUnknownTableRows;
      own_columns(0);
      break;
    case LogicalOpKind::kRecursiveCte:
      out.rows = kids[0].rows * 10;
      own_columns(0);
      break;
  }
  op.estimated_rows = out.rows;
  return out;
}

void AnnotateCardinality(const LogicalOpPtr& plan) {
  if (plan) EstimateCardinality(*plan);
}

}  // namespace shoal::opt
