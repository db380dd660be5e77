#include "slt_format.h"

#include <cmath>
#include <cstdio>
#include <sstream>

#include <arrow/array.h>
#include <arrow/compute/cast.h>
#include <arrow/scalar.h>
#include <arrow/table.h>
#include <arrow/type.h>

namespace shoal::slt {

namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::string line;
  std::istringstream in(text);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(line);
  }
  return lines;
}

std::vector<std::string> Words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

/// Return the rest of `line` after the first `n` words (the regex of an error).
std::string RestAfterWords(const std::string& line, int n) {
  size_t pos = 0;
  for (int i = 0; i < n; ++i) {
    pos = line.find_first_not_of(" \t", pos);
    if (pos == std::string::npos) return "";
    pos = line.find_first_of(" \t", pos);
    if (pos == std::string::npos) return "";
  }
  size_t start = line.find_first_not_of(" \t", pos);
  if (start == std::string::npos) return "";
  size_t end = line.find_last_not_of(" \t");
  return line.substr(start, end - start + 1);
}

bool IsBlank(const std::string& s) { return s.find_first_not_of(" \t") == std::string::npos; }

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";
  char buf[64];
  snprintf(buf, sizeof(buf), "%.12g", v);
  std::string s = buf;
  // Trim trailing zeros of the mantissa ("%.12g" already does for plain notation).
  return s;
}

/// Remove trailing zeros after a decimal point ("1.500" -> "1.5", "2.000" -> "2").
std::string TrimDecimal(std::string s) {
  size_t dot = s.find('.');
  if (dot == std::string::npos) return s;
  size_t end = s.size();
  while (end > dot + 1 && s[end - 1] == '0') --end;
  if (end == dot + 1) end = dot;
  s.erase(end);
  if (s == "-0") s = "0";
  return s;
}

/// Timestamps as DataFusion prints them: 2020-01-01T10:00:00[.123][Z]
std::string FormatTimestamp(std::string s) {
  size_t space = s.find(' ');
  if (space != std::string::npos) s[space] = 'T';
  std::string suffix;
  size_t z = s.find_first_of("Z+", 11);
  if (z != std::string::npos) {
    suffix = s.substr(z);
    s = s.substr(0, z);
  }
  return TrimDecimal(s) + suffix;
}

Status FormatColumn(const arrow::Array& array, std::vector<std::string>* out);

/// Lists print as [a, b] with elements formatted like top-level values (NULL, ...).
std::string ToStringFallback(const arrow::Array& array, int64_t i) {
  if (arrow::is_list_like(array.type_id()) && array.type_id() != arrow::Type::MAP) {
    std::shared_ptr<arrow::Array> values;
    switch (array.type_id()) {
      case arrow::Type::LIST:
        values = static_cast<const arrow::ListArray&>(array).value_slice(i);
        break;
      case arrow::Type::LARGE_LIST:
        values = static_cast<const arrow::LargeListArray&>(array).value_slice(i);
        break;
      case arrow::Type::FIXED_SIZE_LIST:
        values = static_cast<const arrow::FixedSizeListArray&>(array).value_slice(i);
        break;
      default:
        break;
    }
    if (values) {
      std::vector<std::string> items;
      if (FormatColumn(*values, &items).ok()) {
        std::string text = "[";
        for (size_t k = 0; k < items.size(); ++k) text += (k ? ", " : "") + items[k];
        return text + "]";
      }
    }
  }
  auto scalar = array.GetScalar(i);
  return scalar.ok() ? (*scalar)->ToString() : "<error: " + scalar.status().message() + ">";
}

Status FormatColumn(const arrow::Array& array, std::vector<std::string>* out) {
  out->resize(array.length());
  const auto id = array.type_id();
  std::shared_ptr<arrow::Array> as_string;
  bool cast_ok = false;
  if (!arrow::is_nested(id) && id != arrow::Type::DICTIONARY && id != arrow::Type::NA) {
    auto cast = arrow::compute::Cast(array, arrow::utf8());
    if (cast.ok()) {
      as_string = *cast;
      cast_ok = true;
    }
  }
  for (int64_t i = 0; i < array.length(); ++i) {
    std::string& v = (*out)[i];
    if (array.IsNull(i)) {
      v = "NULL";
      continue;
    }
    switch (id) {
      case arrow::Type::FLOAT:
        v = FormatFloat(static_cast<const arrow::FloatArray&>(array).Value(i));
        continue;
      case arrow::Type::DOUBLE:
        v = FormatFloat(static_cast<const arrow::DoubleArray&>(array).Value(i));
        continue;
      case arrow::Type::HALF_FLOAT:
        break;
      case arrow::Type::BOOL:
        v = static_cast<const arrow::BooleanArray&>(array).Value(i) ? "true" : "false";
        continue;
      default:
        break;
    }
    std::string text = cast_ok ? static_cast<const arrow::StringArray&>(*as_string).GetString(i)
                               : ToStringFallback(array, i);
    if (arrow::is_decimal(id)) {
      text = TrimDecimal(text);
    } else if (id == arrow::Type::TIMESTAMP) {
      text = FormatTimestamp(text);
    } else if (arrow::is_string(id) || id == arrow::Type::STRING_VIEW) {
      if (text.empty()) text = "(empty)";
    }
    v = std::move(text);
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<Record>> ParseFile(const std::string& path, const std::string& text) {
  std::vector<Record> records;
  auto lines = SplitLines(text);
  bool skip_next = false;
  size_t i = 0;
  auto where = [&](size_t line) { return path + ":" + std::to_string(line + 1); };
  while (i < lines.size()) {
    const std::string& line = lines[i];
    if (IsBlank(line) || line.rfind("#", 0) == 0) {
      ++i;
      continue;
    }
    auto words = Words(line);
    const std::string& head = words[0];
    if (head == "skipif" || head == "onlyif") {
      if (words.size() < 2) return Status::Invalid(where(i), ": ", head, " needs an engine name");
      bool is_shoal = words[1] == "shoal";
      if ((head == "skipif" && is_shoal) || (head == "onlyif" && !is_shoal)) skip_next = true;
      ++i;
      continue;
    }
    if (head == "halt") {
      Record r;
      r.kind = Record::kHalt;
      r.line = static_cast<int>(i + 1);
      r.file = path;
      records.push_back(std::move(r));
      ++i;
      continue;
    }
    if (head == "include") {
      if (words.size() < 2) return Status::Invalid(where(i), ": include needs a file name");
      std::string dir = path.substr(0, path.find_last_of('/') + 1);
      std::string inc = words[1][0] == '/' ? words[1] : dir + words[1];
      FILE* f = fopen(inc.c_str(), "rb");
      if (f == nullptr) return Status::IOError(where(i), ": cannot open included file '", inc, "'");
      std::string content;
      char buf[65536];
      size_t n;
      while ((n = fread(buf, 1, sizeof(buf), f)) > 0) content.append(buf, n);
      fclose(f);
      ARROW_ASSIGN_OR_RAISE(auto sub, ParseFile(inc, content));
      for (auto& r : sub) records.push_back(std::move(r));
      ++i;
      continue;
    }
    Record r;
    r.line = static_cast<int>(i + 1);
    r.file = path;
    r.skip = skip_next;
    skip_next = false;
    if (head == "statement") {
      if (words.size() < 2 || (words[1] != "ok" && words[1] != "error")) {
        return Status::Invalid(where(i), ": expected 'statement ok' or 'statement error <regex>'");
      }
      r.kind = words[1] == "ok" ? Record::kStatementOk : Record::kStatementError;
      if (r.kind == Record::kStatementError) r.error_regex = RestAfterWords(line, 2);
    } else if (head == "query") {
      if (words.size() < 2) return Status::Invalid(where(i), ": query needs column types");
      if (words[1] == "error") {
        r.kind = Record::kQueryError;
        r.error_regex = RestAfterWords(line, 2);
      } else {
        r.kind = Record::kQuery;
        r.types = words[1];
        if (words.size() >= 3) {
          r.sort_mode = words[2];
          if (r.sort_mode != "rowsort" && r.sort_mode != "valuesort" &&
              r.sort_mode != "nosort") {
            return Status::Invalid(where(i), ": unknown sort mode '", r.sort_mode,
                                   "' (use rowsort or valuesort)");
          }
          if (r.sort_mode == "nosort") r.sort_mode.clear();
        }
      }
    } else {
      return Status::Invalid(where(i), ": unknown record '", head,
                             "' (expected statement, query, halt, include, skipif, onlyif)");
    }
    ++i;
    // SQL: until a blank line or "----".
    std::string sql;
    while (i < lines.size() && !IsBlank(lines[i]) && lines[i] != "----") {
      sql += lines[i];
      sql += "\n";
      ++i;
    }
    if (sql.empty()) return Status::Invalid(where(r.line - 1), ": record has no SQL");
    r.sql = sql;
    r.sql_end = static_cast<int>(i);
    r.results_begin = r.results_end = static_cast<int>(i);
    if (i < lines.size() && lines[i] == "----") {
      if (r.kind != Record::kQuery) {
        return Status::Invalid(where(i), ": only 'query' records have a ---- result block");
      }
      r.has_results_marker = true;
      ++i;
      r.results_begin = static_cast<int>(i);
      while (i < lines.size() && !IsBlank(lines[i])) {
        std::string l = lines[i];
        size_t end = l.find_last_not_of(" \t");
        r.expected.push_back(end == std::string::npos ? "" : l.substr(0, end + 1));
        ++i;
      }
      r.results_end = static_cast<int>(i);
    }
    records.push_back(std::move(r));
  }
  return records;
}

Result<std::vector<std::vector<std::string>>> FormatRows(const arrow::Table& table) {
  std::vector<std::vector<std::string>> rows(table.num_rows(),
                                             std::vector<std::string>(table.num_columns()));
  for (int c = 0; c < table.num_columns(); ++c) {
    int64_t offset = 0;
    for (const auto& chunk : table.column(c)->chunks()) {
      std::vector<std::string> values;
      ARROW_RETURN_NOT_OK(FormatColumn(*chunk, &values));
      for (size_t r = 0; r < values.size(); ++r) rows[offset + r][c] = std::move(values[r]);
      offset += chunk->length();
    }
  }
  return rows;
}

std::string CheckColumnType(char letter, const arrow::DataType& type) {
  const auto id = type.id();
  if (id == arrow::Type::NA) return "";
  auto fail = [&](const char* what) {
    return std::string("has type ") + type.ToString() + " but the header says " + letter + " (" +
           what + ")";
  };
  switch (letter) {
    case 'I':
      return arrow::is_integer(id) ? "" : fail("integer");
    case 'R':
      return arrow::is_floating(id) || arrow::is_decimal(id) ? "" : fail("float or decimal");
    case 'B':
      return id == arrow::Type::BOOL ? "" : fail("boolean");
    case 'D':
      return arrow::is_temporal(id) ? "" : fail("date or time");
    case 'T':
    case '?':
      return "";
    default:
      return std::string("unknown column type letter '") + letter + "' (use I, R, T, B, D or ?)";
  }
}

}  // namespace shoal::slt
