// Delta maintenance statements: ALTER TABLE (ADD COLUMNS, SET / UNSET
// TBLPROPERTIES, ADD / DROP CONSTRAINT), RESTORE, OPTIMIZE, VACUUM, FSCK REPAIR
// (ast::DeltaMaintenanceStatement).
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"
#include "shoal/parser/printer.h"

namespace shoal::sql {

namespace {

using Op = ast::DeltaMaintenanceStatement::Op;

}  // namespace

Result<ast::StatementPtr> Parser::ParseDeltaMaintenance() {
  auto stmt = std::make_unique<ast::DeltaMaintenanceStatement>();
  auto parse_table = [&]() -> Status {
    if (Peek().type == TokenType::kString) {
      stmt->path = Advance().value;
      return Status::OK();
    }
    if (IsKeyword("DELTA") && IsOp(".", 1) && Peek(2).type == TokenType::kQuotedIdentifier) {
      Advance();
      Advance();
      stmt->path = Advance().value;
      return Status::OK();
    }
    ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name or 'path'"));
    return Status::OK();
  };
  auto parse_dry_run = [&]() {
    if (AcceptKeywords("DRY", "RUN")) stmt->dry_run = true;
  };
  if (AcceptKeyword("ALTER")) {
    ARROW_RETURN_NOT_OK(ExpectKeyword("TABLE"));
    ARROW_RETURN_NOT_OK(parse_table());
    if (AcceptKeyword("ADD")) {
      if (AcceptKeyword("CONSTRAINT")) {
        stmt->op = Op::kAddConstraint;
        ARROW_ASSIGN_OR_RAISE(stmt->constraint_name, ParseIdentifier("constraint name"));
        ARROW_RETURN_NOT_OK(ExpectKeyword("CHECK"));
        ARROW_RETURN_NOT_OK(ExpectOp("("));
        ARROW_ASSIGN_OR_RAISE(stmt->expr, ParseExpr());
        ARROW_RETURN_NOT_OK(ExpectOp(")"));
      } else {
        stmt->op = Op::kAddColumns;
        bool parens = false;
        if (AcceptKeyword("COLUMNS")) {
          ARROW_RETURN_NOT_OK(ExpectOp("("));
          parens = true;
        } else {
          AcceptKeyword("COLUMN");
          parens = AcceptOp("(");
        }
        do {
          std::vector<std::pair<std::string, ast::ExprPtr>> checks;
          const Token& start = Peek();
          ARROW_ASSIGN_OR_RAISE(auto col, ParseColumnDef(&checks));
          if (!checks.empty() || col.default_value || col.generated) {
            return ErrorAt(start, "ADD COLUMNS takes only names, types and NOT NULL");
          }
          stmt->columns.push_back(std::move(col));
        } while (AcceptOp(","));
        if (parens) ARROW_RETURN_NOT_OK(ExpectOp(")"));
      }
    } else if (AcceptKeyword("DROP")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("CONSTRAINT"));
      stmt->op = Op::kDropConstraint;
      if (AcceptKeyword("IF")) {
        ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
        stmt->if_exists = true;
      }
      ARROW_ASSIGN_OR_RAISE(stmt->constraint_name, ParseIdentifier("constraint name"));
    } else if (AcceptKeyword("SET")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("TBLPROPERTIES"));
      stmt->op = Op::kSetProperties;
      ARROW_ASSIGN_OR_RAISE(stmt->properties, ParseOptionList());
      if (stmt->properties.empty()) return Expected("at least one property");
    } else if (AcceptKeyword("UNSET")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("TBLPROPERTIES"));
      stmt->op = Op::kUnsetProperties;
      if (AcceptKeyword("IF")) {
        ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
        stmt->if_exists = true;
      }
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      do {
        ARROW_ASSIGN_OR_RAISE(auto key, ParseOptionKey());
        stmt->keys.push_back(std::move(key));
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    } else {
      return Expected("ADD COLUMNS, ADD CONSTRAINT, DROP CONSTRAINT, SET TBLPROPERTIES or "
                      "UNSET TBLPROPERTIES");
    }
    return stmt;
  }
  if (AcceptKeyword("RESTORE")) {
    stmt->op = Op::kRestore;
    AcceptKeyword("TABLE");
    ARROW_RETURN_NOT_OK(parse_table());
    AcceptKeyword("TO");
    if (AcceptKeyword("VERSION")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
      ARROW_RETURN_NOT_OK(ExpectKeyword("OF"));
      if (Peek().type != TokenType::kInteger) return Expected("a version number");
      stmt->version = std::stoll(Advance().value);
    } else if (AcceptKeyword("TIMESTAMP")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
      ARROW_RETURN_NOT_OK(ExpectKeyword("OF"));
      if (Peek().type != TokenType::kString) return Expected("a timestamp string");
      stmt->timestamp = Advance().value;
    } else {
      return Expected("VERSION AS OF or TIMESTAMP AS OF");
    }
    return stmt;
  }
  if (AcceptKeyword("OPTIMIZE")) {
    stmt->op = Op::kOptimize;
    ARROW_RETURN_NOT_OK(parse_table());
    if (AcceptKeyword("WHERE")) {
      ARROW_ASSIGN_OR_RAISE(stmt->expr, ParseExpr());
    }
    if (AcceptKeyword("ZORDER")) {
      ARROW_RETURN_NOT_OK(ExpectKeyword("BY"));
      bool parens = AcceptOp("(");
      do {
        ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("column name"));
        stmt->zorder_by.push_back(std::move(id));
      } while (AcceptOp(","));
      if (parens) ARROW_RETURN_NOT_OK(ExpectOp(")"));
    }
    return stmt;
  }
  if (AcceptKeyword("VACUUM")) {
    stmt->op = Op::kVacuum;
    ARROW_RETURN_NOT_OK(parse_table());
    if (AcceptKeyword("RETAIN")) {
      const Token& t = Peek();
      if (t.type != TokenType::kInteger && t.type != TokenType::kDecimal) {
        return Expected("a number of hours after RETAIN");
      }
      Advance();
      stmt->retain_hours = std::stod(t.value);
      ARROW_RETURN_NOT_OK(ExpectKeyword("HOURS"));
    }
    parse_dry_run();
    return stmt;
  }
  if (AcceptKeyword("FSCK")) {
    stmt->op = Op::kFsck;
    ARROW_RETURN_NOT_OK(ExpectKeyword("REPAIR"));
    ARROW_RETURN_NOT_OK(ExpectKeyword("TABLE"));
    ARROW_RETURN_NOT_OK(parse_table());
    parse_dry_run();
    return stmt;
  }
  return Expected("ALTER, RESTORE, OPTIMIZE, VACUUM or FSCK");
}

}  // namespace shoal::sql

namespace shoal {

std::string DeltaMaintenanceToSql(const ast::DeltaMaintenanceStatement& st) {
  using Op = ast::DeltaMaintenanceStatement::Op;
  auto quote = [](const std::string& s) {
    std::string out = "'";
    for (char c : s) {
      out += c;
      if (c == '\'') out += '\'';
    }
    return out + "'";
  };
  std::string table;
  if (st.path) {
    table = quote(*st.path);
  } else {
    for (size_t i = 0; i < st.table.parts.size(); ++i) {
      if (i) table += ".";
      table += "\"" + st.table.parts[i].name + "\"";
    }
  }
  switch (st.op) {
    case Op::kAddColumns: {
      std::string out = "ALTER TABLE " + table + " ADD COLUMNS (";
      for (size_t i = 0; i < st.columns.size(); ++i) {
        if (i) out += ", ";
        out += "\"" + st.columns[i].name.name + "\" " + st.columns[i].type.name;
        if (st.columns[i].not_null) out += " NOT NULL";
      }
      return out + ")";
    }
    case Op::kSetProperties: {
      std::string out = "ALTER TABLE " + table + " SET TBLPROPERTIES (";
      for (size_t i = 0; i < st.properties.size(); ++i) {
        if (i) out += ", ";
        out += quote(st.properties[i].key) + " = " + quote(st.properties[i].value);
      }
      return out + ")";
    }
    case Op::kUnsetProperties: {
      std::string out = "ALTER TABLE " + table + " UNSET TBLPROPERTIES " +
                        (st.if_exists ? "IF EXISTS (" : "(");
      for (size_t i = 0; i < st.keys.size(); ++i) out += (i ? ", " : "") + quote(st.keys[i]);
      return out + ")";
    }
    case Op::kAddConstraint:
      return "ALTER TABLE " + table + " ADD CONSTRAINT \"" + st.constraint_name.name +
             "\" CHECK (" + (st.expr ? ToSql(*st.expr) : "") + ")";
    case Op::kDropConstraint:
      return "ALTER TABLE " + table + " DROP CONSTRAINT " + (st.if_exists ? "IF EXISTS " : "") +
             "\"" + st.constraint_name.name + "\"";
    case Op::kRestore:
      return "RESTORE TABLE " + table +
             (st.version ? " TO VERSION AS OF " + std::to_string(*st.version)
                         : " TO TIMESTAMP AS OF " + quote(st.timestamp.value_or("")));
    case Op::kOptimize: {
      std::string out = "OPTIMIZE " + table;
      if (st.expr) out += " WHERE " + ToSql(*st.expr);
      if (!st.zorder_by.empty()) {
        out += " ZORDER BY (";
        for (size_t i = 0; i < st.zorder_by.size(); ++i) {
          out += (i ? ", \"" : "\"") + st.zorder_by[i].name + "\"";
        }
        out += ")";
      }
      return out;
    }
    case Op::kVacuum: {
      std::string out = "VACUUM " + table;
      if (st.retain_hours) out += " RETAIN " + std::to_string(*st.retain_hours) + " HOURS";
      if (st.dry_run) out += " DRY RUN";
      return out;
    }
    case Op::kFsck:
      return "FSCK REPAIR TABLE " + table + (st.dry_run ? " DRY RUN" : "");
  }
  return "";
}

}  // namespace shoal
