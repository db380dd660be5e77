// Statement parsing: DML, DDL, utility statements, scripts, spans, SplitStatements.
#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace shoal {
namespace {

using testing::Dump;
using testing::ParseError;
using testing::ParseOne;

template <typename T>
const T& As(const ast::StatementPtr& s) {
  return static_cast<const T&>(*s);
}

std::string NameOf(const ast::QualifiedName& n) {
  std::string out;
  for (const auto& p : n.parts) out += (out.empty() ? "" : ".") + p.name;
  return out;
}

TEST(StatementTest, Insert) {
  auto s = ParseOne("INSERT INTO db.t (a, b) VALUES (1, 2), (3, 4)");
  ASSERT_EQ(s->kind, ast::StatementKind::kInsert);
  const auto& ins = As<ast::InsertStatement>(s);
  EXPECT_EQ(NameOf(ins.table), "db.t");
  EXPECT_EQ(ins.columns.size(), 2u);
  EXPECT_EQ(ins.query->body->kind, ast::QueryNodeKind::kValues);
  EXPECT_FALSE(ins.overwrite);

  s = ParseOne("INSERT INTO t SELECT * FROM u");
  EXPECT_TRUE(As<ast::InsertStatement>(s).columns.empty());
  s = ParseOne("INSERT INTO t (SELECT * FROM u)");
  EXPECT_TRUE(As<ast::InsertStatement>(s).columns.empty());
  s = ParseOne("INSERT OVERWRITE TABLE t SELECT 1");
  EXPECT_TRUE(As<ast::InsertStatement>(s).overwrite);
  s = ParseOne("INSERT OVERWRITE t SELECT 1");
  EXPECT_TRUE(As<ast::InsertStatement>(s).overwrite);
  s = ParseOne("INSERT INTO t REPLACE WHERE d >= DATE '2024-01-01' SELECT * FROM u");
  EXPECT_EQ(Dump(*As<ast::InsertStatement>(s).replace_where), "(>= d date'2024-01-01')");
  EXPECT_NE(ParseError("INSERT INTO t").find("expected SELECT, VALUES or '('"), std::string::npos);
}

TEST(StatementTest, CreateTable) {
  auto s = ParseOne(
      "CREATE OR REPLACE TEMP TABLE s.t (id BIGINT NOT NULL, name VARCHAR(20) DEFAULT 'x', "
      "price DECIMAL(10, 2) CHECK (price > 0), total DOUBLE GENERATED ALWAYS AS (price * 2), "
      "CONSTRAINT positive CHECK (id > 0)) USING DELTA PARTITIONED BY (name) "
      "LOCATION '/tmp/t' TBLPROPERTIES ('delta.appendOnly' = 'true', k2 = 5)");
  ASSERT_EQ(s->kind, ast::StatementKind::kCreateTable);
  const auto& c = As<ast::CreateTableStatement>(s);
  EXPECT_TRUE(c.or_replace);
  EXPECT_TRUE(c.temporary);
  EXPECT_FALSE(c.if_not_exists);
  EXPECT_EQ(NameOf(c.name), "s.t");
  ASSERT_EQ(c.columns.size(), 4u);
  EXPECT_TRUE(c.columns[0].not_null);
  EXPECT_EQ(c.columns[0].type.name, "bigint");
  EXPECT_EQ(Dump(*c.columns[1].default_value), "'x'");
  EXPECT_EQ(c.columns[1].type.params, (std::vector<int64_t>{20}));
  EXPECT_EQ(Dump(*c.columns[3].generated), "(* price 2)");
  ASSERT_EQ(c.checks.size(), 2u);
  EXPECT_EQ(c.checks[0].first, "");
  EXPECT_EQ(Dump(*c.checks[0].second), "(> price 0)");
  EXPECT_EQ(c.checks[1].first, "positive");
  EXPECT_EQ(c.using_format, "delta");
  ASSERT_EQ(c.partitioned_by.size(), 1u);
  EXPECT_EQ(c.location, std::optional<std::string>("/tmp/t"));
  ASSERT_EQ(c.properties.size(), 2u);
  EXPECT_EQ(c.properties[0].key, "delta.appendOnly");
  EXPECT_EQ(c.properties[0].value, "true");
  EXPECT_EQ(c.properties[1].key, "k2");
  EXPECT_EQ(c.properties[1].value, "5");

  s = ParseOne("CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x");
  EXPECT_TRUE(As<ast::CreateTableStatement>(s).if_not_exists);
  EXPECT_NE(As<ast::CreateTableStatement>(s).as_query, nullptr);
  s = ParseOne("CREATE TABLE t USING delta LOCATION 's3://b/t'");
  EXPECT_EQ(As<ast::CreateTableStatement>(s).location, std::optional<std::string>("s3://b/t"));

  EXPECT_NE(ParseError("CREATE TABLE t").find("expected column definitions, AS query or LOCATION"),
            std::string::npos);
  EXPECT_NE(ParseError("CREATE TABLE t (a INT PRIMARY KEY)").find("PRIMARY constraints are not"),
            std::string::npos);
  EXPECT_NE(ParseError("CREATE OR REPLACE TABLE IF NOT EXISTS t (a INT)")
                .find("OR REPLACE and IF NOT EXISTS cannot both be given"),
            std::string::npos);
}

TEST(StatementTest, CreateView) {
  std::string sql = "CREATE OR REPLACE VIEW v (x, y) AS SELECT a,  b FROM t WHERE a > 1 ; SELECT 1";
  auto r = ParseSql(sql);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  const auto& v = static_cast<const ast::CreateViewStatement&>(*(*r)[0]);
  EXPECT_TRUE(v.or_replace);
  EXPECT_EQ(v.columns.size(), 2u);
  EXPECT_EQ(v.query_text, "SELECT a,  b FROM t WHERE a > 1");
  EXPECT_EQ(v.text_begin, 0);
  EXPECT_EQ(sql.substr(v.text_begin, v.text_end - v.text_begin),
            "CREATE OR REPLACE VIEW v (x, y) AS SELECT a,  b FROM t WHERE a > 1");
  auto s = ParseOne("CREATE VIEW IF NOT EXISTS v AS (SELECT 1) -- trailing comment");
  EXPECT_EQ(As<ast::CreateViewStatement>(s).query_text, "(SELECT 1)");
  EXPECT_TRUE(As<ast::CreateViewStatement>(s).if_not_exists);
}

TEST(StatementTest, CreateExternalTable) {
  auto s = ParseOne(
      "CREATE UNBOUNDED EXTERNAL TABLE IF NOT EXISTS t (a INT, b VARCHAR) "
      "OPTIONS ('format.delimiter' '|', 'format.has_header' = 'true', format.quote '\"') "
      "PARTITIONED BY (p, q) WITH ORDER (a ASC, b DESC) STORED AS csv LOCATION '/data/t/'");
  ASSERT_EQ(s->kind, ast::StatementKind::kCreateExternalTable);
  const auto& e = As<ast::CreateExternalTableStatement>(s);
  EXPECT_TRUE(e.unbounded);
  EXPECT_TRUE(e.if_not_exists);
  EXPECT_EQ(e.columns.size(), 2u);
  EXPECT_EQ(e.stored_as, "CSV");
  EXPECT_EQ(e.location, "/data/t/");
  ASSERT_EQ(e.options.size(), 3u);
  EXPECT_EQ(e.options[0].key, "format.delimiter");
  EXPECT_EQ(e.options[0].value, "|");
  EXPECT_EQ(e.options[1].value, "true");
  EXPECT_EQ(e.options[2].key, "format.quote");
  EXPECT_EQ(e.options[2].value, "\"");
  ASSERT_EQ(e.partitioned_by.size(), 2u);
  EXPECT_TRUE(e.partitioned_by[0].type.name.empty());
  ASSERT_EQ(e.with_order.size(), 1u);
  EXPECT_FALSE(e.with_order[0][1].ascending);

  s = ParseOne(
      "CREATE OR REPLACE EXTERNAL TABLE t STORED AS PARQUET PARTITIONED BY (year INT, region STRING) "
      "LOCATION 's3://bucket/t'");
  const auto& p = As<ast::CreateExternalTableStatement>(s);
  EXPECT_TRUE(p.or_replace);
  EXPECT_EQ(p.stored_as, "PARQUET");
  ASSERT_EQ(p.partitioned_by.size(), 2u);
  EXPECT_EQ(p.partitioned_by[0].type.name, "int");
  EXPECT_EQ(p.partitioned_by[1].type.name, "string");

  EXPECT_NE(ParseError("CREATE EXTERNAL TABLE t LOCATION 'x'").find("expected STORED AS"),
            std::string::npos);
  EXPECT_NE(ParseError("CREATE EXTERNAL TABLE t STORED AS CSV").find("expected LOCATION"),
            std::string::npos);
  EXPECT_NE(ParseError("CREATE EXTERNAL TABLE t STORED AS CSV STORED AS CSV LOCATION 'x'")
                .find("STORED AS given more than once"),
            std::string::npos);
}

TEST(StatementTest, Drop) {
  auto s = ParseOne("DROP TABLE IF EXISTS a, s.b");
  const auto& d = As<ast::DropStatement>(s);
  EXPECT_EQ(d.object, ast::DropKind::kTable);
  EXPECT_TRUE(d.if_exists);
  ASSERT_EQ(d.names.size(), 2u);
  EXPECT_EQ(NameOf(d.names[1]), "s.b");
  s = ParseOne("DROP VIEW v");
  EXPECT_EQ(As<ast::DropStatement>(s).object, ast::DropKind::kView);
  EXPECT_FALSE(As<ast::DropStatement>(s).if_exists);
}

TEST(StatementTest, ShowDescribeExplain) {
  EXPECT_EQ(ParseOne("SHOW TABLES")->kind, ast::StatementKind::kShowTables);
  auto s = ParseOne("SHOW ALL");
  EXPECT_EQ(As<ast::ShowVariableStatement>(s).name, "all");
  s = ParseOne("SHOW datafusion.execution.Batch_Size");
  EXPECT_EQ(As<ast::ShowVariableStatement>(s).name, "datafusion.execution.batch_size");
  s = ParseOne("SHOW COLUMNS FROM s.t");
  ASSERT_EQ(s->kind, ast::StatementKind::kDescribe);
  EXPECT_EQ(NameOf(As<ast::DescribeStatement>(s).table), "s.t");
  s = ParseOne("DESCRIBE t");
  EXPECT_EQ(NameOf(As<ast::DescribeStatement>(s).table), "t");
  s = ParseOne("DESC t");
  EXPECT_EQ(NameOf(As<ast::DescribeStatement>(s).table), "t");
  s = ParseOne("DESCRIBE SELECT 1 AS x");
  EXPECT_NE(As<ast::DescribeStatement>(s).query, nullptr);
  s = ParseOne("DESCRIBE HISTORY t");
  EXPECT_TRUE(As<ast::DescribeStatement>(s).history);
  s = ParseOne("DESCRIBE history");  // a table called history
  EXPECT_FALSE(As<ast::DescribeStatement>(s).history);
  EXPECT_EQ(NameOf(As<ast::DescribeStatement>(s).table), "history");

  s = ParseOne("EXPLAIN ANALYZE VERBOSE FORMAT JSON SELECT 1");
  const auto& e = As<ast::ExplainStatement>(s);
  EXPECT_TRUE(e.analyze);
  EXPECT_TRUE(e.verbose);
  EXPECT_EQ(e.format, "json");
  ASSERT_NE(e.statement, nullptr);
  EXPECT_EQ(e.statement->kind, ast::StatementKind::kSelect);
  EXPECT_EQ(e.statement->text_begin, 36);
  s = ParseOne("EXPLAIN INSERT INTO t VALUES (1)");
  EXPECT_FALSE(As<ast::ExplainStatement>(s).analyze);
  EXPECT_EQ(As<ast::ExplainStatement>(s).statement->kind, ast::StatementKind::kInsert);
}

TEST(StatementTest, SetAndReset) {
  struct Case {
    const char* sql;
    const char* name;
    const char* value;
  };
  for (const auto& c : std::vector<Case>{
           {"SET threads = 4", "threads", "4"},
           {"SET datafusion.execution.batch_size TO 1024", "datafusion.execution.batch_size", "1024"},
           {"SET timezone = 'Europe/Paris'", "timezone", "Europe/Paris"},
           {"SET x = TRUE", "x", "true"},
           {"SET memory_limit = '1GB'", "memory_limit", "1GB"},
           {"SET Mode = fast", "mode", "fast"},
           {"SET offset_value = -3", "offset_value", "-3"},
           {"SET TIME ZONE 'UTC'", "timezone", "UTC"},
       }) {
    auto s = ParseOne(c.sql);
    ASSERT_TRUE(s) << c.sql;
    ASSERT_EQ(s->kind, ast::StatementKind::kSet) << c.sql;
    EXPECT_EQ(As<ast::SetStatement>(s).name, c.name) << c.sql;
    EXPECT_EQ(As<ast::SetStatement>(s).value, c.value) << c.sql;
  }
  EXPECT_TRUE(As<ast::SetStatement>(ParseOne("SET LOCAL a = 1")).local);
  EXPECT_EQ(As<ast::ResetStatement>(ParseOne("RESET ALL")).name, "all");
  EXPECT_EQ(As<ast::ResetStatement>(ParseOne("RESET a.B")).name, "a.b");
  EXPECT_NE(ParseError("SET a 1").find("expected '=' or TO"), std::string::npos);
}

TEST(StatementTest, Copy) {
  auto s = ParseOne(
      "COPY (SELECT * FROM t) TO 'out/' STORED AS PARQUET PARTITIONED BY (a, b) "
      "OPTIONS ('compression' 'zstd', format.x 1)");
  const auto& c = As<ast::CopyStatement>(s);
  ASSERT_NE(c.query, nullptr);
  EXPECT_EQ(c.path, "out/");
  EXPECT_EQ(c.stored_as, "PARQUET");
  EXPECT_EQ(c.partitioned_by.size(), 2u);
  ASSERT_EQ(c.options.size(), 2u);
  EXPECT_EQ(c.options[0].key, "compression");
  EXPECT_EQ(c.options[1].key, "format.x");
  EXPECT_EQ(c.options[1].value, "1");

  s = ParseOne("COPY t TO 'x.csv' (FORMAT csv, HEADER, DELIMITER '|', PARTITION_BY (p))");
  const auto& d = As<ast::CopyStatement>(s);
  EXPECT_EQ(d.query, nullptr);
  EXPECT_EQ(NameOf(d.table), "t");
  EXPECT_EQ(d.stored_as, "CSV");
  ASSERT_EQ(d.options.size(), 2u);
  EXPECT_EQ(d.options[0].key, "header");
  EXPECT_EQ(d.options[0].value, "true");
  EXPECT_EQ(d.options[1].key, "delimiter");
  EXPECT_EQ(d.partitioned_by.size(), 1u);
  EXPECT_NE(ParseError("COPY t TO out").find("expected output path string"), std::string::npos);
}

TEST(StatementTest, DeleteAndUpdate) {
  auto s = ParseOne("DELETE FROM t WHERE a = 1");
  EXPECT_EQ(Dump(*As<ast::DeleteStatement>(s).where), "(= a 1)");
  s = ParseOne("DELETE FROM t");
  EXPECT_EQ(As<ast::DeleteStatement>(s).where, nullptr);
  s = ParseOne("UPDATE s.t SET a = a + 1, b = 'x' WHERE c IS NULL");
  const auto& u = As<ast::UpdateStatement>(s);
  EXPECT_EQ(NameOf(u.table), "s.t");
  ASSERT_EQ(u.assignments.size(), 2u);
  EXPECT_EQ(u.assignments[0].first.name, "a");
  EXPECT_EQ(Dump(*u.assignments[0].second), "(+ a 1)");
  EXPECT_EQ(Dump(*u.where), "(is-null c)");
}

TEST(StatementTest, ScriptsAndSpans) {
  std::string sql = ";; SELECT 1;\n\n  SELECT 2 ; ;\nDROP TABLE t;";
  auto r = ParseSql(sql);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 3u);
  auto text = [&](const ast::Statement& s) {
    return sql.substr(s.text_begin, s.text_end - s.text_begin);
  };
  EXPECT_EQ(text(*(*r)[0]), "SELECT 1");
  EXPECT_EQ(text(*(*r)[1]), "SELECT 2");
  EXPECT_EQ(text(*(*r)[2]), "DROP TABLE t");
  EXPECT_EQ((*r)[1]->loc.line, 3);
  EXPECT_EQ((*r)[1]->loc.column, 3);
  EXPECT_EQ((*r)[2]->loc.line, 4);
  auto empty = ParseSql("  ; -- nothing\n ;");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_NE(ParseError("SELECT 1 SELECT 2").find("expected ';' or end of input, found 'SELECT'"),
            std::string::npos);
}

TEST(StatementTest, SplitStatements) {
  bool complete = false;
  auto parts = SplitStatements("SELECT 1; SELECT ';' -- ; \n, \"a;b\" /* ; */;", &complete);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "SELECT 1");
  EXPECT_EQ(parts[1], "SELECT ';' -- ; \n, \"a;b\"");
  EXPECT_TRUE(complete);

  parts = SplitStatements("SELECT 1;\nSELECT 2", &complete);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[1], "SELECT 2");
  EXPECT_FALSE(complete);

  parts = SplitStatements("SELECT 'abc;", &complete);
  EXPECT_FALSE(complete);
  parts = SplitStatements("SELECT 1 /* unfinished ;", &complete);
  EXPECT_FALSE(complete);
  parts = SplitStatements("SELECT 1; -- trailing comment", &complete);
  EXPECT_EQ(parts.size(), 1u);
  EXPECT_TRUE(complete);
  parts = SplitStatements("SELECT E'it\\'s;'; SELECT 2;", &complete);
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0], "SELECT E'it\\'s;'");
  EXPECT_TRUE(complete);
  parts = SplitStatements("", &complete);
  EXPECT_TRUE(parts.empty());
  EXPECT_TRUE(complete);
}

}  // namespace
}  // namespace shoal
