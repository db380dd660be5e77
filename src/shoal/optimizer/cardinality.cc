#include "shoal/optimizer/cardinality.h"

#include <algorithm>
#include <cmath>

#include <arrow/compute/api_scalar.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

constexpr double kUnknownTableRows = 1000;

/// Return the column when `e` is a column (possibly under casts).
const ColumnRefExpr* BaseColumn(const ExprPtr& e) {
  ExprPtr cur = e;
  while (cur && cur->kind == ExprKind::kCast) cur = static_cast<const CastExpr&>(*cur).arg;
  if (cur && cur->kind == ExprKind::kColumnRef) return static_cast<const ColumnRefExpr*>(cur.get());
  return nullptr;
}

const ColumnStats* StatsOf(const ExprPtr& e, const ColumnStatsMap& cols) {
  if (const auto* col = BaseColumn(e)) {
    auto it = cols.find(col->id);
    if (it != cols.end()) return &it->second;
  }
  return nullptr;
}

bool HasColumns(const ExprPtr& e) { return !ReferencedIds(e).empty(); }

/// The column compared with a constant in `call` (col op const or const op col).
const ColumnStats* ComparedColumn(const CallExpr& call, const ColumnStatsMap& cols) {
  if (call.args.size() != 2) return nullptr;
  for (int side = 0; side < 2; ++side) {
    if (IsConstant(call.args[1 - side])) return StatsOf(call.args[side], cols);
  }
  return nullptr;
}

ColumnStats OwnColumn(const LogicalOp* origin, double rows) {
  ColumnStats s;
  s.ndv = std::max(1.0, rows);
  s.domain = s.ndv;
  s.origin = origin;
  s.origin_rows = s.ndv;
  return s;
}

/// Return the statistics of an equality `column = constant`'s selectivity.
double EqualitySelectivityOf(const ColumnStats& s) {
  if (s.ndv_known) return 1.0 / std::max(1.0, s.ndv);
  return EqualityConstantSelectivity(s.ndv);
}

bool IsNumeric(arrow::Type::type id) {
  return arrow::is_integer(id) || arrow::is_floating(id) || arrow::is_decimal(id);
}

/// A comparison `column op constant` (or `constant op column`) over a column with
/// bounds, with the constant in the column's units.
struct RangeTerm {
  ColumnId id = 0;
  bool lower = false;  ///< column >= / > value (else column <= / < value)
  double value = 0;
};

bool AsRangeTerm(const ExprPtr& cond, const ColumnStatsMap& cols, RangeTerm* out) {
  const auto* call = AsCall(cond);
  if (!call || call->args.size() != 2) return false;
  const std::string& fn = call->function;
  bool greater = fn == "greater" || fn == "greater_equal";
  if (!greater && fn != "less" && fn != "less_equal") return false;
  int col_side = -1;
  for (int side = 0; side < 2; ++side) {
    if (call->args[side]->kind == ExprKind::kColumnRef &&
        call->args[1 - side]->kind == ExprKind::kLiteral) {
      col_side = side;
    }
  }
  if (col_side < 0) return false;
  const auto& col = static_cast<const ColumnRefExpr&>(*call->args[col_side]);
  const auto& lit = static_cast<const LiteralExpr&>(*call->args[1 - col_side]);
  auto it = cols.find(col.id);
  if (it == cols.end() || !it->second.has_range || !col.type || !lit.value) return false;
  // Same units: numbers against numbers (decimals are scaled), temporals only
  // against the same temporal type.
  const auto cid = col.type->id();
  const auto lid = lit.value->type->id();
  if (!(IsNumeric(cid) && IsNumeric(lid)) && !col.type->Equals(*lit.value->type)) return false;
  auto v = ScalarAsDouble(*lit.value);
  if (!v) return false;
  out->id = col.id;
  out->value = *v;
  // `col > v` bounds from below; `v > col` from above.
  out->lower = col_side == 0 ? greater : !greater;
  return true;
}

/// Return the ndv of each side's key combination (see EquiJoinDenominator).
void SideNdvs(const std::vector<JoinKeyStats>& keys, double left_rows, double right_rows,
              double* left_ndv, double* right_ndv, double* max_single) {
  *left_ndv = *right_ndv = *max_single = 1;
  if (keys.empty()) return;
  double prod_domain = 1, prod_l = 1, prod_r = 1, max_l = 1, max_r = 1;
  bool same_l = true, same_r = true;
  for (const auto& k : keys) {
    double d = std::max(1.0, std::min(k.left.domain, k.right.domain));
    double nl = std::max(1.0, std::min({k.left.ndv, d, std::max(1.0, left_rows)}));
    double nr = std::max(1.0, std::min({k.right.ndv, d, std::max(1.0, right_rows)}));
    prod_domain *= d;
    prod_l *= nl;
    prod_r *= nr;
    max_l = std::max(max_l, nl);
    max_r = std::max(max_r, nr);
    same_l = same_l && k.left.origin && k.left.origin == keys[0].left.origin;
    same_r = same_r && k.right.origin && k.right.origin == keys[0].right.origin;
  }
  *max_single = std::max(max_l, max_r);
  if (keys.size() == 1) {
    *left_ndv = max_l;
    *right_ndv = max_r;
    return;
  }
  // Keys drawn from several relations on one side are independent there: their
  // selectivities multiply. When each side takes all its keys from one origin
  // (a composite key such as (l_partkey, l_suppkey) -> partsupp), the smaller
  // origin holds the key: at most that many distinct combinations.
  double cap = prod_domain;
  if (same_l && same_r) {
    cap = std::min({cap, std::max(1.0, keys[0].left.origin_rows),
                    std::max(1.0, keys[0].right.origin_rows)});
  }
  *left_ndv = std::max(max_l, std::min({cap, prod_l, std::max(1.0, left_rows)}));
  *right_ndv = std::max(max_r, std::min({cap, prod_r, std::max(1.0, right_rows)}));
}

/// Split `conds` into equi-join keys between `left` and `right` columns (with
/// their statistics) and other conditions.
void SplitJoinConditions(const std::vector<ExprPtr>& conds, const IdSet& left, const IdSet& right,
                         const ColumnStatsMap& cols, std::vector<JoinKeyStats>* keys,
                         std::vector<std::pair<ColumnId, ColumnId>>* key_ids,
                         std::vector<ExprPtr>* others) {
  for (const auto& c : conds) {
    const CallExpr* call = AsCall(c);
    if (call && call->function == "equal" && call->args.size() == 2) {
      const auto* a = BaseColumn(call->args[0]);
      const auto* b = BaseColumn(call->args[1]);
      if (a && b && left.count(b->id) && right.count(a->id)) std::swap(a, b);
      if (a && b && left.count(a->id) && right.count(b->id)) {
        auto ia = cols.find(a->id);
        auto ib = cols.find(b->id);
        if (ia != cols.end() && ib != cols.end()) {
          keys->push_back({ia->second, ib->second});
          key_ids->push_back({a->id, b->id});
          continue;
        }
      }
    }
    others->push_back(c);
  }
}

}  // namespace

double LikeSelectivity(const std::string& pattern, const ColumnStats* col) {
  // Literal pieces between '%' wildcards; each further piece is more selective.
  int pieces = 0;
  bool in_piece = false;
  bool escaped = false;
  for (char c : pattern) {
    if (!escaped && c == '\\') {
      escaped = true;
      continue;
    }
    if (!escaped && c == '%') {
      in_piece = false;
    } else if (!in_piece) {
      in_piece = true;
      ++pieces;
    }
    escaped = false;
  }
  if (pattern.find('%') == std::string::npos) {
    return EqualityConstantSelectivity(col ? col->ndv : 10);  // LIKE 'abc': an equality
  }
  if (pieces == 0) return 0.9;  // '%': anything but null
  const bool contains = pattern.front() == '%' && pattern.back() == '%';
  return (contains ? 0.05 : 0.1) * std::pow(0.2, pieces - 1);
}

double EqualityConstantSelectivity(double ndv) {
  ndv = std::max(1.0, ndv);
  if (ndv <= 100) return 1.0 / ndv;
  if (ndv >= 10000) return 0.1;
  return 0.01 * std::sqrt(ndv / 100);
}

bool IsEquiCondition(const ExprPtr& cond) {
  const auto* call = AsCall(cond);
  if (!call || call->function != "equal" || call->args.size() != 2) return false;
  return HasColumns(call->args[0]) && HasColumns(call->args[1]);
}

bool IsColumnEquality(const ExprPtr& cond, ColumnId* a, ColumnId* b) {
  const auto* call = AsCall(cond);
  if (!call || call->function != "equal" || call->args.size() != 2) return false;
  const auto& x = call->args[0];
  const auto& y = call->args[1];
  if (x->kind != ExprKind::kColumnRef || y->kind != ExprKind::kColumnRef) return false;
  if (!x->type || !y->type || !x->type->Equals(*y->type)) return false;
  *a = static_cast<const ColumnRefExpr&>(*x).id;
  *b = static_cast<const ColumnRefExpr&>(*y).id;
  return *a != *b;
}

double ConditionSelectivity(const ExprPtr& cond, const ColumnStatsMap& cols) {
  if (IsBoolLiteral(cond, true)) return 1.0;
  if (IsBoolLiteral(cond, false) || IsNullLiteral(cond)) return 0.0;
  const auto* call = AsCall(cond);
  if (!call) return 0.5;
  const std::string& fn = call->function;
  if (fn == "and_kleene" || fn == "and") {
    std::vector<ExprPtr> terms;
    for (const auto& a : call->args) SplitAll({a}, &terms);
    return ConjunctionSelectivity(terms, cols);
  }
  if (fn == "or_kleene" || fn == "or") {
    double s = 0;
    for (const auto& a : call->args) {
      double t = ConditionSelectivity(a, cols);
      s = s + t - s * t;
    }
    return s;
  }
  if (fn == "invert" && call->args.size() == 1) {
    return 1.0 - ConditionSelectivity(call->args[0], cols);
  }
  if (fn == "equal" && call->args.size() == 2) {
    if (IsEquiCondition(cond)) {
      const ColumnStats* a = StatsOf(call->args[0], cols);
      const ColumnStats* b = StatsOf(call->args[1], cols);
      if (!a && !b) return 0.1;
      if (!a) return 1.0 / std::max(1.0, b->ndv);
      if (!b) return 1.0 / std::max(1.0, a->ndv);
      double d = std::max(1.0, std::min(a->domain, b->domain));
      return 1.0 / std::max(std::min(a->ndv, d), std::min(b->ndv, d));
    }
    if (const ColumnStats* s = ComparedColumn(*call, cols)) {
      return EqualitySelectivityOf(*s);
    }
    return 0.1;
  }
  if (fn == "not_equal") return 0.9;
  if (fn == "less" || fn == "less_equal" || fn == "greater" || fn == "greater_equal") {
    RangeTerm t;
    if (AsRangeTerm(cond, cols, &t)) return ConjunctionSelectivity({cond}, cols);
    return 0.3;
  }
  if (fn == "match_like" && call->options &&
      call->options->type_name() == std::string("MatchSubstringOptions")) {
    const auto& opts = static_cast<const arrow::compute::MatchSubstringOptions&>(*call->options);
    return LikeSelectivity(opts.pattern, call->args.empty() ? nullptr
                                                            : StatsOf(call->args[0], cols));
  }
  if (fn.find("like") != std::string::npos) return 0.25;
  if (fn == "is_null" || fn == "is_valid" || fn == "is_not_null") {
    double null_frac = 0.1;
    if (call->args.size() == 1) {
      const ColumnStats* s = StatsOf(call->args[0], cols);
      if (s && s->null_frac >= 0) null_frac = std::clamp(s->null_frac, 0.001, 0.999);
    }
    return fn == "is_null" ? null_frac : 1.0 - null_frac;
  }
  if (fn == "is_in") {
    double items = 5;
    if (call->options && call->options->type_name() == std::string("SetLookupOptions")) {
      const auto& opts = static_cast<const arrow::compute::SetLookupOptions&>(*call->options);
      if (opts.value_set.is_array()) items = static_cast<double>(opts.value_set.length());
    }
    double each = 0.1;
    if (!call->args.empty()) {
      if (const ColumnStats* s = StatsOf(call->args[0], cols)) {
        each = EqualitySelectivityOf(*s);
      }
    }
    return std::min(0.5, std::max(1.0, items) * each);
  }
  return 0.5;
}

double ConjunctionSelectivity(const std::vector<ExprPtr>& terms, const ColumnStatsMap& cols,
                              ColumnStatsMap* narrowed) {
  struct Interval {
    double lo, hi;
  };
  std::vector<std::pair<ColumnId, Interval>> intervals;  // in first-seen order
  double sel = 1;
  for (const auto& t : terms) {
    RangeTerm r;
    if (!AsRangeTerm(t, cols, &r)) {
      sel *= ConditionSelectivity(t, cols);
      continue;
    }
    auto it = std::find_if(intervals.begin(), intervals.end(),
                           [&](const auto& e) { return e.first == r.id; });
    if (it == intervals.end()) {
      const ColumnStats& s = cols.at(r.id);
      intervals.push_back({r.id, Interval{s.lo, s.hi}});
      it = intervals.end() - 1;
    }
    if (r.lower) {
      it->second.lo = std::max(it->second.lo, r.value);
    } else {
      it->second.hi = std::min(it->second.hi, r.value);
    }
  }
  for (const auto& [id, in] : intervals) {
    const ColumnStats& s = cols.at(id);
    const double ndv = std::max(1.0, s.ndv);
    double frac;
    if (in.lo > in.hi) {
      frac = 0;  // contradictory bounds (or outside [lo, hi])
    } else if (s.hi > s.lo) {
      frac = (in.hi - in.lo) / (s.hi - s.lo);
    } else {
      frac = 1;  // a single value, inside the interval
    }
    // At least one value's share when the interval is not empty (a point range
    // `x >= v AND x <= v` holds one value), a tenth of one when it is.
    frac = std::clamp(frac, in.lo > in.hi ? 0.1 / ndv : 1.0 / ndv, 1.0);
    if (s.null_frac > 0) frac *= 1.0 - std::min(1.0, s.null_frac);
    sel *= frac;
    if (narrowed) {
      ColumnStats n = s;
      n.lo = std::max(s.lo, std::min(in.lo, s.hi));
      n.hi = std::min(s.hi, std::max(in.hi, n.lo));
      n.ndv = std::max(1.0, s.ndv * frac);
      n.null_frac = 0;
      (*narrowed)[id] = n;
    }
  }
  return sel;
}

std::optional<double> ScalarAsDouble(const arrow::Scalar& s) {
  if (!s.is_valid) return std::nullopt;
  const auto id = s.type->id();
  switch (id) {
    case arrow::Type::DECIMAL128:
      return static_cast<const arrow::Decimal128Scalar&>(s).value.ToDouble(
          static_cast<const arrow::Decimal128Type&>(*s.type).scale());
    case arrow::Type::DECIMAL256:
      return static_cast<const arrow::Decimal256Scalar&>(s).value.ToDouble(
          static_cast<const arrow::Decimal256Type&>(*s.type).scale());
    case arrow::Type::DOUBLE:
      return static_cast<const arrow::DoubleScalar&>(s).value;
    case arrow::Type::FLOAT:
      return static_cast<const arrow::FloatScalar&>(s).value;
    default:
      break;
  }
  if (!arrow::is_integer(id) && !arrow::is_temporal(id)) return std::nullopt;
  const void* data = static_cast<const arrow::internal::PrimitiveScalarBase&>(s).data();
  const bool u = arrow::is_unsigned_integer(id);
  switch (arrow::bit_width(id)) {
    case 8: return u ? *static_cast<const uint8_t*>(data) : *static_cast<const int8_t*>(data);
    case 16: return u ? *static_cast<const uint16_t*>(data) : *static_cast<const int16_t*>(data);
    case 32:
      return u ? static_cast<double>(*static_cast<const uint32_t*>(data))
               : static_cast<double>(*static_cast<const int32_t*>(data));
    case 64:
      return u ? static_cast<double>(*static_cast<const uint64_t*>(data))
               : static_cast<double>(*static_cast<const int64_t*>(data));
    default:
      return std::nullopt;
  }
}

ColumnStats ScanColumnStats(const LogicalOp* origin, double rows, const arrow::DataType& type,
                            const ColumnStatistics* stats) {
  ColumnStats s = OwnColumn(origin, rows);
  if (!stats) return s;
  rows = std::max(0.0, rows);
  double non_null = rows;
  if (stats->null_count && rows > 0) {
    s.null_frac = std::clamp(static_cast<double>(*stats->null_count) / rows, 0.0, 1.0);
    non_null = rows - std::min(rows, static_cast<double>(*stats->null_count));
  }
  std::optional<double> lo, hi;
  if (stats->min && stats->max && stats->min->type->Equals(type) &&
      stats->max->type->Equals(type)) {
    lo = ScalarAsDouble(*stats->min);
    hi = ScalarAsDouble(*stats->max);
  }
  if (lo && hi && *lo <= *hi && std::isfinite(*lo) && std::isfinite(*hi)) {
    s.has_range = true;
    s.lo = *lo;
    s.hi = *hi;
  }
  double ndv = std::max(1.0, non_null);
  if (stats->distinct_count) {
    ndv = std::clamp(*stats->distinct_count, 1.0, ndv);
    s.ndv_known = true;
  } else if (s.has_range) {
    // Distinct values a column of this type can hold within [lo, hi]: integers
    // and days count one per unit, decimals one per step of their scale. When
    // that span is at most the row count it bounds ndv (small domains, dense
    // keys); otherwise the row count does (sparse keys, measures).
    std::optional<double> steps;
    const auto id = type.id();
    if (arrow::is_integer(id) || id == arrow::Type::DATE32) {
      steps = s.hi - s.lo + 1;
    } else if (id == arrow::Type::DATE64) {
      steps = (s.hi - s.lo) / 86400000.0 + 1;
    } else if (arrow::is_decimal(id)) {
      steps = (s.hi - s.lo) *
                  std::pow(10.0, static_cast<const arrow::DecimalType&>(type).scale()) + 1;
    }
    if (steps && *steps <= ndv) {
      ndv = std::max(1.0, *steps);
      s.ndv_known = true;
    }
  }
  s.ndv = s.domain = ndv;
  return s;
}

double EquiJoinDenominator(const std::vector<JoinKeyStats>& keys, double left_rows,
                           double right_rows) {
  if (keys.empty()) return 1;
  double l = 1, r = 1, single = 1;
  SideNdvs(keys, left_rows, right_rows, &l, &r, &single);
  return std::max({1.0, l, r, single});
}

void CapColumns(ColumnStatsMap* cols, double rows) {
  rows = std::max(1.0, rows);
  for (auto& [id, s] : *cols) s.ndv = std::min(s.ndv, rows);
}

double InnerJoinRows(double left_rows, double right_rows, const std::vector<ExprPtr>& conditions,
                     const ColumnStatsMap& cols) {
  // Without the sides' column sets, treat every column-to-column equality as a key
  // between the side holding its first and its second column.
  std::vector<JoinKeyStats> keys;
  double other = 1;
  for (const auto& c : conditions) {
    const CallExpr* call = AsCall(c);
    const ColumnStats* a = nullptr;
    const ColumnStats* b = nullptr;
    if (call && call->function == "equal" && call->args.size() == 2) {
      a = StatsOf(call->args[0], cols);
      b = StatsOf(call->args[1], cols);
    }
    if (a && b && IsEquiCondition(c)) {
      keys.push_back({*a, *b});
    } else {
      other *= ConditionSelectivity(c, cols);
    }
  }
  double denom = EquiJoinDenominator(keys, left_rows, right_rows);
  return std::max(1.0, left_rows * right_rows / denom * other);
}

namespace {

/// Estimates of the definitions of the MaterializedCte operators being estimated
/// (by index), for the CteRefs reading them: rows and per-column statistics in
/// output order.
struct MaterializedEstimate {
  double rows = 0;
  std::vector<ColumnStats> columns;
};
thread_local std::unordered_map<int, MaterializedEstimate> tls_materialized;
thread_local bool tls_use_column_stats = true;

}  // namespace

ColumnStatisticsScope::ColumnStatisticsScope(bool use) : previous_(tls_use_column_stats) {
  tls_use_column_stats = use;
}

ColumnStatisticsScope::~ColumnStatisticsScope() { tls_use_column_stats = previous_; }

CardinalityInfo EstimateCardinality(LogicalOp& op) {
  std::vector<CardinalityInfo> kids;
  kids.reserve(op.children.size());
  for (auto& c : op.children) {
    kids.push_back(EstimateCardinality(*c));
    if (op.kind == LogicalOpKind::kMaterializedCte && kids.size() == 1) {
      MaterializedEstimate m;
      m.rows = kids[0].rows;
      for (const auto& col : c->output) {
        auto it = kids[0].columns.find(col.id);
        m.columns.push_back(it != kids[0].columns.end() ? it->second
                                                        : OwnColumn(c.get(), m.rows));
      }
      tls_materialized[op.As<LogicalMaterializedCte>().cte_index] = std::move(m);
    }
  }
  CardinalityInfo out;
  auto own_columns = [&](size_t from) {
    for (size_t i = from; i < op.output.size(); ++i) {
      out.columns[op.output[i].id] = OwnColumn(&op, out.rows);
    }
  };
  switch (op.kind) {
    case LogicalOpKind::kGet: {
      const auto& get = op.As<LogicalGet>();
      auto stats = !get.table            ? TableStatistics{}
                   : tls_use_column_stats ? get.table->statistics()
                                          : get.table->row_statistics();
      out.rows = stats.num_rows ? static_cast<double>(*stats.num_rows) : kUnknownTableRows;
      for (size_t i = 0; i < op.output.size(); ++i) {
        const ColumnStatistics* cs = nullptr;
        if (tls_use_column_stats && i < get.projection.size() && get.projection[i] >= 0 &&
            static_cast<size_t>(get.projection[i]) < stats.columns.size()) {
          cs = &stats.columns[get.projection[i]];
        }
        out.columns[op.output[i].id] = op.output[i].type
                                           ? ScanColumnStats(&op, out.rows, *op.output[i].type, cs)
                                           : OwnColumn(&op, out.rows);
      }
      if (get.limit) out.rows = std::min(out.rows, static_cast<double>(*get.limit));
      CapColumns(&out.columns, out.rows);
      break;
    }
    case LogicalOpKind::kFilter: {
      out = kids[0];
      std::vector<ExprPtr> terms;
      SplitAll(op.As<LogicalFilter>().conditions, &terms);
      ColumnStatsMap narrowed;
      out.rows *= ConjunctionSelectivity(terms, kids[0].columns, &narrowed);
      for (auto& [id, s] : narrowed) out.columns[id] = s;
      out.rows = std::max(out.rows, std::min(1.0, kids[0].rows));
      for (const auto& c : terms) {
        const CallExpr* call = AsCall(c);
        if (!call || call->function != "equal" || IsEquiCondition(c)) continue;
        for (const auto& a : call->args) {
          if (const auto* col = BaseColumn(a)) {
            auto it = out.columns.find(col->id);
            if (it != out.columns.end()) it->second.ndv = 1;
          }
        }
      }
      CapColumns(&out.columns, out.rows);
      break;
    }
    case LogicalOpKind::kProjection: {
      const auto& p = op.As<LogicalProjection>();
      out.rows = kids[0].rows;
      for (size_t i = 0; i < p.exprs.size() && i < op.output.size(); ++i) {
        const ColumnStats* s =
            p.exprs[i]->kind == ExprKind::kColumnRef ? StatsOf(p.exprs[i], kids[0].columns) : nullptr;
        out.columns[op.output[i].id] = s ? *s : OwnColumn(&op, out.rows);
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
          const ColumnStats* s = StatsOf(g, kids[0].columns);
          product *= s ? s->ndv : child;
          if (product > child) break;
        }
        double heuristic = child * std::min(1.0, 0.1 * std::pow(3.0, a.groups.size() - 1));
        out.rows = std::max(1.0, std::min({child, product, heuristic}));
        if (!a.grouping_sets.empty()) out.rows *= static_cast<double>(a.grouping_sets.size());
      }
      own_columns(0);
      for (size_t i = 0; i < a.groups.size() && i < op.output.size(); ++i) {
        if (const ColumnStats* s = StatsOf(a.groups[i], kids[0].columns)) {
          auto& col = out.columns[op.output[i].id];
          // A group key keeps its input's domain (filters below do not shrink it).
          col.domain = std::max({1.0, col.ndv, s->domain});
          col.ndv = std::min(col.ndv, std::max(1.0, s->ndv));
          col.ndv_known = s->ndv_known;
          col.has_range = s->has_range;
          col.lo = s->lo;
          col.hi = s->hi;
        }
      }
      break;
    }
    case LogicalOpKind::kJoin: {
      const auto& j = op.As<LogicalJoin>();
      ColumnStatsMap both = kids[0].columns;
      both.insert(kids[1].columns.begin(), kids[1].columns.end());
      const double l = kids[0].rows;
      const double r = kids[1].rows;
      std::vector<JoinKeyStats> keys;
      std::vector<std::pair<ColumnId, ColumnId>> key_ids;
      std::vector<ExprPtr> others;
      std::vector<ExprPtr> terms;
      SplitAll(j.conditions, &terms);
      SplitJoinConditions(terms, OutputIdSet(*op.children[0]), OutputIdSet(*op.children[1]), both,
                          &keys, &key_ids, &others);
      double other_sel = 1;
      for (const auto& c : others) other_sel *= ConditionSelectivity(c, both);
      double ndv_l = 1, ndv_r = 1, single = 1;
      SideNdvs(keys, l, r, &ndv_l, &ndv_r, &single);
      const double denom = keys.empty() ? 1.0 : std::max({1.0, ndv_l, ndv_r, single});
      const double inner = std::max(1.0, l * r / denom * other_sel);
      // Fraction of left rows with a match (semi/anti/mark).
      double match = std::min(1.0, inner / std::max(1.0, l));
      if (!keys.empty()) {
        // Containment without the domain caps: the right side's keys are usually
        // a filtered subset (IN / EXISTS), not a referenced key.
        double raw_l = 1, raw_r = 1;
        for (const auto& k : keys) {
          raw_l *= std::max(1.0, std::min(k.left.ndv, l));
          raw_r *= std::max(1.0, std::min(k.right.ndv, r));
        }
        raw_l = std::max(1.0, std::min(raw_l, l));
        raw_r = std::max(1.0, std::min(raw_r, r));
        match = std::min(match, raw_r / raw_l);
      }
      switch (j.join_type) {
        case JoinType::kInner: out.rows = inner; break;
        case JoinType::kLeft: out.rows = std::max(inner, l); break;
        case JoinType::kRight: out.rows = std::max(inner, r); break;
        case JoinType::kFull: out.rows = std::max({inner, l, r}); break;
        case JoinType::kSemi: out.rows = std::max(1.0, l * match); break;
        case JoinType::kAnti: out.rows = std::max(1.0, l * std::max(0.1, 1.0 - match)); break;
        case JoinType::kMark:
        case JoinType::kSingle: out.rows = l; break;
      }
      if (l == 0 && j.join_type != JoinType::kRight && j.join_type != JoinType::kFull) out.rows = 0;
      if (j.join_type == JoinType::kInner || j.join_type == JoinType::kSemi) {
        // Matching keys share their values: the smaller ndv and domain hold for both.
        for (const auto& [a, b] : key_ids) {
          auto& x = both[a];
          auto& y = both[b];
          double ndv = std::min(x.ndv, y.ndv);
          double domain = std::min(x.domain, y.domain);
          x.ndv = y.ndv = ndv;
          x.domain = y.domain = domain;
        }
      }
      out.columns = std::move(both);
      if (j.join_type == JoinType::kMark) {
        ColumnStats m;
        m.ndv = m.domain = 3;
        m.origin = &op;
        m.origin_rows = 3;
        out.columns[j.mark_id] = m;
      }
      CapColumns(&out.columns, out.rows);
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
      CapColumns(&out.columns, out.rows);
      break;
    }
    case LogicalOpKind::kTopN: {
      out = kids[0];
      out.rows = std::min(out.rows, static_cast<double>(op.As<LogicalTopN>().limit));
      CapColumns(&out.columns, out.rows);
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
    case LogicalOpKind::kCteRef: {
      const auto& ref = op.As<LogicalCteRef>();
      auto it = ref.materialized ? tls_materialized.find(ref.cte_index) : tls_materialized.end();
      if (it != tls_materialized.end() && it->second.columns.size() == op.output.size()) {
        out.rows = it->second.rows;
        for (size_t i = 0; i < op.output.size(); ++i) {
          out.columns[op.output[i].id] = it->second.columns[i];
        }
      } else {
        out.rows = kUnknownTableRows;
        own_columns(0);
      }
      break;
    }
    case LogicalOpKind::kMaterializedCte:
      out = kids[1];
      tls_materialized.erase(op.As<LogicalMaterializedCte>().cte_index);
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
