// Bind all 22 TPC-H queries (bench/tpch/queries) against the schemas that
// tpchgen-cli writes to Parquet (decimal128(15,2), date32, string_view, int64 keys).
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "binder_test_util.h"

#ifndef SHOAL_SOURCE_DIR
#define SHOAL_SOURCE_DIR ""
#endif

namespace shoal {
namespace {

using arrow::field;

std::shared_ptr<arrow::DataType> Money() { return arrow::decimal128(15, 2); }
std::shared_ptr<arrow::DataType> Str() { return arrow::utf8_view(); }

class TpchBinderTest : public testing::BinderFixture {
 protected:
  void SetUp() override {
    auto reg = [&](const char* name, arrow::FieldVector fields) {
      for (auto& f : fields) f = f->WithNullable(false);
      ASSERT_TRUE(catalog_.RegisterTable({name}, testing::MakeTable(std::move(fields))).ok());
    };
    auto i64 = arrow::int64();
    auto i32 = arrow::int32();
    auto date = arrow::date32();
    reg("customer", {field("c_custkey", i64), field("c_name", Str()), field("c_address", Str()),
                     field("c_nationkey", i64), field("c_phone", Str()),
                     field("c_acctbal", Money()), field("c_mktsegment", Str()),
                     field("c_comment", Str())});
    reg("lineitem", {field("l_orderkey", i64), field("l_partkey", i64), field("l_suppkey", i64),
                     field("l_linenumber", i32), field("l_quantity", Money()),
                     field("l_extendedprice", Money()), field("l_discount", Money()),
                     field("l_tax", Money()), field("l_returnflag", Str()),
                     field("l_linestatus", Str()), field("l_shipdate", date),
                     field("l_commitdate", date), field("l_receiptdate", date),
                     field("l_shipinstruct", Str()), field("l_shipmode", Str()),
                     field("l_comment", Str())});
    reg("nation", {field("n_nationkey", i64), field("n_name", Str()),
                   field("n_regionkey", i64), field("n_comment", Str())});
    reg("orders", {field("o_orderkey", i64), field("o_custkey", i64),
                   field("o_orderstatus", Str()), field("o_totalprice", Money()),
                   field("o_orderdate", date), field("o_orderpriority", Str()),
                   field("o_clerk", Str()), field("o_shippriority", i32),
                   field("o_comment", Str())});
    reg("part", {field("p_partkey", i64), field("p_name", Str()), field("p_mfgr", Str()),
                 field("p_brand", Str()), field("p_type", Str()), field("p_size", i32),
                 field("p_container", Str()), field("p_retailprice", Money()),
                 field("p_comment", Str())});
    reg("partsupp", {field("ps_partkey", i64), field("ps_suppkey", i64),
                     field("ps_availqty", i32), field("ps_supplycost", Money()),
                     field("ps_comment", Str())});
    reg("region", {field("r_regionkey", i64), field("r_name", Str()), field("r_comment", Str())});
    reg("supplier", {field("s_suppkey", i64), field("s_name", Str()), field("s_address", Str()),
                     field("s_nationkey", i64), field("s_phone", Str()),
                     field("s_acctbal", Money()), field("s_comment", Str())});
  }

  /// Return the text of query `n`, or "" when the file is absent.
  static std::string ReadQuery(int n) {
    char name[32];
    std::snprintf(name, sizeof(name), "q%02d.sql", n);
    std::string dir = std::string(SHOAL_SOURCE_DIR);
    for (const std::string& base : {dir + "/bench/tpch/queries/", std::string("bench/tpch/queries/"),
                                    std::string("../bench/tpch/queries/"),
                                    std::string("../../bench/tpch/queries/"),
                                    std::string("/work/main/bench/tpch/queries/")}) {
      std::ifstream in(base + name);
      if (!in) continue;
      std::stringstream ss;
      ss << in.rdbuf();
      return ss.str();
    }
    return "";
  }
};

TEST_F(TpchBinderTest, BindsAll22Queries) {
  int found = 0;
  for (int q = 1; q <= 22; ++q) {
    std::string sql = ReadQuery(q);
    if (sql.empty()) continue;
    ++found;
    auto plan = Bind(sql);
    ASSERT_TRUE(plan.ok()) << "Q" << q << ": " << plan.status().ToString();
    EXPECT_FALSE((*plan)->output.empty()) << "Q" << q;
  }
  if (found == 0) GTEST_SKIP() << "bench/tpch/queries not found";
}

TEST_F(TpchBinderTest, Q01ResultColumns) {
  std::string sql = ReadQuery(1);
  if (sql.empty()) GTEST_SKIP() << "q01.sql not found";
  EXPECT_EQ(Columns(sql),
            "l_returnflag:string_view, l_linestatus:string_view, "
            "sum_qty:decimal128(38, 2), sum_base_price:decimal128(38, 2), "
            "sum_disc_price:decimal128(38, 4), sum_charge:decimal128(38, 6), "
            "avg_qty:decimal128(38, 6), avg_price:decimal128(38, 6), "
            "avg_disc:decimal128(38, 6), count_order:int64");
}

TEST_F(TpchBinderTest, TypoSuggestion) {
  std::string e = Error("SELECT sum(l_quantiy) FROM lineitem");
  EXPECT_NE(e.find("column 'l_quantiy' not found; did you mean 'l_quantity'?"),
            std::string::npos)
      << e;
  e = Error("SELECT * FROM lineitem WHERE l_shipdate > 5");
  EXPECT_NE(e.find("cannot compare DATE and INTEGER in '(l_shipdate > 5)'"), std::string::npos)
      << e;
}

}  // namespace
}  // namespace shoal
