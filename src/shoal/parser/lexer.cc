#include "shoal/parser/lexer.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "shoal/common/source_error.h"
#include "shoal/common/strings.h"

namespace shoal::sql {

namespace {

bool IsIdentStart(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
bool IsIdentChar(unsigned char c) { return IsIdentStart(c) || (c >= '0' && c <= '9') || c == '$'; }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsSpace(unsigned char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/// Return the length of the valid UTF-8 sequence starting at `i`, or 0 if invalid.
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return 1;
  size_t n;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3F);
  }
  // Reject overlong forms, surrogates and code points above U+10FFFF.
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
      (cp >= 0xD800 && cp <= 0xDFFF)) {
    return 0;
  }
  return n;
}

class Lexer {
 public:
  explicit Lexer(std::string_view sql) : sql_(sql) {}

  Result<std::vector<Token>> Run() {
    ARROW_RETURN_NOT_OK(CheckEncoding());
    std::vector<Token> tokens;
    size_t i = 0;
    const size_t n = sql_.size();
    while (true) {
      ARROW_ASSIGN_OR_RAISE(i, SkipSpaceAndComments(i));
      if (i >= n) break;
      Token tok;
      tok.offset = static_cast<int32_t>(i);
      auto c = static_cast<unsigned char>(sql_[i]);
      size_t end = i;
      if ((c == 'e' || c == 'E') && i + 1 < n && sql_[i + 1] == '\'') {
        ARROW_ASSIGN_OR_RAISE(end, LexString(i + 1, /*escapes=*/true, &tok.value));
        tok.type = TokenType::kString;
      } else if (IsIdentStart(c)) {
        end = i + 1;
        while (end < n && IsIdentChar(static_cast<unsigned char>(sql_[end]))) ++end;
        tok.type = TokenType::kWord;
      } else if (c == '\'') {
        ARROW_ASSIGN_OR_RAISE(end, LexString(i, /*escapes=*/false, &tok.value));
        tok.type = TokenType::kString;
      } else if (c == '"' || c == '`') {
        ARROW_ASSIGN_OR_RAISE(end, LexQuotedIdentifier(i, static_cast<char>(c), &tok.value));
        tok.type = TokenType::kQuotedIdentifier;
      } else if (IsDigit(c) || (c == '.' && i + 1 < n && IsDigit(sql_[i + 1]))) {
        ARROW_ASSIGN_OR_RAISE(end, LexNumber(i, &tok.type));
      } else if (c == '$' && i + 1 < n && IsDigit(sql_[i + 1])) {
        end = i + 1;
        while (end < n && IsDigit(sql_[end])) ++end;
        if (end - i > 6) return SyntaxError(sql_, static_cast<int>(i), "parameter number too large");
        tok.type = TokenType::kParameter;
        tok.value = std::string(sql_.substr(i + 1, end - i - 1));
      } else if (c == '?') {
        end = i + 1;
        tok.type = TokenType::kParameter;
      } else {
        ARROW_ASSIGN_OR_RAISE(end, LexOperator(i));
        tok.type = TokenType::kOperator;
      }
      tok.text = sql_.substr(i, end - i);
      if (tok.type != TokenType::kString && tok.type != TokenType::kQuotedIdentifier &&
          tok.type != TokenType::kParameter) {
        tok.value = std::string(tok.text);
      }
      tokens.push_back(std::move(tok));
      i = end;
    }
    Token eof;
    eof.type = TokenType::kEnd;
    eof.offset = static_cast<int32_t>(n);
    eof.text = sql_.substr(n, 0);
    tokens.push_back(std::move(eof));
    return tokens;
  }

 private:
  Status CheckEncoding() {
    if (sql_.size() > static_cast<size_t>(INT32_MAX / 2)) {
      return Status::Invalid("SQL text too long (", sql_.size(), " bytes)");
    }
    for (size_t i = 0; i < sql_.size();) {
      if (sql_[i] == '\0') {
        return SyntaxError(sql_, static_cast<int>(i), "NUL byte in SQL text");
      }
      size_t len = Utf8SequenceLength(sql_, i);
      if (len == 0) {
        char buf[64];
        std::snprintf(buf, sizeof(buf), "invalid UTF-8 byte 0x%02X in SQL text",
                      static_cast<unsigned char>(sql_[i]));
        return SyntaxError(sql_, static_cast<int>(i), buf);
      }
      i += len;
    }
    return Status::OK();
  }

  Result<size_t> SkipSpaceAndComments(size_t i) {
    const size_t n = sql_.size();
    while (i < n) {
      auto c = static_cast<unsigned char>(sql_[i]);
      if (IsSpace(c)) {
        ++i;
      } else if (c == '-' && i + 1 < n && sql_[i + 1] == '-') {
        while (i < n && sql_[i] != '\n') ++i;
      } else if (c == '/' && i + 1 < n && sql_[i + 1] == '*') {
        // Block comments nest, as in PostgreSQL.
        size_t start = i;
        int depth = 0;
        while (true) {
          if (i >= n) return SyntaxError(sql_, static_cast<int>(start), "unterminated /* comment");
          if (sql_[i] == '/' && i + 1 < n && sql_[i + 1] == '*') {
            ++depth;
            i += 2;
          } else if (sql_[i] == '*' && i + 1 < n && sql_[i + 1] == '/') {
            --depth;
            i += 2;
            if (depth == 0) break;
          } else {
            ++i;
          }
        }
      } else {
        break;
      }
    }
    return i;
  }

  /// Lex a '...' string starting at the quote `i`; with `escapes`, backslash escapes
  /// are decoded (E'...').
  Result<size_t> LexString(size_t i, bool escapes, std::string* value) {
    const size_t n = sql_.size();
    size_t start = escapes ? i - 1 : i;
    ++i;
    while (true) {
      if (i >= n) return SyntaxError(sql_, static_cast<int>(start), "unterminated string literal");
      char c = sql_[i];
      if (c == '\'') {
        if (i + 1 < n && sql_[i + 1] == '\'') {
          value->push_back('\'');
          i += 2;
          continue;
        }
        return i + 1;
      }
      if (escapes && c == '\\' && i + 1 < n) {
        char e = sql_[i + 1];
        switch (e) {
          case 'n': value->push_back('\n'); break;
          case 't': value->push_back('\t'); break;
          case 'r': value->push_back('\r'); break;
          case 'b': value->push_back('\b'); break;
          case 'f': value->push_back('\f'); break;
          case '0':
            return SyntaxError(sql_, static_cast<int>(i), "NUL character escape in string literal");
          default: value->push_back(e); break;  // \\, \', and any other character as itself
        }
        i += 2;
        continue;
      }
      value->push_back(c);
      ++i;
    }
  }

  Result<size_t> LexQuotedIdentifier(size_t i, char quote, std::string* value) {
    const size_t n = sql_.size();
    size_t start = i++;
    while (true) {
      if (i >= n) {
        return SyntaxError(sql_, static_cast<int>(start), "unterminated quoted identifier");
      }
      if (sql_[i] == quote) {
        if (i + 1 < n && sql_[i + 1] == quote) {
          value->push_back(quote);
          i += 2;
          continue;
        }
        if (value->empty()) {
          return SyntaxError(sql_, static_cast<int>(start), "zero-length quoted identifier");
        }
        return i + 1;
      }
      value->push_back(sql_[i++]);
    }
  }

  Result<size_t> LexNumber(size_t i, TokenType* type) {
    const size_t n = sql_.size();
    size_t start = i;
    bool decimal = false;
    while (i < n && IsDigit(sql_[i])) ++i;
    if (i < n && sql_[i] == '.' && !(i + 1 < n && sql_[i + 1] == '.')) {
      decimal = true;
      ++i;
      while (i < n && IsDigit(sql_[i])) ++i;
    }
    if (i < n && (sql_[i] == 'e' || sql_[i] == 'E')) {
      size_t j = i + 1;
      if (j < n && (sql_[j] == '+' || sql_[j] == '-')) ++j;
      if (j >= n || !IsDigit(sql_[j])) {
        size_t bad_end = j;
        while (bad_end < n && IsIdentChar(static_cast<unsigned char>(sql_[bad_end]))) ++bad_end;
        return SyntaxError(sql_, static_cast<int>(start),
                           "invalid number '" + std::string(sql_.substr(start, bad_end - start)) +
                               "' (exponent has no digits)");
      }
      while (j < n && IsDigit(sql_[j])) ++j;
      i = j;
      decimal = true;
    }
    if (i < n && IsIdentChar(static_cast<unsigned char>(sql_[i]))) {
      size_t bad_end = i;
      while (bad_end < n && IsIdentChar(static_cast<unsigned char>(sql_[bad_end]))) ++bad_end;
      return SyntaxError(sql_, static_cast<int>(start),
                         "invalid number '" + std::string(sql_.substr(start, bad_end - start)) + "'");
    }
    *type = decimal ? TokenType::kDecimal : TokenType::kInteger;
    return i;
  }

  Result<size_t> LexOperator(size_t i) {
    static constexpr std::array<std::string_view, 9> kTwoChar = {"::", "||", "<>", "!=", ">=",
                                                                 "<=", "=>", ":=", "=="};
    if (i + 1 < sql_.size()) {
      std::string_view two = sql_.substr(i, 2);
      for (auto op : kTwoChar) {
        if (two == op) return i + 2;
      }
    }
    static constexpr std::string_view kOneChar = "(),.;+-*/%<>=[]{}:";
    if (kOneChar.find(sql_[i]) != std::string_view::npos) return i + 1;
    size_t len = Utf8SequenceLength(sql_, i);
    if (len == 0) len = 1;
    return SyntaxError(sql_, static_cast<int>(i),
                       "unexpected character '" + std::string(sql_.substr(i, len)) + "'");
  }

  std::string_view sql_;
};

}  // namespace

std::string SanitizeForMessage(std::string_view sql) {
  std::string out(sql);
  for (size_t i = 0; i < out.size();) {
    if (out[i] == '\0') {
      out[i++] = '?';
      continue;
    }
    size_t len = Utf8SequenceLength(out, i);
    if (len == 0) {
      out[i++] = '?';
    } else {
      i += len;
    }
  }
  return out;
}

Status SyntaxError(std::string_view sql, int offset, std::string_view message) {
  std::string safe = SanitizeForMessage(sql);
  return SourceError(safe, offset, "Syntax error: " + std::string(message));
}

bool IsReservedKeyword(std::string_view word) {
  static constexpr std::string_view kReserved[] = {
      "ALL", "AND", "ANTI", "ANY", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CHECK",
      "COLLATE", "CONSTRAINT", "CREATE", "CROSS", "DESC", "DISTINCT", "ELSE", "END", "EXCEPT",
      "EXISTS", "FALSE", "FETCH", "FOR", "FROM", "FULL", "GROUP", "HAVING", "ILIKE", "IN",
      "INNER", "INTERSECT", "INTO", "IS", "JOIN", "LATERAL", "LEFT", "LIKE", "LIMIT",
      "NATURAL", "NOT", "NULL", "OFFSET", "ON", "OR", "ORDER", "OUTER", "QUALIFY", "RIGHT",
      "SELECT", "SEMI", "SOME", "TABLE", "THEN", "TRUE", "UNION", "USING", "VALUES", "WHEN",
      "WHERE", "WINDOW", "WITH",
  };
  if (word.size() > 12) return false;
  std::string upper = ToUpper(word);
  return std::find(std::begin(kReserved), std::end(kReserved), upper) != std::end(kReserved);
}

Result<std::vector<Token>> Lex(std::string_view sql) { return Lexer(sql).Run(); }

}  // namespace shoal::sql
