#include "shoal/optimizer/join_reorder.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "shoal/optimizer/cardinality.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

using Mask = uint64_t;
constexpr size_t kMaxDpRelations = 10;
constexpr size_t kMaxRelations = 64;

bool IsInnerJoin(const LogicalOpPtr& op) {
  return op->kind == LogicalOpKind::kJoin && op->As<LogicalJoin>().join_type == JoinType::kInner;
}

struct Condition {
  ExprPtr expr;
  Mask mask = 0;
  double sel = 1;
  bool pair_eq = false;  ///< equality between exactly two relations
};

class Region {
 public:
  std::vector<LogicalOpPtr> rels;
  std::vector<CardinalityInfo> info;
  std::vector<Condition> conds;

  double Card(Mask s) {
    auto it = card_cache_.find(s);
    if (it != card_cache_.end()) return it->second;
    double rows = 1;
    for (size_t i = 0; i < rels.size(); ++i) {
      if (s & (Mask{1} << i)) rows *= std::max(1.0, info[i].rows);
    }
    // Equalities between two relations: only those that connect relations not yet
    // connected count (most selective first), so several keys between the same
    // inputs or a cycle of equalities (a = b, b = c, a = c) are not multiplied.
    std::vector<const Condition*> eqs;
    for (const auto& c : conds) {
      if (c.mask == 0 || (c.mask & ~s)) continue;
      if (c.pair_eq) {
        eqs.push_back(&c);
      } else {
        rows *= c.sel;
      }
    }
    std::sort(eqs.begin(), eqs.end(),
              [](const Condition* a, const Condition* b) { return a->sel < b->sel; });
    std::vector<int> parent(rels.size());
    for (size_t i = 0; i < parent.size(); ++i) parent[i] = static_cast<int>(i);
    auto find = [&](int x) {
      while (parent[x] != x) x = parent[x] = parent[parent[x]];
      return x;
    };
    for (const Condition* c : eqs) {
      int a = find(std::countr_zero(c->mask));
      int b = find(63 - std::countl_zero(c->mask));
      if (a == b) continue;
      parent[a] = b;
      rows *= c->sel;
    }
    rows = std::max(1.0, rows);
    card_cache_[s] = rows;
    return rows;
  }

  bool Connected(Mask a, Mask b) const {
    for (const auto& c : conds) {
      if ((c.mask & a) && (c.mask & b) && !(c.mask & ~(a | b))) return true;
    }
    return false;
  }

  /// Find a join order; fills split_ (mask -> (left, right)). False when none.
  bool Plan() {
    const size_t n = rels.size();
    const Mask full = (n == 64) ? ~Mask{0} : ((Mask{1} << n) - 1);
    if (n <= kMaxDpRelations && Dp(full)) return true;
    Greedy();
    return true;
  }

  LogicalOpPtr Build(Mask s) {
    if (std::popcount(s) == 1) {
      int i = std::countr_zero(s);
      std::vector<ExprPtr> own;
      for (const auto& c : conds) {
        if (c.mask == s) own.push_back(c.expr);
      }
      return MakeFilter(rels[i], std::move(own));
    }
    auto [a, b] = split_.at(s);
    // Probe with the larger input, build (right) on the smaller one.
    if (Card(a) < Card(b)) std::swap(a, b);
    LogicalOpPtr left = Build(a);
    LogicalOpPtr right = Build(b);
    std::vector<ExprPtr> here;
    const Mask full = (rels.size() == 64) ? ~Mask{0} : ((Mask{1} << rels.size()) - 1);
    for (const auto& c : conds) {
      bool covered = !(c.mask & ~s) && (c.mask & ~a) && (c.mask & ~b);
      if (c.mask == 0 && s == full) covered = true;
      if (covered) here.push_back(c.expr);
    }
    auto j = MakeJoin(JoinType::kInner, left, right, std::move(here));
    j->estimated_rows = Card(s);
    return j;
  }

 private:
  bool Dp(Mask full) {
    const size_t n = rels.size();
    std::vector<double> cost(size_t{1} << n, std::numeric_limits<double>::infinity());
    for (size_t i = 0; i < n; ++i) cost[Mask{1} << i] = 0;
    for (Mask s = 1; s <= full; ++s) {
      if (std::popcount(s) < 2) continue;
      double best = std::numeric_limits<double>::infinity();
      Mask best_a = 0;
      // Enumerate proper subsets a of s with a < s ^ a (each split once).
      for (Mask a = (s - 1) & s; a > 0; a = (a - 1) & s) {
        Mask b = s ^ a;
        if (a > b) continue;
        if (cost[a] == std::numeric_limits<double>::infinity() ||
            cost[b] == std::numeric_limits<double>::infinity()) {
          continue;
        }
        if (!Connected(a, b)) continue;
        double c = cost[a] + cost[b] + Card(s);
        if (c < best) {
          best = c;
          best_a = a;
        }
      }
      if (best_a) {
        cost[s] = best;
        split_[s] = {best_a, s ^ best_a};
      }
    }
    return cost[full] != std::numeric_limits<double>::infinity();
  }

  void Greedy() {
    split_.clear();
    std::vector<Mask> comps;
    for (size_t i = 0; i < rels.size(); ++i) comps.push_back(Mask{1} << i);
    while (comps.size() > 1) {
      double best = std::numeric_limits<double>::infinity();
      size_t bi = 0, bj = 1;
      bool found_connected = false;
      for (size_t i = 0; i < comps.size(); ++i) {
        for (size_t j = i + 1; j < comps.size(); ++j) {
          bool conn = Connected(comps[i], comps[j]);
          if (found_connected && !conn) continue;
          double c = Card(comps[i] | comps[j]);
          if ((conn && !found_connected) || c < best) {
            best = c;
            bi = i;
            bj = j;
            found_connected = found_connected || conn;
          }
        }
      }
      Mask merged = comps[bi] | comps[bj];
      split_[merged] = {comps[bi], comps[bj]};
      comps.erase(comps.begin() + static_cast<long>(bj));
      comps[bi] = merged;
    }
  }

  std::unordered_map<Mask, double> card_cache_;
  std::unordered_map<Mask, std::pair<Mask, Mask>> split_;
};

class Reorderer {
 public:
  LogicalOpPtr Visit(LogicalOpPtr op) {
    if (IsInnerJoin(op)) return ReorderRegion(op);
    for (auto& c : op->children) c = Visit(c);
    if (op->kind == LogicalOpKind::kJoin) return ChooseBuildSide(op);
    return op;
  }

 private:
  void Collect(const LogicalOpPtr& op, Region* region, std::vector<ExprPtr>* conds, bool* ok) {
    if (IsInnerJoin(op)) {
      SplitAll(op->As<LogicalJoin>().conditions, conds);
      Collect(op->children[0], region, conds, ok);
      Collect(op->children[1], region, conds, ok);
      return;
    }
    if (op->kind == LogicalOpKind::kFilter && IsInnerJoin(op->children[0])) {
      SplitAll(op->As<LogicalFilter>().conditions, conds);
      Collect(op->children[0], region, conds, ok);
      return;
    }
    region->rels.push_back(op);
  }

  /// Visit a region without reordering it (conditions the reorder cannot place).
  LogicalOpPtr KeepShape(LogicalOpPtr op) {
    if (IsInnerJoin(op)) {
      for (auto& c : op->children) c = KeepShape(c);
      return ChooseBuildSide(op);
    }
    if (op->kind == LogicalOpKind::kFilter && IsInnerJoin(op->children[0])) {
      op->children[0] = KeepShape(op->children[0]);
      return op;
    }
    return Visit(op);
  }

  LogicalOpPtr ReorderRegion(LogicalOpPtr op) {
    const auto original_output = op->output;
    Region region;
    std::vector<ExprPtr> conds;
    bool ok = true;
    Collect(op, &region, &conds, &ok);
    const size_t n = region.rels.size();
    for (const auto& c : conds) ok = ok && !HasSideEffectsOrSubquery(c);
    if (n > kMaxRelations) ok = false;
    std::unordered_map<ColumnId, int> owner;
    for (size_t i = 0; i < n; ++i) {
      for (const auto& c : region.rels[i]->output) owner[c.id] = static_cast<int>(i);
    }
    for (const auto& e : conds) {
      for (ColumnId id : ReferencedIds(e)) ok = ok && owner.count(id);
    }
    if (!ok || n < 2) return KeepShape(op);
    NdvMap all_ndv;
    for (size_t i = 0; i < n; ++i) {
      region.rels[i] = Visit(region.rels[i]);
      region.info.push_back(EstimateCardinality(*region.rels[i]));
      all_ndv.insert(region.info[i].ndv.begin(), region.info[i].ndv.end());
    }
    for (const auto& e : conds) {
      Condition c;
      c.expr = e;
      for (ColumnId id : ReferencedIds(e)) c.mask |= Mask{1} << owner.at(id);
      c.sel = ConditionSelectivity(e, all_ndv);
      c.pair_eq = IsEquiCondition(e) && std::popcount(c.mask) == 2;
      region.conds.push_back(c);
    }
    region.Plan();
    const Mask full = (n == 64) ? ~Mask{0} : ((Mask{1} << n) - 1);
    LogicalOpPtr tree = region.Build(full);
    return EnsureOutput(tree, original_output);
  }

  LogicalOpPtr ChooseBuildSide(LogicalOpPtr op) {
    auto& j = op->As<LogicalJoin>();
    double l = EstimateCardinality(*op->children[0]).rows;
    double r = EstimateCardinality(*op->children[1]).rows;
    switch (j.join_type) {
      case JoinType::kInner:
        j.build_right = r <= l;
        return op;
      case JoinType::kLeft:
      case JoinType::kRight:
      case JoinType::kFull: {
        j.build_right = true;
        if (r <= l) return op;
        const auto original = op->output;
        auto mirrored = MakeJoin(j.join_type == JoinType::kLeft    ? JoinType::kRight
                                 : j.join_type == JoinType::kRight ? JoinType::kLeft
                                                                   : JoinType::kFull,
                                 op->children[1], op->children[0], j.conditions);
        // Keep the nullability the original join declared.
        for (auto& c : mirrored->output) {
          for (const auto& o : original) {
            if (o.id == c.id) c = o;
          }
        }
        return EnsureOutput(mirrored, original);
      }
      default:
        j.build_right = true;
        return op;
    }
  }
};

}  // namespace

Result<bool> JoinReorder::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  Reorderer r;
  *plan = r.Visit(*plan);
  AnnotateCardinality(*plan);
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
