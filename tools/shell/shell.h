// The `shoal` interactive shell and script runner.
#pragma once

#include <atomic>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "formatter.h"
#include "shoal/main/session.h"

namespace shoal::shell {

/// Set by the SIGINT handler (the only thing it does besides counting presses).
extern std::atomic<int> g_sigint_count;

/// Runs statements and dot commands against one session and prints results.
class Shell {
 public:
  explicit Shell(std::shared_ptr<Session> session);

  /// Feed one line of input. Complete statements (ending in ';') run at once; a
  /// line starting with '.' at the start of a statement is a dot command.
  /// Return false when the input should stop (an error in bail mode, or .quit).
  bool ProcessLine(const std::string& line);
  /// Run whatever is left in the statement buffer (a script without a final ';').
  bool Flush();
  /// Return true when a statement is partially entered (continuation prompt).
  bool pending() const { return !buffer_.empty(); }
  /// Drop the partially entered statement (Ctrl-C at the prompt).
  void ClearPending() { buffer_.clear(); }
  /// Return the text of the last complete statement (for history).
  const std::string& last_entry() const { return last_entry_; }

  /// Stop at the first error (script mode).
  void set_bail(bool bail) { bail_ = bail; }
  /// Report error positions as lines and columns of the whole input (scripts)
  /// rather than of each statement (interactive use).
  void set_track_positions(bool on) { track_positions_ = on; }
  /// Start counting input lines from 1 again (a new script).
  void BeginInput() { line_no_ = 0; }
  void set_timer(bool on) { timer_ = on; }
  FormatOptions& format() { return format_; }
  /// Return true when any statement or command failed.
  bool had_error() const { return had_error_; }
  /// Return true once .quit/.exit ran.
  bool quit() const { return quit_; }

  /// Run one SQL statement and print its result. Return false on error.
  bool RunStatement(const std::string& sql);
  /// Run a dot command. Return false on error.
  bool RunDotCommand(const std::string& line);

 private:
  void Error(const std::string& message);
  /// Return `statement` (a view into buffer_) padded so that its positions are
  /// those of the input when tracking positions.
  std::string PositionedText(std::string_view statement) const;

  std::shared_ptr<Session> session_;
  std::string buffer_;
  std::string last_entry_;
  FormatOptions format_;
  size_t line_no_ = 0;      // input lines seen
  size_t buffer_line_ = 1;  // input line of the buffer's first line
  bool track_positions_ = false;
  bool timer_ = false;
  bool bail_ = false;
  bool had_error_ = false;
  bool quit_ = false;
};

/// Parse a non-negative decimal number (digits only); std::nullopt otherwise.
std::optional<size_t> ParseCount(const std::string& text);

/// Start the thread that turns SIGINT into Session::Interrupt() calls and install
/// the handler. Call once.
void InstallInterruptHandler(std::shared_ptr<Session> session);

}  // namespace shoal::shell
