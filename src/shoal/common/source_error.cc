#include "shoal/common/source_error.h"

#include <algorithm>

namespace shoal {

void OffsetToLineColumn(std::string_view sql, int offset, int* line, int* column) {
  int l = 1, c = 1;
  int end = std::min<int>(offset, static_cast<int>(sql.size()));
  for (int i = 0; i < end; ++i) {
    if (sql[i] == '\n') {
      ++l;
      c = 1;
    } else {
      ++c;
    }
  }
  *line = l;
  *column = c;
}

std::string FormatSourceMessage(std::string_view sql, int offset, std::string_view message) {
  std::string out(message);
  if (offset < 0) return out;
  offset = std::min<int>(offset, static_cast<int>(sql.size()));
  int line = 0, column = 0;
  OffsetToLineColumn(sql, offset, &line, &column);
  out += " at line " + std::to_string(line) + ", column " + std::to_string(column);
  size_t begin = sql.rfind('\n', offset == 0 ? std::string_view::npos : offset - 1);
  begin = (begin == std::string_view::npos || offset == 0) ? 0 : begin + 1;
  if (offset > 0 && sql[offset - 1] == '\n') begin = offset;
  size_t end = sql.find('\n', offset);
  if (end == std::string_view::npos) end = sql.size();
  std::string text(sql.substr(begin, end - begin));
  // Keep long lines readable: show at most 100 characters around the caret.
  size_t caret = offset - begin;
  if (text.size() > 100) {
    size_t from = caret > 50 ? caret - 50 : 0;
    text = text.substr(from, 100);
    caret -= from;
  }
  for (auto& ch : text) {
    if (ch == '\t') ch = ' ';
  }
  out += "\n  " + text + "\n  " + std::string(caret, ' ') + "^";
  return out;
}

Status SourceError(std::string_view sql, int offset, std::string_view message) {
  return Status::Invalid(FormatSourceMessage(sql, offset, message));
}

}  // namespace shoal
