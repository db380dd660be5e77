// Every node of every parsed statement carries a source location.
#include <gtest/gtest.h>

#include "parser_test_util.h"

namespace shoal::testing {

namespace {

class LocationChecker {
 public:
  explicit LocationChecker(std::vector<std::string>* problems) : problems_(problems) {}

  void Check(const ast::SourceLocation& loc, const std::string& what) {
    if (!loc.known() || loc.line < 1 || loc.column < 1) problems_->push_back(what);
  }

  void Expr(const ast::Expr& e) {
    Check(e.loc, "expression " + Dump(e));
    switch (e.kind) {
      case ast::ExprKind::kColumnRef:
        for (const auto& p : static_cast<const ast::ColumnRefExpr&>(e).name.parts) Check(p.loc, "name part");
        break;
      case ast::ExprKind::kFunction: {
        const auto& f = static_cast<const ast::FunctionExpr&>(e);
        for (const auto& p : f.name.parts) Check(p.loc, "function name");
        for (const auto& a : f.args) Expr(*a);
        for (const auto& o : f.order_by) Expr(*o.expr);
        if (f.filter) Expr(*f.filter);
        if (f.over) Window(*f.over);
        break;
      }
      case ast::ExprKind::kUnary: Expr(*static_cast<const ast::UnaryExpr&>(e).operand); break;
      case ast::ExprKind::kBinary: {
        const auto& b = static_cast<const ast::BinaryExpr&>(e);
        Expr(*b.left);
        Expr(*b.right);
        break;
      }
      case ast::ExprKind::kCast: {
        const auto& c = static_cast<const ast::CastExpr&>(e);
        Expr(*c.operand);
        Type(c.type);
        break;
      }
      case ast::ExprKind::kCase: {
        const auto& c = static_cast<const ast::CaseExpr&>(e);
        if (c.operand) Expr(*c.operand);
        for (const auto& [w, t] : c.when_then) {
          Expr(*w);
          Expr(*t);
        }
        if (c.else_expr) Expr(*c.else_expr);
        break;
      }
      case ast::ExprKind::kBetween: {
        const auto& b = static_cast<const ast::BetweenExpr&>(e);
        Expr(*b.operand);
        Expr(*b.low);
        Expr(*b.high);
        break;
      }
      case ast::ExprKind::kInList: {
        const auto& in = static_cast<const ast::InListExpr&>(e);
        Expr(*in.operand);
        for (const auto& x : in.list) Expr(*x);
        break;
      }
      case ast::ExprKind::kInSubquery: {
        const auto& in = static_cast<const ast::InSubqueryExpr&>(e);
        Expr(*in.operand);
        Query(*in.subquery);
        break;
      }
      case ast::ExprKind::kExists: Query(*static_cast<const ast::ExistsExpr&>(e).subquery); break;
      case ast::ExprKind::kSubquery: Query(*static_cast<const ast::SubqueryExpr&>(e).subquery); break;
      case ast::ExprKind::kQuantified: {
        const auto& q = static_cast<const ast::QuantifiedExpr&>(e);
        Expr(*q.operand);
        Query(*q.subquery);
        break;
      }
      case ast::ExprKind::kIsNull: Expr(*static_cast<const ast::IsNullExpr&>(e).operand); break;
      case ast::ExprKind::kIsBool: Expr(*static_cast<const ast::IsBoolExpr&>(e).operand); break;
      case ast::ExprKind::kIsDistinctFrom: {
        const auto& d = static_cast<const ast::IsDistinctFromExpr&>(e);
        Expr(*d.left);
        Expr(*d.right);
        break;
      }
      case ast::ExprKind::kLike: {
        const auto& l = static_cast<const ast::LikeExpr&>(e);
        Expr(*l.operand);
        Expr(*l.pattern);
        if (l.escape) Expr(*l.escape);
        break;
      }
      case ast::ExprKind::kArray:
        for (const auto& x : static_cast<const ast::ArrayExpr&>(e).elements) Expr(*x);
        break;
      default:
        break;
    }
  }

  void Type(const ast::TypeName& t) {
    Check(t.loc, "type " + t.name);
    if (t.element) Type(*t.element);
  }

  void Window(const ast::WindowSpec& w) {
    Check(w.loc, "window spec");
    for (const auto& p : w.partition_by) Expr(*p);
    for (const auto& o : w.order_by) Expr(*o.expr);
    if (w.frame) {
      if (w.frame->start.offset) Expr(*w.frame->start.offset);
      if (w.frame->end.offset) Expr(*w.frame->end.offset);
    }
  }

  void Table(const ast::TableRef& ref) {
    Check(ref.loc, "table reference");
    switch (ref.kind) {
      case ast::TableRefKind::kBaseTable: {
        const auto& b = static_cast<const ast::BaseTableRef&>(ref);
        if (b.time_travel) Expr(*b.time_travel->value);
        break;
      }
      case ast::TableRefKind::kSubquery: Query(*static_cast<const ast::SubqueryRef&>(ref).query); break;
      case ast::TableRefKind::kJoin: {
        const auto& j = static_cast<const ast::JoinRef&>(ref);
        Table(*j.left);
        Table(*j.right);
        if (j.condition) Expr(*j.condition);
        break;
      }
      case ast::TableRefKind::kTableFunction:
        for (const auto& a : static_cast<const ast::TableFunctionRef&>(ref).args) Expr(*a);
        break;
      case ast::TableRefKind::kValues:
        for (const auto& row : static_cast<const ast::ValuesRef&>(ref).rows) {
          for (const auto& x : row) Expr(*x);
        }
        break;
    }
  }

  void Query(const ast::Query& q) {
    Check(q.loc, "query");
    for (const auto& cte : q.ctes) Query(*cte.query);
    Node(*q.body);
    for (const auto& o : q.order_by) Expr(*o.expr);
    if (q.limit) Expr(*q.limit);
    if (q.offset) Expr(*q.offset);
  }

  void Node(const ast::QueryNode& n) {
    Check(n.loc, "query node");
    if (n.kind == ast::QueryNodeKind::kSelect) {
      const auto& s = static_cast<const ast::SelectNode&>(n);
      for (const auto& d : s.distinct_on) Expr(*d);
      for (const auto& item : s.select_list) Expr(*item.expr);
      if (s.from) Table(*s.from);
      if (s.where) Expr(*s.where);
      for (const auto& g : s.group_by) {
        Check(g.loc, "grouping element");
        for (const auto& x : g.exprs) Expr(*x);
        for (const auto& set : g.sets) {
          for (const auto& x : set) Expr(*x);
        }
      }
      if (s.having) Expr(*s.having);
      for (const auto& w : s.windows) Window(*w.spec);
      if (s.qualify) Expr(*s.qualify);
    } else if (n.kind == ast::QueryNodeKind::kSetOperation) {
      const auto& s = static_cast<const ast::SetOperationNode&>(n);
      Query(*s.left);
      Query(*s.right);
    } else {
      for (const auto& row : static_cast<const ast::ValuesNode&>(n).rows) {
        for (const auto& x : row) Expr(*x);
      }
    }
  }

  void Columns(const std::vector<ast::ColumnDef>& cols) {
    for (const auto& c : cols) {
      Check(c.loc, "column definition");
      if (!c.type.name.empty()) Type(c.type);
      if (c.default_value) Expr(*c.default_value);
      if (c.generated) Expr(*c.generated);
    }
  }

  void Statement(const ast::Statement& s) {
    Check(s.loc, "statement");
    switch (s.kind) {
      case ast::StatementKind::kSelect: Query(*static_cast<const ast::SelectStatement&>(s).query); break;
      case ast::StatementKind::kInsert: {
        const auto& i = static_cast<const ast::InsertStatement&>(s);
        Query(*i.query);
        if (i.replace_where) Expr(*i.replace_where);
        break;
      }
      case ast::StatementKind::kCreateTable: {
        const auto& c = static_cast<const ast::CreateTableStatement&>(s);
        Columns(c.columns);
        for (const auto& [name, e] : c.checks) Expr(*e);
        for (const auto& o : c.properties) Check(o.loc, "option");
        if (c.as_query) Query(*c.as_query);
        break;
      }
      case ast::StatementKind::kCreateView: Query(*static_cast<const ast::CreateViewStatement&>(s).query); break;
      case ast::StatementKind::kCreateExternalTable: {
        const auto& c = static_cast<const ast::CreateExternalTableStatement&>(s);
        Columns(c.columns);
        Columns(c.partitioned_by);
        for (const auto& order : c.with_order) {
          for (const auto& o : order) Expr(*o.expr);
        }
        for (const auto& o : c.options) Check(o.loc, "option");
        break;
      }
      case ast::StatementKind::kDescribe: {
        const auto& d = static_cast<const ast::DescribeStatement&>(s);
        if (d.query) Query(*d.query);
        break;
      }
      case ast::StatementKind::kExplain: Statement(*static_cast<const ast::ExplainStatement&>(s).statement); break;
      case ast::StatementKind::kCopy: {
        const auto& c = static_cast<const ast::CopyStatement&>(s);
        if (c.query) Query(*c.query);
        break;
      }
      case ast::StatementKind::kDelete: {
        const auto& d = static_cast<const ast::DeleteStatement&>(s);
        if (d.where) Expr(*d.where);
        break;
      }
      case ast::StatementKind::kUpdate: {
        const auto& u = static_cast<const ast::UpdateStatement&>(s);
        for (const auto& [col, e] : u.assignments) {
          Check(col.loc, "assignment column");
          Expr(*e);
        }
        if (u.where) Expr(*u.where);
        break;
      }
      default:
        break;
    }
  }

 private:
  std::vector<std::string>* problems_;
};

}  // namespace

void CheckLocations(const ast::Statement& stmt, std::vector<std::string>* problems) {
  LocationChecker(problems).Statement(stmt);
}

namespace {

TEST(LocationTest, EveryNodeHasALocation) {
  std::vector<std::string> scripts = SqlCorpus();
  std::string dir = FindTpchQueryDir();
  if (!dir.empty()) {
    for (const char* q : {"q01", "q02", "q07", "q13", "q15", "q15_view", "q22"}) {
      scripts.push_back(ReadFile(dir + "/" + q + ".sql"));
    }
  }
  for (const auto& sql : scripts) {
    auto r = ParseSql(sql);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const auto& stmt : *r) {
      std::vector<std::string> problems;
      CheckLocations(*stmt, &problems);
      EXPECT_TRUE(problems.empty()) << sql << "\nnodes without location: " << problems.front();
      EXPECT_LE(stmt->text_begin, stmt->text_end);
      EXPECT_LE(static_cast<size_t>(stmt->text_end), sql.size());
    }
  }
}

TEST(LocationTest, LocationsPointAtTheFirstToken) {
  std::string sql = "SELECT x\nFROM t\nWHERE  NOT EXISTS (SELECT 1)\n  AND y::int > ARRAY[1][1]";
  auto r = ParseSql(sql);
  // ARRAY[1][1] is not supported (no subscripts): the error points at the second '['.
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 4, column 24"), std::string::npos)
      << r.status().message();
  sql = "SELECT x\nFROM t\nWHERE  NOT EXISTS (SELECT 1)\n  AND y::int > ARRAY[1]";
  auto stmt = ParseOne(sql);
  ASSERT_TRUE(stmt);
  const auto& q = *static_cast<const ast::SelectStatement&>(*stmt).query;
  const auto& where = static_cast<const ast::BinaryExpr&>(*SelectOf(q).where);
  EXPECT_EQ(where.left->loc.line, 3);
  EXPECT_EQ(where.left->loc.column, 8);  // NOT
  const auto& cmp = static_cast<const ast::BinaryExpr&>(*where.right);
  EXPECT_EQ(cmp.loc.line, 4);
  EXPECT_EQ(cmp.loc.column, 7);  // y
  EXPECT_EQ(cmp.right->loc.column, 16);  // ARRAY
  const auto& cast = static_cast<const ast::CastExpr&>(*cmp.left);
  EXPECT_EQ(cast.type.loc.column, 10);
}

}  // namespace
}  // namespace shoal::testing
