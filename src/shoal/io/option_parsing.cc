#include "shoal/io/option_parsing_internal.h"

#include <charconv>

#include "shoal/common/strings.h"

namespace shoal::internal {

std::string NormalizeOptionKey(const std::string& key) {
  std::string k = ToLower(Trim(key));
  if (k.rfind("format.", 0) == 0) k = k.substr(7);
  return k;
}

Result<OptionMap> OptionMap::Make(
    const std::vector<std::pair<std::string, std::string>>& options,
    const std::vector<std::string>& valid, const std::string& context) {
  OptionMap map;
  map.context_ = context;
  for (const auto& [key, value] : options) {
    std::string k = NormalizeOptionKey(key);
    bool known = false;
    for (const auto& v : valid) known |= v == k;
    if (!known) {
      std::string msg = "unknown option '" + key + "' for " + context;
      auto close = ClosestMatches(k, valid, 1);
      if (!close.empty()) msg += " (did you mean '" + close[0] + "'?)";
      msg += "; valid options: " + (valid.empty() ? std::string("none") : JoinQuoted(valid, ", "));
      return Status::Invalid(msg);
    }
    map.values_.emplace_back(k, value);
  }
  return map;
}

std::optional<std::string> OptionMap::Get(std::initializer_list<const char*> names) const {
  for (auto it = values_.rbegin(); it != values_.rend(); ++it) {
    for (const char* n : names) {
      if (it->first == n) return it->second;
    }
  }
  return std::nullopt;
}

Result<std::optional<bool>> OptionMap::GetBool(std::initializer_list<const char*> names) const {
  auto v = Get(names);
  if (!v) return std::optional<bool>();
  std::string s = ToLower(Trim(*v));
  if (s == "true" || s == "1" || s == "yes" || s == "on") return std::optional<bool>(true);
  if (s == "false" || s == "0" || s == "no" || s == "off") return std::optional<bool>(false);
  return Status::Invalid("option '", *names.begin(), "' for ", context_,
                         " takes true or false, got '", *v, "'");
}

Result<std::optional<int64_t>> OptionMap::GetInt(std::initializer_list<const char*> names) const {
  auto v = Get(names);
  if (!v) return std::optional<int64_t>();
  std::string s = Trim(*v);
  int64_t out = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || out < 0) {
    return Status::Invalid("option '", *names.begin(), "' for ", context_,
                           " takes a non-negative integer, got '", *v, "'");
  }
  return std::optional<int64_t>(out);
}

Result<std::optional<char>> OptionMap::GetChar(std::initializer_list<const char*> names) const {
  auto v = Get(names);
  if (!v) return std::optional<char>();
  if (*v == "\\t" || ToLower(*v) == "tab") return std::optional<char>('\t');
  if (v->size() != 1) {
    return Status::Invalid("option '", *names.begin(), "' for ", context_,
                           " takes a single character, got '", *v, "'");
  }
  return std::optional<char>((*v)[0]);
}

}  // namespace shoal::internal
