#include "shell.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/main/session.h"
#include "shoal/parser/parser.h"

namespace shoal::shell {

std::atomic<int> g_sigint_count{0};

namespace {

constexpr const char* kHelp =
    ".help                 Show this help\n"
    ".tables               List tables and views\n"
    ".schema [TABLE]       Show the columns of a table (or of every table)\n"
    ".mode MODE            Output format: table, csv, json or markdown\n"
    ".timer on|off         Print the run time of each statement\n"
    ".maxrows N            Rows shown in table mode (0 = all)\n"
    ".maxwidth N           Longest value shown in table mode before it is cut with '…'\n"
    "                      (0 = never cut; EXPLAIN plans are never cut)\n"
    ".quit / .exit         Leave the shell\n"
    "Statements end with ';'. Ctrl-C cancels a running query or clears the line; Ctrl-D exits.\n";

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  std::istringstream in(line);
  std::string w;
  while (in >> w) words.push_back(w);
  return words;
}

}  // namespace

std::optional<size_t> ParseCount(const std::string& text) {
  if (text.empty() || text.size() > 12) return std::nullopt;
  size_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<size_t>(c - '0');
  }
  return n;
}

namespace {

bool IsBlank(std::string_view s) { return Trim(s).empty(); }

/// Return true when `sql` holds only comments and white space.
bool OnlyComments(std::string_view sql) {
  size_t i = 0;
  while (i < sql.size()) {
    if (std::isspace(static_cast<unsigned char>(sql[i]))) {
      ++i;
    } else if (sql.substr(i, 2) == "--") {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.substr(i, 2) == "/*") {
      size_t end = sql.find("*/", i + 2);
      if (end == std::string_view::npos) return false;
      i = end + 2;
    } else {
      return false;
    }
  }
  return true;
}

void SigintHandler(int) {
  // Async-signal-safe: only an atomic store and, after repeated presses, _exit.
  int n = g_sigint_count.fetch_add(1) + 1;
  if (n >= 3) {
    const char msg[] = "\nInterrupted three times; exiting.\n";
    (void)!::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    _exit(130);
  }
}

}  // namespace

void InstallInterruptHandler(std::shared_ptr<Session> session) {
  struct sigaction sa {};
  sa.sa_handler = SigintHandler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, nullptr);
  // The watcher holds a weak reference so the session can go away at exit.
  std::weak_ptr<Session> weak = session;
  std::thread([weak] {
    int seen = 0;
    while (true) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      int count = g_sigint_count.load();
      bool pressed = count > seen;
      seen = count;  // also follows resets to 0
      if (!pressed) continue;
      auto s = weak.lock();
      if (!s) return;
      s->Interrupt();
    }
  }).detach();
}

Shell::Shell(std::shared_ptr<Session> session) : session_(std::move(session)) {}

void Shell::Error(const std::string& message) {
  had_error_ = true;
  std::cout.flush();
  std::cerr << "Error: " << message << std::endl;
}

bool Shell::ProcessLine(const std::string& line) {
  ++line_no_;
  if (buffer_.empty()) {
    std::string trimmed = Trim(line);
    if (!trimmed.empty() && trimmed[0] == '.') {
      last_entry_ = trimmed;
      bool ok = RunDotCommand(trimmed);
      return !quit_ && (ok || !bail_);
    }
    if (trimmed.empty()) return true;
    buffer_line_ = line_no_;
  }
  buffer_ += line;
  buffer_ += "\n";
  bool complete = false;
  auto statements = SplitStatements(buffer_, &complete);
  // Statements ready to run (with their position in the input); the unterminated
  // rest stays in the buffer.
  std::vector<std::string> ready;
  size_t ready_count = complete ? statements.size() : statements.size() - 1;
  if (ready_count == 0) return true;
  for (size_t i = 0; i < ready_count; ++i) ready.push_back(PositionedText(statements[i]));
  if (complete) {
    last_entry_ = Trim(buffer_);
    buffer_.clear();
  } else {
    std::string_view rest = statements.back();
    size_t rest_offset = static_cast<size_t>(rest.data() - buffer_.data());
    buffer_line_ += static_cast<size_t>(
        std::count(buffer_.begin(), buffer_.begin() + rest_offset, '\n'));
    // Keep the rest's column: pad its first line like the text before it.
    size_t line_start = buffer_.rfind('\n', rest_offset == 0 ? 0 : rest_offset - 1);
    size_t column = line_start == std::string::npos || rest_offset == 0
                        ? rest_offset
                        : rest_offset - line_start - 1;
    if (IsBlank(rest) || OnlyComments(rest)) {
      buffer_.clear();
    } else {
      buffer_ = std::string(column, ' ') + std::string(rest);
    }
  }
  for (const auto& sql : ready) {
    if (OnlyComments(sql)) continue;
    if (!RunStatement(sql) && bail_) return false;
  }
  return true;
}

std::string Shell::PositionedText(std::string_view statement) const {
  if (!track_positions_) return std::string(statement);
  // Pad with the newlines and spaces that precede the statement in the input, so
  // positions in error messages ("line 12, column 5") are those of the input.
  size_t offset = static_cast<size_t>(statement.data() - buffer_.data());
  size_t newlines = static_cast<size_t>(std::count(buffer_.begin(), buffer_.begin() + offset, '\n'));
  size_t line_start = offset == 0 ? std::string::npos : buffer_.rfind('\n', offset - 1);
  size_t column = line_start == std::string::npos ? offset : offset - line_start - 1;
  size_t line = buffer_line_ + newlines;  // 1-based input line of the statement
  return std::string(line - 1, '\n') + std::string(column, ' ') + std::string(statement);
}

bool Shell::Flush() {
  if (buffer_.empty()) return true;
  std::string sql = PositionedText(buffer_);
  buffer_.clear();
  if (IsBlank(sql) || OnlyComments(sql)) return true;
  return RunStatement(sql);
}

bool Shell::RunStatement(const std::string& sql) {
  g_sigint_count.store(0);  // the three-presses exit counts per statement
  auto start = std::chrono::steady_clock::now();
  auto result = session_->Sql(sql);
  Status st = result.status();
  if (st.ok()) {
    std::shared_ptr<QueryResult> qr = *result;
    if (qr->schema()->num_fields() > 0) {
      auto printed = PrintResult(qr.get(), format_, std::cout);
      st = printed.status();
    } else {
      // DDL: drain (an empty stream) so errors reported at the end surface.
      std::shared_ptr<arrow::RecordBatch> batch;
      do {
        st = qr->ReadNext(&batch);
      } while (st.ok() && batch);
    }
  }
  if (timer_) {
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::ostringstream t;
    t << "Run Time: " << std::fixed << std::setprecision(3) << secs << "s\n";
    std::cout << t.str() << std::flush;
  }
  bool interrupted = g_sigint_count.load() > 0;
  if (!st.ok()) {
    if (interrupted && st.IsCancelled()) {
      if (isatty(STDIN_FILENO)) std::cerr << "\n";  // after the echoed ^C
      Error("query interrupted");
    } else {
      Error(st.message());
    }
    return false;
  }
  return true;
}

bool Shell::RunDotCommand(const std::string& line) {
  auto words = SplitWords(line);
  const std::string cmd = ToLower(words[0]);
  auto arg_count = [&](size_t lo, size_t hi) {
    if (words.size() - 1 < lo || words.size() - 1 > hi) {
      Error("wrong number of arguments for " + cmd + "; see .help");
      return false;
    }
    return true;
  };
  if (cmd == ".help") {
    std::cout << kHelp;
    return true;
  }
  if (cmd == ".quit" || cmd == ".exit" || cmd == ".q") {
    quit_ = true;
    return true;
  }
  if (cmd == ".tables") {
    if (!arg_count(0, 0)) return false;
    for (const auto& name : session_->TableNames()) std::cout << name << "\n";
    std::cout.flush();
    return true;
  }
  if (cmd == ".schema") {
    if (!arg_count(0, 1)) return false;
    std::vector<std::string> names =
        words.size() == 2 ? std::vector<std::string>{words[1]} : session_->TableNames();
    for (const auto& name : names) {
      auto schema = session_->TableSchema(name);
      if (!schema.ok()) {
        Error(schema.status().message());
        return false;
      }
      std::cout << "CREATE TABLE " << name << " (";
      for (int i = 0; i < (*schema)->num_fields(); ++i) {
        const auto& f = (*schema)->field(i);
        std::cout << (i ? ", " : "") << f->name() << " " << f->type()->ToString()
                  << (f->nullable() ? "" : " NOT NULL");
      }
      std::cout << ");\n";
    }
    std::cout.flush();
    return true;
  }
  if (cmd == ".timer") {
    if (!arg_count(1, 1)) return false;
    std::string v = ToLower(words[1]);
    if (v != "on" && v != "off") {
      Error(".timer takes on or off, got '" + words[1] + "'");
      return false;
    }
    timer_ = v == "on";
    return true;
  }
  if (cmd == ".mode") {
    if (!arg_count(1, 1)) return false;
    auto mode = ParseOutputMode(ToLower(words[1]));
    if (!mode) {
      Error("unknown mode '" + words[1] + "'; use table, csv, json or markdown");
      return false;
    }
    format_.mode = *mode;
    return true;
  }
  if (cmd == ".maxrows" || cmd == ".maxwidth") {
    if (!arg_count(1, 1)) return false;
    auto n = ParseCount(words[1]);
    if (!n) {
      Error(cmd + " takes a non-negative number, got '" + words[1] + "'");
      return false;
    }
    (cmd == ".maxrows" ? format_.max_rows : format_.max_cell_width) = *n;
    return true;
  }
  Error("unknown command '" + words[0] + "'; type .help for the list");
  return false;
}

}  // namespace shoal::shell
