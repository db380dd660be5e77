#include "shoal/planner/logical_plan.h"

#include <sstream>

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

std::string Keys(const std::vector<SortKey>& keys) {
  std::string out;
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i) out += ", ";
    out += keys[i].ToString();
  }
  return out;
}

std::vector<ExprPtr> KeyExprs(const std::vector<SortKey>& keys) {
  std::vector<ExprPtr> out;
  for (const auto& k : keys) out.push_back(k.expr);
  return out;
}

template <typename T>
LogicalOpPtr CloneAs(const T& op) {
  return std::make_shared<T>(op);
}

}  // namespace

const char* LogicalOpKindName(LogicalOpKind kind) {
  switch (kind) {
    case LogicalOpKind::kGet: return "Get";
    case LogicalOpKind::kFilter: return "Filter";
    case LogicalOpKind::kProjection: return "Projection";
    case LogicalOpKind::kAggregate: return "Aggregate";
    case LogicalOpKind::kJoin: return "Join";
    case LogicalOpKind::kSort: return "Sort";
    case LogicalOpKind::kLimit: return "Limit";
    case LogicalOpKind::kTopN: return "TopN";
    case LogicalOpKind::kSetOperation: return "SetOperation";
    case LogicalOpKind::kValues: return "Values";
    case LogicalOpKind::kWindow: return "Window";
    case LogicalOpKind::kEmpty: return "Empty";
    case LogicalOpKind::kCteRef: return "CteRef";
    case LogicalOpKind::kRecursiveCte: return "RecursiveCte";
    case LogicalOpKind::kMaterializedCte: return "MaterializedCte";
  }
  return "?";
}

const char* JoinTypeName(JoinType t) {
  switch (t) {
    case JoinType::kInner: return "INNER";
    case JoinType::kLeft: return "LEFT";
    case JoinType::kRight: return "RIGHT";
    case JoinType::kFull: return "FULL";
    case JoinType::kSemi: return "SEMI";
    case JoinType::kAnti: return "ANTI";
    case JoinType::kMark: return "MARK";
    case JoinType::kSingle: return "SINGLE";
  }
  return "?";
}

std::vector<ColumnId> LogicalOp::OutputIds() const {
  std::vector<ColumnId> ids;
  ids.reserve(output.size());
  for (const auto& c : output) ids.push_back(c.id);
  return ids;
}

std::string LogicalGet::Describe() const {
  std::string out = "Get: " + table_name + " [";
  for (size_t i = 0; i < output.size(); ++i) {
    if (i) out += ", ";
    out += output[i].name + "@" + std::to_string(output[i].id);
  }
  out += "]";
  if (!filters.empty()) out += " filters=[" + JoinExprs(filters) + "]";
  if (limit) out += " limit=" + std::to_string(*limit);
  return out;
}
LogicalOpPtr LogicalGet::Clone() const { return CloneAs(*this); }

std::string LogicalFilter::Describe() const {
  return "Filter: " + JoinExprs(conditions, " AND ");
}
LogicalOpPtr LogicalFilter::Clone() const { return CloneAs(*this); }

std::string LogicalProjection::Describe() const {
  std::string out = "Projection: ";
  for (size_t i = 0; i < exprs.size(); ++i) {
    if (i) out += ", ";
    out += exprs[i]->ToString();
    if (i < output.size()) out += " AS " + output[i].name + "@" + std::to_string(output[i].id);
  }
  return out;
}
LogicalOpPtr LogicalProjection::Clone() const { return CloneAs(*this); }

std::string LogicalAggregate::Describe() const {
  std::string out = "Aggregate: groups=[" + JoinExprs(groups) + "] aggregates=[" +
                    JoinExprs(aggregates) + "]";
  if (!grouping_sets.empty()) {
    out += " sets=[";
    for (size_t s = 0; s < grouping_sets.size(); ++s) {
      if (s) out += ", ";
      out += "(";
      for (size_t i = 0; i < grouping_sets[s].size(); ++i) {
        if (i) out += ", ";
        out += std::to_string(grouping_sets[s][i]);
      }
      out += ")";
    }
    out += "]";
  }
  return out;
}
LogicalOpPtr LogicalAggregate::Clone() const { return CloneAs(*this); }
std::vector<ExprPtr> LogicalAggregate::Expressions() const {
  std::vector<ExprPtr> out = groups;
  out.insert(out.end(), aggregates.begin(), aggregates.end());
  return out;
}

std::string LogicalJoin::Describe() const {
  std::string out = std::string("Join: ") + JoinTypeName(join_type);
  if (!conditions.empty()) out += " ON " + JoinExprs(conditions, " AND ");
  if (join_type == JoinType::kMark) {
    out += " mark=@" + std::to_string(mark_id);
    if (mark_null_aware) out += " null_aware";
  }
  if (!build_right) out += " build=left";
  return out;
}
LogicalOpPtr LogicalJoin::Clone() const { return CloneAs(*this); }

std::string LogicalSort::Describe() const { return "Sort: " + Keys(keys); }
LogicalOpPtr LogicalSort::Clone() const { return CloneAs(*this); }
std::vector<ExprPtr> LogicalSort::Expressions() const { return KeyExprs(keys); }

std::string LogicalLimit::Describe() const {
  std::string out = "Limit:";
  if (limit) out += " limit=" + std::to_string(*limit);
  if (offset) out += " offset=" + std::to_string(offset);
  return out;
}
LogicalOpPtr LogicalLimit::Clone() const { return CloneAs(*this); }

std::string LogicalTopN::Describe() const {
  std::string out = "TopN: limit=" + std::to_string(limit);
  if (offset) out += " offset=" + std::to_string(offset);
  return out + " " + Keys(keys);
}
LogicalOpPtr LogicalTopN::Clone() const { return CloneAs(*this); }
std::vector<ExprPtr> LogicalTopN::Expressions() const { return KeyExprs(keys); }

std::string LogicalSetOperation::Describe() const {
  const char* name = op == SetOpKind::kUnion       ? "UNION"
                     : op == SetOpKind::kIntersect ? "INTERSECT"
                                                   : "EXCEPT";
  return std::string("SetOperation: ") + name + (all ? " ALL" : "");
}
LogicalOpPtr LogicalSetOperation::Clone() const { return CloneAs(*this); }

std::string LogicalValues::Describe() const {
  std::string out = "Values: " + std::to_string(rows.size()) + " rows";
  if (rows.size() <= 3) {
    for (const auto& r : rows) out += " (" + JoinExprs(r) + ")";
  }
  return out;
}
LogicalOpPtr LogicalValues::Clone() const { return CloneAs(*this); }

std::string LogicalWindow::Describe() const { return "Window: " + JoinExprs(window_exprs); }
LogicalOpPtr LogicalWindow::Clone() const { return CloneAs(*this); }

std::string LogicalEmpty::Describe() const { return "Empty"; }
LogicalOpPtr LogicalEmpty::Clone() const { return CloneAs(*this); }

std::string LogicalCteRef::Describe() const {
  return "CteRef: " + (name.empty() ? "" : name + " ") + "#" + std::to_string(cte_index) +
         (materialized ? " (materialized)" : "");
}
LogicalOpPtr LogicalCteRef::Clone() const { return CloneAs(*this); }

std::string LogicalRecursiveCte::Describe() const {
  return "RecursiveCte: " + name + " #" + std::to_string(cte_index) +
         (union_all ? " UNION ALL" : " UNION");
}
LogicalOpPtr LogicalRecursiveCte::Clone() const { return CloneAs(*this); }

std::string LogicalMaterializedCte::Describe() const {
  return "MaterializedCte: " + (name.empty() ? "" : name + " ") + "#" +
         std::to_string(cte_index);
}
LogicalOpPtr LogicalMaterializedCte::Clone() const { return CloneAs(*this); }

namespace {
void Print(const LogicalOpPtr& op, int depth, std::string* out) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  if (!op) {
    out->append("<null>\n");
    return;
  }
  out->append(op->Describe());
  if (op->estimated_rows) {
    std::ostringstream s;
    s << " (rows~" << static_cast<int64_t>(*op->estimated_rows) << ")";
    out->append(s.str());
  }
  out->append("\n");
  for (const auto& c : op->children) Print(c, depth + 1, out);
}
}  // namespace

std::string PlanToString(const LogicalOpPtr& plan) {
  std::string out;
  Print(plan, 0, &out);
  return out;
}

}  // namespace shoal::plan
