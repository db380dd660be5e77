#include "line_reader.h"

#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <iostream>

namespace shoal::shell {

namespace {

constexpr size_t kMaxHistory = 1000;

bool IsContinuationByte(unsigned char c) { return (c & 0xC0) == 0x80; }

/// Move `pos` one code point left / right within `s`.
size_t PrevCodePoint(const std::string& s, size_t pos) {
  if (pos == 0) return 0;
  --pos;
  while (pos > 0 && IsContinuationByte(static_cast<unsigned char>(s[pos]))) --pos;
  return pos;
}
size_t NextCodePoint(const std::string& s, size_t pos) {
  if (pos >= s.size()) return s.size();
  ++pos;
  while (pos < s.size() && IsContinuationByte(static_cast<unsigned char>(s[pos]))) ++pos;
  return pos;
}

int TerminalColumns() {
  winsize ws{};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 80;
}

void WriteAll(const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(STDOUT_FILENO, s.data() + done, s.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    done += static_cast<size_t>(n);
  }
}

/// Read one byte; returns -1 at end of input or on error.
int ReadByte() {
  unsigned char c;
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, &c, 1);
    if (n == 1) return c;
    if (n < 0 && errno == EINTR) continue;
    return -1;
  }
}

/// Raw mode for the lifetime of the object (restored on destruction).
class RawMode {
 public:
  RawMode() {
    if (tcgetattr(STDIN_FILENO, &orig_) != 0) return;
    termios raw = orig_;
    raw.c_iflag &= ~(BRKINT | ICRNL | INPCK | ISTRIP | IXON);
    raw.c_cflag |= CS8;
    raw.c_lflag &= ~(ECHO | ICANON | IEXTEN | ISIG);
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ok_ = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
  }
  ~RawMode() {
    if (ok_) tcsetattr(STDIN_FILENO, TCSANOW, &orig_);
  }
  bool ok() const { return ok_; }

 private:
  termios orig_{};
  bool ok_ = false;
};

}  // namespace

size_t DisplayWidth(const std::string& s) {
  size_t w = 0;
  for (unsigned char c : s) {
    if (!IsContinuationByte(c)) ++w;
  }
  return w;
}

LineReader::LineReader(std::string history_path) : history_path_(std::move(history_path)) {
  interactive_ = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
  const char* term = getenv("TERM");
  if (term != nullptr && std::string(term) == "dumb") interactive_ = false;
  if (!history_path_.empty()) {
    std::ifstream in(history_path_);
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty()) history_.push_back(line);
    }
    if (history_.size() > kMaxHistory) {
      history_.erase(history_.begin(), history_.end() - kMaxHistory);
      // Rewrite the trimmed file so it does not grow forever.
      std::ofstream out(history_path_, std::ios::trunc);
      for (const auto& h : history_) out << h << "\n";
    }
  }
}

LineReader::~LineReader() = default;

void LineReader::AddHistory(const std::string& entry) {
  if (entry.empty() || entry.find('\n') != std::string::npos) return;
  if (!history_.empty() && history_.back() == entry) return;
  history_.push_back(entry);
  if (history_.size() > kMaxHistory) history_.erase(history_.begin());
  if (!history_path_.empty()) {
    std::ofstream out(history_path_, std::ios::app);
    out << entry << "\n";
  }
}

ReadStatus LineReader::ReadLine(const std::string& prompt, std::string* line) {
  line->clear();
  if (interactive_) {
    RawMode raw;
    if (raw.ok()) return ReadRaw(prompt, line);
  }
  if (interactive_) {
    std::cout << prompt << std::flush;
  }
  if (!std::getline(std::cin, *line)) return ReadStatus::kEof;
  return ReadStatus::kLine;
}

void LineReader::Refresh(const std::string& prompt, const std::string& buf, size_t pos) {
  // Single-line editing with horizontal scrolling so long lines never wrap.
  size_t cols = static_cast<size_t>(TerminalColumns());
  size_t prompt_w = DisplayWidth(prompt);
  size_t avail = cols > prompt_w + 1 ? cols - prompt_w - 1 : 1;
  size_t cursor_col = DisplayWidth(buf.substr(0, pos));
  // First byte of the visible window: scroll so the cursor stays visible.
  size_t start = 0;
  size_t skip = cursor_col >= avail ? cursor_col - avail + 1 : 0;
  for (size_t i = 0; i < skip; ++i) start = NextCodePoint(buf, start);
  std::string visible;
  size_t end = start, w = 0;
  while (end < buf.size() && w < avail) {
    end = NextCodePoint(buf, end);
    ++w;
  }
  visible = buf.substr(start, end - start);
  std::string out = "\r" + prompt + visible + "\x1b[0K";
  out += "\r\x1b[" + std::to_string(prompt_w + cursor_col - skip) + "C";
  if (prompt_w + cursor_col - skip == 0) out.resize(out.size() - 4);  // no zero moves
  WriteAll(out);
}

ReadStatus LineReader::ReadRaw(const std::string& prompt, std::string* line) {
  std::string buf;
  size_t pos = 0;
  size_t hist_index = history_.size();  // == size(): editing a new line
  std::string saved_new_line;
  WriteAll(prompt);
  while (true) {
    int c = ReadByte();
    if (c < 0) {
      WriteAll("\r\n");
      return ReadStatus::kEof;
    }
    switch (c) {
      case '\r':
      case '\n':
        WriteAll("\r\n");
        *line = buf;
        return ReadStatus::kLine;
      case 3:  // Ctrl-C: discard the line
        WriteAll("^C\r\n");
        return ReadStatus::kInterrupt;
      case 4:  // Ctrl-D: end of input on an empty line, else delete forward
        if (buf.empty()) {
          WriteAll("\r\n");
          return ReadStatus::kEof;
        }
        if (pos < buf.size()) buf.erase(pos, NextCodePoint(buf, pos) - pos);
        break;
      case 127:
      case 8:  // Backspace
        if (pos > 0) {
          size_t p = PrevCodePoint(buf, pos);
          buf.erase(p, pos - p);
          pos = p;
        }
        break;
      case 1:  // Ctrl-A
        pos = 0;
        break;
      case 5:  // Ctrl-E
        pos = buf.size();
        break;
      case 2:  // Ctrl-B
        pos = PrevCodePoint(buf, pos);
        break;
      case 6:  // Ctrl-F
        pos = NextCodePoint(buf, pos);
        break;
      case 11:  // Ctrl-K: kill to end
        buf.erase(pos);
        break;
      case 21:  // Ctrl-U: kill to start
        buf.erase(0, pos);
        pos = 0;
        break;
      case 23: {  // Ctrl-W: delete the previous word
        size_t p = pos;
        while (p > 0 && buf[p - 1] == ' ') --p;
        while (p > 0 && buf[p - 1] != ' ') --p;
        buf.erase(p, pos - p);
        pos = p;
        break;
      }
      case 12:  // Ctrl-L: clear the screen
        WriteAll("\x1b[H\x1b[2J");
        break;
      case 16:  // Ctrl-P
      case 14:  // Ctrl-N
      case 27: {  // escape sequences: arrows, Home/End, Delete
        int action = c;  // 16 = up, 14 = down
        if (c == 27) {
          int c1 = ReadByte();
          int c2 = ReadByte();
          if (c1 < 0 || c2 < 0) break;
          action = 0;
          if (c1 == '[' && c2 >= '0' && c2 <= '9') {
            int c3 = ReadByte();
            if (c3 == '~') {
              if (c2 == '3' && pos < buf.size()) buf.erase(pos, NextCodePoint(buf, pos) - pos);
              if (c2 == '1' || c2 == '7') pos = 0;
              if (c2 == '4' || c2 == '8') pos = buf.size();
            }
          } else if (c1 == '[' || c1 == 'O') {
            switch (c2) {
              case 'A': action = 16; break;
              case 'B': action = 14; break;
              case 'C': pos = NextCodePoint(buf, pos); break;
              case 'D': pos = PrevCodePoint(buf, pos); break;
              case 'H': pos = 0; break;
              case 'F': pos = buf.size(); break;
            }
          }
        }
        if (action == 16 && hist_index > 0) {
          if (hist_index == history_.size()) saved_new_line = buf;
          --hist_index;
          buf = history_[hist_index];
          pos = buf.size();
        } else if (action == 14 && hist_index < history_.size()) {
          ++hist_index;
          buf = hist_index == history_.size() ? saved_new_line : history_[hist_index];
          pos = buf.size();
        }
        break;
      }
      case '\t':
        buf.insert(pos, "  ");
        pos += 2;
        break;
      default:
        if (c >= 32) {
          buf.insert(pos, 1, static_cast<char>(c));
          ++pos;
        }
        break;
    }
    Refresh(prompt, buf, pos);
  }
}

}  // namespace shoal::shell
