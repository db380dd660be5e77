// Helpers for executor tests: in-memory tables, hand-built logical plans and
// result formatting.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "shoal/execution/executor.h"
#include "shoal/function/function_catalog.h"
#include "shoal/io/memory_table.h"
#include "shoal/planner/expression.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::exec::testing {

using namespace shoal::plan;  // NOLINT

#define EXEC_ASSIGN_OR_FAIL_IMPL(tmp, lhs, expr)            \
  auto tmp = (expr);                                       \
  ASSERT_TRUE(tmp.ok()) << tmp.status().ToString();        \
  lhs = std::move(tmp).ValueUnsafe();
#define EXEC_CONCAT2(a, b) a##b
#define EXEC_CONCAT(a, b) EXEC_CONCAT2(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  EXEC_ASSIGN_OR_FAIL_IMPL(EXEC_CONCAT(_r_, __LINE__), lhs, expr)
#define ASSERT_OK(expr)                                   \
  do {                                                    \
    auto _st = (expr);                                    \
    ASSERT_TRUE(_st.ok()) << _st.ToString();              \
  } while (0)

/// Return prefix followed by the number.
inline std::string Suffixed(const char* prefix, int64_t n) {
  std::string s = prefix;
  s += std::to_string(n);
  return s;
}

/// Test parameters: threads and batch size.
struct RunConfig {
  int threads;
  int64_t batch_size;
};

inline std::string ConfigName(const ::testing::TestParamInfo<RunConfig>& info) {
  return Suffixed("t", info.param.threads) + Suffixed("_b", info.param.batch_size);
}

/// Builds plans with fresh column ids.
class PlanBuilder {
 public:
  ColumnId NextId() { return next_id_++; }

  /// A memory table from JSON column arrays; split into batches of `rows_per_batch`
  /// rows so scans have many morsels.
  std::shared_ptr<TableProvider> Table(const std::shared_ptr<arrow::Schema>& schema,
                                       const std::vector<std::string>& json_columns,
                                       int64_t rows_per_batch = 2) {
    arrow::ArrayVector cols;
    for (int i = 0; i < schema->num_fields(); ++i) {
      auto r = arrow::json::ArrayFromJSONString(schema->field(i)->type(),
                                                          json_columns[i]);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      cols.push_back(*r);
    }
    int64_t n = cols.empty() ? 0 : cols[0]->length();
    auto batch = arrow::RecordBatch::Make(schema, n, cols);
    std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
    for (int64_t off = 0; off < n; off += rows_per_batch) {
      batches.push_back(batch->Slice(off, std::min(rows_per_batch, n - off)));
    }
    auto t = MemoryTable::Make(schema, {batches});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return *t;
  }

  LogicalOpPtr Get(const std::string& name, const std::shared_ptr<TableProvider>& table) {
    auto g = std::make_shared<LogicalGet>();
    g->table_name = name;
    g->table = table;
    auto schema = table->schema();
    for (int i = 0; i < schema->num_fields(); ++i) {
      g->projection.push_back(i);
      g->output.push_back(
          {NextId(), schema->field(i)->name(), schema->field(i)->type(), true, name});
    }
    return g;
  }

  static ExprPtr Col(const LogicalOpPtr& op, int i) {
    const auto& c = op->output[i];
    return MakeColumnRef(c.id, c.name, c.type);
  }

  LogicalOpPtr Filter(LogicalOpPtr child, std::vector<ExprPtr> conds) {
    auto f = std::make_shared<LogicalFilter>();
    f->output = child->output;
    f->children = {std::move(child)};
    f->conditions = std::move(conds);
    return f;
  }

  LogicalOpPtr Project(LogicalOpPtr child, std::vector<ExprPtr> exprs,
                       std::vector<std::string> names = {}) {
    auto p = std::make_shared<LogicalProjection>();
    for (size_t i = 0; i < exprs.size(); ++i) {
      p->output.push_back({NextId(), i < names.size() ? names[i] : Suffixed("c", i),
                           exprs[i]->type, true, ""});
    }
    p->exprs = std::move(exprs);
    p->children = {std::move(child)};
    return p;
  }

  LogicalOpPtr Join(LogicalOpPtr left, LogicalOpPtr right, JoinType type,
                    std::vector<ExprPtr> conds, bool build_right = true,
                    bool null_aware = false) {
    auto j = std::make_shared<LogicalJoin>();
    j->join_type = type;
    j->conditions = std::move(conds);
    j->build_right = build_right;
    j->mark_null_aware = null_aware;
    j->output = left->output;
    if (type == JoinType::kMark) {
      j->mark_id = NextId();
      j->output.push_back({j->mark_id, "mark", arrow::boolean(), true, ""});
    } else if (type != JoinType::kSemi && type != JoinType::kAnti) {
      for (const auto& c : right->output) j->output.push_back(c);
    }
    j->children = {std::move(left), std::move(right)};
    return j;
  }

  /// Aggregate with groups (column refs or expressions) and AggregateExprs.
  LogicalOpPtr Aggregate(LogicalOpPtr child, std::vector<ExprPtr> groups,
                         std::vector<ExprPtr> aggs,
                         std::vector<std::vector<int>> sets = {}) {
    auto a = std::make_shared<LogicalAggregate>();
    for (size_t i = 0; i < groups.size(); ++i) {
      a->output.push_back({NextId(), Suffixed("g", i), groups[i]->type, true, ""});
    }
    for (size_t i = 0; i < aggs.size(); ++i) {
      a->output.push_back({NextId(), Suffixed("a", i), aggs[i]->type, true, ""});
    }
    if (!sets.empty()) a->output.push_back({NextId(), "gid", arrow::uint64(), false, ""});
    a->groups = std::move(groups);
    a->aggregates = std::move(aggs);
    a->grouping_sets = std::move(sets);
    a->children = {std::move(child)};
    return a;
  }

  /// Bind an aggregate through the catalog to get its result type.
  static ExprPtr Agg(const std::string& fn, std::vector<ExprPtr> args, bool distinct = false,
                     ExprPtr filter = nullptr, std::vector<SortKey> order = {}) {
    std::vector<ScalarArg> sargs;
    for (const auto& a : args) {
      ScalarArg s;
      s.type = a->type;
      if (a->kind == ExprKind::kLiteral) s.literal = static_cast<const LiteralExpr&>(*a).value;
      sargs.push_back(s);
    }
    auto bound = FunctionCatalog::Get().BindAggregate(fn, sargs, distinct);
    EXPECT_TRUE(bound.ok()) << bound.status().ToString();
    auto e = std::make_shared<AggregateExpr>(fn, std::move(args), bound->return_type);
    e->distinct = distinct;
    e->filter = std::move(filter);
    e->order_by = std::move(order);
    e->options = bound->options;
    return e;
  }

  LogicalOpPtr Sort(LogicalOpPtr child, std::vector<SortKey> keys) {
    auto s = std::make_shared<LogicalSort>();
    s->output = child->output;
    s->keys = std::move(keys);
    s->children = {std::move(child)};
    return s;
  }

  LogicalOpPtr TopN(LogicalOpPtr child, std::vector<SortKey> keys, int64_t limit,
                    int64_t offset = 0) {
    auto s = std::make_shared<LogicalTopN>();
    s->output = child->output;
    s->keys = std::move(keys);
    s->limit = limit;
    s->offset = offset;
    s->children = {std::move(child)};
    return s;
  }

  LogicalOpPtr Limit(LogicalOpPtr child, std::optional<int64_t> limit, int64_t offset = 0) {
    auto l = std::make_shared<LogicalLimit>();
    l->output = child->output;
    l->limit = limit;
    l->offset = offset;
    l->children = {std::move(child)};
    return l;
  }

  LogicalOpPtr SetOp(LogicalOpPtr l, LogicalOpPtr r, SetOpKind op, bool all) {
    auto s = std::make_shared<LogicalSetOperation>();
    s->op = op;
    s->all = all;
    for (const auto& c : l->output) s->output.push_back({NextId(), c.name, c.type, true, ""});
    s->children = {std::move(l), std::move(r)};
    return s;
  }

  LogicalOpPtr Values(std::vector<std::shared_ptr<arrow::DataType>> types,
                      std::vector<std::vector<ExprPtr>> rows) {
    auto v = std::make_shared<LogicalValues>();
    for (size_t i = 0; i < types.size(); ++i) {
      v->output.push_back({NextId(), Suffixed("v", i), types[i], true, ""});
    }
    v->rows = std::move(rows);
    return v;
  }

 private:
  ColumnId next_id_ = 1;
};

inline ExprPtr Lit(int64_t v) { return MakeLiteral(std::make_shared<arrow::Int64Scalar>(v)); }
inline ExprPtr Lit32(int32_t v) { return MakeLiteral(std::make_shared<arrow::Int32Scalar>(v)); }
inline ExprPtr LitD(double v) { return MakeLiteral(std::make_shared<arrow::DoubleScalar>(v)); }
inline ExprPtr LitS(const std::string& v) {
  return MakeLiteral(std::make_shared<arrow::StringScalar>(v));
}
inline ExprPtr Call(const std::string& fn, std::vector<ExprPtr> args,
                    std::shared_ptr<arrow::DataType> type) {
  return std::make_shared<CallExpr>(fn, std::move(args), std::move(type));
}
inline ExprPtr Cmp(const std::string& op, ExprPtr a, ExprPtr b) {
  return Call(op, {std::move(a), std::move(b)}, arrow::boolean());
}

/// Render one value of a result.
inline std::string Cell(const arrow::Array& a, int64_t i) {
  if (a.IsNull(i)) return "NULL";
  auto s = a.GetScalar(i);
  return s.ok() ? (*s)->ToString() : "?";
}

/// Result of a run: rows rendered as "a|b|c".
struct RunResult {
  Status status;
  std::vector<std::string> rows;
  std::shared_ptr<arrow::Schema> schema;
  std::string analyze;
  std::vector<std::string> Sorted() const {
    auto r = rows;
    std::sort(r.begin(), r.end());
    return r;
  }
};

inline RunResult RunPlan(const LogicalOpPtr& plan, RunConfig cfg,
                         const std::atomic<bool>* cancel = nullptr) {
  RunResult out;
  ExecutionOptions opts;
  opts.threads = cfg.threads;
  opts.batch_size = cfg.batch_size;
  opts.cancel = cancel;
  auto q = QueryExecution::Make(plan, opts);
  if (!q.ok()) {
    out.status = q.status();
    return out;
  }
  out.schema = (*q)->schema();
  std::mutex mu;
  out.status = (*q)->Run([&](std::shared_ptr<arrow::RecordBatch> b) {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_TRUE(b->schema()->Equals(*out.schema)) << b->schema()->ToString();
    for (int64_t r = 0; r < b->num_rows(); ++r) {
      std::string row;
      for (int c = 0; c < b->num_columns(); ++c) {
        if (c) row += "|";
        row += Cell(*b->column(c), r);
      }
      out.rows.push_back(row);
    }
    return Status::OK();
  });
  out.analyze = (*q)->ExplainAnalyze();
  return out;
}

inline std::vector<std::string> Rows(std::vector<std::string> r, bool sort = true) {
  if (sort) std::sort(r.begin(), r.end());
  return r;
}

}  // namespace shoal::exec::testing
