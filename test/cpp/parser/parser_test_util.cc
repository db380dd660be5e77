#include "parser_test_util.h"

#include <filesystem>
#include <fstream>
#include <sstream>

namespace shoal::testing {

namespace {

std::string DumpName(const ast::QualifiedName& name) {
  std::string out;
  for (size_t i = 0; i < name.parts.size(); ++i) {
    if (i > 0) out += ".";
    const auto& p = name.parts[i];
    out += p.quoted ? "\"" + p.name + "\"" : p.name;
  }
  return out;
}

std::string DumpType(const ast::TypeName& t) {
  if (t.element) return "list<" + DumpType(*t.element) + ">";
  std::string out = t.name;
  if (!t.params.empty()) {
    out += "(";
    for (size_t i = 0; i < t.params.size(); ++i) {
      if (i > 0) out += ",";
      out += std::to_string(t.params[i]);
    }
    out += ")";
  }
  return out;
}

std::string DumpList(const std::vector<ast::ExprPtr>& list) {
  std::string out;
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out += " ";
    out += Dump(*list[i]);
  }
  return out;
}

std::string DumpQuery(const ast::Query& q) { return "<" + ToSql(q) + ">"; }

}  // namespace

std::string Dump(const ast::Expr& e) {
  switch (e.kind) {
    case ast::ExprKind::kColumnRef:
      return DumpName(static_cast<const ast::ColumnRefExpr&>(e).name);
    case ast::ExprKind::kStar: {
      const auto& s = static_cast<const ast::StarExpr&>(e);
      std::string out = s.qualifier ? DumpName(*s.qualifier) + ".*" : "*";
      if (!s.exclude.empty()) {
        out += " EXCLUDE(";
        for (size_t i = 0; i < s.exclude.size(); ++i) out += (i ? "," : "") + s.exclude[i].name;
        out += ")";
      }
      return out;
    }
    case ast::ExprKind::kLiteral: {
      const auto& l = static_cast<const ast::LiteralExpr&>(e);
      switch (l.literal_kind) {
        case ast::LiteralKind::kNull: return "NULL";
        case ast::LiteralKind::kBool: return l.bool_value ? "TRUE" : "FALSE";
        case ast::LiteralKind::kInteger: return l.text;
        case ast::LiteralKind::kDecimal: return "dec:" + l.text;
        case ast::LiteralKind::kString: return "'" + l.text + "'";
        case ast::LiteralKind::kTyped: return l.type_name + "'" + l.text + "'";
        case ast::LiteralKind::kInterval: {
          std::string out = "interval'" + l.text + "'";
          if (!l.unit.empty()) out += " " + l.unit;
          if (!l.unit_to.empty()) out += " to " + l.unit_to;
          return out;
        }
      }
      return "?";
    }
    case ast::ExprKind::kParameter:
      return "$" + std::to_string(static_cast<const ast::ParameterExpr&>(e).index);
    case ast::ExprKind::kFunction: {
      const auto& f = static_cast<const ast::FunctionExpr&>(e);
      std::string out = DumpName(f.name) + "(";
      if (f.star) out += "*";
      if (f.distinct) out += "{distinct} ";
      out += DumpList(f.args);
      if (!f.order_by.empty()) {
        out += " {order";
        for (const auto& o : f.order_by) {
          out += " " + Dump(*o.expr) + (o.ascending ? "" : " desc");
        }
        out += "}";
      }
      out += ")";
      if (f.filter) out += "{filter " + Dump(*f.filter) + "}";
      if (f.ignore_nulls) out += "{ignore_nulls}";
      if (f.over) {
        out += "{over";
        if (f.over->name) out += " " + f.over->name->name;
        if (!f.over->partition_by.empty()) out += " partition " + DumpList(f.over->partition_by);
        for (const auto& o : f.over->order_by) {
          out += " order " + Dump(*o.expr) + (o.ascending ? "" : " desc");
        }
        if (f.over->frame) out += " frame";
        out += "}";
      }
      return out;
    }
    case ast::ExprKind::kUnary: {
      const auto& u = static_cast<const ast::UnaryExpr&>(e);
      const char* op = u.op == ast::UnaryOp::kNot ? "NOT" : u.op == ast::UnaryOp::kMinus ? "neg" : "pos";
      return std::string("(") + op + " " + Dump(*u.operand) + ")";
    }
    case ast::ExprKind::kBinary: {
      const auto& b = static_cast<const ast::BinaryExpr&>(e);
      return std::string("(") + ast::BinaryOpToString(b.op) + " " + Dump(*b.left) + " " +
             Dump(*b.right) + ")";
    }
    case ast::ExprKind::kCast: {
      const auto& c = static_cast<const ast::CastExpr&>(e);
      std::string op = c.double_colon ? "::" : c.try_cast ? "try_cast" : "cast";
      return "(" + op + " " + Dump(*c.operand) + " " + DumpType(c.type) + ")";
    }
    case ast::ExprKind::kCase: {
      const auto& c = static_cast<const ast::CaseExpr&>(e);
      std::string out = "(case";
      if (c.operand) out += " " + Dump(*c.operand);
      for (const auto& [w, t] : c.when_then) out += " (when " + Dump(*w) + " " + Dump(*t) + ")";
      if (c.else_expr) out += " (else " + Dump(*c.else_expr) + ")";
      return out + ")";
    }
    case ast::ExprKind::kBetween: {
      const auto& b = static_cast<const ast::BetweenExpr&>(e);
      return std::string(b.negated ? "(not-between " : "(between ") + Dump(*b.operand) + " " +
             Dump(*b.low) + " " + Dump(*b.high) + ")";
    }
    case ast::ExprKind::kInList: {
      const auto& in = static_cast<const ast::InListExpr&>(e);
      return std::string(in.negated ? "(not-in " : "(in ") + Dump(*in.operand) + " (" +
             DumpList(in.list) + "))";
    }
    case ast::ExprKind::kInSubquery: {
      const auto& in = static_cast<const ast::InSubqueryExpr&>(e);
      return std::string(in.negated ? "(not-in " : "(in ") + Dump(*in.operand) + " " +
             DumpQuery(*in.subquery) + ")";
    }
    case ast::ExprKind::kExists: {
      const auto& ex = static_cast<const ast::ExistsExpr&>(e);
      return std::string(ex.negated ? "(not-exists " : "(exists ") + DumpQuery(*ex.subquery) + ")";
    }
    case ast::ExprKind::kSubquery:
      return DumpQuery(*static_cast<const ast::SubqueryExpr&>(e).subquery);
    case ast::ExprKind::kQuantified: {
      const auto& q = static_cast<const ast::QuantifiedExpr&>(e);
      return std::string("(") + ast::BinaryOpToString(q.op) + (q.all ? " all " : " any ") +
             Dump(*q.operand) + " " + DumpQuery(*q.subquery) + ")";
    }
    case ast::ExprKind::kIsNull: {
      const auto& n = static_cast<const ast::IsNullExpr&>(e);
      return std::string(n.negated ? "(is-not-null " : "(is-null ") + Dump(*n.operand) + ")";
    }
    case ast::ExprKind::kIsBool: {
      const auto& n = static_cast<const ast::IsBoolExpr&>(e);
      std::string v = !n.value ? "unknown" : *n.value ? "true" : "false";
      return std::string(n.negated ? "(is-not-" : "(is-") + v + " " + Dump(*n.operand) + ")";
    }
    case ast::ExprKind::kIsDistinctFrom: {
      const auto& d = static_cast<const ast::IsDistinctFromExpr&>(e);
      return std::string(d.negated ? "(is-not-distinct-from " : "(is-distinct-from ") +
             Dump(*d.left) + " " + Dump(*d.right) + ")";
    }
    case ast::ExprKind::kLike: {
      const auto& l = static_cast<const ast::LikeExpr&>(e);
      std::string op = std::string(l.negated ? "not-" : "") + (l.case_insensitive ? "ilike" : "like");
      std::string out = "(" + op + " " + Dump(*l.operand) + " " + Dump(*l.pattern);
      if (l.escape) out += " escape " + Dump(*l.escape);
      return out + ")";
    }
    case ast::ExprKind::kArray:
      return "[" + DumpList(static_cast<const ast::ArrayExpr&>(e).elements) + "]";
  }
  return "?";
}

std::string DumpExpr(std::string_view sql) {
  auto r = ParseExpression(sql);
  if (!r.ok()) return "ERROR: " + r.status().message();
  return Dump(**r);
}

ast::StatementPtr ParseOne(std::string_view sql) {
  auto r = ParseSql(sql);
  EXPECT_TRUE(r.ok()) << r.status().ToString() << "\nSQL: " << sql;
  if (!r.ok()) return nullptr;
  EXPECT_EQ(r->size(), 1u) << sql;
  if (r->size() != 1) return nullptr;
  return std::move((*r)[0]);
}

std::unique_ptr<ast::Query> ParseQueryOrDie(std::string_view sql) {
  auto stmt = ParseOne(sql);
  if (!stmt) return nullptr;
  EXPECT_EQ(stmt->kind, ast::StatementKind::kSelect) << sql;
  if (stmt->kind != ast::StatementKind::kSelect) return nullptr;
  return std::move(static_cast<ast::SelectStatement&>(*stmt).query);
}

const ast::SelectNode& SelectOf(const ast::Query& q) {
  static ast::SelectNode empty;
  EXPECT_EQ(q.body->kind, ast::QueryNodeKind::kSelect);
  if (q.body->kind != ast::QueryNodeKind::kSelect) return empty;
  return static_cast<const ast::SelectNode&>(*q.body);
}

std::string ParseError(std::string_view sql) {
  auto r = ParseSql(sql);
  if (r.ok()) return "";
  return r.status().message();
}

std::string CheckRoundTrip(std::string_view sql, SqlDialect dialect) {
  auto first = ParseSql(sql);
  EXPECT_TRUE(first.ok()) << first.status().ToString() << "\nSQL: " << sql;
  if (!first.ok()) return "";
  std::string printed;
  for (const auto& stmt : *first) {
    if (!printed.empty()) printed += ";\n";
    printed += ToSql(*stmt, dialect);
  }
  auto second = ParseSql(printed);
  EXPECT_TRUE(second.ok()) << second.status().ToString() << "\nPrinted: " << printed
                           << "\nOriginal: " << sql;
  if (!second.ok()) return printed;
  std::string reprinted;
  for (const auto& stmt : *second) {
    if (!reprinted.empty()) reprinted += ";\n";
    reprinted += ToSql(*stmt, dialect);
  }
  EXPECT_EQ(printed, reprinted) << "Original: " << sql;
  return printed;
}

const std::vector<std::string>& SqlCorpus() {
  static const std::vector<std::string> corpus = {
      "SELECT 1",
      "SELECT a, b AS c, t.*, * EXCLUDE (x, y) FROM t",
      "SELECT DISTINCT ON (a) a, b FROM t ORDER BY a, b DESC NULLS FIRST",
      "SELECT -1, - -1, -(-1), 1 - -1, +2, NOT NOT a, a::int::text, -a::int",
      "SELECT a FROM t WHERE (a + 1) * 2 > 3 AND NOT (b OR c) OR d IS NOT NULL",
      "SELECT a IS DISTINCT FROM b, a IS NOT TRUE, a IS UNKNOWN, (a = b) = c, a = (b = c)",
      "SELECT x BETWEEN a AND b AND c, x NOT BETWEEN 1 + 1 AND 3, (x BETWEEN 1 AND 2) = TRUE",
      "SELECT 'a' || 'b' || c, (a || b) || c, a || (b || c), a || b = c",
      "SELECT a LIKE 'x' ESCAPE '\\', a NOT ILIKE b || '%'",
      "SELECT a IN (1, 2), a NOT IN (SELECT b FROM u), EXISTS (SELECT 1), NOT EXISTS (SELECT 2)",
      "SELECT a = ANY (SELECT b FROM u), a <> ALL (SELECT c FROM v), (SELECT max(x) FROM w)",
      "SELECT CASE WHEN a THEN 1 WHEN b THEN 2 ELSE 3 END, CASE x WHEN 1 THEN 'y' END",
      "SELECT CAST(a AS VARCHAR(3)), TRY_CAST(b AS DECIMAL(10, 2)), c::LIST<INT>, d::INT[]",
      "SELECT DATE '2020-01-01', TIME '10:00', TIMESTAMP '2020-01-01 00:00:00', "
      "TIMESTAMPTZ '2020-01-01 00:00:00+00', INTERVAL '1' DAY, INTERVAL '1 day', "
      "INTERVAL '1-2' YEAR TO MONTH, INTERVAL 5 HOURS",
      "SELECT EXTRACT(YEAR FROM d), SUBSTRING(s FROM 1 FOR 2), POSITION('a' IN s), "
      "TRIM(BOTH ' ' FROM s), TRIM(LEADING FROM s), TRIM(s)",
      "SELECT count(*), count(DISTINCT a), string_agg(a, ',' ORDER BY b DESC), "
      "sum(a) FILTER (WHERE a > 0), lag(a) IGNORE NULLS OVER (ORDER BY t)",
      "SELECT sum(a) OVER (PARTITION BY b ORDER BY c ROWS BETWEEN UNBOUNDED PRECEDING AND "
      "CURRENT ROW), rank() OVER w, avg(a) OVER (w RANGE BETWEEN 1 PRECEDING AND 1 FOLLOWING), "
      "ntile(4) OVER (GROUPS BETWEEN CURRENT ROW AND UNBOUNDED FOLLOWING) FROM t WINDOW w AS "
      "(PARTITION BY b)",
      "SELECT a FROM t QUALIFY row_number() OVER (PARTITION BY a ORDER BY b) = 1",
      "SELECT a, sum(b) FROM t GROUP BY ROLLUP (a, c), CUBE (d), GROUPING SETS ((a), (), (a, b)) "
      "HAVING sum(b) > 1",
      "SELECT * FROM a JOIN b ON a.x = b.x LEFT JOIN c USING (y) RIGHT JOIN d ON TRUE FULL JOIN e "
      "ON TRUE CROSS JOIN f SEMI JOIN g ON TRUE ANTI JOIN h ON TRUE NATURAL JOIN i",
      "SELECT * FROM a, b, c JOIN d ON c.x = d.x, (e JOIN f ON TRUE) AS ef",
      "SELECT * FROM (SELECT 1) AS s(x), LATERAL (SELECT s.x) AS l, (VALUES (1, 2)) AS v(a, b), "
      "read_parquet('x.parquet') AS r, 'y.csv', LATERAL unnest([1, 2]) AS u",
      "SELECT * FROM t VERSION AS OF 3, u TIMESTAMP AS OF '2020-01-01' AS uu",
      "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r), m AS MATERIALIZED "
      "(SELECT 2) SELECT * FROM r, m",
      "SELECT 1 UNION SELECT 2 EXCEPT SELECT 3 INTERSECT ALL SELECT 4 UNION BY NAME SELECT 5",
      "(SELECT 1 ORDER BY 1 LIMIT 1) UNION ALL (SELECT 2 LIMIT 1) ORDER BY 1 LIMIT 5 OFFSET 1",
      "SELECT 1 EXCEPT (SELECT 2 EXCEPT SELECT 3)",
      "(SELECT 1 LIMIT 5) LIMIT 2",
      "WITH a AS (SELECT 1) (WITH b AS (SELECT 2) SELECT * FROM b)",
      "VALUES (1, 'a'), (2, 'b') ORDER BY 1",
      "SELECT * FROM t LIMIT ALL",
      "SELECT \"Mixed Case\", \"select\", \"a\"\"b\" FROM \"My Table\"",
      "SELECT $1, ?, ? FROM t WHERE a = $2",
      "SELECT [1, 2, 3], ARRAY[a], []",
      "SELECT left(a, 1), right(a, 2), CURRENT_DATE, CURRENT_TIMESTAMP",
      "INSERT INTO t (a, b) VALUES (1, 2); INSERT OVERWRITE TABLE t SELECT * FROM u",
      "INSERT INTO t REPLACE WHERE d > 1 SELECT * FROM u",
      "CREATE OR REPLACE TEMPORARY TABLE s.t (a INT NOT NULL, b TEXT DEFAULT 'x', c DOUBLE "
      "GENERATED ALWAYS AS (a * 2), CONSTRAINT pos CHECK (a > 0)) USING delta PARTITIONED BY (b) "
      "LOCATION '/tmp/x' TBLPROPERTIES ('k' = 'v')",
      "CREATE TABLE IF NOT EXISTS t AS SELECT 1 AS x",
      "CREATE VIEW v (a, b) AS SELECT 1, 2; CREATE OR REPLACE VIEW w AS SELECT 1; CREATE VIEW IF NOT EXISTS x AS SELECT 2",
      "CREATE UNBOUNDED EXTERNAL TABLE IF NOT EXISTS t (a INT, b VARCHAR) STORED AS CSV "
      "PARTITIONED BY (p, q INT) WITH ORDER (a ASC, b DESC NULLS LAST) OPTIONS "
      "('format.has_header' 'true') LOCATION '/x'",
      "DROP TABLE IF EXISTS a, b.c; DROP VIEW v",
      "SHOW TABLES; SHOW ALL; SHOW a.b; DESCRIBE t; DESCRIBE SELECT 1; DESCRIBE HISTORY t",
      "EXPLAIN ANALYZE VERBOSE FORMAT json SELECT 1; EXPLAIN DELETE FROM t",
      "SET a.b = 1; SET c TO 'x y'; SET LOCAL d = TRUE; SET e = -1.5; RESET ALL; RESET a.b",
      "COPY (SELECT 1) TO 'x' STORED AS PARQUET PARTITIONED BY (a) OPTIONS ('k' 'v'); "
      "COPY t TO 'y.csv' (FORMAT csv, HEADER)",
      "DELETE FROM t WHERE a = 1; UPDATE t SET a = a + 1, b = 'x' WHERE c",
  };
  return corpus;
}

std::string FindTpchQueryDir() {
  namespace fs = std::filesystem;
  std::vector<fs::path> starts;
  std::error_code ec;
  starts.push_back(fs::current_path(ec));
  // This file lives in <repo>/test/cpp/parser/.
  starts.push_back(fs::path(__FILE__).parent_path());
  for (auto dir : starts) {
    for (int i = 0; i < 8 && !dir.empty(); ++i) {
      fs::path candidate = dir / "bench" / "tpch" / "queries";
      if (fs::exists(candidate / "q01.sql", ec)) return candidate.string();
      if (dir == dir.parent_path()) break;
      dir = dir.parent_path();
    }
  }
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace shoal::testing
