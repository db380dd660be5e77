// Helpers for optimizer tests: fake tables with statistics and a small builder of
// logical plans with fresh column ids.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <gtest/gtest.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/settings.h"
#include "shoal/optimizer/optimizer.h"
#include "shoal/optimizer/plan_validator.h"
#include "shoal/planner/logical_plan.h"

#define SHOAL_OPT_CONCAT_(a, b) a##b
#define SHOAL_OPT_CONCAT(a, b) SHOAL_OPT_CONCAT_(a, b)
#define SHOAL_OPT_ASSIGN_IMPL(tmp, lhs, rexpr)                  \
  auto tmp = (rexpr);                                          \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();            \
  lhs = std::move(tmp).ValueUnsafe();
#ifndef ASSERT_OK_AND_ASSIGN
#define ASSERT_OK_AND_ASSIGN(lhs, rexpr) \
  SHOAL_OPT_ASSIGN_IMPL(SHOAL_OPT_CONCAT(_opt_result_, __LINE__), lhs, rexpr)
#endif

namespace shoal::opt::testing {

using namespace shoal::plan;  // NOLINT

/// A table that only describes itself (schema, row count); scanning fails.
class FakeTable : public TableProvider {
 public:
  FakeTable(std::shared_ptr<arrow::Schema> schema, std::optional<int64_t> rows)
      : schema_(std::move(schema)), rows_(rows) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "fake"; }
  TableStatistics statistics() const override {
    TableStatistics s;
    s.num_rows = rows_;
    s.exact = rows_.has_value();
    s.columns = columns_;
    return s;
  }
  /// Set the per-column statistics statistics() returns (schema order).
  void set_columns(std::vector<ColumnStatistics> columns) { columns_ = std::move(columns); }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest&) const override {
    return Status::NotImplemented("fake table");
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
  std::optional<int64_t> rows_;
  std::vector<ColumnStatistics> columns_;
};

/// Builds plans by hand. Every operator gets fresh ids from one counter.
class PlanBuilder {
 public:
  ColumnId NextId() { return next_id_++; }

  /// Scan of a fake table with columns (name, type) and `rows` rows (nullopt: unknown).
  LogicalOpPtr Get(const std::string& table,
                   const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& cols,
                   std::optional<int64_t> rows = 1000, bool nullable = true) {
    arrow::FieldVector fields;
    for (const auto& [n, t] : cols) fields.push_back(arrow::field(n, t, nullable));
    auto get = std::make_shared<LogicalGet>();
    get->table_name = table;
    get->table = std::make_shared<FakeTable>(arrow::schema(fields), rows);
    for (size_t i = 0; i < cols.size(); ++i) {
      get->projection.push_back(static_cast<int>(i));
      OutputColumn c;
      c.id = NextId();
      c.name = cols[i].first;
      c.type = cols[i].second;
      c.nullable = nullable;
      c.qualifier = table;
      get->output.push_back(c);
    }
    return get;
  }

  /// Column reference to the output column `name` of `op` (fails the test if absent).
  static ExprPtr Col(const LogicalOpPtr& op, const std::string& name) {
    for (const auto& c : op->output) {
      if (c.name == name) return MakeColumnRef(c.id, c.name, c.type, c.nullable);
    }
    ADD_FAILURE() << "no column " << name << " in " << op->Describe();
    return MakeNullLiteral(arrow::int64());
  }

  static LogicalOpPtr Filter(const LogicalOpPtr& child, std::vector<ExprPtr> conds) {
    auto f = std::make_shared<LogicalFilter>();
    f->children = {child};
    f->output = child->output;
    f->conditions = std::move(conds);
    return f;
  }

  LogicalOpPtr Join(JoinType type, const LogicalOpPtr& l, const LogicalOpPtr& r,
                    std::vector<ExprPtr> conds) {
    auto j = std::make_shared<LogicalJoin>();
    j->join_type = type;
    j->children = {l, r};
    j->conditions = std::move(conds);
    j->output = l->output;
    if (type == JoinType::kMark) {
      j->mark_id = NextId();
      j->output.push_back({j->mark_id, "mark", arrow::boolean(), true, ""});
    } else if (type != JoinType::kSemi && type != JoinType::kAnti) {
      for (auto c : r->output) j->output.push_back(c);
    }
    return j;
  }

  /// Projection of `exprs` named `names`.
  LogicalOpPtr Project(const LogicalOpPtr& child, std::vector<ExprPtr> exprs,
                       std::vector<std::string> names) {
    auto p = std::make_shared<LogicalProjection>();
    p->children = {child};
    for (size_t i = 0; i < exprs.size(); ++i) {
      OutputColumn c;
      c.id = NextId();
      c.name = names.at(i);
      c.type = exprs[i]->type;
      c.nullable = exprs[i]->nullable;
      p->output.push_back(c);
    }
    p->exprs = std::move(exprs);
    return p;
  }

  /// Aggregate with `groups` (named g0, g1, ... unless names given) and aggregates.
  LogicalOpPtr Aggregate(const LogicalOpPtr& child, std::vector<ExprPtr> groups,
                         std::vector<ExprPtr> aggs, std::vector<std::string> names = {}) {
    auto a = std::make_shared<LogicalAggregate>();
    a->children = {child};
    size_t k = 0;
    auto add = [&](const ExprPtr& e) {
      OutputColumn c;
      c.id = NextId();
      c.name = k < names.size() ? names[k] : "c" + std::to_string(k);
      ++k;
      c.type = e->type;
      c.nullable = e->nullable;
      a->output.push_back(c);
    };
    for (const auto& g : groups) add(g);
    for (const auto& e : aggs) add(e);
    a->groups = std::move(groups);
    a->aggregates = std::move(aggs);
    return a;
  }

  static ExprPtr Agg(const std::string& fn, std::vector<ExprPtr> args,
                     std::shared_ptr<arrow::DataType> type) {
    auto a = std::make_shared<AggregateExpr>(fn, std::move(args), std::move(type));
    a->nullable = fn != "count";
    return a;
  }

  static LogicalOpPtr Sort(const LogicalOpPtr& child, ExprPtr key) {
    auto s = std::make_shared<LogicalSort>();
    s->children = {child};
    s->output = child->output;
    s->keys.push_back({std::move(key), true, false});
    return s;
  }

  static LogicalOpPtr Limit(const LogicalOpPtr& child, int64_t n, int64_t offset = 0) {
    auto l = std::make_shared<LogicalLimit>();
    l->children = {child};
    l->output = child->output;
    l->limit = n;
    l->offset = offset;
    return l;
  }

  static ExprPtr Subquery(SubqueryKind kind, const LogicalOpPtr& plan, bool negated = false,
                          ExprPtr operand = nullptr, std::vector<ColumnId> correlated = {}) {
    auto type = kind == SubqueryKind::kScalar ? plan->output.at(0).type : arrow::boolean();
    auto s = std::make_shared<SubqueryExpr>(kind, plan, type);
    s->negated = negated;
    s->operand = std::move(operand);
    s->correlated_columns = std::move(correlated);
    return s;
  }

  static ExprPtr Int(int64_t v) { return MakeLiteral(std::make_shared<arrow::Int64Scalar>(v)); }
  static ExprPtr Int32(int32_t v) { return MakeLiteral(std::make_shared<arrow::Int32Scalar>(v)); }
  static ExprPtr Str(const std::string& v) {
    return MakeLiteral(std::make_shared<arrow::StringScalar>(v));
  }
  static ExprPtr Eq(ExprPtr a, ExprPtr b) { return MakeComparison("equal", a, b); }
  static ExprPtr Lt(ExprPtr a, ExprPtr b) { return MakeComparison("less", a, b); }
  static ExprPtr Gt(ExprPtr a, ExprPtr b) { return MakeComparison("greater", a, b); }
  static ExprPtr Ne(ExprPtr a, ExprPtr b) { return MakeComparison("not_equal", a, b); }
  static ExprPtr Call(const std::string& fn, std::vector<ExprPtr> args,
                      std::shared_ptr<arrow::DataType> type, const std::string& display = "") {
    auto c = std::make_shared<CallExpr>(fn, std::move(args), std::move(type), nullptr, display);
    bool nullable = false;
    for (const auto& a : c->args) nullable = nullable || a->nullable;
    c->nullable = nullable;
    return c;
  }

 private:
  ColumnId next_id_ = 1;
};

/// Return the number of operators of `kind` in the plan.
inline int CountOps(const LogicalOpPtr& op, LogicalOpKind kind) {
  if (!op) return 0;
  int n = op->kind == kind ? 1 : 0;
  for (const auto& c : op->children) n += CountOps(c, kind);
  return n;
}

/// Return the first operator of `kind` found in pre-order, or null.
inline LogicalOpPtr FindOp(const LogicalOpPtr& op, LogicalOpKind kind) {
  if (!op) return nullptr;
  if (op->kind == kind) return op;
  for (const auto& c : op->children) {
    if (auto f = FindOp(c, kind)) return f;
  }
  return nullptr;
}

/// Return the joins of the plan in pre-order.
inline void CollectJoins(const LogicalOpPtr& op, std::vector<std::shared_ptr<LogicalJoin>>* out) {
  if (!op) return;
  if (op->kind == LogicalOpKind::kJoin) out->push_back(std::static_pointer_cast<LogicalJoin>(op));
  for (const auto& c : op->children) CollectJoins(c, out);
}

/// Return true when some expression anywhere in the plan is a subquery.
inline bool HasSubquery(const LogicalOpPtr& op) {
  for (const auto& e : op->Expressions()) {
    if (ContainsKind(e, ExprKind::kSubquery)) return true;
  }
  for (const auto& c : op->children) {
    if (HasSubquery(c)) return true;
  }
  return false;
}

class OptimizerTestBase : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(arrow::compute::Initialize().ok()); }

  /// Apply one rule to *plan (in place), then check the plan is still valid.
  template <typename Rule>
  Result<bool> Apply(LogicalOpPtr* plan) {
    Rule rule;
    OptimizerContext ctx(settings_, *plan);
    auto before = (*plan)->output;
    ARROW_ASSIGN_OR_RAISE(bool changed, rule.Apply(plan, ctx));
    ARROW_RETURN_NOT_OK(ValidatePlan(*plan));
    if ((*plan)->output.size() != before.size()) return Status::Invalid("root output changed");
    return changed;
  }

  Settings settings_;
  PlanBuilder b;
};

}  // namespace shoal::opt::testing
