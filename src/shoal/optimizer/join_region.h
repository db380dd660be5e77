// The join graph of one region of inner joins, used by join_reorder (see
// join_reorder.h for the rule): relations, equivalence classes of join columns,
// other conditions, the cost-based order search and the rebuild of the plan.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "shoal/optimizer/cardinality.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

/// A set of relations of a region, bit i = relation i.
using RelMask = uint64_t;

/// A column of relation `rel` that belongs to an equivalence class.
struct ClassMember {
  int rel = 0;
  plan::OutputColumn col;
};

/// Columns known equal through the region's column equalities.
struct EqClass {
  std::vector<ClassMember> members;
  /// The written equalities (column ids), preferred when rebuilding joins.
  std::vector<std::pair<ColumnId, ColumnId>> edges;
  RelMask rels = 0;   ///< relations holding a member
  double domain = 1;  ///< smallest member domain
};

/// A condition that is not a class equality.
struct OtherCondition {
  ExprPtr expr;
  RelMask mask = 0;  ///< relations it references
  double sel = 1;
};

/// Estimate of a set of relations joined together.
struct RelSetInfo {
  double rows = 0;
  std::vector<double> ndv;  ///< per class; 0 when the set holds no member
};

/// The join graph of a region. Fill `rels` and `owner`, call Classify, fill
/// `info`, Prepare, then Plan and Build.
class JoinRegion {
 public:
  std::vector<plan::LogicalOpPtr> rels;
  std::unordered_map<ColumnId, int> owner;  ///< output column -> relation
  std::vector<CardinalityInfo> info;        ///< per relation
  std::vector<EqClass> classes;
  std::vector<OtherCondition> others;

  /// Split `conds` into equivalence classes and other conditions.
  void Classify(const std::vector<ExprPtr>& conds);
  /// Compute class domains and condition selectivities from `info`.
  void Prepare();
  /// Find a join order (dynamic programming, or greedy for large or
  /// disconnected graphs).
  void Plan();
  /// Return the plan joining the relations of `set` in the order found.
  plan::LogicalOpPtr Build(RelMask set);
  /// Return the mask holding every relation.
  RelMask FullMask() const;

 private:
  RelSetInfo Single(int i) const;
  RelSetInfo Join(const RelSetInfo& a, RelMask am, const RelSetInfo& b, RelMask bm) const;
  bool Connected(RelMask a, RelMask b) const;
  /// Columns carried by the relations of `s`.
  double Width(RelMask s) const;
  /// Statistics of class `k`'s column on the side `side` of a join over `spanning`.
  std::vector<ColumnStats> SideStats(const RelSetInfo& side, RelMask mask,
                                     const std::vector<size_t>& spanning) const;
  bool Dp();
  void Greedy();
  ExprPtr ClassEquality(const EqClass& cls, RelMask a, RelMask b) const;

  std::unordered_map<RelMask, RelSetInfo> sets_;
  std::unordered_map<RelMask, std::pair<RelMask, RelMask>> split_;
};

}  // namespace shoal::opt
