// Printing queries, table references and statements.
#include "shoal/parser/printer.h"

#include "shoal/common/strings.h"
#include "shoal/parser/printer_internal.h"

namespace shoal::sql {

namespace {

int SetOpLevel(ast::SetOpKind op) { return op == ast::SetOpKind::kIntersect ? 2 : 1; }

const char* SetOpName(ast::SetOpKind op) {
  switch (op) {
    case ast::SetOpKind::kUnion: return "UNION";
    case ast::SetOpKind::kIntersect: return "INTERSECT";
    case ast::SetOpKind::kExcept: return "EXCEPT";
  }
  return "UNION";
}

bool HasModifiers(const ast::Query& q) {
  return !q.ctes.empty() || !q.order_by.empty() || q.limit || q.offset;
}

/// Return true if `s` would be read back as the same number, TRUE/FALSE or name
/// without quotes (used for option values).
bool IsPlainValue(const std::string& s) {
  if (s.empty()) return false;
  if (s == "true" || s == "false") return true;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i >= s.size()) return false;
  bool digits = true, dot = false;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] == '.' && !dot) {
      dot = true;
    } else if (s[k] < '0' || s[k] > '9') {
      digits = false;
    }
  }
  return digits && s.back() != '.' && s[i] != '.';
}

/// Return `s` as a bare word if it reads back as itself, else as a string literal.
std::string WordOrString(const SqlPrinter& p, const std::string& s) {
  bool bare = !s.empty() && !(s[0] >= '0' && s[0] <= '9');
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) {
      bare = false;
    }
  }
  return bare ? s : p.StringLiteral(s);
}

}  // namespace

std::string SqlPrinter::Query(const ast::Query& q) const {
  std::string out;
  if (!q.ctes.empty()) {
    out += q.recursive ? "WITH RECURSIVE " : "WITH ";
    for (size_t i = 0; i < q.ctes.size(); ++i) {
      const auto& cte = q.ctes[i];
      if (i > 0) out += ", ";
      out += Identifier(cte.name);
      if (!cte.column_names.empty()) out += IdentifierList(cte.column_names);
      out += " AS ";
      if (cte.materialized.has_value()) {
        out += *cte.materialized ? "MATERIALIZED " : "NOT MATERIALIZED ";
      }
      out += "(" + Query(*cte.query) + ")";
    }
    out += " ";
  }
  out += QueryNode(*q.body);
  if (!q.order_by.empty()) out += " ORDER BY " + OrderBy(q.order_by);
  if (q.limit) out += " LIMIT " + Expr(*q.limit);
  if (q.offset) out += " OFFSET " + Expr(*q.offset);
  return out;
}

std::string SqlPrinter::SetOperand(const ast::Query& q, int parent_level, bool right) const {
  bool parens = HasModifiers(q);
  if (q.body->kind == ast::QueryNodeKind::kSetOperation) {
    int level = SetOpLevel(static_cast<const ast::SetOperationNode&>(*q.body).op);
    if (level < parent_level || (right && level <= parent_level)) parens = true;
  }
  std::string text = Query(q);
  return parens ? "(" + text + ")" : text;
}

std::string SqlPrinter::QueryNode(const ast::QueryNode& node) const {
  switch (node.kind) {
    case ast::QueryNodeKind::kSelect: {
      const auto& s = static_cast<const ast::SelectNode&>(node);
      std::string out = "SELECT ";
      if (s.distinct) {
        out += "DISTINCT ";
        if (!s.distinct_on.empty()) out += "ON (" + ExprList(s.distinct_on) + ") ";
      }
      for (size_t i = 0; i < s.select_list.size(); ++i) {
        if (i > 0) out += ", ";
        out += Expr(*s.select_list[i].expr);
        if (s.select_list[i].alias) out += " AS " + Identifier(*s.select_list[i].alias);
      }
      if (s.from) out += " FROM " + TableRef(*s.from);
      if (s.where) out += " WHERE " + Expr(*s.where);
      if (!s.group_by.empty()) {
        out += " GROUP BY ";
        for (size_t i = 0; i < s.group_by.size(); ++i) {
          const auto& g = s.group_by[i];
          if (i > 0) out += ", ";
          switch (g.kind) {
            case ast::GroupingKind::kPlain: out += ExprList(g.exprs); break;
            case ast::GroupingKind::kAll: out += "ALL"; break;
            case ast::GroupingKind::kRollup: out += "ROLLUP (" + ExprList(g.exprs) + ")"; break;
            case ast::GroupingKind::kCube: out += "CUBE (" + ExprList(g.exprs) + ")"; break;
            case ast::GroupingKind::kGroupingSets: {
              out += "GROUPING SETS (";
              for (size_t k = 0; k < g.sets.size(); ++k) {
                if (k > 0) out += ", ";
                out += "(" + ExprList(g.sets[k]) + ")";
              }
              out += ")";
              break;
            }
          }
        }
      }
      if (s.having) out += " HAVING " + Expr(*s.having);
      if (!s.windows.empty()) {
        out += " WINDOW ";
        for (size_t i = 0; i < s.windows.size(); ++i) {
          if (i > 0) out += ", ";
          out += Identifier(s.windows[i].name) + " AS " + WindowBody(*s.windows[i].spec);
        }
      }
      if (s.qualify) out += " QUALIFY " + Expr(*s.qualify);
      return out;
    }
    case ast::QueryNodeKind::kSetOperation: {
      const auto& s = static_cast<const ast::SetOperationNode&>(node);
      int level = SetOpLevel(s.op);
      std::string out = SetOperand(*s.left, level, false) + " " + SetOpName(s.op);
      if (s.all) out += " ALL";
      if (s.by_name) out += " BY NAME";
      return out + " " + SetOperand(*s.right, level, true);
    }
    case ast::QueryNodeKind::kValues: {
      const auto& v = static_cast<const ast::ValuesNode&>(node);
      std::string out = "VALUES ";
      for (size_t i = 0; i < v.rows.size(); ++i) {
        if (i > 0) out += ", ";
        out += "(" + ExprList(v.rows[i]) + ")";
      }
      return out;
    }
  }
  return "";
}

std::string SqlPrinter::Alias(const ast::TableRef& ref) const {
  if (!ref.alias) return "";
  std::string out = " AS " + Identifier(*ref.alias);
  if (!ref.column_aliases.empty()) out += IdentifierList(ref.column_aliases);
  return out;
}

std::string SqlPrinter::TableRef(const ast::TableRef& ref) const {
  switch (ref.kind) {
    case ast::TableRefKind::kBaseTable: {
      const auto& b = static_cast<const ast::BaseTableRef&>(ref);
      std::string out = b.is_path ? StringLiteral(b.path) : Name(b.name);
      if (b.time_travel) {
        out += b.time_travel->kind == ast::TimeTravel::kVersion ? " VERSION AS OF "
                                                                : " TIMESTAMP AS OF ";
        out += Expr(*b.time_travel->value);
      }
      return out + Alias(ref);
    }
    case ast::TableRefKind::kSubquery: {
      const auto& s = static_cast<const ast::SubqueryRef&>(ref);
      return std::string(s.lateral ? "LATERAL (" : "(") + Query(*s.query) + ")" + Alias(ref);
    }
    case ast::TableRefKind::kTableFunction: {
      const auto& f = static_cast<const ast::TableFunctionRef&>(ref);
      return std::string(f.lateral ? "LATERAL " : "") + Name(f.name) + "(" + ExprList(f.args) +
             ")" + Alias(ref);
    }
    case ast::TableRefKind::kValues: {
      const auto& v = static_cast<const ast::ValuesRef&>(ref);
      std::string out = "(VALUES ";
      for (size_t i = 0; i < v.rows.size(); ++i) {
        if (i > 0) out += ", ";
        out += "(" + ExprList(v.rows[i]) + ")";
      }
      return out + ")" + Alias(ref);
    }
    case ast::TableRefKind::kJoin: {
      const auto& j = static_cast<const ast::JoinRef&>(ref);
      std::string out = TableRef(*j.left);
      if (j.natural) out += " NATURAL";
      bool spark = dialect_ == SqlDialect::kSpark;
      switch (j.join_type) {
        case ast::JoinType::kInner: out += " JOIN "; break;
        case ast::JoinType::kLeft: out += " LEFT JOIN "; break;
        case ast::JoinType::kRight: out += " RIGHT JOIN "; break;
        case ast::JoinType::kFull: out += " FULL JOIN "; break;
        case ast::JoinType::kCross: out += " CROSS JOIN "; break;
        case ast::JoinType::kSemi: out += spark ? " LEFT SEMI JOIN " : " SEMI JOIN "; break;
        case ast::JoinType::kAnti: out += spark ? " LEFT ANTI JOIN " : " ANTI JOIN "; break;
      }
      // A join on the right side (from a comma list or parentheses) needs parentheses.
      std::string right = TableRef(*j.right);
      if (j.right->kind == ast::TableRefKind::kJoin && !j.right->alias) right = "(" + right + ")";
      out += right;
      if (j.condition) out += " ON " + Expr(*j.condition);
      if (!j.using_columns.empty()) out += " USING " + IdentifierList(j.using_columns);
      if (ref.alias) out = "(" + out + ")" + Alias(ref);
      return out;
    }
  }
  return "";
}

std::string SqlPrinter::Options(const std::vector<ast::OptionItem>& items,
                                bool with_equals) const {
  std::string out = "(";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ", ";
    out += StringLiteral(items[i].key) + (with_equals ? " = " : " ") +
           StringLiteral(items[i].value);
  }
  return out + ")";
}

std::string SqlPrinter::ColumnDef(const ast::ColumnDef& col) const {
  std::string out = Identifier(col.name);
  if (!col.type.name.empty() || col.type.element) out += " " + Type(col.type);
  if (col.not_null) out += " NOT NULL";
  if (col.default_value) out += " DEFAULT " + Expr(*col.default_value);
  if (col.generated) out += " GENERATED ALWAYS AS (" + Expr(*col.generated) + ")";
  return out;
}

std::string SqlPrinter::CreateTable(const ast::CreateTableStatement& s) const {
  std::string out = "CREATE ";
  if (s.or_replace) out += "OR REPLACE ";
  if (s.temporary) out += "TEMPORARY ";
  out += "TABLE ";
  if (s.if_not_exists) out += "IF NOT EXISTS ";
  out += Name(s.name);
  std::vector<std::string> elements;
  for (const auto& col : s.columns) elements.push_back(ColumnDef(col));
  for (const auto& [name, expr] : s.checks) {
    std::string c = name.empty() ? "" : "CONSTRAINT " + Identifier({name, true, {}}) + " ";
    elements.push_back(c + "CHECK (" + Expr(*expr) + ")");
  }
  if (!elements.empty()) out += " (" + Join(elements, ", ") + ")";
  if (!s.using_format.empty()) out += " USING " + WordOrString(*this, s.using_format);
  if (!s.partitioned_by.empty()) out += " PARTITIONED BY " + IdentifierList(s.partitioned_by);
  if (s.location) out += " LOCATION " + StringLiteral(*s.location);
  if (!s.properties.empty()) out += " TBLPROPERTIES " + Options(s.properties, true);
  if (s.as_query) out += " AS " + Query(*s.as_query);
  return out;
}

std::string SqlPrinter::CreateExternalTable(const ast::CreateExternalTableStatement& s) const {
  std::string out = "CREATE ";
  if (s.or_replace) out += "OR REPLACE ";
  if (s.unbounded) out += "UNBOUNDED ";
  out += "EXTERNAL TABLE ";
  if (s.if_not_exists) out += "IF NOT EXISTS ";
  out += Name(s.name);
  if (!s.columns.empty()) {
    std::vector<std::string> cols;
    for (const auto& col : s.columns) cols.push_back(ColumnDef(col));
    out += " (" + Join(cols, ", ") + ")";
  }
  out += " STORED AS " + WordOrString(*this, s.stored_as);
  if (!s.partitioned_by.empty()) {
    std::vector<std::string> cols;
    for (const auto& col : s.partitioned_by) cols.push_back(ColumnDef(col));
    out += " PARTITIONED BY (" + Join(cols, ", ") + ")";
  }
  for (const auto& order : s.with_order) out += " WITH ORDER (" + OrderBy(order) + ")";
  if (!s.options.empty()) out += " OPTIONS " + Options(s.options, false);
  out += " LOCATION " + StringLiteral(s.location);
  return out;
}

std::string SqlPrinter::Copy(const ast::CopyStatement& s) const {
  std::string out = "COPY ";
  out += s.query ? "(" + Query(*s.query) + ")" : Name(s.table);
  out += " TO " + StringLiteral(s.path);
  if (dialect_ == SqlDialect::kDuckDB) {
    std::vector<std::string> opts;
    if (!s.stored_as.empty()) opts.push_back("FORMAT " + WordOrString(*this, ToLower(s.stored_as)));
    if (!s.partitioned_by.empty()) opts.push_back("PARTITION_BY " + IdentifierList(s.partitioned_by));
    for (const auto& o : s.options) {
      opts.push_back(WordOrString(*this, o.key) + " " + StringLiteral(o.value));
    }
    if (!opts.empty()) out += " (" + Join(opts, ", ") + ")";
    return out;
  }
  if (!s.stored_as.empty()) out += " STORED AS " + WordOrString(*this, s.stored_as);
  if (!s.partitioned_by.empty()) out += " PARTITIONED BY " + IdentifierList(s.partitioned_by);
  if (!s.options.empty()) out += " OPTIONS " + Options(s.options, false);
  return out;
}

std::string SqlPrinter::Statement(const ast::Statement& stmt) const {
  switch (stmt.kind) {
    case ast::StatementKind::kSelect:
      return Query(*static_cast<const ast::SelectStatement&>(stmt).query);
    case ast::StatementKind::kInsert: {
      const auto& s = static_cast<const ast::InsertStatement&>(stmt);
      std::string out = s.overwrite ? "INSERT OVERWRITE TABLE " : "INSERT INTO ";
      out += Name(s.table);
      if (!s.columns.empty()) out += " " + IdentifierList(s.columns);
      if (s.replace_where) out += " REPLACE WHERE " + Expr(*s.replace_where);
      return out + " " + Query(*s.query);
    }
    case ast::StatementKind::kCreateTable:
      return CreateTable(static_cast<const ast::CreateTableStatement&>(stmt));
    case ast::StatementKind::kCreateView: {
      const auto& s = static_cast<const ast::CreateViewStatement&>(stmt);
      std::string out = s.or_replace ? "CREATE OR REPLACE VIEW " : "CREATE VIEW ";
      if (s.if_not_exists) out += "IF NOT EXISTS ";
      out += Name(s.name);
      if (!s.columns.empty()) out += " " + IdentifierList(s.columns);
      return out + " AS " + Query(*s.query);
    }
    case ast::StatementKind::kCreateExternalTable:
      return CreateExternalTable(static_cast<const ast::CreateExternalTableStatement&>(stmt));
    case ast::StatementKind::kDrop: {
      const auto& s = static_cast<const ast::DropStatement&>(stmt);
      std::string out = s.object == ast::DropKind::kTable ? "DROP TABLE " : "DROP VIEW ";
      if (s.if_exists) out += "IF EXISTS ";
      for (size_t i = 0; i < s.names.size(); ++i) {
        if (i > 0) out += ", ";
        out += Name(s.names[i]);
      }
      return out;
    }
    case ast::StatementKind::kShowTables:
      return "SHOW TABLES";
    case ast::StatementKind::kShowVariable: {
      const auto& s = static_cast<const ast::ShowVariableStatement&>(stmt);
      return "SHOW " + (s.name == "all" ? std::string("ALL") : s.name);
    }
    case ast::StatementKind::kDescribe: {
      const auto& s = static_cast<const ast::DescribeStatement&>(stmt);
      if (s.query) return "DESCRIBE " + Query(*s.query);
      return std::string(s.history ? "DESCRIBE HISTORY " : "DESCRIBE ") + Name(s.table);
    }
    case ast::StatementKind::kExplain: {
      const auto& s = static_cast<const ast::ExplainStatement&>(stmt);
      std::string out = "EXPLAIN ";
      if (s.analyze) out += "ANALYZE ";
      if (s.verbose) out += "VERBOSE ";
      if (!s.format.empty()) out += "FORMAT " + s.format + " ";
      return out + Statement(*s.statement);
    }
    case ast::StatementKind::kSet: {
      const auto& s = static_cast<const ast::SetStatement&>(stmt);
      std::string value = IsPlainValue(s.value) ? s.value : StringLiteral(s.value);
      return std::string(s.local ? "SET LOCAL " : "SET ") + s.name + " = " + value;
    }
    case ast::StatementKind::kReset: {
      const auto& s = static_cast<const ast::ResetStatement&>(stmt);
      return "RESET " + (s.name == "all" ? std::string("ALL") : s.name);
    }
    case ast::StatementKind::kCopy:
      return Copy(static_cast<const ast::CopyStatement&>(stmt));
    case ast::StatementKind::kDelete: {
      const auto& s = static_cast<const ast::DeleteStatement&>(stmt);
      std::string out = "DELETE FROM " + Name(s.table);
      if (s.alias) out += " AS " + Identifier(*s.alias);
      if (s.where) out += " WHERE " + Expr(*s.where);
      return out;
    }
    case ast::StatementKind::kUpdate: {
      const auto& s = static_cast<const ast::UpdateStatement&>(stmt);
      std::string out = "UPDATE " + Name(s.table);
      if (s.alias) out += " AS " + Identifier(*s.alias);
      out += " SET ";
      for (size_t i = 0; i < s.assignments.size(); ++i) {
        if (i > 0) out += ", ";
        out += Identifier(s.assignments[i].first) + " = " + Expr(*s.assignments[i].second);
      }
      if (s.where) out += " WHERE " + Expr(*s.where);
      return out;
    }
    case ast::StatementKind::kMerge:
      return Merge(static_cast<const ast::MergeStatement&>(stmt));
    case ast::StatementKind::kDeltaMaintenance:
      return DeltaMaintenanceToSql(static_cast<const ast::DeltaMaintenanceStatement&>(stmt));
  }
  return "";
}

}  // namespace shoal::sql

namespace shoal {

std::string ToSql(const ast::Statement& stmt, SqlDialect dialect) {
  return sql::SqlPrinter(dialect).Statement(stmt);
}

std::string ToSql(const ast::Query& query, SqlDialect dialect) {
  return sql::SqlPrinter(dialect).Query(query);
}

}  // namespace shoal
