// CREATE TABLE, CREATE VIEW and CREATE EXTERNAL TABLE.
#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal::sql {

using ast::StatementPtr;

Result<StatementPtr> Parser::ParseCreate() {
  const Token& start = Advance();  // CREATE
  bool or_replace = AcceptKeywords("OR", "REPLACE");
  bool temporary = AcceptKeyword("TEMP") || AcceptKeyword("TEMPORARY");
  bool unbounded = AcceptKeyword("UNBOUNDED");
  if (AcceptKeyword("EXTERNAL")) {
    if (temporary) return ErrorAt(start, "an external table cannot be TEMPORARY");
    ARROW_RETURN_NOT_OK(ExpectKeyword("TABLE"));
    return ParseCreateExternalTable(start, or_replace, unbounded);
  }
  if (unbounded) return Expected("EXTERNAL after UNBOUNDED");
  if (AcceptKeyword("TABLE")) return ParseCreateTable(start, or_replace, temporary);
  if (IsKeyword("VIEW")) {
    if (temporary) return ErrorAt(Peek(), "temporary views are not supported; use CREATE VIEW");
    Advance();
    return ParseCreateView(start, or_replace);
  }
  return Expected("TABLE, VIEW or EXTERNAL TABLE after CREATE");
}

namespace {

Status CheckReplaceAndIfNotExists(const Parser& p, const Token& at, bool or_replace,
                                  bool if_not_exists) {
  if (or_replace && if_not_exists) {
    return p.ErrorAt(at, "OR REPLACE and IF NOT EXISTS cannot both be given");
  }
  return Status::OK();
}

}  // namespace

Result<ast::ColumnDef> Parser::ParseColumnDef(
    std::vector<std::pair<std::string, ast::ExprPtr>>* checks) {
  ast::ColumnDef col;
  col.loc = CurrentLoc();
  ARROW_ASSIGN_OR_RAISE(col.name, ParseIdentifier("column name"));
  ARROW_ASSIGN_OR_RAISE(col.type, ParseType());
  while (true) {
    const Token& tok = Peek();
    if (AcceptKeywords("NOT", "NULL")) {
      col.not_null = true;
    } else if (AcceptKeyword("NULL")) {
      col.not_null = false;
    } else if (AcceptKeyword("DEFAULT")) {
      if (col.default_value) return ErrorAt(tok, "DEFAULT given more than once");
      ARROW_ASSIGN_OR_RAISE(col.default_value, ParseExpr());
    } else if (IsKeyword("GENERATED") || (IsKeyword("AS") && IsOp("(", 1))) {
      if (AcceptKeyword("GENERATED")) {
        ARROW_RETURN_NOT_OK(ExpectKeyword("ALWAYS"));
      }
      ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
      if (col.generated) return ErrorAt(tok, "generation expression given more than once");
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      ARROW_ASSIGN_OR_RAISE(col.generated, ParseExpr());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
      if (!AcceptKeyword("STORED")) AcceptKeyword("VIRTUAL");
    } else if (IsKeyword("CHECK") || IsKeyword("CONSTRAINT")) {
      std::string name;
      if (AcceptKeyword("CONSTRAINT")) {
        ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("constraint name"));
        name = id.name;
      }
      ARROW_RETURN_NOT_OK(ExpectKeyword("CHECK"));
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      ARROW_ASSIGN_OR_RAISE(auto expr, ParseExpr());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
      checks->emplace_back(std::move(name), std::move(expr));
    } else if (IsKeyword("PRIMARY") || IsKeyword("UNIQUE") || IsKeyword("REFERENCES")) {
      return ErrorAt(tok, ToUpper(tok.text) + " constraints are not supported");
    } else {
      break;
    }
  }
  return col;
}

Result<StatementPtr> Parser::ParseCreateTable(const Token& start, bool or_replace,
                                              bool temporary) {
  auto stmt = std::make_unique<ast::CreateTableStatement>();
  stmt->or_replace = or_replace;
  stmt->temporary = temporary;
  if (AcceptKeyword("IF")) {
    ARROW_RETURN_NOT_OK(ExpectKeyword("NOT"));
    ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
    stmt->if_not_exists = true;
  }
  ARROW_RETURN_NOT_OK(CheckReplaceAndIfNotExists(*this, start, or_replace, stmt->if_not_exists));
  ARROW_ASSIGN_OR_RAISE(stmt->name, ParseQualifiedName("table name"));
  if (IsOp("(") && !StartsParenthesizedQuery()) {
    Advance();
    do {
      const Token& tok = Peek();
      if (IsKeyword("CHECK") || IsKeyword("CONSTRAINT")) {
        std::string name;
        if (AcceptKeyword("CONSTRAINT")) {
          ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("constraint name"));
          name = id.name;
        }
        ARROW_RETURN_NOT_OK(ExpectKeyword("CHECK"));
        ARROW_RETURN_NOT_OK(ExpectOp("("));
        ARROW_ASSIGN_OR_RAISE(auto expr, ParseExpr());
        ARROW_RETURN_NOT_OK(ExpectOp(")"));
        stmt->checks.emplace_back(std::move(name), std::move(expr));
      } else if (IsKeyword("PRIMARY") || IsKeyword("UNIQUE") || IsKeyword("FOREIGN")) {
        return ErrorAt(tok, ToUpper(tok.text) + " constraints are not supported");
      } else {
        // Duplicate names are checked where identifiers are folded (CREATE TABLE
        // execution): whether "A" and a clash depends on a session setting.
        ARROW_ASSIGN_OR_RAISE(auto col, ParseColumnDef(&stmt->checks));
        stmt->columns.push_back(std::move(col));
      }
    } while (AcceptOp(","));
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
  }
  bool seen_using = false, seen_partitioned = false, seen_props = false;
  while (true) {
    const Token& tok = Peek();
    if (AcceptKeyword("USING")) {
      if (seen_using) return ErrorAt(tok, "USING given more than once");
      seen_using = true;
      ARROW_ASSIGN_OR_RAISE(auto fmt, ParseOptionValue());
      stmt->using_format = ToLower(fmt);
    } else if (AcceptKeywords("PARTITIONED", "BY")) {
      if (seen_partitioned) return ErrorAt(tok, "PARTITIONED BY given more than once");
      seen_partitioned = true;
      ARROW_ASSIGN_OR_RAISE(stmt->partitioned_by, ParseIdentifierList());
    } else if (AcceptKeyword("LOCATION")) {
      if (stmt->location) return ErrorAt(tok, "LOCATION given more than once");
      if (Peek().type != TokenType::kString) return Expected("location string");
      stmt->location = Advance().value;
    } else if (AcceptKeyword("TBLPROPERTIES") || AcceptKeyword("OPTIONS")) {
      if (seen_props) return ErrorAt(tok, "table properties given more than once");
      seen_props = true;
      ARROW_ASSIGN_OR_RAISE(stmt->properties, ParseOptionList());
    } else {
      break;
    }
  }
  if (AcceptKeyword("AS")) {
    if (!StartsQuery() && !IsOp("(")) return Expected("query after AS");
    ARROW_ASSIGN_OR_RAISE(stmt->as_query, ParseQuery());
  } else if (StartsQuery()) {
    return Expected("AS before the query");
  }
  if (stmt->columns.empty() && !stmt->as_query && !stmt->location) {
    return Expected("column definitions, AS query or LOCATION");
  }
  return stmt;
}

Result<StatementPtr> Parser::ParseCreateView(const Token& start, bool or_replace) {
  auto stmt = std::make_unique<ast::CreateViewStatement>();
  stmt->or_replace = or_replace;
  if (AcceptKeyword("IF")) {
    ARROW_RETURN_NOT_OK(ExpectKeyword("NOT"));
    ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
    stmt->if_not_exists = true;
  }
  ARROW_RETURN_NOT_OK(CheckReplaceAndIfNotExists(*this, start, or_replace, stmt->if_not_exists));
  ARROW_ASSIGN_OR_RAISE(stmt->name, ParseQualifiedName("view name"));
  if (IsOp("(")) {
    ARROW_ASSIGN_OR_RAISE(stmt->columns, ParseIdentifierList());
  }
  ARROW_RETURN_NOT_OK(ExpectKeyword("AS"));
  if (!StartsQuery() && !IsOp("(")) return Expected("query after AS");
  int32_t begin = Peek().offset;
  ARROW_ASSIGN_OR_RAISE(stmt->query, ParseQuery());
  int32_t end = Previous().end();
  stmt->query_text = std::string(sql().substr(begin, end - begin));
  return stmt;
}

Result<StatementPtr> Parser::ParseCreateExternalTable(const Token& start, bool or_replace,
                                                      bool unbounded) {
  auto stmt = std::make_unique<ast::CreateExternalTableStatement>();
  stmt->or_replace = or_replace;
  stmt->unbounded = unbounded;
  if (AcceptKeyword("IF")) {
    ARROW_RETURN_NOT_OK(ExpectKeyword("NOT"));
    ARROW_RETURN_NOT_OK(ExpectKeyword("EXISTS"));
    stmt->if_not_exists = true;
  }
  ARROW_RETURN_NOT_OK(CheckReplaceAndIfNotExists(*this, start, or_replace, stmt->if_not_exists));
  ARROW_ASSIGN_OR_RAISE(stmt->name, ParseQualifiedName("table name"));
  std::vector<std::pair<std::string, ast::ExprPtr>> checks;
  if (IsOp("(")) {
    Advance();
    if (!IsOp(")")) {
      do {
        ARROW_ASSIGN_OR_RAISE(auto col, ParseColumnDef(&checks));
        stmt->columns.push_back(std::move(col));
      } while (AcceptOp(","));
    }
    ARROW_RETURN_NOT_OK(ExpectOp(")"));
    if (!checks.empty()) {
      return ErrorAt(start, "CHECK constraints are not supported on external tables");
    }
  }
  bool seen_stored = false, seen_partitioned = false, seen_location = false;
  auto add_option = [&](std::string key, std::string value, ast::SourceLocation loc) {
    ast::OptionItem item;
    item.key = std::move(key);
    item.value = std::move(value);
    item.loc = loc;
    stmt->options.push_back(std::move(item));
  };
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
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      do {
        ast::ColumnDef col;
        col.loc = CurrentLoc();
        ARROW_ASSIGN_OR_RAISE(col.name, ParseIdentifier("partition column name"));
        if (!IsOp(",") && !IsOp(")")) {
          ARROW_ASSIGN_OR_RAISE(col.type, ParseType());
        }
        stmt->partitioned_by.push_back(std::move(col));
      } while (AcceptOp(","));
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
    } else if (AcceptKeywords("WITH", "ORDER")) {
      ARROW_RETURN_NOT_OK(ExpectOp("("));
      ARROW_ASSIGN_OR_RAISE(auto order, ParseOrderByList());
      ARROW_RETURN_NOT_OK(ExpectOp(")"));
      stmt->with_order.push_back(std::move(order));
    } else if (IsKeyword("WITH") && IsKeyword("HEADER", 1)) {
      // Older DataFusion syntax: WITH HEADER ROW
      Advance();
      Advance();
      ARROW_RETURN_NOT_OK(ExpectKeyword("ROW"));
      add_option("format.has_header", "true", Loc(tok));
    } else if (AcceptKeyword("DELIMITER")) {
      if (Peek().type != TokenType::kString) return Expected("delimiter string");
      add_option("format.delimiter", Advance().value, Loc(tok));
    } else if (AcceptKeywords("COMPRESSION", "TYPE")) {
      ARROW_ASSIGN_OR_RAISE(auto comp, ParseOptionValue());
      add_option("format.compression", ToLower(comp), Loc(tok));
    } else if (AcceptKeyword("OPTIONS")) {
      ARROW_ASSIGN_OR_RAISE(auto opts, ParseOptionList());
      for (auto& o : opts) stmt->options.push_back(std::move(o));
    } else if (AcceptKeyword("LOCATION")) {
      if (seen_location) return ErrorAt(tok, "LOCATION given more than once");
      seen_location = true;
      if (Peek().type != TokenType::kString) return Expected("location string");
      stmt->location = Advance().value;
    } else {
      break;
    }
  }
  if (!seen_stored) return Expected("STORED AS (an external table needs a file format)");
  if (!seen_location) return Expected("LOCATION (an external table needs a location)");
  return stmt;
}

}  // namespace shoal::sql
