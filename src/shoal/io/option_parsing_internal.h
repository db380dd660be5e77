// Private to io/: reading SQL OPTIONS (key/value strings) with validation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "shoal/common/status.h"

namespace shoal::internal {

/// Validated access to key/value options. Keys are case-insensitive and may carry a
/// "format." prefix; the last occurrence of a key wins.
class OptionMap {
 public:
  /// Normalize `options`; every key must be in `valid` (normalized names), else an
  /// error naming the key, suggesting close names and listing the valid ones.
  static Result<OptionMap> Make(const std::vector<std::pair<std::string, std::string>>& options,
                                const std::vector<std::string>& valid,
                                const std::string& context);

  /// Return the value of the first of `names` that is set.
  std::optional<std::string> Get(std::initializer_list<const char*> names) const;
  /// Return a boolean option (true/false/1/0/yes/no/on/off).
  Result<std::optional<bool>> GetBool(std::initializer_list<const char*> names) const;
  /// Return a non-negative integer option.
  Result<std::optional<int64_t>> GetInt(std::initializer_list<const char*> names) const;
  /// Return a one-character option ("\t" and "tab" accepted).
  Result<std::optional<char>> GetChar(std::initializer_list<const char*> names) const;

 private:
  std::vector<std::pair<std::string, std::string>> values_;
  std::string context_;
};

/// Return `key` lower-cased without a leading "format.".
std::string NormalizeOptionKey(const std::string& key);

}  // namespace shoal::internal
