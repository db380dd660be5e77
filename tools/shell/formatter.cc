#include "formatter.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <deque>
#include <ostream>
#include <vector>

#include <arrow/array.h>
#include <arrow/compute/cast.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/visit_type_inline.h>

#include "shoal/common/strings.h"
#include "shoal/main/session.h"

namespace shoal::shell {

namespace {

using Cell = std::optional<std::string>;

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v);
  std::string s(buf, res.ptr);
  // Keep floats recognizable as floats: 1 -> 1.0 (like DuckDB).
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

bool IsNumeric(const arrow::DataType& type) {
  return arrow::is_integer(type.id()) || arrow::is_floating(type.id()) ||
         arrow::is_decimal(type.id());
}

/// Format every value of a column (fast paths for common types, an Arrow cast
/// to string otherwise, and Scalar::ToString as the last resort).
std::vector<Cell> FormatColumn(const arrow::Array& array) {
  std::vector<Cell> out(array.length());
  const auto id = array.type_id();
  auto for_each = [&](auto&& fmt) {
    for (int64_t i = 0; i < array.length(); ++i) {
      if (!array.IsNull(i)) out[i] = fmt(i);
    }
  };
  switch (id) {
    case arrow::Type::NA:
      return out;
    case arrow::Type::BOOL: {
      auto& a = static_cast<const arrow::BooleanArray&>(array);
      for_each([&](int64_t i) { return std::string(a.Value(i) ? "true" : "false"); });
      return out;
    }
#define SHOAL_INT_CASE(TYPE, ARRAY)                                            \
  case arrow::Type::TYPE: {                                                   \
    auto& a = static_cast<const arrow::ARRAY&>(array);                        \
    for_each([&](int64_t i) { return std::to_string(a.Value(i)); });          \
    return out;                                                               \
  }
      SHOAL_INT_CASE(INT8, Int8Array)
      SHOAL_INT_CASE(INT16, Int16Array)
      SHOAL_INT_CASE(INT32, Int32Array)
      SHOAL_INT_CASE(INT64, Int64Array)
      SHOAL_INT_CASE(UINT8, UInt8Array)
      SHOAL_INT_CASE(UINT16, UInt16Array)
      SHOAL_INT_CASE(UINT32, UInt32Array)
      SHOAL_INT_CASE(UINT64, UInt64Array)
#undef SHOAL_INT_CASE
    case arrow::Type::FLOAT: {
      auto& a = static_cast<const arrow::FloatArray&>(array);
      for_each([&](int64_t i) {
        float v = a.Value(i);
        if (std::isnan(v) || std::isinf(v)) return FormatDouble(v);
        char buf[64];
        auto res = std::to_chars(buf, buf + sizeof(buf), v);
        std::string s(buf, res.ptr);
        if (s.find_first_of(".e") == std::string::npos) s += ".0";
        return s;
      });
      return out;
    }
    case arrow::Type::DOUBLE: {
      auto& a = static_cast<const arrow::DoubleArray&>(array);
      for_each([&](int64_t i) { return FormatDouble(a.Value(i)); });
      return out;
    }
    case arrow::Type::STRING: {
      auto& a = static_cast<const arrow::StringArray&>(array);
      for_each([&](int64_t i) { return std::string(a.GetView(i)); });
      return out;
    }
    case arrow::Type::LARGE_STRING: {
      auto& a = static_cast<const arrow::LargeStringArray&>(array);
      for_each([&](int64_t i) { return std::string(a.GetView(i)); });
      return out;
    }
    case arrow::Type::STRING_VIEW: {
      auto& a = static_cast<const arrow::StringViewArray&>(array);
      for_each([&](int64_t i) { return std::string(a.GetView(i)); });
      return out;
    }
    default:
      break;
  }
  if (id != arrow::Type::DICTIONARY && !arrow::is_nested(id)) {
    auto cast = arrow::compute::Cast(array, arrow::utf8());
    if (cast.ok()) {
      auto& a = static_cast<const arrow::StringArray&>(**cast);
      for_each([&](int64_t i) { return std::string(a.GetView(i)); });
      return out;
    }
  }
  for_each([&](int64_t i) -> std::string {
    auto scalar = array.GetScalar(i);
    return scalar.ok() ? (*scalar)->ToString() : std::string("<error>");
  });
  return out;
}

std::string JsonEscape(const std::string& s) { return JsonQuote(s); }

std::string CsvQuote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

/// Return the terminal columns taken by code point `cp`: 2 for East Asian wide
/// and full-width characters and emoji, 0 for combining marks, else 1.
size_t CodePointWidth(uint32_t cp) {
  if ((cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) ||
      (cp >= 0xFE00 && cp <= 0xFE0F)) {
    return 0;
  }
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
      (cp >= 0x3041 && cp <= 0x33FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
      (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
      (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
      (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) ||
      (cp >= 0x1F900 && cp <= 0x1F9FF) || (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

/// Decode the UTF-8 code point starting at `s[*i]` and advance `*i` past it
/// (invalid bytes decode as themselves, one byte each).
uint32_t NextCodePoint(const std::string& s, size_t* i) {
  unsigned char c = static_cast<unsigned char>(s[*i]);
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
  uint32_t cp = extra == 0 ? c : c & (0x3F >> extra);
  size_t j = *i + 1;
  for (int k = 0; k < extra && j < s.size(); ++k, ++j) {
    unsigned char d = static_cast<unsigned char>(s[j]);
    if ((d & 0xC0) != 0x80) break;
    cp = (cp << 6) | (d & 0x3F);
  }
  *i = j;
  return cp;
}

/// Return the terminal columns `s` takes (wide characters count 2).
size_t CellWidth(const std::string& s) {
  size_t w = 0;
  for (size_t i = 0; i < s.size();) w += CodePointWidth(NextCodePoint(s, &i));
  return w;
}

/// Cut `s` to at most `max` display columns, ending with "…" when cut. Newlines
/// and tabs become visible escapes so a cell stays on one line.
std::string FitCell(const std::string& s, size_t max) {
  std::string flat;
  for (char c : s) {
    if (c == '\n') flat += "\\n";
    else if (c == '\t') flat += "\\t";
    else if (c == '\r') flat += "\\r";
    else flat += c;
  }
  if (max == 0 || CellWidth(flat) <= max) return flat;
  std::string out;
  size_t w = 0;
  for (size_t i = 0; i < flat.size();) {
    size_t start = i;
    size_t cw = CodePointWidth(NextCodePoint(flat, &i));
    if (w + cw + 1 > max) break;  // keep a column for "…"
    w += cw;
    out.append(flat, start, i - start);
  }
  return out + "…";
}

std::string Repeat(const std::string& s, size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (size_t i = 0; i < n; ++i) out += s;
  return out;
}

std::string Pad(const std::string& s, size_t width, char align) {  // 'l', 'r', 'c'
  size_t w = CellWidth(s);
  if (w >= width) return s;
  size_t gap = width - w;
  if (align == 'r') return std::string(gap, ' ') + s;
  if (align == 'c') return std::string(gap / 2, ' ') + s + std::string(gap - gap / 2, ' ');
  return s + std::string(gap, ' ');
}

using Row = std::vector<Cell>;

/// Read batches, calling `on_batch` with each batch's formatted columns.
template <typename F>
Status ForEachBatch(QueryResult* result, F&& on_batch) {
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(result->ReadNext(&batch));
    if (!batch) return Status::OK();
    std::vector<std::vector<Cell>> columns;
    for (int c = 0; c < batch->num_columns(); ++c) columns.push_back(FormatColumn(*batch->column(c)));
    on_batch(batch->num_rows(), columns);
  }
}

Result<int64_t> PrintCsv(QueryResult* result, std::ostream& out) {
  auto schema = result->schema();
  for (int c = 0; c < schema->num_fields(); ++c) {
    out << (c ? "," : "") << CsvQuote(schema->field(c)->name());
  }
  out << "\n";
  int64_t rows = 0;
  Status st = ForEachBatch(result, [&](int64_t n, const std::vector<std::vector<Cell>>& cols) {
    for (int64_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < cols.size(); ++c) {
        if (c) out << ",";
        if (cols[c][r]) out << CsvQuote(*cols[c][r]);
      }
      out << "\n";
    }
    rows += n;
  });
  out.flush();
  ARROW_RETURN_NOT_OK(st);
  return rows;
}

Result<int64_t> PrintJson(QueryResult* result, std::ostream& out) {
  auto schema = result->schema();
  std::vector<bool> raw;
  for (const auto& f : schema->fields()) {
    raw.push_back(IsNumeric(*f->type()) || f->type()->id() == arrow::Type::BOOL);
  }
  int64_t rows = 0;
  out << "[";
  Status st = ForEachBatch(result, [&](int64_t n, const std::vector<std::vector<Cell>>& cols) {
    for (int64_t r = 0; r < n; ++r) {
      out << (rows == 0 ? "" : ",\n") << "{";
      for (size_t c = 0; c < cols.size(); ++c) {
        if (c) out << ",";
        out << JsonEscape(schema->field(static_cast<int>(c))->name()) << ":";
        const Cell& v = cols[c][r];
        if (!v) {
          out << "null";
        } else if (raw[c]) {
          // JSON has no NaN or infinity.
          bool finite = *v != "NaN" && *v != "inf" && *v != "-inf";
          out << (finite ? *v : "null");
        } else {
          out << JsonEscape(*v);
        }
      }
      out << "}";
      ++rows;
    }
  });
  out << "]\n";
  out.flush();
  ARROW_RETURN_NOT_OK(st);
  return rows;
}

Result<int64_t> PrintMarkdown(QueryResult* result, std::ostream& out) {
  auto schema = result->schema();
  std::vector<Row> rows;
  Status st = ForEachBatch(result, [&](int64_t n, const std::vector<std::vector<Cell>>& cols) {
    for (int64_t r = 0; r < n; ++r) {
      Row row;
      for (const auto& col : cols) row.push_back(col[r]);
      rows.push_back(std::move(row));
    }
  });
  auto escape = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      if (c == '|') o += "\\|";
      else if (c == '\n') o += "<br>";
      else o += c;
    }
    return o;
  };
  const int ncol = schema->num_fields();
  std::vector<size_t> width(ncol, 3);
  std::vector<char> align(ncol, 'l');
  for (int c = 0; c < ncol; ++c) {
    width[c] = std::max(width[c], CellWidth(escape(schema->field(c)->name())));
    if (IsNumeric(*schema->field(c)->type())) align[c] = 'r';
  }
  for (const auto& row : rows) {
    for (int c = 0; c < ncol; ++c) {
      width[c] = std::max(width[c], CellWidth(row[c] ? escape(*row[c]) : "NULL"));
    }
  }
  out << "|";
  for (int c = 0; c < ncol; ++c) out << " " << Pad(escape(schema->field(c)->name()), width[c], 'l') << " |";
  out << "\n|";
  for (int c = 0; c < ncol; ++c) {
    std::string dashes(width[c] + 1, '-');
    if (align[c] == 'r') out << dashes << ":|";
    else out << ":" << dashes << "|";
  }
  out << "\n";
  for (const auto& row : rows) {
    out << "|";
    for (int c = 0; c < ncol; ++c) {
      out << " " << Pad(row[c] ? escape(*row[c]) : "NULL", width[c], align[c]) << " |";
    }
    out << "\n";
  }
  out.flush();
  ARROW_RETURN_NOT_OK(st);
  return static_cast<int64_t>(rows.size());
}

/// A table cell split into display lines (NULL: no value).
using CellLines = std::optional<std::vector<std::string>>;
using TableRow = std::vector<CellLines>;

/// Split `s` into the lines shown in a table cell: line breaks ("\n", "\r\n")
/// start new lines (a trailing one adds no empty line), tabs become spaces, and
/// each line is cut to `max` display columns (0 = never cut).
std::vector<std::string> SplitCellLines(const std::string& s, size_t max) {
  std::vector<std::string> lines(1);
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '\n') {
      lines.emplace_back();
    } else if (c == '\r') {
      if (i + 1 < s.size() && s[i + 1] == '\n') continue;
      lines.emplace_back();
    } else if (c == '\t') {
      lines.back() += "    ";
    } else {
      lines.back() += c;
    }
  }
  if (lines.size() > 1 && lines.back().empty()) lines.pop_back();
  for (auto& line : lines) line = FitCell(line, max);
  return lines;
}

/// Return true for the result of EXPLAIN: columns (plan_type, plan) of strings.
bool IsExplainResult(const arrow::Schema& schema) {
  auto is_text = [](const arrow::DataType& t) {
    return t.id() == arrow::Type::STRING || t.id() == arrow::Type::LARGE_STRING ||
           t.id() == arrow::Type::STRING_VIEW;
  };
  return schema.num_fields() == 2 && schema.field(0)->name() == "plan_type" &&
         schema.field(1)->name() == "plan" && is_text(*schema.field(0)->type()) &&
         is_text(*schema.field(1)->type());
}

/// Print plans one after another, each under a small box with its type: used for
/// EXPLAIN output too wide for the terminal, so plan lines are never cut.
void PrintPlanSections(const std::vector<TableRow>& rows, std::ostream& out) {
  std::string text;
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto& row = rows[r];
    std::string title = row[0] ? (*row[0])[0] : "NULL";
    size_t w = CellWidth(title);
    if (r) text += "\n";
    text += "┌" + Repeat("─", w + 2) + "┐\n";
    text += "│ " + title + " │\n";
    text += "└" + Repeat("─", w + 2) + "┘\n";
    if (!row[1]) {
      text += "NULL\n";
      continue;
    }
    for (const auto& line : *row[1]) text += line + "\n";
  }
  out << text;
  out.flush();
}

Result<int64_t> PrintTable(QueryResult* result, const FormatOptions& options, std::ostream& out) {
  auto schema = result->schema();
  const int ncol = schema->num_fields();
  // EXPLAIN output is shown whole: every row, no line cut.
  const bool explain = IsExplainResult(*schema);
  const size_t cell_max = explain ? 0 : options.max_cell_width;
  const size_t max_rows = explain ? 0 : options.max_rows;
  // Keep the first and last halves of the rows only (bounded memory).
  const size_t head_max = max_rows == 0 ? SIZE_MAX : (max_rows + 1) / 2;
  const size_t tail_max = max_rows == 0 ? 0 : max_rows / 2;
  std::vector<TableRow> head;
  std::deque<TableRow> tail;
  int64_t total = 0;
  Status st = ForEachBatch(result, [&](int64_t n, const std::vector<std::vector<Cell>>& cols) {
    for (int64_t r = 0; r < n; ++r) {
      ++total;
      const bool keep_head = head.size() < head_max;
      if (!keep_head && tail_max == 0) continue;
      TableRow row;
      row.reserve(ncol);
      for (const auto& col : cols) {
        row.push_back(col[r] ? CellLines(SplitCellLines(*col[r], cell_max)) : CellLines());
      }
      if (keep_head) {
        head.push_back(std::move(row));
      } else {
        tail.push_back(std::move(row));
        if (tail.size() > tail_max) tail.pop_front();
      }
    }
  });
  if (!st.ok() && total == 0) return st;
  const bool rows_cut = static_cast<size_t>(total) > head.size() + tail.size();

  std::vector<std::string> names, types;
  std::vector<size_t> width(ncol);
  std::vector<char> align(ncol, 'l');
  for (int c = 0; c < ncol; ++c) {
    names.push_back(FitCell(schema->field(c)->name(), options.max_cell_width));
    types.push_back(FitCell(schema->field(c)->type()->ToString(), options.max_cell_width));
    width[c] = std::max(CellWidth(names[c]), CellWidth(types[c]));
    if (IsNumeric(*schema->field(c)->type())) align[c] = 'r';
  }
  auto measure = [&](const TableRow& row) {
    for (int c = 0; c < ncol; ++c) {
      if (!row[c]) {
        width[c] = std::max<size_t>(width[c], 4);  // NULL
        continue;
      }
      for (const auto& line : *row[c]) width[c] = std::max(width[c], CellWidth(line));
    }
  };
  for (const auto& row : head) measure(row);
  for (const auto& row : tail) measure(row);

  auto total_width = [&](const std::vector<int>& cols, bool ellipsis) {
    size_t w = 1;
    for (int c : cols) w += width[c] + 3;
    return w + (ellipsis ? 4 : 0);
  };
  std::vector<int> all(ncol);
  for (int c = 0; c < ncol; ++c) all[c] = c;
  if (explain && options.max_width > 0 && total_width(all, false) > options.max_width) {
    // Too wide for the terminal: print each plan under its title instead of
    // cutting plan lines (the terminal may wrap them, but nothing is lost).
    PrintPlanSections(head, out);
    ARROW_RETURN_NOT_OK(st);
    return total;
  }

  // Choose the columns to show: all if they fit, else alternately from the left
  // and the right edges, with a "…" column in between.
  std::vector<int> shown;
  bool cols_cut = false;
  // Too wide: first narrow the widest columns (down to 12), then drop columns.
  while (options.max_width > 0 && total_width(all, false) > options.max_width) {
    int widest = static_cast<int>(std::max_element(width.begin(), width.end()) - width.begin());
    if (ncol == 0 || width[widest] <= 12) break;
    size_t excess = total_width(all, false) - options.max_width;
    width[widest] = std::max<size_t>(12, width[widest] > excess ? width[widest] - excess : 12);
  }
  if (options.max_width == 0 || total_width(all, false) <= options.max_width) {
    shown = all;
  } else {
    cols_cut = true;
    std::vector<int> left, right;
    int l = 0, r = ncol - 1;
    bool take_left = true;
    while (l <= r) {
      std::vector<int> trial = left;
      if (take_left) trial.push_back(l);
      trial.insert(trial.end(), right.begin(), right.end());
      if (!take_left) trial.insert(trial.begin() + left.size(), r);
      if (total_width(trial, true) > options.max_width) break;
      if (take_left) left.push_back(l++);
      else right.insert(right.begin(), r--);
      take_left = !take_left;
    }
    if (left.empty()) {  // always show at least the first column
      left.push_back(0);
      width[0] = std::min(width[0], options.max_width > 10 ? options.max_width - 10 : 1);
    }
    shown = left;
    shown.push_back(-1);  // the "…" column
    shown.insert(shown.end(), right.begin(), right.end());
  }
  auto col_width = [&](int c) { return c < 0 ? size_t(1) : width[c]; };

  auto rule = [&](const char* lft, const char* mid, const char* rgt) {
    std::string s = lft;
    for (size_t i = 0; i < shown.size(); ++i) {
      if (i) s += mid;
      s += Repeat("─", col_width(shown[i]) + 2);
    }
    return s + rgt + "\n";
  };
  auto line = [&](auto&& text_of, auto&& align_of) {
    std::string s = "│";
    for (int c : shown) {
      std::string cut;
      if (c >= 0) cut = text_of(c);
      if (c >= 0 && CellWidth(cut) > width[c]) cut = FitCell(cut, width[c]);
      s += ' ';
      s += c < 0 ? std::string("…") : Pad(cut, width[c], align_of(c));
      s += " │";
    }
    return s + "\n";
  };
  // A row takes as many lines as its tallest cell; shorter cells are blank below.
  auto row_lines = [&](const TableRow& row) {
    size_t height = 1;
    for (int c : shown) {
      if (c >= 0 && row[c]) height = std::max(height, row[c]->size());
    }
    std::string s;
    for (size_t k = 0; k < height; ++k) {
      s += line(
          [&](int c) -> std::string {
            if (!row[c]) return k == 0 ? "NULL" : "";
            return k < row[c]->size() ? (*row[c])[k] : "";
          },
          [&](int c) { return align[c]; });
    }
    return s;
  };

  std::string text = rule("┌", "┬", "┐");
  text += line([&](int c) { return names[c]; }, [](int) { return 'c'; });
  text += line([&](int c) { return types[c]; }, [](int) { return 'c'; });
  text += rule("├", "┼", "┤");
  for (const auto& row : head) text += row_lines(row);
  if (rows_cut) {
    for (int k = 0; k < 3; ++k) text += line([](int) { return std::string("·"); }, [](int) { return 'c'; });
  }
  for (const auto& row : tail) text += row_lines(row);
  text += rule("└", "┴", "┘");
  if (!explain) {
    std::string footer = std::to_string(total) + (total == 1 ? " row" : " rows");
    if (rows_cut) footer += " (" + std::to_string(head.size() + tail.size()) + " shown)";
    if (cols_cut) {
      footer += ", " + std::to_string(ncol) + " columns (" + std::to_string(shown.size() - 1) +
                " shown)";
    }
    text += footer + "\n";
  }
  out << text;
  out.flush();
  ARROW_RETURN_NOT_OK(st);
  return total;
}

}  // namespace

std::optional<OutputMode> ParseOutputMode(const std::string& name) {
  if (name == "table" || name == "box" || name == "duckbox") return OutputMode::kTable;
  if (name == "csv") return OutputMode::kCsv;
  if (name == "json") return OutputMode::kJson;
  if (name == "markdown" || name == "md") return OutputMode::kMarkdown;
  return std::nullopt;
}

std::optional<std::string> FormatCell(const arrow::Array& array, int64_t index) {
  auto slice = array.Slice(index, 1);
  return FormatColumn(*slice)[0];
}

Result<int64_t> PrintResult(QueryResult* result, const FormatOptions& options, std::ostream& out) {
  switch (options.mode) {
    case OutputMode::kCsv:
      return PrintCsv(result, out);
    case OutputMode::kJson:
      return PrintJson(result, out);
    case OutputMode::kMarkdown:
      return PrintMarkdown(result, out);
    case OutputMode::kTable:
      break;
  }
  return PrintTable(result, options, out);
}

}  // namespace shoal::shell
