#include "shoal/optimizer/push_down_projections.h"

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

void AddRefs(const std::vector<ExprPtr>& exprs, IdSet* out) {
  for (const auto& e : exprs) CollectIds(e, out);
}

/// Keep the columns of `cols` whose ids are in `keep`, preserving flags of `old`.
std::vector<OutputColumn> Rebuild(const std::vector<OutputColumn>& cols,
                                  const std::vector<OutputColumn>& old) {
  std::vector<OutputColumn> out;
  for (const auto& c : cols) {
    OutputColumn col = c;
    for (const auto& o : old) {
      if (o.id == c.id) col = o;
    }
    out.push_back(col);
  }
  return out;
}

class Pruner {
 public:
  Result<LogicalOpPtr> Prune(LogicalOpPtr op, const IdSet& required) {
    switch (op->kind) {
      case LogicalOpKind::kProjection: {
        auto& p = op->As<LogicalProjection>();
        std::vector<ExprPtr> exprs;
        std::vector<OutputColumn> out;
        for (size_t i = 0; i < p.exprs.size(); ++i) {
          if (required.count(op->output[i].id)) {
            exprs.push_back(p.exprs[i]);
            out.push_back(op->output[i]);
          }
        }
        p.exprs = std::move(exprs);
        op->output = std::move(out);
        IdSet need;
        AddRefs(p.exprs, &need);
        ARROW_ASSIGN_OR_RAISE(op->children[0], Prune(op->children[0], need));
        return op;
      }
      case LogicalOpKind::kFilter:
      case LogicalOpKind::kSort:
      case LogicalOpKind::kTopN:
      case LogicalOpKind::kLimit: {
        IdSet need = required;
        AddRefs(op->Expressions(), &need);
        ARROW_ASSIGN_OR_RAISE(op->children[0], Prune(op->children[0], need));
        op->output = op->children[0]->output;
        return op;
      }
      case LogicalOpKind::kAggregate: {
        auto& a = op->As<LogicalAggregate>();
        const size_t ng = a.groups.size();
        std::vector<ExprPtr> aggs;
        std::vector<OutputColumn> out(op->output.begin(), op->output.begin() + ng);
        for (size_t i = 0; i < a.aggregates.size(); ++i) {
          const auto& col = op->output[ng + i];
          bool keep = required.count(col.id) > 0;
          // An aggregate without groups and without calls is awkward to run; keep one.
          if (!keep && ng == 0 && aggs.empty() && i + 1 == a.aggregates.size()) keep = true;
          if (keep) {
            aggs.push_back(a.aggregates[i]);
            out.push_back(col);
          }
        }
        if (!a.grouping_sets.empty()) out.push_back(op->output.back());
        a.aggregates = std::move(aggs);
        op->output = std::move(out);
        IdSet need;
        AddRefs(a.groups, &need);
        AddRefs(a.aggregates, &need);
        ARROW_ASSIGN_OR_RAISE(op->children[0], Prune(op->children[0], need));
        return op;
      }
      case LogicalOpKind::kJoin: {
        auto& j = op->As<LogicalJoin>();
        IdSet cond_refs;
        AddRefs(j.conditions, &cond_refs);
        IdSet need_left, need_right;
        for (ColumnId id : OutputIdSet(*op->children[0])) {
          if (required.count(id) || cond_refs.count(id)) need_left.insert(id);
        }
        const bool right_visible = j.join_type != JoinType::kSemi &&
                                   j.join_type != JoinType::kAnti &&
                                   j.join_type != JoinType::kMark;
        for (ColumnId id : OutputIdSet(*op->children[1])) {
          if ((right_visible && required.count(id)) || cond_refs.count(id)) need_right.insert(id);
        }
        ARROW_ASSIGN_OR_RAISE(op->children[0], Prune(op->children[0], need_left));
        ARROW_ASSIGN_OR_RAISE(op->children[1], Prune(op->children[1], need_right));
        std::vector<OutputColumn> cols = op->children[0]->output;
        if (right_visible) {
          cols.insert(cols.end(), op->children[1]->output.begin(),
                      op->children[1]->output.end());
        }
        auto rebuilt = Rebuild(cols, op->output);
        if (j.join_type == JoinType::kMark) rebuilt.push_back(op->output.back());
        op->output = std::move(rebuilt);
        return op;
      }
      case LogicalOpKind::kWindow: {
        auto& w = op->As<LogicalWindow>();
        const size_t width = op->children[0]->output.size();
        std::vector<ExprPtr> exprs;
        std::vector<OutputColumn> win_cols;
        for (size_t i = 0; i < w.window_exprs.size(); ++i) {
          const auto& col = op->output[width + i];
          if (required.count(col.id)) {
            exprs.push_back(w.window_exprs[i]);
            win_cols.push_back(col);
          }
        }
        w.window_exprs = std::move(exprs);
        IdSet need;
        for (ColumnId id : OutputIdSet(*op->children[0])) {
          if (required.count(id)) need.insert(id);
        }
        AddRefs(w.window_exprs, &need);
        ARROW_ASSIGN_OR_RAISE(op->children[0], Prune(op->children[0], need));
        op->output = op->children[0]->output;
        op->output.insert(op->output.end(), win_cols.begin(), win_cols.end());
        return op;
      }
      case LogicalOpKind::kGet: {
        auto& g = op->As<LogicalGet>();
        IdSet need = required;
        AddRefs(g.filters, &need);
        std::vector<int> proj;
        std::vector<OutputColumn> out;
        for (size_t i = 0; i < g.projection.size(); ++i) {
          if (need.count(op->output[i].id)) {
            proj.push_back(g.projection[i]);
            out.push_back(op->output[i]);
          }
        }
        g.projection = std::move(proj);
        op->output = std::move(out);
        return op;
      }
      case LogicalOpKind::kValues: {
        auto& v = op->As<LogicalValues>();
        std::vector<size_t> keep;
        for (size_t i = 0; i < op->output.size(); ++i) {
          if (required.count(op->output[i].id)) keep.push_back(i);
        }
        if (keep.size() == op->output.size()) return op;
        std::vector<OutputColumn> out;
        for (size_t i : keep) out.push_back(op->output[i]);
        for (auto& row : v.rows) {
          std::vector<ExprPtr> r;
          for (size_t i : keep) r.push_back(row[i]);
          row = std::move(r);
        }
        op->output = std::move(out);
        return op;
      }
      case LogicalOpKind::kEmpty: {
        std::vector<OutputColumn> out;
        for (const auto& c : op->output) {
          if (required.count(c.id)) out.push_back(c);
        }
        op->output = std::move(out);
        return op;
      }
      case LogicalOpKind::kSetOperation: {
        auto& s = op->As<LogicalSetOperation>();
        std::vector<size_t> keep;
        for (size_t i = 0; i < op->output.size(); ++i) {
          if (!(s.op == SetOpKind::kUnion && s.all) || required.count(op->output[i].id)) {
            keep.push_back(i);
          }
        }
        if (keep.empty() && !op->output.empty()) keep.push_back(0);
        for (auto& child : op->children) {
          std::vector<OutputColumn> want;
          IdSet need;
          for (size_t i : keep) {
            want.push_back(child->output[i]);
            need.insert(child->output[i].id);
          }
          ARROW_ASSIGN_OR_RAISE(child, Prune(child, need));
          child = EnsureOutput(child, want);
        }
        std::vector<OutputColumn> out;
        for (size_t i : keep) out.push_back(op->output[i]);
        op->output = std::move(out);
        return op;
      }
      default:
        // Recursive CTEs and their working-table reads keep every column.
        return op;
    }
  }
};

}  // namespace

Result<bool> PushDownProjections::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  const auto root_output = (*plan)->output;
  Pruner pruner;
  ARROW_ASSIGN_OR_RAISE(auto pruned, pruner.Prune(*plan, OutputIdSet(**plan)));
  *plan = EnsureOutput(pruned, root_output);
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
