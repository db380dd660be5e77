// A small line editor for the interactive shell: one line at a time in raw
// terminal mode, with cursor movement, history and Ctrl-C / Ctrl-D handling.
// Used only when stdin and stdout are terminals; otherwise lines are read with
// std::getline. (GNU readline is GPL and libedit reports Ctrl-C at the prompt as
// end of input, so the shell carries its own ~300-line editor.)
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace shoal::shell {

/// What ReadLine returned.
enum class ReadStatus {
  kLine,       ///< a line was entered (Enter)
  kInterrupt,  ///< Ctrl-C: the line was discarded
  kEof,        ///< Ctrl-D on an empty line, or end of input
};

/// Interactive line reader with history.
class LineReader {
 public:
  /// Create a reader; `history_path` (may be empty) is loaded now and appended to
  /// by AddHistory.
  explicit LineReader(std::string history_path);
  ~LineReader();

  /// Read one line showing `prompt`. The line (without newline) goes to `*line`.
  ReadStatus ReadLine(const std::string& prompt, std::string* line);
  /// Add an entry to the history (kept in memory and appended to the history file).
  void AddHistory(const std::string& entry);
  /// Return true when the terminal supports raw-mode editing.
  bool interactive() const { return interactive_; }

 private:
  ReadStatus ReadRaw(const std::string& prompt, std::string* line);
  void Refresh(const std::string& prompt, const std::string& buf, size_t pos);

  std::string history_path_;
  std::vector<std::string> history_;
  bool interactive_ = false;
};

/// Return the display width of a UTF-8 string (code points; wide characters count 1).
size_t DisplayWidth(const std::string& s);

}  // namespace shoal::shell
