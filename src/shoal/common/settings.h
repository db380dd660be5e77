// Namespaced session settings (`shoal.execution.threads`, ...).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "shoal/common/status.h"

namespace shoal {

/// The kind of value a setting holds; values are validated against it on SET.
enum class SettingType { kBool, kInt, kString };

/// Description of one known setting.
struct SettingInfo {
  std::string key;          ///< Full namespaced key, e.g. "shoal.execution.threads".
  SettingType type;         ///< Value type.
  std::string default_value;///< Default, as text (an empty string for "auto" where noted).
  std::string description;  ///< One line for SHOW ALL and the docs.
};

/// Return the catalogue of all known settings, sorted by key.
const std::vector<SettingInfo>& AllSettings();

/// A set of setting values. Keys are validated; values are stored normalized as text.
/// Precedence (statement > table > session) is resolved by layering Settings objects.
class Settings {
 public:
  Settings() = default;

  /// Set `key` to `value` after validating both; errors name the key and the problem.
  Status Set(const std::string& key, const std::string& value);
  /// Return `key` to its default.
  Status Reset(const std::string& key);
  /// Return the value of `key` as text (its default when unset).
  Result<std::string> Get(const std::string& key) const;

  /// Return a boolean setting (the key must exist and be boolean).
  bool GetBool(const std::string& key) const;
  /// Return an integer setting (the key must exist and be an integer).
  int64_t GetInt(const std::string& key) const;
  /// Return a string setting.
  std::string GetString(const std::string& key) const;

  /// Number of worker threads for query execution (resolves 0 = all cores).
  int threads() const;
  /// Target rows per batch inside the executor.
  int64_t batch_size() const;

  /// Return (key, value) for every known setting, sorted by key.
  std::vector<std::pair<std::string, std::string>> List() const;

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace shoal
