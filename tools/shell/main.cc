// shoal-shell: the `shoal` command (started by the Python console script).
//
//   shoal                      interactive shell
//   shoal -c "SQL; SQL"        run statements and exit
//   shoal -f file.sql          run a script and exit
//   echo "SQL" | shoal         run statements from standard input
// Options: --format table|csv|json|markdown, --timer, --max-rows N, --max-width N,
// --threads N, --set key=value.
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "line_reader.h"
#include "shell.h"
#include "shoal/main/session.h"

namespace {

constexpr const char* kUsage =
    "Usage: shoal [OPTIONS] [FILE.sql]\n"
    "\n"
    "Shoal SQL shell. Without -c or -f it reads statements interactively (or from\n"
    "standard input when that is not a terminal).\n"
    "\n"
    "Options:\n"
    "  -c SQL               Run the statements in SQL and exit\n"
    "  -f FILE              Run the statements in FILE and exit\n"
    "  --format FORMAT      Output format: table (default), csv, json, markdown\n"
    "  --timer              Print the run time of each statement\n"
    "  --max-rows N         Rows shown in table format (default 40; 0 = all)\n"
    "  --max-width N        Longest value shown in table format before it is cut\n"
    "                       with '…' (default 60; 0 = never cut)\n"
    "  --threads N          Worker threads (shoal.execution.threads)\n"
    "  --set KEY=VALUE      Set a session setting (repeatable)\n"
    "  -h, --help           Show this help\n"
    "  --version            Show the version\n";

int UsageError(const std::string& message) {
  std::cerr << "Error: " << message << "\n\n" << kUsage;
  return 2;
}

std::string HistoryPath() {
  const char* home = getenv("HOME");
  if (home == nullptr || *home == '\0') return "";
  return std::string(home) + "/.shoal_history";
}

/// Run a whole script line by line; stop at the first error.
int RunScript(shoal::shell::Shell& shell, std::istream& in) {
  shell.set_bail(true);
  shell.set_track_positions(true);
  shell.BeginInput();
  std::string line;
  while (std::getline(in, line)) {
    if (shoal::shell::g_sigint_count.load() > 0) {
      std::cerr << "Error: interrupted\n";
      return 130;
    }
    if (!shell.ProcessLine(line) || shell.quit()) break;
  }
  if (!shell.quit() && !shell.had_error()) shell.Flush();
  return shell.had_error() ? 1 : 0;
}

int RunInteractive(shoal::shell::Shell& shell) {
  shoal::shell::LineReader reader(HistoryPath());
  std::cout << "Shoal " << "0.1.0" << ". Enter \".help\" for usage hints; statements end with ';'.\n";
  std::string line;
  std::string entry;  // the statement being typed, for history
  while (!shell.quit()) {
    const char* prompt = shell.pending() ? "   ...> " : "shoal> ";
    auto status = reader.ReadLine(prompt, &line);
    if (status == shoal::shell::ReadStatus::kEof) break;
    if (status == shoal::shell::ReadStatus::kInterrupt) {
      shell.ClearPending();
      entry.clear();
      continue;
    }
    entry += entry.empty() ? line : " " + line;
    shell.ProcessLine(line);
    if (!shell.pending()) {
      reader.AddHistory(entry);
      entry.clear();
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> commands;
  std::string file;
  std::map<std::string, std::string> config;
  shoal::shell::FormatOptions format;
  bool timer = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string& name) -> const char* {
      if (i + 1 >= argc) return nullptr;
      return argv[++i];
    };
    // Accept --opt=value as well as --opt value.
    std::string inline_value;
    bool has_inline = false;
    if (arg.rfind("--", 0) == 0 && arg.find('=') != std::string::npos) {
      inline_value = arg.substr(arg.find('=') + 1);
      arg = arg.substr(0, arg.find('='));
      has_inline = true;
    }
    auto take = [&](const std::string& name) -> std::optional<std::string> {
      if (has_inline) return inline_value;
      const char* v = value(name);
      if (v == nullptr) return std::nullopt;
      return std::string(v);
    };
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--version") {
      std::cout << "shoal 0.1.0\n";
      return 0;
    } else if (arg == "-c" || arg == "--command") {
      auto v = take(arg);
      if (!v) return UsageError(arg + " needs an argument");
      commands.push_back(*v);
    } else if (arg == "-f" || arg == "--file") {
      auto v = take(arg);
      if (!v) return UsageError(arg + " needs an argument");
      file = *v;
    } else if (arg == "--format" || arg == "--mode") {
      auto v = take(arg);
      if (!v) return UsageError(arg + " needs an argument");
      auto mode = shoal::shell::ParseOutputMode(*v);
      if (!mode) return UsageError("unknown format '" + *v + "'; use table, csv, json or markdown");
      format.mode = *mode;
    } else if (arg == "--max-rows" || arg == "--max-width") {
      auto v = take(arg);
      auto n = v ? shoal::shell::ParseCount(*v) : std::nullopt;
      if (!n) return UsageError(arg + " needs a non-negative number");
      (arg == "--max-rows" ? format.max_rows : format.max_cell_width) = *n;
    } else if (arg == "--timer") {
      timer = true;
    } else if (arg == "--threads") {
      auto v = take(arg);
      if (!v) return UsageError("--threads needs a number");
      config["shoal.execution.threads"] = *v;
    } else if (arg == "--set") {
      auto v = take(arg);
      if (!v || v->find('=') == std::string::npos) {
        return UsageError("--set needs KEY=VALUE");
      }
      config[v->substr(0, v->find('='))] = v->substr(v->find('=') + 1);
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return UsageError("unknown option '" + arg + "'");
    } else if (file.empty()) {
      file = arg;
    } else {
      return UsageError("unexpected argument '" + arg + "'");
    }
  }

  auto session = shoal::Session::Make(config);
  if (!session.ok()) {
    std::cerr << "Error: " << session.status().message() << std::endl;
    return 1;
  }
  shoal::shell::InstallInterruptHandler(*session);
  shoal::shell::Shell shell(*session);
  shell.set_timer(timer);
  format.max_width = 0;
  if (isatty(STDOUT_FILENO)) {
    if (const char* cols = getenv("COLUMNS")) format.max_width = std::atoi(cols);
    if (format.max_width == 0) {
      winsize ws{};
      if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) format.max_width = ws.ws_col;
    }
  }
  shell.format() = format;

  if (!commands.empty()) {
    shell.set_bail(true);
    for (const auto& text : commands) {
      std::istringstream in(text);
      int rc = RunScript(shell, in);
      if (rc != 0) return rc;
    }
    return 0;
  }
  if (!file.empty() && file != "-") {
    std::ifstream in(file);
    if (!in) {
      std::cerr << "Error: cannot open '" << file << "'" << std::endl;
      return 1;
    }
    return RunScript(shell, in);
  }
  if (file == "-" || !isatty(STDIN_FILENO)) return RunScript(shell, std::cin);
  return RunInteractive(shell);
}
