// Parser entry points, token helpers and SplitStatements.
#include "shoal/parser/parser.h"

#include <algorithm>

#if defined(__linux__)
#include <pthread.h>
#endif

#include "shoal/common/strings.h"
#include "shoal/parser/parser_internal.h"

namespace shoal {

namespace sql {

std::string DescribeToken(const Token& tok) {
  if (tok.type == TokenType::kEnd) return "end of input";
  std::string_view text = tok.text;
  bool cut = false;
  if (text.size() > 40) {
    text = text.substr(0, 40);
    cut = true;
  }
  std::string out = tok.type == TokenType::kString ? "string " : "";
  out += tok.type == TokenType::kString ? std::string(text) : "'" + std::string(text) + "'";
  if (cut) out += "...";
  return out;
}

bool Parser::IsKeyword(std::string_view kw, size_t k) const {
  const Token& t = Peek(k);
  return t.type == TokenType::kWord && EqualsIgnoreCase(t.text, kw);
}

bool Parser::IsOp(std::string_view op, size_t k) const {
  const Token& t = Peek(k);
  return t.type == TokenType::kOperator && t.text == op;
}

bool Parser::AcceptKeyword(std::string_view kw) {
  if (!IsKeyword(kw)) return false;
  Advance();
  return true;
}

bool Parser::AcceptKeywords(std::string_view kw1, std::string_view kw2) {
  if (!IsKeyword(kw1) || !IsKeyword(kw2, 1)) return false;
  Advance();
  Advance();
  return true;
}

bool Parser::AcceptOp(std::string_view op) {
  if (!IsOp(op)) return false;
  Advance();
  return true;
}

Status Parser::ExpectKeyword(std::string_view kw) {
  if (AcceptKeyword(kw)) return Status::OK();
  return Expected(kw);
}

Status Parser::ExpectOp(std::string_view op) {
  if (AcceptOp(op)) return Status::OK();
  return Expected("'" + std::string(op) + "'");
}

bool Parser::IsIdentifierToken(size_t k) const {
  const Token& t = Peek(k);
  if (t.type == TokenType::kQuotedIdentifier) return true;
  return t.type == TokenType::kWord && !IsReservedKeyword(t.text);
}

Status Parser::Expected(std::string_view what) const {
  std::string message = "expected ";
  message.append(what).append(", found ").append(DescribeToken(Peek()));
  return ErrorAt(Peek(), message);
}

Status Parser::ErrorAt(const Token& tok, std::string_view message) const {
  return SyntaxError(sql_, tok.offset, message);
}

namespace {

/// Stack kept free below the deepest parse frame (message formatting and callers).
constexpr size_t kStackReserve = 96 * 1024;

/// Return the lowest usable stack address of the calling thread plus a reserve, or
/// nullptr if unknown. Nesting stops there even on threads with small stacks.
const char* ComputeStackLimit() {
#if defined(__linux__)
  // pthread_getattr_np reads /proc for the main thread: compute once per thread.
  thread_local bool computed = false;
  thread_local const char* limit = nullptr;
  if (computed) return limit;
  computed = true;
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) != 0) return nullptr;
  void* addr = nullptr;
  size_t size = 0;
  int rc = pthread_attr_getstack(&attr, &addr, &size);
  pthread_attr_destroy(&attr);
  if (rc != 0 || addr == nullptr || size <= 2 * kStackReserve) return nullptr;
  limit = static_cast<const char*>(addr) + kStackReserve;
  return limit;
#else
  return nullptr;
#endif
}

}  // namespace

Parser::Parser(std::string_view sql, std::vector<Token> tokens)
    : sql_(sql), tokens_(std::move(tokens)), stack_limit_(ComputeStackLimit()) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < sql_.size(); ++i) {
    if (sql_[i] == '\n') line_starts_.push_back(static_cast<int32_t>(i + 1));
  }
  after_parens_.resize(tokens_.size());
  for (size_t i = tokens_.size(); i-- > 0;) {
    bool paren = tokens_[i].type == TokenType::kOperator && tokens_[i].text == "(";
    after_parens_[i] = paren && i + 1 < tokens_.size() ? after_parens_[i + 1]
                                                       : static_cast<uint32_t>(i);
  }
}

bool Parser::StartsParenthesizedQuery() const {
  if (!IsOp("(")) return false;
  return StartsQuery(after_parens_[pos_] - pos_);
}

ast::SourceLocation Parser::Loc(const Token& tok) const {
  // Same numbering as OffsetToLineColumn (1-based, columns count bytes), in O(log n).
  ast::SourceLocation loc;
  loc.offset = tok.offset;
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), tok.offset);
  size_t line_index = static_cast<size_t>(it - line_starts_.begin()) - 1;
  loc.line = static_cast<int32_t>(line_index + 1);
  loc.column = tok.offset - line_starts_[line_index] + 1;
  return loc;
}

Status Parser::EnterNested() {
  char probe;
  bool stack_low = stack_limit_ != nullptr && reinterpret_cast<uintptr_t>(&probe) <
                                                  reinterpret_cast<uintptr_t>(stack_limit_);
  if (stack_low) {
    return ErrorAt(Peek(), "query is nested too deeply (the parser ran low on stack after " +
                               std::to_string(depth_) + " levels)");
  }
  if (++depth_ > kMaxParseDepth) {
    --depth_;
    return ErrorAt(Peek(), "query is nested too deeply (more than " +
                               std::to_string(kMaxParseDepth) + " levels)");
  }
  return Status::OK();
}

Result<ast::Identifier> Parser::ParseIdentifier(std::string_view what) {
  if (!IsIdentifierToken()) return Expected(what);
  const Token& t = Advance();
  ast::Identifier id;
  id.name = t.value;
  id.quoted = t.type == TokenType::kQuotedIdentifier;
  id.loc = Loc(t);
  return id;
}

Result<ast::QualifiedName> Parser::ParseQualifiedName(std::string_view what) {
  ast::QualifiedName name;
  ARROW_ASSIGN_OR_RAISE(auto first, ParseIdentifier(what));
  name.parts.push_back(std::move(first));
  while (IsOp(".") && (Peek(1).type == TokenType::kWord ||
                       Peek(1).type == TokenType::kQuotedIdentifier)) {
    Advance();
    const Token& t = Advance();
    ast::Identifier id;
    id.name = t.value;
    id.quoted = t.type == TokenType::kQuotedIdentifier;
    id.loc = Loc(t);
    name.parts.push_back(std::move(id));
  }
  return name;
}

Result<std::vector<ast::Identifier>> Parser::ParseIdentifierList() {
  ARROW_RETURN_NOT_OK(ExpectOp("("));
  std::vector<ast::Identifier> ids;
  do {
    ARROW_ASSIGN_OR_RAISE(auto id, ParseIdentifier("column name"));
    ids.push_back(std::move(id));
  } while (AcceptOp(","));
  ARROW_RETURN_NOT_OK(ExpectOp(")"));
  return ids;
}

Result<std::vector<ast::StatementPtr>> Parser::ParseScript() {
  std::vector<ast::StatementPtr> out;
  while (true) {
    while (AcceptOp(";")) {
    }
    if (AtEnd()) break;
    ARROW_ASSIGN_OR_RAISE(auto stmt, ParseStatement());
    out.push_back(std::move(stmt));
    if (!AtEnd() && !IsOp(";")) return Expected("';' or end of input");
  }
  return out;
}

Result<ast::ExprPtr> Parser::ParseStandaloneExpression() {
  if (AtEnd()) return Expected("expression");
  ARROW_ASSIGN_OR_RAISE(auto expr, ParseExpr());
  if (!AtEnd()) return Expected("end of expression");
  return expr;
}

}  // namespace sql

Result<std::vector<ast::StatementPtr>> ParseSql(std::string_view sql) {
  ARROW_ASSIGN_OR_RAISE(auto tokens, sql::Lex(sql));
  sql::Parser parser(sql, std::move(tokens));
  return parser.ParseScript();
}

Result<ast::ExprPtr> ParseExpression(std::string_view sql) {
  ARROW_ASSIGN_OR_RAISE(auto tokens, sql::Lex(sql));
  sql::Parser parser(sql, std::move(tokens));
  return parser.ParseStandaloneExpression();
}

namespace {

bool IsSpaceChar(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool IsWordChar(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') ||
         u == '_' || u == '$' || u >= 0x80;
}

}  // namespace

std::vector<std::string_view> SplitStatements(std::string_view sql, bool* complete) {
  std::vector<std::string_view> out;
  const size_t n = sql.size();
  bool has_content = false;  // the current piece has something other than space/comments
  bool terminated = true;    // no unterminated quote or comment at the end
  size_t content_begin = 0, content_end = 0;
  auto flush = [&]() {
    if (has_content) out.push_back(sql.substr(content_begin, content_end - content_begin));
    has_content = false;
  };
  auto mark = [&](size_t b, size_t e) {
    if (!has_content) content_begin = b;
    has_content = true;
    content_end = e;
  };
  size_t i = 0;
  while (i < n) {
    char c = sql[i];
    if (IsSpaceChar(c)) {
      ++i;
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      int depth = 0;
      while (i < n) {
        if (sql[i] == '/' && i + 1 < n && sql[i + 1] == '*') {
          ++depth;
          i += 2;
        } else if (sql[i] == '*' && i + 1 < n && sql[i + 1] == '/') {
          i += 2;
          if (--depth == 0) break;
        } else {
          ++i;
        }
      }
      if (depth > 0) terminated = false;
    } else if (c == '\'' || c == '"' || c == '`') {
      bool escapes = c == '\'' && i > 0 && (sql[i - 1] == 'e' || sql[i - 1] == 'E') &&
                     !(i > 1 && IsWordChar(sql[i - 2]));
      size_t b = i++;
      bool closed = false;
      while (i < n) {
        if (escapes && sql[i] == '\\' && i + 1 < n) {
          i += 2;
        } else if (sql[i] == c) {
          if (i + 1 < n && sql[i + 1] == c) {
            i += 2;
          } else {
            ++i;
            closed = true;
            break;
          }
        } else {
          ++i;
        }
      }
      if (!closed) terminated = false;
      mark(b, i);
    } else if (c == ';') {
      flush();
      ++i;
    } else {
      mark(i, i + 1);
      ++i;
    }
  }
  bool trailing = has_content;
  flush();
  if (complete != nullptr) *complete = terminated && !trailing;
  return out;
}

}  // namespace shoal
