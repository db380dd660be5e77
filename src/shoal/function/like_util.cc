#include "shoal/function/like_util.h"

#include <cstdint>
#include <vector>

namespace shoal::function_internal {

namespace {

Status CheckEscape(std::string_view escape) {
  // One UTF-8 character at most.
  if (escape.empty()) return Status::OK();
  unsigned char c = static_cast<unsigned char>(escape[0]);
  size_t len = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (escape.size() != len) {
    return Status::Invalid("LIKE escape must be a single character, got '", std::string(escape),
                           "'");
  }
  return Status::OK();
}

size_t Utf8Len(unsigned char c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

struct Token {
  enum Kind { kLiteral, kOne, kAny } kind;
  std::string_view text;  // one UTF-8 character for kLiteral
};

Result<std::vector<Token>> Tokenize(std::string_view p, std::string_view escape) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < p.size()) {
    if (!escape.empty() && p.compare(i, escape.size(), escape) == 0) {
      i += escape.size();
      if (i >= p.size()) {
        return Status::Invalid("LIKE pattern '", std::string(p),
                               "' must not end with the escape character");
      }
      size_t n = Utf8Len(static_cast<unsigned char>(p[i]));
      out.push_back({Token::kLiteral, p.substr(i, n)});
      i += n;
      continue;
    }
    if (p[i] == '%') {
      if (out.empty() || out.back().kind != Token::kAny) out.push_back({Token::kAny, {}});
      ++i;
    } else if (p[i] == '_') {
      out.push_back({Token::kOne, {}});
      ++i;
    } else {
      size_t n = Utf8Len(static_cast<unsigned char>(p[i]));
      out.push_back({Token::kLiteral, p.substr(i, n)});
      i += n;
    }
  }
  return out;
}

char Fold(char c, bool ignore_case) {
  return ignore_case && c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

// Match token k at byte position i of s; returns the byte length consumed or -1.
int64_t MatchOne(const Token& t, std::string_view s, size_t i, bool ignore_case) {
  if (i >= s.size()) return -1;
  size_t n = Utf8Len(static_cast<unsigned char>(s[i]));
  if (t.kind == Token::kOne) return static_cast<int64_t>(std::min(n, s.size() - i));
  if (t.text.size() != n || i + n > s.size()) return -1;
  for (size_t k = 0; k < n; ++k) {
    if (Fold(s[i + k], ignore_case) != Fold(t.text[k], ignore_case)) return -1;
  }
  return static_cast<int64_t>(n);
}

}  // namespace

Result<std::string> TranslateLikePattern(std::string_view pattern, std::string_view escape) {
  ARROW_RETURN_NOT_OK(CheckEscape(escape));
  ARROW_ASSIGN_OR_RAISE(auto tokens, Tokenize(pattern, escape));
  std::string out;
  for (const auto& t : tokens) {
    switch (t.kind) {
      case Token::kAny: out += '%'; break;
      case Token::kOne: out += '_'; break;
      case Token::kLiteral:
        if (t.text == "%" || t.text == "_" || t.text == "\\") out += '\\';
        out.append(t.text);
        break;
    }
  }
  return out;
}

Result<bool> LikeMatch(std::string_view s, std::string_view pattern, std::string_view escape,
                       bool ignore_case) {
  ARROW_RETURN_NOT_OK(CheckEscape(escape));
  ARROW_ASSIGN_OR_RAISE(auto tokens, Tokenize(pattern, escape));
  // Greedy matching with backtracking to the last '%'.
  size_t ti = 0, si = 0;
  int64_t star_t = -1;
  size_t star_s = 0;
  while (si < s.size()) {
    if (ti < tokens.size() && tokens[ti].kind == Token::kAny) {
      star_t = static_cast<int64_t>(ti++);
      star_s = si;
      continue;
    }
    if (ti < tokens.size()) {
      int64_t n = MatchOne(tokens[ti], s, si, ignore_case);
      if (n >= 0) {
        si += n;
        ++ti;
        continue;
      }
    }
    if (star_t < 0) return false;
    // Let the last '%' absorb one more character.
    star_s += Utf8Len(static_cast<unsigned char>(s[star_s]));
    si = star_s;
    ti = static_cast<size_t>(star_t) + 1;
  }
  while (ti < tokens.size() && tokens[ti].kind == Token::kAny) ++ti;
  return ti == tokens.size();
}

Result<std::optional<std::vector<std::string>>> SplitLikePattern(std::string_view pattern,
                                                                 std::string_view escape) {
  ARROW_RETURN_NOT_OK(CheckEscape(escape));
  ARROW_ASSIGN_OR_RAISE(auto tokens, Tokenize(pattern, escape));
  std::vector<std::string> pieces(1);
  for (const auto& t : tokens) {
    switch (t.kind) {
      case Token::kOne:
        return std::optional<std::vector<std::string>>();
      case Token::kAny:
        pieces.emplace_back();
        break;
      case Token::kLiteral:
        pieces.back().append(t.text);
        break;
    }
  }
  return std::optional<std::vector<std::string>>(std::move(pieces));
}

}  // namespace shoal::function_internal
