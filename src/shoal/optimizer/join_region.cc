#include "shoal/optimizer/join_region.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <limits>

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

constexpr size_t kMaxDpRelations = 12;
/// Cost of a join result row per column it carries (relative to the row itself):
/// wide intermediate results cost more to build into hash tables and gather.
constexpr double kCostPerColumn = 0.1;
constexpr double kInf = std::numeric_limits<double>::infinity();

RelMask Bit(int i) { return RelMask{1} << i; }

}  // namespace

RelMask JoinRegion::FullMask() const {
  return rels.size() >= 64 ? ~RelMask{0} : (RelMask{1} << rels.size()) - 1;
}

void JoinRegion::Classify(const std::vector<ExprPtr>& conds) {
  classes.clear();
  others.clear();
  std::unordered_map<ColumnId, ColumnId> parent;
  std::function<ColumnId(ColumnId)> find = [&](ColumnId x) -> ColumnId {
    auto it = parent.find(x);
    if (it == parent.end()) {
      parent[x] = x;
      return x;
    }
    if (it->second == x) return x;
    ColumnId root = find(it->second);
    parent[x] = root;
    return root;
  };
  std::vector<std::pair<ColumnId, ColumnId>> eqs;
  for (const auto& c : conds) {
    ColumnId a = 0, b = 0;
    if (IsColumnEquality(c, &a, &b) && owner.count(a) && owner.count(b) &&
        owner.at(a) != owner.at(b)) {
      ColumnId ra = find(a), rb = find(b);
      if (ra != rb) parent[ra] = rb;
      eqs.push_back({a, b});
      continue;
    }
    OtherCondition o;
    o.expr = c;
    for (ColumnId id : ReferencedIds(c)) o.mask |= Bit(owner.at(id));
    others.push_back(std::move(o));
  }
  std::unordered_map<ColumnId, size_t> class_of_root;
  auto add_member = [&](EqClass* cls, ColumnId id) {
    for (const auto& m : cls->members) {
      if (m.col.id == id) return;
    }
    int rel = owner.at(id);
    for (const auto& col : rels[static_cast<size_t>(rel)]->output) {
      if (col.id == id) {
        cls->members.push_back({rel, col});
        cls->rels |= Bit(rel);
      }
    }
  };
  for (const auto& [a, b] : eqs) {
    ColumnId root = find(a);
    auto it = class_of_root.find(root);
    if (it == class_of_root.end()) {
      it = class_of_root.emplace(root, classes.size()).first;
      classes.emplace_back();
    }
    EqClass& cls = classes[it->second];
    add_member(&cls, a);
    add_member(&cls, b);
    cls.edges.push_back({a, b});
  }
}

void JoinRegion::Prepare() {
  ColumnStatsMap all;
  for (const auto& i : info) all.insert(i.columns.begin(), i.columns.end());
  for (auto& cls : classes) {
    double domain = kInf;
    for (const auto& m : cls.members) {
      const auto& rel_info = info[static_cast<size_t>(m.rel)];
      auto it = rel_info.columns.find(m.col.id);
      domain = std::min(domain, it != rel_info.columns.end() ? it->second.domain : rel_info.rows);
    }
    cls.domain = std::max(1.0, domain == kInf ? 1.0 : domain);
  }
  for (auto& o : others) o.sel = ConditionSelectivity(o.expr, all);
  sets_.clear();
  split_.clear();
}

RelSetInfo JoinRegion::Single(int i) const {
  const auto& rel_info = info[static_cast<size_t>(i)];
  RelSetInfo s;
  s.rows = rel_info.rows;
  for (const auto& o : others) {
    if (o.mask == Bit(i)) s.rows *= o.sel;
  }
  s.rows = std::max(1.0, s.rows);
  s.ndv.assign(classes.size(), 0);
  for (size_t k = 0; k < classes.size(); ++k) {
    for (const auto& m : classes[k].members) {
      if (m.rel != i) continue;
      auto it = rel_info.columns.find(m.col.id);
      double n = it != rel_info.columns.end() ? it->second.ndv : s.rows;
      n = std::max(1.0, std::min({n, classes[k].domain, s.rows}));
      s.ndv[k] = s.ndv[k] == 0 ? n : std::min(s.ndv[k], n);
    }
  }
  return s;
}

std::vector<ColumnStats> JoinRegion::SideStats(const RelSetInfo& side, RelMask mask,
                                               const std::vector<size_t>& spanning) const {
  // Prefer one relation holding every key: its keys share one origin, which
  // bounds their combined distinct count.
  int whole = -1;
  for (size_t i = 0; i < rels.size() && whole < 0; ++i) {
    if (!(mask & Bit(static_cast<int>(i)))) continue;
    bool all = true;
    for (size_t k : spanning) all = all && (classes[k].rels & Bit(static_cast<int>(i)));
    if (all) whole = static_cast<int>(i);
  }
  std::vector<ColumnStats> out;
  for (size_t k : spanning) {
    ColumnStats best;
    bool found = false;
    for (const auto& m : classes[k].members) {
      if (!(mask & Bit(m.rel)) || (whole >= 0 && m.rel != whole)) continue;
      const auto& cols = info[static_cast<size_t>(m.rel)].columns;
      auto it = cols.find(m.col.id);
      if (it == cols.end()) continue;
      if (!found || it->second.origin_rows < best.origin_rows) {
        best = it->second;
        found = true;
      }
    }
    best.ndv = std::max(1.0, side.ndv[k]);
    best.domain = classes[k].domain;
    if (!found) {
      best.origin = nullptr;
      best.origin_rows = side.rows;
    }
    out.push_back(best);
  }
  return out;
}

RelSetInfo JoinRegion::Join(const RelSetInfo& a, RelMask am, const RelSetInfo& b,
                            RelMask bm) const {
  std::vector<size_t> spanning;
  for (size_t k = 0; k < classes.size(); ++k) {
    if ((classes[k].rels & am) && (classes[k].rels & bm)) spanning.push_back(k);
  }
  std::vector<JoinKeyStats> keys;
  if (!spanning.empty()) {
    auto left = SideStats(a, am, spanning);
    auto right = SideStats(b, bm, spanning);
    for (size_t i = 0; i < spanning.size(); ++i) keys.push_back({left[i], right[i]});
  }
  double sel = 1;
  const RelMask both = am | bm;
  for (const auto& o : others) {
    if (o.mask && !(o.mask & ~both) && (o.mask & am) && (o.mask & bm)) sel *= o.sel;
  }
  RelSetInfo out;
  out.rows = std::max(1.0, a.rows * b.rows / EquiJoinDenominator(keys, a.rows, b.rows) * sel);
  out.ndv.assign(classes.size(), 0);
  for (size_t k = 0; k < classes.size(); ++k) {
    double x = a.ndv[k], y = b.ndv[k];
    double n = x > 0 && y > 0 ? std::min(x, y) : std::max(x, y);
    out.ndv[k] = n > 0 ? std::max(1.0, std::min(n, out.rows)) : 0;
  }
  return out;
}

double JoinRegion::Width(RelMask s) const {
  double w = 0;
  for (size_t i = 0; i < rels.size(); ++i) {
    if (s & Bit(static_cast<int>(i))) w += static_cast<double>(rels[i]->output.size());
  }
  return w;
}

bool JoinRegion::Connected(RelMask a, RelMask b) const {
  for (const auto& cls : classes) {
    if ((cls.rels & a) && (cls.rels & b)) return true;
  }
  for (const auto& o : others) {
    if ((o.mask & a) && (o.mask & b) && !(o.mask & ~(a | b))) return true;
  }
  return false;
}

bool JoinRegion::Dp() {
  const size_t n = rels.size();
  const RelMask full = FullMask();
  const size_t count = size_t{1} << n;
  std::vector<double> cost(count, kInf);
  std::vector<RelSetInfo> sets(count);
  std::vector<RelMask> best_left(count, 0);
  for (size_t i = 0; i < n; ++i) {
    cost[Bit(static_cast<int>(i))] = 0;
    sets[Bit(static_cast<int>(i))] = Single(static_cast<int>(i));
  }
  for (RelMask s = 1; s <= full; ++s) {
    if (std::popcount(s) < 2) continue;
    double best = kInf;
    RelMask best_a = 0;
    RelSetInfo best_info;
    // Enumerate proper subsets a of s with a < s ^ a (each split once).
    for (RelMask a = (s - 1) & s; a > 0; a = (a - 1) & s) {
      RelMask b = s ^ a;
      if (a > b || cost[a] == kInf || cost[b] == kInf || !Connected(a, b)) continue;
      RelSetInfo joined = Join(sets[a], a, sets[b], b);
      double c = cost[a] + cost[b] + joined.rows * (1 + kCostPerColumn * Width(s));
      if (c < best) {
        best = c;
        best_a = a;
        best_info = std::move(joined);
      }
    }
    if (best_a) {
      cost[s] = best;
      best_left[s] = best_a;
      sets[s] = std::move(best_info);
    }
  }
  if (cost[full] == kInf) return false;
  std::function<void(RelMask)> record = [&](RelMask s) {
    sets_[s] = sets[s];
    if (std::popcount(s) < 2) return;
    RelMask a = best_left[s];
    split_[s] = {a, s ^ a};
    record(a);
    record(s ^ a);
  };
  record(full);
  return true;
}

void JoinRegion::Greedy() {
  sets_.clear();
  split_.clear();
  std::vector<RelMask> comps;
  for (size_t i = 0; i < rels.size(); ++i) {
    comps.push_back(Bit(static_cast<int>(i)));
    sets_[comps.back()] = Single(static_cast<int>(i));
  }
  while (comps.size() > 1) {
    double best = kInf;
    size_t bi = 0, bj = 1;
    bool found_connected = false;
    RelSetInfo best_info;
    for (size_t i = 0; i < comps.size(); ++i) {
      for (size_t j = i + 1; j < comps.size(); ++j) {
        bool conn = Connected(comps[i], comps[j]);
        if (found_connected && !conn) continue;
        RelSetInfo joined = Join(sets_[comps[i]], comps[i], sets_[comps[j]], comps[j]);
        if ((conn && !found_connected) || joined.rows < best) {
          best = joined.rows;
          bi = i;
          bj = j;
          best_info = std::move(joined);
          found_connected = found_connected || conn;
        }
      }
    }
    RelMask merged = comps[bi] | comps[bj];
    split_[merged] = {comps[bi], comps[bj]};
    sets_[merged] = std::move(best_info);
    comps.erase(comps.begin() + static_cast<long>(bj));
    comps[bi] = merged;
  }
}

void JoinRegion::Plan() {
  if (rels.size() <= kMaxDpRelations && Dp()) return;
  Greedy();
}

ExprPtr JoinRegion::ClassEquality(const EqClass& cls, RelMask a, RelMask b) const {
  auto column = [&](ColumnId id) -> const OutputColumn* {
    for (const auto& m : cls.members) {
      if (m.col.id == id) return &m.col;
    }
    return nullptr;
  };
  for (const auto& [x, y] : cls.edges) {
    RelMask ox = Bit(owner.at(x)), oy = Bit(owner.at(y));
    const OutputColumn* cx = column(x);
    const OutputColumn* cy = column(y);
    if (!cx || !cy) continue;
    if ((ox & a) && (oy & b)) return MakeComparison("equal", RefTo(*cx), RefTo(*cy));
    if ((oy & a) && (ox & b)) return MakeComparison("equal", RefTo(*cy), RefTo(*cx));
  }
  const OutputColumn* ca = nullptr;
  const OutputColumn* cb = nullptr;
  for (const auto& m : cls.members) {
    if (!ca && (Bit(m.rel) & a)) ca = &m.col;
    if (!cb && (Bit(m.rel) & b)) cb = &m.col;
  }
  return MakeComparison("equal", RefTo(*ca), RefTo(*cb));
}

LogicalOpPtr JoinRegion::Build(RelMask s) {
  if (std::popcount(s) == 1) {
    int i = std::countr_zero(s);
    std::vector<ExprPtr> own;
    for (const auto& o : others) {
      if (o.mask == s) own.push_back(o.expr);
    }
    // Several members of one class in this relation must be equal here: joins
    // above only equate one member per side.
    for (const auto& cls : classes) {
      const OutputColumn* first = nullptr;
      for (const auto& m : cls.members) {
        if (m.rel != i) continue;
        if (!first) {
          first = &m.col;
        } else {
          own.push_back(MakeComparison("equal", RefTo(*first), RefTo(m.col)));
        }
      }
    }
    return MakeFilter(rels[static_cast<size_t>(i)], std::move(own));
  }
  auto [a, b] = split_.at(s);
  // Probe with the larger input, build (right) on the smaller one.
  if (sets_.at(a).rows < sets_.at(b).rows) std::swap(a, b);
  LogicalOpPtr left = Build(a);
  LogicalOpPtr right = Build(b);
  std::vector<ExprPtr> here;
  for (const auto& cls : classes) {
    if ((cls.rels & a) && (cls.rels & b)) here.push_back(ClassEquality(cls, a, b));
  }
  const RelMask full = FullMask();
  for (const auto& o : others) {
    bool covered = o.mask && !(o.mask & ~s) && (o.mask & ~a) && (o.mask & ~b);
    if (o.mask == 0 && s == full) covered = true;
    if (covered) here.push_back(o.expr);
  }
  auto j = MakeJoin(JoinType::kInner, left, right, std::move(here));
  j->build_right = true;
  j->estimated_rows = sets_.at(s).rows;
  return j;
}

}  // namespace shoal::opt
