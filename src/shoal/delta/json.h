// A small JSON document model and parser for the Delta log: commit files are
// newline-delimited JSON with one action per line; statistics, schemas and
// _last_checkpoint are JSON strings. Numbers keep their text so that long and
// decimal values are not rounded through a double.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "shoal/common/strings.h"
#include "shoal/common/status.h"

namespace shoal::delta {

/// One JSON value (null, boolean, number, string, array or object).
class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };

  JsonValue() = default;
  /// Return a boolean value.
  static JsonValue Bool(bool b);
  /// Return a number value from its JSON text.
  static JsonValue Number(std::string text);
  /// Return a string value.
  static JsonValue String(std::string s);
  /// Return an empty array.
  static JsonValue Array();
  /// Return an empty object.
  static JsonValue Object();

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  /// Return the boolean (false unless a boolean).
  bool bool_value() const { return bool_; }
  /// Return the string, or the number's text.
  const std::string& text() const { return text_; }
  /// Return the elements of an array.
  const std::vector<JsonValue>& elements() const { return elements_; }
  /// Return the members of an object, in document order.
  const std::vector<std::pair<std::string, JsonValue>>& members() const { return members_; }

  /// Return the member `key` of an object, or nullptr (also for non-objects).
  const JsonValue* Find(std::string_view key) const;
  /// Return the number as int64 if it is an integer number that fits.
  std::optional<int64_t> AsInt64() const;
  /// Return the number as a double.
  std::optional<double> AsDouble() const;

  /// Append to an array.
  void Append(JsonValue v) { elements_.push_back(std::move(v)); }
  /// Add a member to an object.
  void Add(std::string key, JsonValue v) { members_.emplace_back(std::move(key), std::move(v)); }

  /// Return the value as compact JSON text.
  std::string ToJson() const;

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  std::string text_;
  std::vector<JsonValue> elements_;
  std::vector<std::pair<std::string, JsonValue>> members_;
};

/// Parse one JSON document. Errors give the byte offset and what was expected.
Result<JsonValue> ParseJson(std::string_view text);

/// A forward-only reader of JSON text for hot paths (add actions of commit
/// files): members and values are read in document order without building a
/// JsonValue tree. Errors are those of ParseJson (byte offset, what was expected).
class JsonReader {
 public:
  explicit JsonReader(std::string_view text) : s_(text) {}

  /// Skip whitespace and return the next character ('\0' at the end of the text).
  char Peek();
  /// Read the next value of any type.
  Status ReadValue(JsonValue* out) { return ParseValue(out, 0); }
  /// Read the next value, which must be a string.
  Status ReadString(std::string* out);
  /// Read the next value, which must be a number; `out` views its text.
  Status ReadNumber(std::string_view* out);
  /// Consume the literal `null` when it comes next; return whether it did.
  bool ConsumeNull();
  /// Consume `true` or `false` when one comes next; return whether it did.
  bool ConsumeBool(bool* out);
  /// Consume the '{' opening an object.
  Status BeginObject();
  /// Advance to the next member of the object being read: return true and its
  /// key, or false after consuming the closing '}'. `*first` must be true before
  /// the first call of an object (it is cleared).
  Result<bool> NextMember(bool* first, std::string* key);
  /// Check that only whitespace is left.
  Status Finish();

 private:
  Status Error(const std::string& what) const;
  void SkipSpace();
  bool Consume(std::string_view word);
  Status ParseValue(JsonValue* out, int depth);
  Status ParseNumber(JsonValue* out);
  Status ParseNumberText(std::string_view* out);
  Status ParseHex4(uint32_t* out);
  Status ParseString(std::string* out);
  Status ParseArray(JsonValue* out, int depth);
  Status ParseObject(JsonValue* out, int depth);

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace shoal::delta
