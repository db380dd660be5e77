// Bind the TPC-H queries (bench/tpch/queries) over fake tables with SF1 row
// counts, optimize them and check the plan shapes: no subqueries left, no
// per-row nested loops for the correlated queries, pruned scans.
#include <filesystem>
#include <functional>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "optimizer_test_util.h"
#include "shoal/catalog/catalog.h"
#include "shoal/optimizer/cardinality.h"
#include "shoal/optimizer/optimizer.h"
#include "shoal/optimizer/plan_validator.h"
#include "shoal/parser/parser.h"
#include "shoal/planner/binder.h"

namespace shoal::opt::testing {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<arrow::DataType> Money() { return arrow::decimal128(15, 2); }

void AddTable(Catalog* catalog, const std::string& name, int64_t rows,
              std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> cols) {
  arrow::FieldVector fields;
  for (auto& [n, t] : cols) fields.push_back(arrow::field(n, t));
  ASSERT_TRUE(catalog
                  ->RegisterTable({name}, std::make_shared<FakeTable>(arrow::schema(fields), rows))
                  .ok());
}

std::unique_ptr<Catalog> TpchCatalog() {
  auto c = std::make_unique<Catalog>();
  auto i64 = arrow::int64();
  auto i32 = arrow::int32();
  auto str = arrow::utf8();
  auto date = arrow::date32();
  AddTable(c.get(), "nation", 25,
           {{"n_nationkey", i32}, {"n_name", str}, {"n_regionkey", i32}, {"n_comment", str}});
  AddTable(c.get(), "region", 5, {{"r_regionkey", i32}, {"r_name", str}, {"r_comment", str}});
  AddTable(c.get(), "part", 200000,
           {{"p_partkey", i64}, {"p_name", str}, {"p_mfgr", str}, {"p_brand", str},
            {"p_type", str}, {"p_size", i32}, {"p_container", str}, {"p_retailprice", Money()},
            {"p_comment", str}});
  AddTable(c.get(), "supplier", 10000,
           {{"s_suppkey", i64}, {"s_name", str}, {"s_address", str}, {"s_nationkey", i32},
            {"s_phone", str}, {"s_acctbal", Money()}, {"s_comment", str}});
  AddTable(c.get(), "partsupp", 800000,
           {{"ps_partkey", i64}, {"ps_suppkey", i64}, {"ps_availqty", i32},
            {"ps_supplycost", Money()}, {"ps_comment", str}});
  AddTable(c.get(), "customer", 150000,
           {{"c_custkey", i64}, {"c_name", str}, {"c_address", str}, {"c_nationkey", i32},
            {"c_phone", str}, {"c_acctbal", Money()}, {"c_mktsegment", str}, {"c_comment", str}});
  AddTable(c.get(), "orders", 1500000,
           {{"o_orderkey", i64}, {"o_custkey", i64}, {"o_orderstatus", str},
            {"o_totalprice", Money()}, {"o_orderdate", date}, {"o_orderpriority", str},
            {"o_clerk", str}, {"o_shippriority", i32}, {"o_comment", str}});
  AddTable(c.get(), "lineitem", 6000000,
           {{"l_orderkey", i64}, {"l_partkey", i64}, {"l_suppkey", i64}, {"l_linenumber", i32},
            {"l_quantity", Money()}, {"l_extendedprice", Money()}, {"l_discount", Money()},
            {"l_tax", Money()}, {"l_returnflag", str}, {"l_linestatus", str},
            {"l_shipdate", date}, {"l_commitdate", date}, {"l_receiptdate", date},
            {"l_shipinstruct", str}, {"l_shipmode", str}, {"l_comment", str}});
  return c;
}

fs::path QueryDir() {
  return fs::path(__FILE__).parent_path().parent_path().parent_path().parent_path() / "bench" /
         "tpch" / "queries";
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

/// True when `op` always yields one row (aggregate without groups, maybe projected).
bool OneRow(const LogicalOpPtr& op) {
  if (op->kind == LogicalOpKind::kProjection || op->kind == LogicalOpKind::kFilter) {
    return OneRow(op->children[0]);
  }
  return op->kind == LogicalOpKind::kAggregate && op->As<LogicalAggregate>().groups.empty();
}

bool HasEquality(const LogicalJoin& j) {
  for (const auto& c : j.conditions) {
    if (IsEquiCondition(c)) return true;
  }
  return false;
}

class TpchPlanTest : public OptimizerTestBase {
 protected:
  /// Parse, bind and optimize query file `name`; null plan when binding failed
  /// (reported, not a failure of the optimizer).
  LogicalOpPtr Plan(const std::string& name, std::string* printed) {
    auto path = QueryDir() / name;
    if (!fs::exists(path)) return nullptr;
    return PlanSql(name, ReadFile(path), printed);
  }

  /// Bind and optimize `sql`; returns the optimizer's status through *status when given.
  LogicalOpPtr PlanSql(const std::string& name, const std::string& sql, std::string* printed,
                       Status* status = nullptr) {
    auto stmts = ParseSql(sql);
    if (!stmts.ok()) {
      std::cerr << name << ": parse error: " << stmts.status().ToString() << "\n";
      return nullptr;
    }
    const ast::Query* query = nullptr;
    for (const auto& s : *stmts) {
      if (s->kind == ast::StatementKind::kSelect) {
        query = static_cast<const ast::SelectStatement&>(*s).query.get();
      }
    }
    if (!query) return nullptr;
    BinderContext bctx;
    bctx.catalog = catalog_.get();
    bctx.sql = sql;
    Binder binder(bctx);
    auto bound = binder.BindQuery(*query);
    if (!bound.ok()) {
      std::cerr << name << ": bind error: " << bound.status().ToString() << "\n";
      return nullptr;
    }
    OptimizerReport report;
    auto optimized = Optimizer::Default().Optimize(*bound, settings_, &report);
    if (status) {
      *status = optimized.status();
      if (!optimized.ok()) return nullptr;
    }
    EXPECT_TRUE(optimized.ok()) << name << ": " << optimized.status().ToString() << "\n"
                                << PlanToString(*bound);
    if (!optimized.ok()) return nullptr;
    *printed = PlanToString(*optimized);
    EXPECT_TRUE(ValidatePlan(*optimized).ok()) << name;
    EXPECT_FALSE(HasSubquery(*optimized)) << name << "\n" << *printed;
    // No nested loop per outer row: every join has an equality, joins a one-row
    // input (an uncorrelated scalar subquery) or joins two small inputs (Q7's
    // nation x nation under an OR).
    std::vector<std::shared_ptr<LogicalJoin>> joins;
    CollectJoins(*optimized, &joins);
    for (const auto& j : joins) {
      const bool small = j->children[0]->estimated_rows && j->children[1]->estimated_rows &&
                         *j->children[0]->estimated_rows <= 10000 &&
                         *j->children[1]->estimated_rows <= 10000;
      EXPECT_TRUE(HasEquality(*j) || OneRow(j->children[1]) || OneRow(j->children[0]) || small)
          << name << ": join without equality: " << j->Describe() << "\n" << *printed;
    }
    return *optimized;
  }

  void SetUp() override {
    if (!fs::exists(QueryDir())) GTEST_SKIP() << "no TPC-H queries at " << QueryDir();
    catalog_ = TpchCatalog();
  }

  std::unique_ptr<Catalog> catalog_;
};

bool HasJoin(const LogicalOpPtr& plan, JoinType type) {
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  for (const auto& j : joins) {
    if (j->join_type == type) return true;
  }
  return false;
}

/// True when some join input is (a projection of) an aggregate with GROUP BY.
bool HasGroupedAggregateUnderJoin(const LogicalOpPtr& op) {
  if (op->kind == LogicalOpKind::kJoin) {
    for (const auto& c : op->children) {
      LogicalOpPtr cur = c;
      while (cur->kind == LogicalOpKind::kProjection || cur->kind == LogicalOpKind::kFilter) {
        cur = cur->children[0];
      }
      if (cur->kind == LogicalOpKind::kAggregate && !cur->As<LogicalAggregate>().groups.empty()) {
        return true;
      }
    }
  }
  for (const auto& c : op->children) {
    if (HasGroupedAggregateUnderJoin(c)) return true;
  }
  return false;
}

TEST_F(TpchPlanTest, AllQueriesOptimize) {
  int planned = 0;
  for (int q = 1; q <= 22; ++q) {
    char name[16];
    std::snprintf(name, sizeof(name), "q%02d.sql", q);
    std::string printed;
    auto path = QueryDir() / name;
    if (!fs::exists(path)) {
      std::snprintf(name, sizeof(name), "Q%02d.sql", q);
    }
    if (Plan(name, &printed)) ++planned;
  }
  std::cerr << planned << " of 22 TPC-H queries bound and optimized\n";
}

TEST_F(TpchPlanTest, CorrelatedQueriesAreDecorrelated) {
  struct Case {
    const char* file;
    std::vector<JoinType> want;
    bool grouped_subquery;  ///< a correlated scalar aggregate became GROUP BY + join
  };
  // The LEFT joins of Q2/Q17/Q20 become inner joins: the comparison with the
  // subquery's value rejects rows without a match.
  std::vector<Case> cases = {
      {"q02.sql", {}, true},
      {"q04.sql", {JoinType::kSemi}, false},
      {"q17.sql", {}, true},
      {"q20.sql", {JoinType::kSemi}, true},
      {"q21.sql", {JoinType::kSemi, JoinType::kAnti}, false},
      {"q22.sql", {JoinType::kAnti}, false},
  };
  for (const auto& c : cases) {
    std::string printed;
    auto plan = Plan(c.file, &printed);
    if (!plan) continue;
    for (auto t : c.want) {
      EXPECT_TRUE(HasJoin(plan, t)) << c.file << " lacks a " << JoinTypeName(t) << " join\n"
                                    << printed;
    }
    if (c.grouped_subquery) {
      EXPECT_TRUE(HasGroupedAggregateUnderJoin(plan)) << c.file << "\n" << printed;
    }
  }
}

TEST_F(TpchPlanTest, OtherShapesOptimize) {
  const char* queries[] = {
      "SELECT n_name, (SELECT count(*) FROM customer WHERE c_nationkey = n_nationkey) AS c "
      "FROM nation",
      "SELECT n_name FROM nation WHERE n_regionkey IN (SELECT r_regionkey FROM region) OR "
      "n_nationkey = 1",
      "SELECT n_name, EXISTS (SELECT 1 FROM region WHERE r_regionkey = n_regionkey) FROM nation",
      "SELECT n_name FROM nation WHERE n_nationkey NOT IN (SELECT s_nationkey FROM supplier)",
      "SELECT n_name FROM nation WHERE n_nationkey > ALL (SELECT s_nationkey FROM supplier)",
      "SELECT n_regionkey, count(*) FROM nation GROUP BY n_regionkey HAVING count(*) > "
      "(SELECT count(*) FROM region)",
      "SELECT n_name, row_number() OVER (PARTITION BY n_regionkey ORDER BY n_name) AS rn "
      "FROM nation WHERE n_regionkey = 1",
      "SELECT n_name FROM nation UNION ALL SELECT r_name FROM region LIMIT 3",
      "SELECT r_name FROM region UNION SELECT n_name FROM nation WHERE n_nationkey < 3",
      "SELECT * FROM (SELECT n_name, n_regionkey FROM nation ORDER BY n_name LIMIT 5) t "
      "WHERE n_regionkey = 2",
      "SELECT n_name FROM nation LEFT JOIN region ON n_regionkey = r_regionkey AND r_name = 'ASIA'",
      "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 5) SELECT i FROM r",
      "SELECT 1 + 2 AS three, CAST('7' AS INTEGER) AS seven",
      "SELECT n_name FROM nation WHERE 1 = 0",
      "SELECT DISTINCT n_regionkey FROM nation ORDER BY n_regionkey DESC LIMIT 2",
  };
  for (const char* q : queries) {
    std::string printed;
    Status st;
    auto plan = PlanSql(q, q, &printed, &st);
    EXPECT_TRUE(st.ok()) << q << ": " << st.ToString();
  }
}

TEST_F(TpchPlanTest, UndecorrelatableSubqueryIsAnError) {
  std::string printed;
  Status st;
  auto plan = PlanSql("limit",
                      "SELECT n_name, (SELECT s_name FROM supplier WHERE s_nationkey = n_nationkey "
                      "ORDER BY s_name LIMIT 1) FROM nation",
                      &printed, &st);
  if (st.ok() && !plan) GTEST_SKIP() << "did not bind";
  ASSERT_FALSE(st.ok()) << printed;
  EXPECT_NE(st.message().find("unsupported correlated subquery"), std::string::npos)
      << st.ToString();
}

TEST_F(TpchPlanTest, ScansArePrunedAndFiltered) {
  std::string printed;
  auto plan = Plan("q06.sql", &printed);
  if (!plan) GTEST_SKIP() << "q06 did not bind";
  auto get = FindOp(plan, LogicalOpKind::kGet);
  ASSERT_TRUE(get);
  // l_quantity, l_extendedprice, l_discount, l_shipdate
  EXPECT_EQ(get->output.size(), 4u) << printed;
  EXPECT_FALSE(get->As<LogicalGet>().filters.empty()) << printed;
}

/// Return the set of table names under `op`, comma separated, in plan order.
std::string TablesUnder(const LogicalOpPtr& op) {
  if (op->kind == LogicalOpKind::kGet) return op->As<LogicalGet>().table_name;
  std::string out;
  for (const auto& c : op->children) {
    std::string t = TablesUnder(c);
    if (!out.empty() && !t.empty()) out += ",";
    out += t;
  }
  return out;
}

bool Has(const std::string& tables, const std::string& name) {
  return ("," + tables + ",").find("," + name + ",") != std::string::npos;
}

TEST_F(TpchPlanTest, Q5JoinsCustomerWithSupplierOnlyThroughLineitem) {
  std::string printed;
  auto plan = Plan("q05.sql", &printed);
  if (!plan) GTEST_SKIP() << "q05 did not bind";
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  ASSERT_EQ(joins.size(), 5u) << printed;
  for (const auto& j : joins) {
    std::string all = TablesUnder(j);
    if (Has(all, "customer") && Has(all, "supplier")) {
      EXPECT_TRUE(Has(all, "lineitem")) << printed;
    }
    // No intermediate result above lineitem's size (the cross-nation join makes 60M).
    EXPECT_LE(*j->estimated_rows, 6001215) << printed;
  }
  // Supplier joins last, on both s_suppkey and s_nationkey.
  EXPECT_EQ(TablesUnder(joins[0]->children[1]), "supplier") << printed;
  EXPECT_EQ(joins[0]->conditions.size(), 2u) << printed;
}

TEST_F(TpchPlanTest, SemiAndAntiJoinsBuildOnTheSmallSide) {
  for (const char* q : {"q04.sql", "q21.sql", "q22.sql"}) {
    std::string printed;
    auto plan = Plan(q, &printed);
    if (!plan) continue;
    std::vector<std::shared_ptr<LogicalJoin>> joins;
    CollectJoins(plan, &joins);
    int checked = 0;
    for (const auto& j : joins) {
      if (j->join_type != JoinType::kSemi && j->join_type != JoinType::kAnti) continue;
      // The right side reads lineitem / orders in full; the left side is filtered.
      EXPECT_FALSE(j->build_right) << q << ": " << j->Describe() << "\n" << printed;
      ++checked;
    }
    EXPECT_GT(checked, 0) << q << "\n" << printed;
  }
}

TEST_F(TpchPlanTest, GroupedSubqueriesAreReducedBySemiJoins) {
  // Q2, Q17 and Q20 aggregate per part key; the selected parts reduce the input.
  for (const char* q : {"q02.sql", "q17.sql", "q20.sql"}) {
    std::string printed;
    auto plan = Plan(q, &printed);
    if (!plan) continue;
    bool reduced = false;
    std::function<void(const LogicalOpPtr&)> walk = [&](const LogicalOpPtr& op) {
      if (op->kind == LogicalOpKind::kAggregate && !op->As<LogicalAggregate>().groups.empty()) {
        std::vector<std::shared_ptr<LogicalJoin>> joins;
        CollectJoins(op, &joins);
        for (const auto& j : joins) {
          if (j->join_type == JoinType::kSemi && Has(TablesUnder(j->children[1]), "part")) {
            reduced = true;
          }
        }
      }
      for (const auto& c : op->children) walk(c);
    };
    walk(plan);
    EXPECT_TRUE(reduced) << q << "\n" << printed;
  }
}

TEST_F(TpchPlanTest, Q18InSubqueryFiltersOrdersFirst) {
  std::string printed;
  auto plan = Plan("q18.sql", &printed);
  if (!plan) GTEST_SKIP() << "q18 did not bind";
  std::vector<std::shared_ptr<LogicalJoin>> joins;
  CollectJoins(plan, &joins);
  int semis = 0;
  for (const auto& j : joins) {
    if (j->join_type != JoinType::kSemi) continue;
    ++semis;
    // The semi join sits directly on the orders scan, with the grouped
    // subquery (HAVING sum > 300) on the build side.
    EXPECT_EQ(TablesUnder(j->children[0]), "orders") << printed;
    EXPECT_TRUE(j->build_right) << printed;
    EXPECT_LT(*j->estimated_rows, 1500000) << printed;
  }
  EXPECT_EQ(semis, 1) << printed;
  // lineitem probes the reduced orders: it is never on a build side.
  for (const auto& j : joins) {
    const auto& build = j->build_right ? j->children[1] : j->children[0];
    if (j->join_type == JoinType::kInner) {
      EXPECT_FALSE(Has(TablesUnder(build), "lineitem") && !Has(TablesUnder(build), "orders"))
          << printed;
    }
  }
}

TEST_F(TpchPlanTest, NoJoinBuildsOnItsMuchLargerInput) {
  // Every hash join builds on the input with the smaller estimate (null-aware
  // mark joins excepted), over all 22 queries.
  for (int q = 1; q <= 22; ++q) {
    char name[16];
    std::snprintf(name, sizeof(name), "q%02d.sql", q);
    std::string printed;
    auto plan = Plan(name, &printed);
    if (!plan) continue;
    std::vector<std::shared_ptr<LogicalJoin>> joins;
    CollectJoins(plan, &joins);
    for (const auto& j : joins) {
      if (j->join_type == JoinType::kMark && j->mark_null_aware) continue;
      double l = *j->children[0]->estimated_rows, r = *j->children[1]->estimated_rows;
      double build = j->build_right ? r : l, probe = j->build_right ? l : r;
      EXPECT_LE(build, probe * 1.0001 + 1) << name << ": " << j->Describe() << "\n" << printed;
    }
  }
}

int CountGets(const LogicalOpPtr& op, const std::string& table) {
  int n = op->kind == LogicalOpKind::kGet && op->As<LogicalGet>().table_name == table ? 1 : 0;
  for (const auto& c : op->children) n += CountGets(c, table);
  return n;
}

int CountMaterializedRefs(const LogicalOpPtr& op) {
  int n = op->kind == LogicalOpKind::kCteRef && op->As<LogicalCteRef>().materialized ? 1 : 0;
  for (const auto& c : op->children) n += CountMaterializedRefs(c);
  return n;
}

TEST_F(TpchPlanTest, Q15ComputesItsRevenueCteOnce) {
  std::string printed;
  auto plan = Plan("q15.sql", &printed);
  if (!plan) GTEST_SKIP() << "q15.sql missing";
  ASSERT_EQ(plan->kind, LogicalOpKind::kMaterializedCte) << printed;
  EXPECT_EQ(CountGets(plan, "lineitem"), 1) << printed;
  EXPECT_EQ(CountGets(plan->children[0], "lineitem"), 1) << printed;
  EXPECT_EQ(CountMaterializedRefs(plan), 2) << printed;
  EXPECT_NE(printed.find("MaterializedCte: #0"), std::string::npos) << printed;
  EXPECT_NE(printed.find("CteRef: #0 (materialized)"), std::string::npos) << printed;
  // The definition's estimate reaches its readers.
  EXPECT_TRUE(plan->children[0]->estimated_rows.has_value());
}

TEST_F(TpchPlanTest, Q11SharesItsJoinAfterWideningTheScan) {
  // The HAVING subquery's partsupp x supplier x nation lacks ps_partkey; the scan
  // is widened so both copies are equal and partsupp is read once.
  std::string printed;
  auto plan = Plan("q11.sql", &printed);
  if (!plan) GTEST_SKIP() << "q11.sql missing";
  EXPECT_EQ(CountGets(plan, "partsupp"), 1) << printed;
  EXPECT_EQ(CountMaterializedRefs(plan), 2) << printed;
}

TEST_F(TpchPlanTest, SubplansAreSharedOnlyWhenEqualAndDeterministic) {
  std::string printed;
  // Different filters: two different subplans.
  auto plan = PlanSql("different",
                      "WITH a AS (SELECT n_regionkey, count(*) AS c FROM nation WHERE n_nationkey "
                      "< 10 GROUP BY n_regionkey), b AS (SELECT n_regionkey, count(*) AS c FROM "
                      "nation WHERE n_nationkey < 11 GROUP BY n_regionkey) SELECT * FROM a JOIN b "
                      "ON a.n_regionkey = b.n_regionkey",
                      &printed);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(CountMaterializedRefs(plan), 0) << printed;
  // A volatile call: each reader must see its own values.
  plan = PlanSql("volatile",
                 "WITH a AS (SELECT n_regionkey, count(*) AS c FROM nation WHERE random() < 0.5 "
                 "GROUP BY n_regionkey) SELECT * FROM a x JOIN a y ON x.n_regionkey = "
                 "y.n_regionkey",
                 &printed);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(CountMaterializedRefs(plan), 0) << printed;
  // A plain scan is cheaper to read again than to hold in memory.
  plan = PlanSql("scan",
                 "WITH a AS (SELECT n_regionkey FROM nation WHERE n_nationkey < 5) SELECT * FROM "
                 "a x JOIN a y ON x.n_regionkey = y.n_regionkey",
                 &printed);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(CountMaterializedRefs(plan), 0) << printed;
  // Equal aggregates under different aliases: shared, and the self-join keeps
  // distinct ids on both sides (the validator checks them).
  plan = PlanSql("self_join",
                 "WITH a AS (SELECT n_regionkey, count(*) AS c FROM nation GROUP BY n_regionkey) "
                 "SELECT x.c, y.c FROM a x JOIN a y ON x.n_regionkey = y.n_regionkey + 1",
                 &printed);
  ASSERT_NE(plan, nullptr);
  EXPECT_EQ(CountMaterializedRefs(plan), 2) << printed;
  EXPECT_EQ(CountGets(plan, "nation"), 1) << printed;
}

TEST_F(TpchPlanTest, PrintPlansForInspection) {
  const char* env = std::getenv("SHOAL_PRINT_TPCH_PLANS");
  if (!env) GTEST_SKIP() << "set SHOAL_PRINT_TPCH_PLANS=qNN.sql (or SQL text) to print a plan";
  std::string printed;
  std::string arg = env;
  if (arg.size() > 4 && arg.substr(arg.size() - 4) == ".sql") {
    Plan(arg, &printed);
  } else {
    PlanSql("sql", arg, &printed);
  }
  std::cerr << printed;
}

}  // namespace
}  // namespace shoal::opt::testing
