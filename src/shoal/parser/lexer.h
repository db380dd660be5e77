// The SQL lexer: text -> tokens with byte offsets.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/status.h"

namespace shoal::sql {

enum class TokenType {
  kWord,              ///< an unquoted identifier or keyword (keywords are matched case-insensitively)
  kQuotedIdentifier,  ///< "name" or `name`; value holds the unescaped name
  kString,            ///< 'text' or E'text'; value holds the unescaped text
  kInteger,           ///< 123
  kDecimal,           ///< 1.5, .5, 1e3
  kParameter,         ///< $1 or ?; value holds the digits ("" for ?)
  kOperator,          ///< punctuation and operators: ( ) , . ; + - * / % < > = <= >= <> != :: || [ ] :
  kEnd,               ///< end of input
};

/// One token: its type, its text as written, its unescaped value and its byte span.
struct Token {
  TokenType type = TokenType::kEnd;
  std::string_view text;  ///< the source text of the token
  std::string value;      ///< unescaped value for strings and quoted identifiers, else == text
  int32_t offset = 0;     ///< 0-based byte offset of the first character
  int32_t end() const { return offset + static_cast<int32_t>(text.size()); }
};

/// Split `sql` into tokens; the last token is always kEnd (at offset sql.size()).
/// Returns Invalid (with line, column and caret) for unterminated strings, quoted
/// identifiers and comments, malformed numbers, unknown characters, NUL bytes and
/// invalid UTF-8.
Result<std::vector<Token>> Lex(std::string_view sql);

/// Return a copy of `sql` safe to show in a message: NUL bytes and bytes that are not
/// part of valid UTF-8 are replaced by '?' (byte offsets stay the same).
std::string SanitizeForMessage(std::string_view sql);

/// Return the Invalid status "Syntax error: <message>" pointing at `offset` in `sql`.
Status SyntaxError(std::string_view sql, int offset, std::string_view message);

/// Return true if `word` is a reserved keyword: it cannot be used as a column name,
/// table name or alias without quoting.
bool IsReservedKeyword(std::string_view word);

}  // namespace shoal::sql
