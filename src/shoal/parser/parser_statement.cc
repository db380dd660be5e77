// Statements other than CREATE: SELECT, INSERT, DROP, SHOW, DESCRIBE, EXPLAIN, SET,
// RESET, COPY, DELETE, UPDATE; option lists shared with CREATE.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

using ast::StatementPtr;

Result<StatementPtr> Parser::ParseStatement() {
  SHOAL_PARSE_NESTED(this);
  const Token& first = Peek();
  StatementPtr stmt;
  if (StartsQuery() || IsOp("(")) {
    auto select = std::make_unique<ast::SelectStatement>();
    ARROW_ASSIGN_OR_RAISE(select->query, ParseQuery());
    stmt = std::move(select);
  } else if (IsKeyword("INSERT")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseInsert());
  } else if (IsKeyword("CREATE")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseCreate());
  } else if (IsKeyword("DROP")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseDrop());
  } else if (IsKeyword("SHOW")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseShow());
  } else if (IsKeyword("DESCRIBE") || IsKeyword("DESC")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseDescribe());
  } else if (IsKeyword("EXPLAIN")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseExplain());
  } else if (IsKeyword("SET")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseSet());
  } else if (IsKeyword("RESET")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseReset());
  } else if (IsKeyword("COPY")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseCopy());
  } else if (IsKeyword("DELETE")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseDelete());
  } else if (IsKeyword("UPDATE")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseUpdate());
  } else if (IsKeyword("ALTER") || IsKeyword("RESTORE") || IsKeyword("OPTIMIZE") ||
             IsKeyword("VACUUM") || IsKeyword("FSCK")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseDeltaMaintenance());
  } else if (IsKeyword("MERGE")) {
    ARROW_ASSIGN_OR_RAISE(stmt, ParseMerge());
  } else {
    return Expected("a statement (SELECT, INSERT, CREATE, DROP, ...)");
  }
  stmt->loc = Loc(first);
  stmt->text_begin = first.offset;
  stmt->text_end = std::max(first.end(), Previous().end());
  return stmt;
}

Result<StatementPtr> Parser::ParseInsert() {
  Advance();  // INSERT
  auto stmt = std::make_unique<ast::InsertStatement>();
  if (AcceptKeyword("OVERWRITE")) {
    stmt->overwrite = true;
    AcceptKeyword("TABLE");
  } else {
    ARROW_RETURN_NOT_OK(ExpectKeyword("INTO"));
    AcceptKeyword("TABLE");
  }
  ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name"));
  if (IsOp("(") && !StartsParenthesizedQuery()) {
    ARROW_ASSIGN_OR_RAISE(stmt->columns, ParseIdentifierList());
  }
  if (AcceptKeywords("REPLACE", "WHERE")) {
    ARROW_ASSIGN_OR_RAISE(stmt->replace_where, ParseExpr());
  }
  if (!StartsQuery() && !IsOp("(")) return Expected("SELECT, VALUES or '('");
  ARROW_ASSIGN_OR_RAISE(stmt->query, ParseQuery());
  return stmt;
}

Result<StatementPtr> Parser::ParseDrop() {
  Advance();  // DROP
  auto stmt = std::make_unique<ast::DropStatement>();
  if (AcceptKeyword("TABLE")) {
    stmt->object = ast::DropKind::kTable;
  } else if (AcceptKeyword("VIEW")) {
    stmt->object = ast::DropKind::kView;
  } else {
    return Expected("TABLE or VIEW");
  }
  if (AcceptKeyword("IF")) {
    ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
    stmt->if_exists = true;
  }
  do {
    ARROW_ASSIGN_OR_RAISE(auto name, ParseQualifiedName(
        stmt->object == ast::DropKind::kTable ? "table name" : "view name"));
    stmt->names.push_back(std::move(name));
  } while (AcceptOp(","));
  return stmt;
}

Result<std::string> Parser::ParseDottedName() {
  const Token& t = Peek();
  if (t.type != TokenType::kWord && t.type != TokenType::kQuotedIdentifier) {
    return Expected("setting name");
  }
  Advance();
  std::string name = ToLower(t.value);
  while (IsOp(".") && (Peek(1).type == TokenType::kWord ||
                       Peek(1).type == TokenType::kQuotedIdentifier)) {
    Advance();
    name += "." + ToLower(Advance().value);
  }
  return name;
}

Result<StatementPtr> Parser::ParseShow() {
  Advance();  // SHOW
  if (AcceptKeyword("TABLES")) return std::make_unique<ast::ShowTablesStatement>();
  if (IsKeyword("COLUMNS") && (IsKeyword("FROM", 1) || IsKeyword("IN", 1))) {
    Advance();
    Advance();
    auto stmt = std::make_unique<ast::DescribeStatement>();
    ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name"));
    return stmt;
  }
  auto stmt = std::make_unique<ast::ShowVariableStatement>();
  if (AcceptKeyword("ALL")) {
    stmt->name = "all";
    return stmt;
  }
  if (AtEnd() || IsOp(";")) return Expected("TABLES, ALL, COLUMNS FROM or a setting name");
  ARROW_ASSIGN_OR_RAISE(stmt->name, ParseDottedName());
  return stmt;
}

Result<StatementPtr> Parser::ParseDescribe() {
  Advance();  // DESCRIBE / DESC
  auto stmt = std::make_unique<ast::DescribeStatement>();
  if (IsKeyword("HISTORY") && IsIdentifierToken(1)) {
    Advance();
    stmt->history = true;
    ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name"));
    if (AcceptKeyword("LIMIT")) {
      if (Peek().type != TokenType::kInteger) return Expected("a number of commits after LIMIT");
      stmt->history_limit = std::stoll(Advance().value);
    }
    return stmt;
  }
  if (StartsQuery() || IsOp("(")) {
    ARROW_ASSIGN_OR_RAISE(stmt->query, ParseQuery());
    return stmt;
  }
  AcceptKeyword("TABLE");
  ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name or query"));
  return stmt;
}

Result<StatementPtr> Parser::ParseExplain() {
  Advance();  // EXPLAIN
  auto stmt = std::make_unique<ast::ExplainStatement>();
  while (true) {
    if (AcceptKeyword("ANALYZE")) {
      stmt->analyze = true;
    } else if (AcceptKeyword("VERBOSE")) {
      stmt->verbose = true;
    } else if (IsKeyword("FORMAT") &&
               (Peek(1).type == TokenType::kWord || Peek(1).type == TokenType::kString)) {
      Advance();
      stmt->format = ToLower(Advance().value);
    } else {
      break;
    }
  }
  ARROW_ASSIGN_OR_RAISE(stmt->statement, ParseStatement());
  return stmt;
}

Result<StatementPtr> Parser::ParseSet() {
  Advance();  // SET
  auto stmt = std::make_unique<ast::SetStatement>();
  if (AcceptKeyword("LOCAL")) {
    stmt->local = true;
  } else {
    AcceptKeyword("SESSION");
  }
  if (IsKeyword("TIME") && IsKeyword("ZONE", 1)) {
    Advance();
    Advance();
    stmt->name = "timezone";
  } else {
    ARROW_ASSIGN_OR_RAISE(stmt->name, ParseDottedName());
    if (!AcceptOp("=") && !AcceptKeyword("TO")) return Expected("'=' or TO");
  }
  ARROW_ASSIGN_OR_RAISE(stmt->value, ParseOptionValue());
  return stmt;
}

Result<StatementPtr> Parser::ParseReset() {
  Advance();  // RESET
  auto stmt = std::make_unique<ast::ResetStatement>();
  if (AcceptKeyword("ALL")) {
    stmt->name = "all";
  } else {
    ARROW_ASSIGN_OR_RAISE(stmt->name, ParseDottedName());
  }
  return stmt;
}

Result<std::string> Parser::ParseOptionKey() {
  const Token& t = Peek();
  if (t.type == TokenType::kString) {
    Advance();
    return t.value;
  }
  if (t.type != TokenType::kWord && t.type != TokenType::kQuotedIdentifier) {
    return Expected("option name");
  }
  Advance();
  std::string key = t.value;
  while (IsOp(".") && (Peek(1).type == TokenType::kWord ||
                       Peek(1).type == TokenType::kQuotedIdentifier)) {
    Advance();
    key += "." + Advance().value;
  }
  return key;
}

Result<std::string> Parser::ParseOptionValue() {
  const Token& t = Peek();
  switch (t.type) {
    case TokenType::kString:
      Advance();
      return t.value;
    case TokenType::kInteger:
    case TokenType::kDecimal:
      Advance();
      return std::string(t.text);
    case TokenType::kOperator:
      if ((t.text == "-" || t.text == "+") && (Peek(1).type == TokenType::kInteger ||
                                               Peek(1).type == TokenType::kDecimal)) {
        Advance();
        std::string sign = t.text == "-" ? "-" : "";
        return sign + std::string(Advance().text);
      }
      break;
    case TokenType::kWord:
    case TokenType::kQuotedIdentifier: {
      Advance();
      if (t.type == TokenType::kWord &&
          (EqualsIgnoreCase(t.text, "true") || EqualsIgnoreCase(t.text, "false"))) {
        return ToLower(t.text);
      }
      std::string value = t.value;
      while (IsOp(".") && Peek(1).type == TokenType::kWord) {
        Advance();
        value += "." + Advance().value;
      }
      return value;
    }
    default:
      break;
  }
  return Expected("a value (string, number, TRUE/FALSE or name)");
}

Result<std::vector<ast::OptionItem>> Parser::ParseOptionList() {
  ARROW_RETURN_NOT_OK(ExpectOp("("));
  std::vector<ast::OptionItem> items;
  if (AcceptOp(")")) return items;
  do {
    ast::OptionItem item;
    item.loc = CurrentLoc();
    ARROW_ASSIGN_OR_RAISE(item.key, ParseOptionKey());
    AcceptOp("=");
    ARROW_ASSIGN_OR_RAISE(item.value, ParseOptionValue());
    items.push_back(std::move(item));
  } while (AcceptOp(","));
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return items;
}

Result<StatementPtr> Parser::ParseCopy() {
  Advance();  // COPY
  auto stmt = std::make_unique<ast::CopyStatement>();
  if (IsOp("(")) {
    if (!StartsParenthesizedQuery()) return ErrorAt(Peek(1), "expected a query after COPY (");
    ARROW_ASSIGN_OR_RAISE(stmt->query, ParseSubqueryInParens());
  } else {
    ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name or '(' query ')'"));
  }
  ARROW_RETURN_NOT_OK(ExpectKeyword("TO"));
  if (Peek().type != TokenType::kString) return Expected("output path string");
  stmt->path = Advance().value;
  bool seen_stored = false, seen_partitioned = false, seen_options = false;
  while (true) {
    const Token& tok = Peek();
    if (AcceptKeywords("STORED", "AS")) {
      if (seen_stored) return ErrorAt(tok, "STORED AS given more than once");
      seen_stored = true;
      ARROW_ASSIGN_OR_RAISE(auto fmt, ParseOptionValue());
      stmt->stored_as = ToUpper(fmt);
    } else if (AcceptKeywords("PARTITIONED", "BY")) {
      if (seen_partitioned) return ErrorAt(tok, "PARTITIONED BY given more than once");
      seen_partitioned = true;
      ARROW_ASSIGN_OR_RAISE(stmt->partitioned_by, ParseIdentifierList());
    } else if (AcceptKeyword("OPTIONS")) {
      if (seen_options) return ErrorAt(tok, "OPTIONS given more than once");
      seen_options = true;
      ARROW_ASSIGN_OR_RAISE(auto opts, ParseOptionList());
      for (auto& o : opts) stmt->options.push_back(std::move(o));
    } else if (IsOp("(")) {
      // DuckDB style: (FORMAT PARQUET, PARTITION_BY (a, b), COMPRESSION zstd, HEADER)
      if (seen_options) return ErrorAt(tok, "copy options given more than once");
      seen_options = true;
      Advance();
      do {
        ast::OptionItem item;
        item.loc = CurrentLoc();
        ARROW_ASSIGN_OR_RAISE(item.key, ParseOptionKey());
        std::string key = ToLower(item.key);
        AcceptOp("=");
        if (key == "partition_by") {
          if (IsOp("(")) {
            ARROW_ASSIGN_OR_RAISE(stmt->partitioned_by, ParseIdentifierList());
          } else {
            ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("column name"));
            stmt->partitioned_by.push_back(std::move(id));
          }
          continue;
        }
        if (IsOp(",") || IsOp(")")) {
          item.value = "true";
        } else {
          ARROW_ASSIGN_OR_RAISE(item.value, ParseOptionValue());
        }
        if (key == "format") {
          stmt->stored_as = ToUpper(item.value);
        } else {
          item.key = key;
          stmt->options.push_back(std::move(item));
        }
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    } else {
      break;
    }
  }
  return stmt;
}

Result<StatementPtr> Parser::ParseDelete() {
  Advance();  // DELETE
  ARROW_RETURN_NOT_OK(ExpectKeyword("FROM"));
  auto stmt = std::make_unique<ast::DeleteStatement>();
  ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name"));
  if (AcceptKeyword("AS") || IsIdentifierToken()) {
    ARROW_ASSIGN_OR_RAISE(stmt->alias, ParseIdentifier("alias"));
  }
  if (AcceptKeyword("WHERE")) {
    ARROW_ASSIGN_OR_RAISE(stmt->where, ParseExpr());
  }
  return stmt;
}

Result<StatementPtr> Parser::ParseUpdate() {
  Advance();  // UPDATE
  auto stmt = std::make_unique<ast::UpdateStatement>();
  ARROW_ASSIGN_OR_RAISE(stmt->table, ParseQualifiedName("table name"));
  // SET is not reserved: `UPDATE t SET` has no alias.
  if (AcceptKeyword("AS") || (IsIdentifierToken() && !IsKeyword("SET"))) {
    ARROW_ASSIGN_OR_RAISE(stmt->alias, ParseIdentifier("alias"));
  }
  ARROW_RETURN_NOT_OK(ExpectKeyword("SET"));
  do {
    ARROW_ASSIGN_OR_RAISE(auto column, ParseIdentifier("column name"));
    ARROW_RETURN_NOT_OK(ExpectOp("="));
    ARROW_ASSIGN_OR_RAISE(auto value, ParseExpr());
    stmt->assignments.emplace_back(std::move(column), std::move(value));
  } while (AcceptOp(","));
  if (AcceptKeyword("WHERE")) {
    ARROW_ASSIGN_OR_RAISE(stmt->where, ParseExpr());
  }
  return stmt;
}

}  // namespace shoal::sql
