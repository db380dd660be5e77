// Printing MERGE statements and single FROM items.
#include "shoal/parser/printer_internal.h"

namespace shoal::sql {

std::string SqlPrinter::Merge(const ast::MergeStatement& s) const {
  using Clause = ast::MergeClause;
  std::string out = "MERGE INTO " + Name(s.target);
  if (s.target_alias) out += " AS " + Identifier(*s.target_alias);
  out += " USING " + TableRef(*s.source) + " ON " + Expr(*s.on);
  for (const auto& c : s.clauses) {
    out += c.match == Clause::kMatched      ? " WHEN MATCHED"
           : c.match == Clause::kNotMatched ? " WHEN NOT MATCHED"
                                            : " WHEN NOT MATCHED BY SOURCE";
    if (c.condition) out += " AND " + Expr(*c.condition);
    out += " THEN ";
    switch (c.action) {
      case Clause::kDelete:
        out += "DELETE";
        break;
      case Clause::kUpdateAll:
        out += "UPDATE SET *";
        break;
      case Clause::kInsertAll:
        out += "INSERT *";
        break;
      case Clause::kUpdate:
        out += "UPDATE SET ";
        for (size_t i = 0; i < c.assignments.size(); ++i) {
          if (i > 0) out += ", ";
          out += Identifier(c.assignments[i].first) + " = " + Expr(*c.assignments[i].second);
        }
        break;
      case Clause::kInsert:
        out += "INSERT ";
        if (!c.insert_columns.empty()) out += IdentifierList(c.insert_columns) + " ";
        out += "VALUES (" + ExprList(c.insert_values) + ")";
        break;
    }
  }
  return out;
}

}  // namespace shoal::sql

namespace shoal {

std::string ToSql(const ast::TableRef& ref, SqlDialect dialect) {
  return sql::SqlPrinter(dialect).TableRef(ref);
}

}  // namespace shoal
