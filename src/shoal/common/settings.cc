#include "shoal/common/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <thread>

#include "shoal/common/strings.h"

namespace shoal {

const std::vector<SettingInfo>& AllSettings() {
  static const std::vector<SettingInfo> kSettings = [] {
    std::vector<SettingInfo> s = {
        {"shoal.execution.threads", SettingType::kInt, "0",
         "Worker threads for query execution; 0 means one per core"},
        {"shoal.execution.batch_size", SettingType::kInt, "8192",
         "Target number of rows per batch inside the executor"},
        {"shoal.execution.runtime_filters", SettingType::kBool, "true",
         "Filter the probe side of hash joins by the keys of the finished build side"},
        {"shoal.execution.memory_limit", SettingType::kInt, "0",
         "Memory limit in bytes for one query; 0 means no limit"},
        {"shoal.sql.enable_ident_normalization", SettingType::kBool, "true",
         "Fold unquoted identifiers to lower case"},
        {"shoal.delta.vacuum_retention_check", SettingType::kBool, "true",
         "VACUUM refuses a retention shorter than delta.deletedFileRetentionDuration"},
        {"shoal.delta.optimize_target_size", SettingType::kInt, "0",
         "OPTIMIZE target file size in bytes; 0 means delta.targetFileSize, else 100 MiB"},
        {"shoal.sql.dialect", SettingType::kString, "generic",
         "SQL dialect accepted by the parser"},
        {"shoal.optimizer.enabled", SettingType::kBool, "true",
         "Run the logical optimizer"},
        {"shoal.optimizer.disabled_rules", SettingType::kString, "",
         "Comma-separated names of optimizer rules to skip"},
        {"shoal.optimizer.column_statistics", SettingType::kBool, "true",
         "Use per-column statistics (min/max, null and distinct counts) in estimates"},
        {"shoal.explain.show_statistics", SettingType::kBool, "false",
         "Show row-count estimates in EXPLAIN output"},
        {"shoal.format.csv.has_header", SettingType::kBool, "true",
         "Default for CSV sources: first line holds column names"},
        {"shoal.format.csv.delimiter", SettingType::kString, ",",
         "Default CSV field delimiter"},
        {"shoal.runtime.allow_url_tables", SettingType::kBool, "false",
         "Allow SELECT ... FROM 'path/to/file' without registering a table"},
    };
    std::sort(s.begin(), s.end(), [](auto& a, auto& b) { return a.key < b.key; });
    return s;
  }();
  return kSettings;
}

namespace {

const SettingInfo* Find(const std::string& key) {
  for (const auto& s : AllSettings()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

Status UnknownSetting(const std::string& key) {
  std::vector<std::string> keys;
  for (const auto& s : AllSettings()) keys.push_back(s.key);
  std::string msg = "unknown setting '" + key + "'";
  auto close = ClosestMatches(key, keys, 3);
  if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
  return Status::Invalid(msg);
}

Result<std::string> Normalize(const SettingInfo& info, const std::string& value) {
  switch (info.type) {
    case SettingType::kBool: {
      std::string v = ToLower(Trim(value));
      if (v == "true" || v == "1" || v == "on" || v == "yes") return std::string("true");
      if (v == "false" || v == "0" || v == "off" || v == "no") return std::string("false");
      return Status::Invalid("setting '", info.key, "' takes true or false, got '", value, "'");
    }
    case SettingType::kInt: {
      std::string v = Trim(value);
      int64_t out = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
      if (ec != std::errc() || p != v.data() + v.size() || out < 0) {
        return Status::Invalid("setting '", info.key, "' takes a non-negative integer, got '",
                               value, "'");
      }
      return std::to_string(out);
    }
    case SettingType::kString:
      return value;
  }
  return value;
}

}  // namespace

Status Settings::Set(const std::string& key, const std::string& value) {
  const SettingInfo* info = Find(ToLower(key));
  if (!info) return UnknownSetting(key);
  ARROW_ASSIGN_OR_RAISE(auto v, Normalize(*info, value));
  if (info->key == "shoal.execution.batch_size" && v == "0") {
    return Status::Invalid("setting 'shoal.execution.batch_size' must be at least 1");
  }
  values_[info->key] = std::move(v);
  return Status::OK();
}

Status Settings::Reset(const std::string& key) {
  const SettingInfo* info = Find(ToLower(key));
  if (!info) return UnknownSetting(key);
  values_.erase(info->key);
  return Status::OK();
}

Result<std::string> Settings::Get(const std::string& key) const {
  const SettingInfo* info = Find(ToLower(key));
  if (!info) return UnknownSetting(key);
  auto it = values_.find(info->key);
  return it == values_.end() ? info->default_value : it->second;
}

bool Settings::GetBool(const std::string& key) const {
  auto v = Get(key);
  return v.ok() && *v == "true";
}

int64_t Settings::GetInt(const std::string& key) const {
  auto v = Get(key);
  if (!v.ok()) return 0;
  int64_t out = 0;
  std::from_chars(v->data(), v->data() + v->size(), out);
  return out;
}

std::string Settings::GetString(const std::string& key) const {
  auto v = Get(key);
  return v.ok() ? *v : std::string();
}

int Settings::threads() const {
  int64_t t = GetInt("shoal.execution.threads");
  if (t <= 0) {
    unsigned hc = std::thread::hardware_concurrency();
    return hc == 0 ? 1 : static_cast<int>(hc);
  }
  return static_cast<int>(std::min<int64_t>(t, 1024));
}

int64_t Settings::batch_size() const {
  int64_t b = GetInt("shoal.execution.batch_size");
  return b <= 0 ? 8192 : b;
}

std::vector<std::pair<std::string, std::string>> Settings::List() const {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& s : AllSettings()) out.emplace_back(s.key, *Get(s.key));
  return out;
}

}  // namespace shoal
