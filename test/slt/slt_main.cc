// shoal_slt: Shoal's sqllogictest runner.
//
//   shoal_slt [--threads N] [--batch-size N] [--complete] <files or directories>
//
// Record kinds: `statement ok`, `statement error <regex>`, `query <types>
// [rowsort|valuesort]` with `----` and expected rows, `query error <regex>`,
// `halt`, `include <file>`, `skipif shoal`, `onlyif <engine>`, `# comments`.
// Values follow DataFusion's conventions (see slt_format.h). Each file runs in a
// fresh session; `${TESTDATA}` is the shared test data directory (found by
// walking up from the file to a folder holding shared/testdata; files that need
// it are skipped when it is absent) and `${TMPDIR}` a fresh per-file directory.
// Prints one line per file and a final "N passed, N failed" line.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <arrow/table.h>

#include "shoal/main/session.h"
#include "slt_format.h"

namespace fs = std::filesystem;

namespace shoal::slt {
namespace {

struct Options {
  std::string threads;
  std::string batch_size;
  bool complete = false;
  std::vector<std::string> paths;
};

std::string ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = 0;
  while ((pos = s.find(from, pos)) != std::string::npos) {
    s.replace(pos, from.size(), to);
    pos += to.size();
  }
  return s;
}

/// Walk up from `file` looking for <dir>/shared/testdata; SHOAL_TESTDATA wins.
std::string FindTestData(const fs::path& file) {
  if (const char* env = getenv("SHOAL_TESTDATA")) {
    if (fs::is_directory(env)) return fs::absolute(env).string();
  }
  std::error_code ec;
  fs::path dir = fs::absolute(file, ec).parent_path();
  while (!dir.empty()) {
    fs::path candidate = dir / "shared" / "testdata";
    if (fs::is_directory(candidate, ec)) return candidate.string();
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
  return "";
}

std::string Indent(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "    " + l + "\n";
  if (lines.empty()) out = "    (no rows)\n";
  return out;
}

std::string FirstLine(const std::string& sql) {
  std::string s = sql.substr(0, sql.find('\n'));
  return s.size() > 100 ? s.substr(0, 100) + "..." : s;
}

bool MatchesRegex(const std::string& message, const std::string& pattern, std::string* problem) {
  if (pattern.empty()) return true;
  // "(?i)" at the start makes the match case-insensitive (std::regex has no inline flags).
  std::string body = pattern;
  auto flags = std::regex::ECMAScript;
  if (body.rfind("(?i)", 0) == 0) {
    body = body.substr(4);
    flags |= std::regex::icase;
  }
  try {
    return std::regex_search(message, std::regex(body, flags));
  } catch (const std::regex_error& e) {
    *problem = "invalid regex /" + pattern + "/: " + e.what();
    return false;
  }
}

/// Run one statement and read its whole result.
Result<std::shared_ptr<arrow::Table>> RunSql(Session* session, const std::string& sql) {
  ARROW_ASSIGN_OR_RAISE(auto result, session->Sql(sql));
  return result->ToTable();
}

class FileRunner {
 public:
  FileRunner(const Options& options, std::string path) : options_(options), path_(std::move(path)) {}

  /// Return 0 on pass, 1 on failure, 2 when skipped.
  int Run() {
    std::string text = ReadText(path_);
    std::string testdata;
    if (text.find("${TESTDATA}") != std::string::npos) {
      testdata = FindTestData(path_);
      if (testdata.empty()) {
        std::cout << "SKIP " << path_ << " (uses ${TESTDATA} but no shared/testdata directory "
                  << "was found above it; set SHOAL_TESTDATA)" << std::endl;
        return 2;
      }
    }
    auto records = ParseFile(path_, text);
    if (!records.ok()) {
      std::cout << "FAIL " << path_ << "\n  " << records.status().message() << std::endl;
      return 1;
    }
    std::map<std::string, std::string> config;
    if (!options_.threads.empty()) config["shoal.execution.threads"] = options_.threads;
    if (!options_.batch_size.empty()) config["shoal.execution.batch_size"] = options_.batch_size;
    auto session = Session::Make(config);
    if (!session.ok()) {
      std::cout << "FAIL " << path_ << "\n  " << session.status().message() << std::endl;
      return 1;
    }
    std::error_code ec;
    fs::path tmp = fs::temp_directory_path() / ("shoal_slt_" + std::to_string(getpid()) + "_" +
                                                std::to_string(file_counter_++));
    fs::remove_all(tmp, ec);
    fs::create_directories(tmp, ec);

    int failures = 0, ran = 0, skipped = 0;
    std::vector<std::pair<const Record*, std::vector<std::string>>> completions;
    for (const auto& record : *records) {
      if (record.kind == Record::kHalt) break;
      if (record.skip) {
        ++skipped;
        continue;
      }
      ++ran;
      std::string sql = Replace(Replace(record.sql, "${TESTDATA}", testdata), "${TMPDIR}",
                                tmp.string());
      std::string failure;
      std::vector<std::string> actual_lines;
      bool have_actual = RunRecord(**session, record, sql, &failure, &actual_lines);
      if (options_.complete && record.kind == Record::kQuery && have_actual &&
          record.file == path_) {
        completions.emplace_back(&record, actual_lines);
        continue;
      }
      if (!failure.empty()) {
        ++failures;
        std::cout << (failures == 1 ? "FAIL " + path_ + "\n" : "") << record.file << ":"
                  << record.line << ": " << failure << std::endl;
      }
    }
    fs::remove_all(tmp, ec);
    if (options_.complete && !completions.empty()) {
      WriteCompleted(text, completions);
    }
    if (failures == 0) {
      std::cout << "PASS " << path_ << " (" << ran << " records"
                << (skipped ? ", " + std::to_string(skipped) + " skipped" : "") << ")"
                << (options_.complete && !completions.empty() ? " [completed]" : "") << std::endl;
      return 0;
    }
    return 1;
  }

 private:
  /// Run a record; set `*failure` when it fails. Return true when the query ran
  /// and `*actual` holds its formatted rows.
  bool RunRecord(Session& session, const Record& record, const std::string& sql,
                 std::string* failure, std::vector<std::string>* actual) {
    auto result = RunSql(&session, sql);
    const bool expect_error =
        record.kind == Record::kStatementError || record.kind == Record::kQueryError;
    if (expect_error) {
      if (result.ok()) {
        *failure = "expected an error" +
                   (record.error_regex.empty() ? "" : " matching /" + record.error_regex + "/") +
                   " but the statement succeeded\n  sql: " + FirstLine(sql);
        return false;
      }
      std::string problem;
      if (!MatchesRegex(result.status().message(), record.error_regex, &problem)) {
        *failure = problem.empty() ? "error message does not match /" + record.error_regex +
                                         "/\n  sql: " + FirstLine(sql) +
                                         "\n  actual error: " + result.status().message()
                                   : problem;
      }
      return false;
    }
    if (!result.ok()) {
      *failure = "unexpected error: " + result.status().message() + "\n  sql: " + FirstLine(sql);
      return false;
    }
    if (record.kind == Record::kStatementOk) return false;

    // A query: check the column count and types, then the values.
    const auto& table = **result;
    if (static_cast<int>(record.types.size()) != table.num_columns()) {
      *failure = "the header declares " + std::to_string(record.types.size()) +
                 " columns but the query returned " + std::to_string(table.num_columns()) +
                 " (" + table.schema()->ToString() + ")\n  sql: " + FirstLine(sql);
    } else {
      for (int c = 0; c < table.num_columns(); ++c) {
        std::string problem = CheckColumnType(record.types[c], *table.schema()->field(c)->type());
        if (!problem.empty()) {
          *failure = "column " + std::to_string(c + 1) + " ('" + table.schema()->field(c)->name() +
                     "') " + problem + "\n  sql: " + FirstLine(sql);
          break;
        }
      }
    }
    auto rows = FormatRows(table);
    if (!rows.ok()) {
      *failure = "cannot format the result: " + rows.status().message();
      return false;
    }
    std::vector<std::string> expected = record.expected;
    if (record.sort_mode == "valuesort") {
      std::vector<std::string> values;
      for (const auto& row : *rows) values.insert(values.end(), row.begin(), row.end());
      std::sort(values.begin(), values.end());
      *actual = values;
      std::vector<std::string> expected_values;
      for (const auto& line : expected) {
        std::istringstream in(line);
        std::string v;
        while (in >> v) expected_values.push_back(v);
      }
      std::sort(expected_values.begin(), expected_values.end());
      expected = expected_values;
    } else {
      for (const auto& row : *rows) {
        std::string line;
        for (size_t c = 0; c < row.size(); ++c) line += (c ? " " : "") + row[c];
        size_t end = line.find_last_not_of(" \t");
        actual->push_back(end == std::string::npos ? "" : line.substr(0, end + 1));
      }
      if (record.sort_mode == "rowsort") {
        std::sort(actual->begin(), actual->end());
        std::sort(expected.begin(), expected.end());
      }
    }
    if (failure->empty() && *actual != expected) {
      size_t first = 0;
      while (first < actual->size() && first < expected.size() && (*actual)[first] == expected[first]) {
        ++first;
      }
      *failure = "query result mismatch (first difference at row " + std::to_string(first + 1) +
                 ")\n  sql: " + FirstLine(sql) + "\n  expected:\n" + Indent(expected) +
                 "  actual:\n" + Indent(*actual);
    }
    return true;
  }

  void WriteCompleted(const std::string& text,
                      const std::vector<std::pair<const Record*, std::vector<std::string>>>& done) {
    std::vector<std::string> lines;
    {
      std::istringstream in(text);
      std::string l;
      while (std::getline(in, l)) lines.push_back(l);
    }
    // Splice from the end so earlier line numbers stay valid.
    auto sorted = done;
    std::sort(sorted.begin(), sorted.end(),
              [](const auto& a, const auto& b) { return a.first->line > b.first->line; });
    for (const auto& [record, actual] : sorted) {
      std::vector<std::string> block;
      if (!record->has_results_marker) block.push_back("----");
      block.insert(block.end(), actual.begin(), actual.end());
      int begin = record->has_results_marker ? record->results_begin : record->sql_end;
      int end = record->has_results_marker ? record->results_end : record->sql_end;
      lines.erase(lines.begin() + begin, lines.begin() + end);
      lines.insert(lines.begin() + begin, block.begin(), block.end());
    }
    std::ofstream out(path_, std::ios::trunc | std::ios::binary);
    for (const auto& l : lines) out << l << "\n";
  }

  const Options& options_;
  std::string path_;
  static inline int file_counter_ = 0;
};

void CollectFiles(const std::string& path, std::vector<std::string>* out, bool* missing) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
      if (entry.is_regular_file() && entry.path().extension() == ".slt") {
        files.push_back(entry.path().string());
      }
    }
    std::sort(files.begin(), files.end());
    out->insert(out->end(), files.begin(), files.end());
  } else if (fs::is_regular_file(path, ec)) {
    out->push_back(path);
  } else {
    std::cerr << "Error: no such file or directory: " << path << std::endl;
    *missing = true;
  }
}

int Usage(const std::string& error) {
  if (!error.empty()) std::cerr << "Error: " << error << "\n";
  std::cerr << "Usage: shoal_slt [--threads N] [--batch-size N] [--complete] <files or dirs>\n";
  return 2;
}

}  // namespace
}  // namespace shoal::slt

int main(int argc, char** argv) {
  using namespace shoal::slt;
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto number = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return !out->empty() && out->find_first_not_of("0123456789") == std::string::npos;
    };
    if (arg == "--threads") {
      if (!number(&options.threads)) return Usage("--threads needs a number");
    } else if (arg == "--batch-size") {
      if (!number(&options.batch_size)) return Usage("--batch-size needs a number");
    } else if (arg == "--complete") {
      options.complete = true;
    } else if (arg == "-h" || arg == "--help") {
      Usage("");
      return 0;
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage("unknown option '" + arg + "'");
    } else {
      options.paths.push_back(arg);
    }
  }
  if (options.paths.empty()) return Usage("no files given");
  std::vector<std::string> files;
  bool missing = false;
  for (const auto& p : options.paths) CollectFiles(p, &files, &missing);
  int passed = 0, failed = missing ? 1 : 0, skipped = 0;
  for (const auto& file : files) {
    FileRunner runner(options, file);
    int rc = runner.Run();
    if (rc == 0) ++passed;
    else if (rc == 1) ++failed;
    else ++skipped;
  }
  std::cout << passed << " passed, " << failed << " failed";
  if (skipped) std::cout << ", " << skipped << " skipped";
  std::cout << std::endl;
  return failed == 0 ? 0 : 1;
}
