// MERGE INTO target [AS x] USING source [AS s] ON cond
//   WHEN MATCHED [AND cond] THEN UPDATE SET c = e, ... | UPDATE SET * | DELETE
//   WHEN NOT MATCHED [BY TARGET] [AND cond] THEN INSERT [(cols)] VALUES (...) | INSERT *
//   WHEN NOT MATCHED BY SOURCE [AND cond] THEN UPDATE SET ... | DELETE
// (Delta Lake / Spark syntax; clauses are kept in the order written).
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

namespace {

using Clause = ast::MergeClause;

}  // namespace

Result<ast::StatementPtr> Parser::ParseMerge() {
  Advance();  // MERGE
  ARROW_RETURN_NOT_OK(ExpectKeyword("INTO"));
  AcceptKeyword("TABLE");
  auto stmt = std::make_unique<ast::MergeStatement>();
  ARROW_ASSIGN_OR_RAISE(stmt->target, ParseQualifiedName("table name"));
  if (AcceptKeyword("AS") || IsIdentifierToken()) {
    ARROW_ASSIGN_OR_RAISE(stmt->target_alias, ParseIdentifier("alias"));
  }
  ARROW_RETURN_NOT_OK(ExpectKeyword("USING"));
  ARROW_ASSIGN_OR_RAISE(stmt->source, ParseTablePrimary());
  ARROW_RETURN_NOT_OK(ExpectKeyword("ON"));
  ARROW_ASSIGN_OR_RAISE(stmt->on, ParseExpr());
  while (IsKeyword("WHEN")) {
    Clause clause;
    clause.loc = CurrentLoc();
    Advance();  // WHEN
    if (AcceptKeyword("MATCHED")) {
      clause.match = Clause::kMatched;
    } else if (AcceptKeywords("NOT", "MATCHED")) {
      clause.match = Clause::kNotMatched;
      if (AcceptKeyword("BY")) {
        if (AcceptKeyword("SOURCE")) {
          clause.match = Clause::kNotMatchedBySource;
        } else if (!AcceptKeyword("TARGET")) {
          return Expected("SOURCE or TARGET after WHEN NOT MATCHED BY");
        }
      }
    } else {
      return Expected("MATCHED or NOT MATCHED after WHEN");
    }
    if (AcceptKeyword("AND")) {
      ARROW_ASSIGN_OR_RAISE(clause.condition, ParseExpr());
    }
    ARROW_RETURN_NOT_OK(ExpectKeyword("THEN"));
    if (clause.match == Clause::kNotMatched) {
      if (!IsKeyword("INSERT")) {
        return Expected("INSERT after WHEN NOT MATCHED ... THEN (only INSERT applies to source "
                        "rows without a target row)");
      }
      Advance();  // INSERT
      if (AcceptOp("*")) {
        clause.action = Clause::kInsertAll;
      } else {
        clause.action = Clause::kInsert;
        if (IsOp("(")) {
          ARROW_ASSIGN_OR_RAISE(clause.insert_columns, ParseIdentifierList());
        }
        ARROW_RETURN_NOT_OK(ExpectKeyword("VALUES"));
        ARROW_RETURN_NOT_OK(ExpectOp("("));
        ARROW_ASSIGN_OR_RAISE(clause.insert_values, ParseExprList());
        ARROW_RETURN_NOT_OK(ExpectOp(")"));
        if (!clause.insert_columns.empty() &&
            clause.insert_columns.size() != clause.insert_values.size()) {
          return ErrorAt(Previous(), "MERGE INSERT names " +
                                         std::to_string(clause.insert_columns.size()) +
                                         " columns but gives " +
                                         std::to_string(clause.insert_values.size()) + " values");
        }
      }
    } else if (AcceptKeyword("DELETE")) {
      clause.action = Clause::kDelete;
    } else if (IsKeyword("UPDATE")) {
      Advance();  // UPDATE
      ARROW_RETURN_NOT_OK(ExpectKeyword("SET"));
      if (AcceptOp("*")) {
        if (clause.match == Clause::kNotMatchedBySource) {
          return ErrorAt(Previous(), "UPDATE SET * is not allowed in WHEN NOT MATCHED BY SOURCE "
                                     "(there is no source row)");
        }
        clause.action = Clause::kUpdateAll;
      } else {
        clause.action = Clause::kUpdate;
        do {
          ARROW_ASSIGN_OR_RAISE(auto column, ParseQualifiedName("column name"));
          ARROW_RETURN_NOT_OK(ExpectOp("="));
          ARROW_ASSIGN_OR_RAISE(auto value, ParseExpr());
          // `SET t.c = e`: the qualifier names the target; keep the column.
          clause.assignments.emplace_back(std::move(column.parts.back()), std::move(value));
        } while (AcceptOp(","));
      }
    } else {
      return Expected("UPDATE or DELETE after WHEN [NOT] MATCHED ... THEN");
    }
    stmt->clauses.push_back(std::move(clause));
  }
  if (stmt->clauses.empty()) return Expected("WHEN MATCHED or WHEN NOT MATCHED");
  return stmt;
}

}  // namespace shoal::sql
