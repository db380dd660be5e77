#include "shoal/io/file_listing.h"

#include <fnmatch.h>

#include <algorithm>
#include <charconv>
#include <filesystem>

#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/interfaces.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/memory_pool.h"
#include "shoal/common/strings.h"

namespace shoal {

namespace {

constexpr const char* kHiveNull = "__HIVE_DEFAULT_PARTITION__";

std::vector<std::string> SplitPath(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

bool HasGlobChars(const std::string& s) {
  return s.find_first_of("*?[") != std::string::npos;
}

// Match path segments [pi..] against pattern segments [si..]; "**" spans segments.
bool MatchSegments(const std::vector<std::string>& pat, size_t si,
                   const std::vector<std::string>& path, size_t pi) {
  while (si < pat.size()) {
    if (pat[si] == "**") {
      for (size_t k = pi; k <= path.size(); ++k) {
        if (MatchSegments(pat, si + 1, path, k)) return true;
      }
      return false;
    }
    if (pi >= path.size()) return false;
    if (fnmatch(pat[si].c_str(), path[pi].c_str(), FNM_PERIOD) != 0) return false;
    ++si;
    ++pi;
  }
  return pi == path.size();
}

bool HasExtension(const std::string& name, const std::vector<std::string>& extensions) {
  if (extensions.empty()) return true;
  for (const auto& ext : extensions) {
    if (name.size() >= ext.size() &&
        EqualsIgnoreCase(std::string_view(name).substr(name.size() - ext.size()), ext)) {
      return true;
    }
  }
  return false;
}

std::vector<PartitionKeyValue> ParsePartitionSegments(const std::vector<std::string>& dirs) {
  std::vector<PartitionKeyValue> out;
  for (const auto& seg : dirs) {
    size_t eq = seg.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    std::string key = UrlUnescape(seg.substr(0, eq));
    std::string raw = seg.substr(eq + 1);
    if (raw == kHiveNull) {
      out.emplace_back(std::move(key), std::nullopt);
    } else {
      out.emplace_back(std::move(key), UrlUnescape(raw));
    }
  }
  return out;
}

DataFile MakeDataFile(const arrow::fs::FileInfo& info, const std::string& root) {
  DataFile f;
  f.path = info.path();
  f.size = info.size();
  f.mtime_ns = info.mtime().time_since_epoch().count();
  if (!root.empty() && f.path.size() > root.size() && f.path.compare(0, root.size(), root) == 0) {
    auto segs = SplitPath(f.path.substr(root.size()));
    if (!segs.empty()) segs.pop_back();  // the file name
    f.partition = ParsePartitionSegments(segs);
  }
  return f;
}

bool IsInteger(const std::string& s) {
  if (s.empty()) return false;
  int64_t v;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (*b == '+') ++b;
  auto r = std::from_chars(b, e, v);
  return r.ec == std::errc() && r.ptr == e;
}

Status NotFound(const FileLocation& loc) {
  return Status::IOError("no such file or directory: '", loc.original, "'");
}

}  // namespace

bool IsGlob(const std::string& location) { return HasGlobChars(location); }

bool GlobMatch(const std::string& pattern, const std::string& path) {
  return MatchSegments(SplitPath(pattern), 0, SplitPath(path), 0);
}

bool IsHiddenName(const std::string& name) {
  return !name.empty() && (name[0] == '.' || name[0] == '_');
}

std::string UrlUnescape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int h = hex(s[i + 1]), l = hex(s[i + 2]);
      if (h >= 0 && l >= 0) {
        out.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

std::string UrlEscapePartitionValue(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool safe = std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c >= 0x80;
    if (safe) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

Result<FileLocation> ResolveLocation(const std::string& location,
                                     std::shared_ptr<arrow::fs::FileSystem> fs) {
  FileLocation loc;
  loc.original = location;
  if (location.empty()) return Status::Invalid("empty file location");
  if (fs) {
    loc.fs = std::move(fs);
    loc.path = location;
    return loc;
  }
  std::string path = location;
  size_t scheme_end = location.find("://");
  if (scheme_end != std::string::npos) {
    std::string scheme = ToLower(location.substr(0, scheme_end));
    if (scheme != "file") {
      if (HasGlobChars(location)) {
        return Status::NotImplemented("globs are only supported on the local file system: '",
                                      location, "'");
      }
      std::string inner;
      auto maybe_fs = arrow::fs::FileSystemFromUri(location, &inner);
      if (!maybe_fs.ok()) {
        return Status::IOError("cannot open '", location, "': ", maybe_fs.status().message());
      }
      loc.fs = *maybe_fs;
      loc.path = inner;
      return loc;
    }
    path = location.substr(scheme_end + 3);
    if (path.rfind("localhost/", 0) == 0) path = path.substr(9);
    path = UrlUnescape(path);
    if (path.empty() || path[0] != '/') {
      return Status::Invalid("file URI must hold an absolute path: '", location, "'");
    }
  }
  std::error_code ec;
  std::filesystem::path p(path);
  if (!p.is_absolute()) p = std::filesystem::absolute(p, ec);
  if (ec) return Status::IOError("cannot resolve path '", location, "': ", ec.message());
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  // File reads allocate from the engine's pool (see common/memory_pool.h).
  loc.fs = std::make_shared<arrow::fs::LocalFileSystem>(arrow::fs::LocalFileSystemOptions(),
                                                        arrow::io::IOContext(EngineMemoryPool()));
  loc.path = s;
  return loc;
}

Result<std::vector<DataFile>> ListDataFiles(const FileLocation& loc,
                                            const std::vector<std::string>& extensions) {
  std::vector<DataFile> out;
  if (HasGlobChars(loc.path)) {
    auto segs = SplitPath(loc.path);
    size_t i = 0;
    std::string base_path;
    for (; i < segs.size() && !HasGlobChars(segs[i]); ++i) base_path += "/" + segs[i];
    if (loc.path[0] != '/' && !base_path.empty()) base_path = base_path.substr(1);
    if (base_path.empty()) base_path = loc.path[0] == '/' ? "/" : ".";
    std::string pattern;
    for (size_t k = i; k < segs.size(); ++k) pattern += (k > i ? "/" : "") + segs[k];
    ARROW_ASSIGN_OR_RAISE(auto base_info, loc.fs->GetFileInfo(base_path));
    if (base_info.type() != arrow::fs::FileType::Directory) return NotFound(loc);
    arrow::fs::FileSelector sel;
    sel.base_dir = base_path;
    sel.recursive = true;
    auto infos = loc.fs->GetFileInfo(sel);
    if (!infos.ok()) {
      return Status::IOError("cannot list '", base_path, "': ", infos.status().message());
    }
    std::string root = base_path == "/" ? "/" : base_path + "/";
    for (const auto& info : *infos) {
      if (info.type() != arrow::fs::FileType::File) continue;
      std::string rel = info.path().substr(std::min(root.size(), info.path().size()));
      auto rel_segs = SplitPath(rel);
      if (std::any_of(rel_segs.begin(), rel_segs.end(), IsHiddenName)) continue;
      if (!GlobMatch(pattern, rel)) continue;
      out.push_back(MakeDataFile(info, root));
    }
  } else {
    auto info = loc.fs->GetFileInfo(loc.path);
    if (!info.ok()) {
      return Status::IOError("cannot access '", loc.original, "': ", info.status().message());
    }
    if (info->type() == arrow::fs::FileType::NotFound) return NotFound(loc);
    if (info->type() == arrow::fs::FileType::File) {
      out.push_back(MakeDataFile(*info, ""));
      return out;
    }
    if (info->type() != arrow::fs::FileType::Directory) {
      return Status::IOError("not a file or directory: '", loc.original, "'");
    }
    arrow::fs::FileSelector sel;
    sel.base_dir = loc.path;
    sel.recursive = true;
    auto infos = loc.fs->GetFileInfo(sel);
    if (!infos.ok()) {
      return Status::IOError("cannot list '", loc.original, "': ", infos.status().message());
    }
    std::string root = loc.path == "/" ? "/" : loc.path + "/";
    for (const auto& fi : *infos) {
      if (fi.type() != arrow::fs::FileType::File) continue;
      std::string rel = fi.path().substr(std::min(root.size(), fi.path().size()));
      auto rel_segs = SplitPath(rel);
      if (std::any_of(rel_segs.begin(), rel_segs.end(), IsHiddenName)) continue;
      if (!HasExtension(fi.base_name(), extensions)) continue;
      out.push_back(MakeDataFile(fi, root));
    }
  }
  std::sort(out.begin(), out.end(),
            [](const DataFile& a, const DataFile& b) { return a.path < b.path; });
  return out;
}

Result<std::vector<std::shared_ptr<arrow::Field>>> DiscoverPartitionFields(
    const std::vector<DataFile>& files,
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& declared) {
  std::vector<std::shared_ptr<arrow::Field>> fields;
  if (!declared.empty()) {
    for (const auto& [name, type] : declared) {
      auto t = type;
      if (!t) {  // untyped: int64 when every value is an integer, else utf8
        bool all_int = true;
        for (const auto& f : files) {
          for (const auto& kv : f.partition) {
            if (kv.first == name && kv.second && !IsInteger(*kv.second)) all_int = false;
          }
        }
        t = all_int ? arrow::int64() : arrow::utf8();
      }
      fields.push_back(arrow::field(name, t));
    }
    for (const auto& f : files) {
      for (const auto& field : fields) {
        bool found = std::any_of(f.partition.begin(), f.partition.end(),
                                 [&](const auto& kv) { return kv.first == field->name(); });
        if (!found) {
          return Status::Invalid("file '", f.path, "' is not inside a '", field->name(),
                                 "=<value>' directory for partition column '", field->name(),
                                 "'");
        }
      }
    }
    return fields;
  }
  if (files.empty()) return fields;
  const auto& first = files.front();
  std::vector<std::string> keys;
  for (const auto& kv : first.partition) keys.push_back(kv.first);
  std::vector<bool> all_int(keys.size(), true);
  for (const auto& f : files) {
    bool same = f.partition.size() == keys.size();
    for (size_t i = 0; same && i < keys.size(); ++i) same = f.partition[i].first == keys[i];
    if (!same) {
      std::vector<std::string> other;
      for (const auto& kv : f.partition) other.push_back(kv.first);
      return Status::Invalid("inconsistent hive partition directories: '", first.path,
                             "' has partition keys (", Join(keys, ", "), ") but '", f.path,
                             "' has (", Join(other, ", "), ")");
    }
    for (size_t i = 0; i < keys.size(); ++i) {
      const auto& v = f.partition[i].second;
      if (v && !IsInteger(*v)) all_int[i] = false;
    }
  }
  for (size_t i = 0; i < keys.size(); ++i) {
    fields.push_back(arrow::field(keys[i], all_int[i] ? arrow::int64() : arrow::utf8()));
  }
  return fields;
}

Result<std::vector<std::shared_ptr<arrow::Scalar>>> PartitionValues(
    const DataFile& file, const std::vector<std::shared_ptr<arrow::Field>>& fields) {
  std::vector<std::shared_ptr<arrow::Scalar>> out;
  for (const auto& field : fields) {
    auto it = std::find_if(file.partition.begin(), file.partition.end(),
                           [&](const auto& kv) { return kv.first == field->name(); });
    if (it == file.partition.end()) {
      return Status::Invalid("file '", file.path, "' is not inside a '", field->name(),
                             "=<value>' directory for partition column '", field->name(), "'");
    }
    if (!it->second) {
      out.push_back(arrow::MakeNullScalar(field->type()));
      continue;
    }
    if (field->type()->id() == arrow::Type::STRING) {
      out.push_back(std::make_shared<arrow::StringScalar>(*it->second));
      continue;
    }
    std::string text = *it->second;
    if (!text.empty() && text[0] == '+') text = text.substr(1);
    auto parsed = arrow::Scalar::Parse(field->type(), text);
    if (!parsed.ok()) {
      return Status::Invalid("invalid value '", *it->second, "' for partition column '",
                             field->name(), "' of type ", field->type()->ToString(),
                             " in path '", file.path, "'");
    }
    out.push_back(*parsed);
  }
  return out;
}

}  // namespace shoal
