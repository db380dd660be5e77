#include "shoal/common/strings.h"
#include "shoal/delta/json.h"

#include <cerrno>
#include <cstdlib>

namespace shoal::delta {

JsonValue JsonValue::Bool(bool b) {
  JsonValue v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

JsonValue JsonValue::Number(std::string text) {
  JsonValue v;
  v.type_ = Type::kNumber;
  v.text_ = std::move(text);
  return v;
}

JsonValue JsonValue::String(std::string s) {
  JsonValue v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}

JsonValue JsonValue::Array() {
  JsonValue v;
  v.type_ = Type::kArray;
  return v;
}

JsonValue JsonValue::Object() {
  JsonValue v;
  v.type_ = Type::kObject;
  return v;
}

const JsonValue* JsonValue::Find(std::string_view key) const {
  if (type_ != Type::kObject) return nullptr;
  for (const auto& [k, v] : members_) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::optional<int64_t> JsonValue::AsInt64() const {
  if (type_ != Type::kNumber || text_.empty()) return std::nullopt;
  for (char c : text_) {
    if (c == '.' || c == 'e' || c == 'E') {
      // Integral values written as 1.0 or 1e3 are accepted when exact.
      auto d = AsDouble();
      if (!d || *d != static_cast<double>(static_cast<int64_t>(*d))) return std::nullopt;
      return static_cast<int64_t>(*d);
    }
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(text_.c_str(), &end, 10);
  if (errno != 0 || end != text_.c_str() + text_.size()) return std::nullopt;
  return static_cast<int64_t>(v);
}

std::optional<double> JsonValue::AsDouble() const {
  if (type_ != Type::kNumber) return std::nullopt;
  char* end = nullptr;
  double d = std::strtod(text_.c_str(), &end);
  if (end != text_.c_str() + text_.size()) return std::nullopt;
  return d;
}

std::string JsonValue::ToJson() const {
  switch (type_) {
    case Type::kNull: return "null";
    case Type::kBool: return bool_ ? "true" : "false";
    case Type::kNumber: return text_;
    case Type::kString: return JsonQuote(text_);
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i) out += ',';
        out += elements_[i].ToJson();
      }
      return out + "]";
    }
    case Type::kObject: {
      std::string out = "{";
      for (size_t i = 0; i < members_.size(); ++i) {
        if (i) out += ',';
        out += JsonQuote(members_[i].first) + ":" + members_[i].second.ToJson();
      }
      return out + "}";
    }
  }
  return "null";
}

Status JsonReader::Error(const std::string& what) const {
  if (pos_ >= s_.size()) return Status::Invalid("invalid JSON: ", what, " (unexpected end of text)");
  return Status::Invalid("invalid JSON at byte ", pos_, ": ", what);
}

void JsonReader::SkipSpace() {
  while (pos_ < s_.size() &&
         (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) {
    ++pos_;
  }
}

bool JsonReader::Consume(std::string_view word) {
  if (s_.substr(pos_, word.size()) == word) {
    pos_ += word.size();
    return true;
  }
  return false;
}

char JsonReader::Peek() {
  SkipSpace();
  return pos_ < s_.size() ? s_[pos_] : '\0';
}

Status JsonReader::ReadString(std::string* out) {
  if (Peek() != '"') return Error("expected a string");
  out->clear();
  return ParseString(out);
}

Status JsonReader::ReadNumber(std::string_view* out) {
  char c = Peek();
  if (c != '-' && (c < '0' || c > '9')) return Error("expected a number");
  return ParseNumberText(out);
}

bool JsonReader::ConsumeNull() {
  SkipSpace();
  return Consume("null");
}

bool JsonReader::ConsumeBool(bool* out) {
  SkipSpace();
  if (Consume("true")) {
    *out = true;
    return true;
  }
  if (Consume("false")) {
    *out = false;
    return true;
  }
  return false;
}

Status JsonReader::BeginObject() {
  if (Peek() != '{') return Error("expected an object");
  ++pos_;
  return Status::OK();
}

Result<bool> JsonReader::NextMember(bool* first, std::string* key) {
  SkipSpace();
  if (pos_ < s_.size() && s_[pos_] == '}') {
    ++pos_;
    return false;
  }
  if (!*first) {
    if (pos_ >= s_.size() || s_[pos_] != ',') return Error("expected ',' or '}' in an object");
    ++pos_;
    SkipSpace();
  }
  *first = false;
  if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a member name");
  key->clear();
  ARROW_RETURN_NOT_OK(ParseString(key));
  SkipSpace();
  if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':' after a member name");
  ++pos_;
  return true;
}

Status JsonReader::Finish() {
  SkipSpace();
  if (pos_ != s_.size()) return Error("unexpected text after the JSON value");
  return Status::OK();
}

Status JsonReader::ParseValue(JsonValue* out, int depth) {
  if (depth > 512) return Error("nesting too deep");
  SkipSpace();
  if (pos_ >= s_.size()) return Error("expected a value");
  char c = s_[pos_];
  if (c == '{') return ParseObject(out, depth);
  if (c == '[') return ParseArray(out, depth);
  if (c == '"') {
    std::string str;
    ARROW_RETURN_NOT_OK(ParseString(&str));
    *out = JsonValue::String(std::move(str));
    return Status::OK();
  }
  if (Consume("true")) {
    *out = JsonValue::Bool(true);
    return Status::OK();
  }
  if (Consume("false")) {
    *out = JsonValue::Bool(false);
    return Status::OK();
  }
  if (Consume("null")) {
    *out = JsonValue();
    return Status::OK();
  }
  if (c == '-' || (c >= '0' && c <= '9')) return ParseNumber(out);
  // Non-standard numbers some writers emit for float statistics.
  if (Consume("NaN")) {
    *out = JsonValue::Number("NaN");
    return Status::OK();
  }
  if (Consume("Infinity")) {
    *out = JsonValue::Number("Infinity");
    return Status::OK();
  }
  return Error(std::string("unexpected character '") + c + "'");
}

Status JsonReader::ParseNumber(JsonValue* out) {
  std::string_view text;
  ARROW_RETURN_NOT_OK(ParseNumberText(&text));
  *out = JsonValue::Number(std::string(text));
  return Status::OK();
}

Status JsonReader::ParseNumberText(std::string_view* out) {
  size_t start = pos_;
  if (s_[pos_] == '-') {
    ++pos_;
    if (Consume("Infinity")) {
      *out = s_.substr(start, pos_ - start);
      return Status::OK();
    }
  }
  auto digits = [&]() {
    size_t n = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      ++pos_;
      ++n;
    }
    return n;
  };
  if (digits() == 0) return Error("invalid number");
  if (pos_ < s_.size() && s_[pos_] == '.') {
    ++pos_;
    if (digits() == 0) return Error("invalid number");
  }
  if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
    ++pos_;
    if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
    if (digits() == 0) return Error("invalid number");
  }
  *out = s_.substr(start, pos_ - start);
  return Status::OK();
}

Status JsonReader::ParseHex4(uint32_t* out) {
  if (pos_ + 4 > s_.size()) return Error("truncated \\u escape");
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) {
    char c = s_[pos_++];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= c - '0';
    else if (c >= 'a' && c <= 'f') v |= c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') v |= c - 'A' + 10;
    else return Error("invalid \\u escape");
  }
  *out = v;
  return Status::OK();
}

Status JsonReader::ParseString(std::string* out) {
  ++pos_;  // opening quote
  while (true) {
    size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] != '"' && s_[pos_] != '\\') ++pos_;
    out->append(s_.data() + start, pos_ - start);
    if (pos_ >= s_.size()) return Error("unterminated string");
    if (s_[pos_] == '"') {
      ++pos_;
      return Status::OK();
    }
    ++pos_;  // backslash
    if (pos_ >= s_.size()) return Error("unterminated string");
    char e = s_[pos_++];
    switch (e) {
      case '"': out->push_back('"'); break;
      case '\\': out->push_back('\\'); break;
      case '/': out->push_back('/'); break;
      case 'b': out->push_back('\b'); break;
      case 'f': out->push_back('\f'); break;
      case 'n': out->push_back('\n'); break;
      case 'r': out->push_back('\r'); break;
      case 't': out->push_back('\t'); break;
      case 'u': {
        uint32_t cp = 0;
        ARROW_RETURN_NOT_OK(ParseHex4(&cp));
        if (cp >= 0xD800 && cp < 0xDC00 && s_.substr(pos_, 2) == "\\u") {
          size_t save = pos_;
          pos_ += 2;
          uint32_t lo;
          ARROW_RETURN_NOT_OK(ParseHex4(&lo));
          if (lo >= 0xDC00 && lo < 0xE000) {
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else {
            pos_ = save;
          }
        }
        AppendUtf8(cp, out);
        break;
      }
      default:
        --pos_;
        return Error(std::string("invalid escape '\\") + e + "'");
    }
  }
}

Status JsonReader::ParseArray(JsonValue* out, int depth) {
  ++pos_;
  *out = JsonValue::Array();
  SkipSpace();
  if (pos_ < s_.size() && s_[pos_] == ']') {
    ++pos_;
    return Status::OK();
  }
  while (true) {
    JsonValue v;
    ARROW_RETURN_NOT_OK(ParseValue(&v, depth + 1));
    out->Append(std::move(v));
    SkipSpace();
    if (pos_ >= s_.size()) return Error("unterminated array");
    if (s_[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (s_[pos_] == ']') {
      ++pos_;
      return Status::OK();
    }
    return Error("expected ',' or ']' in an array");
  }
}

Status JsonReader::ParseObject(JsonValue* out, int depth) {
  ++pos_;
  *out = JsonValue::Object();
  SkipSpace();
  if (pos_ < s_.size() && s_[pos_] == '}') {
    ++pos_;
    return Status::OK();
  }
  while (true) {
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != '"') return Error("expected a member name");
    std::string key;
    ARROW_RETURN_NOT_OK(ParseString(&key));
    SkipSpace();
    if (pos_ >= s_.size() || s_[pos_] != ':') return Error("expected ':' after a member name");
    ++pos_;
    JsonValue v;
    ARROW_RETURN_NOT_OK(ParseValue(&v, depth + 1));
    out->Add(std::move(key), std::move(v));
    SkipSpace();
    if (pos_ >= s_.size()) return Error("unterminated object");
    if (s_[pos_] == ',') {
      ++pos_;
      continue;
    }
    if (s_[pos_] == '}') {
      ++pos_;
      return Status::OK();
    }
    return Error("expected ',' or '}' in an object");
  }
}

Result<JsonValue> ParseJson(std::string_view text) {
  JsonReader reader(text);
  JsonValue v;
  ARROW_RETURN_NOT_OK(reader.ReadValue(&v));
  ARROW_RETURN_NOT_OK(reader.Finish());
  return v;
}

}  // namespace shoal::delta
