#include "shoal/delta/arrow_engine.h"

#include <dirent.h>
#include <dlfcn.h>
#include <cstdlib>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cctype>
#include <cstring>
#include <mutex>
#include <sstream>
#include <thread>

#include <arrow/buffer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/io/interfaces.h>
#include <arrow/memory_pool.h>

#include "shoal/common/strings.h"
#include "shoal/io/file_listing.h"

namespace shoal::delta {

namespace {

std::string DirOf(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Status NamedError(const Status& st, const char* what, const std::string& path) {
  return Status::FromArgs(st.code(), what, " '", path, "': ", st.message());
}

/// Return a name part no other writer uses at the same time (pid, thread, counter, clock).
std::string TempSuffix() {
  static std::atomic<uint64_t> counter{0};
  uint64_t n = counter.fetch_add(1);
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  std::ostringstream s;
  s << ::getpid() << "-" << std::hash<std::thread::id>{}(std::this_thread::get_id()) << "-" << n
    << "-" << now;
  return s.str();
}

class ArrowStorageHandler : public StorageHandler {
 public:
  explicit ArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs)
      : fs_(std::move(fs)), local_(fs_->type_name() == "local") {}

  Result<std::vector<FileMeta>> ListFrom(const std::string& path) const override {
    std::string dir = DirOf(path);
    std::string from = BaseName(path);
    if (local_) return ListLocal(dir, from);
    arrow::fs::FileSelector sel;
    sel.base_dir = dir;
    sel.recursive = false;
    sel.allow_not_found = false;
    auto infos = fs_->GetFileInfo(sel);
    if (!infos.ok()) {
      auto info = fs_->GetFileInfo(dir);
      if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
        return Status::IOError("directory '", dir, "' does not exist");
      }
      return NamedError(infos.status(), "cannot list", dir);
    }
    std::vector<FileMeta> out;
    for (const auto& info : *infos) {
      if (info.type() != arrow::fs::FileType::File) continue;
      std::string name = info.base_name();
      if (name < from) continue;
      FileMeta m;
      m.location = JoinPath(dir, name);
      m.size = info.size();
      auto mtime = info.mtime();
      m.last_modified_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               mtime.time_since_epoch()).count();
      out.push_back(std::move(m));
    }
    std::sort(out.begin(), out.end(),
              [](const FileMeta& a, const FileMeta& b) { return a.location < b.location; });
    return out;
  }

  Result<std::shared_ptr<arrow::Buffer>> ReadFile(const std::string& path) const override {
    auto file = fs_->OpenInputFile(path);
    if (!file.ok()) return Missing(file.status(), path);
    auto size = (*file)->GetSize();
    if (!size.ok()) return NamedError(size.status(), "cannot read", path);
    return ReadInto(**file, path, 0, *size);
  }

  Result<std::shared_ptr<arrow::Buffer>> ReadRange(const std::string& path, int64_t offset,
                                                   int64_t length) const override {
    auto file = fs_->OpenInputFile(path);
    if (!file.ok()) return Missing(file.status(), path);
    auto data = ReadInto(**file, path, offset, length);
    if (!data.ok()) return data.status();
    if ((*data)->size() != length) {
      return Status::IOError("cannot read ", length, " bytes at offset ", offset, " of '", path,
                             "': the file is too short");
    }
    return *data;
  }

  Status PutIfAbsent(const std::string& path, std::shared_ptr<arrow::Buffer> data) override {
    const std::string type = fs_->type_name();
    if (type != "local") {
      // arrow::fs has no conditional put (S3 If-None-Match, GCS ifGenerationMatch=0,
      // Azure If-None-Match: *), so two writers could both "win" a commit.
      return Status::NotImplemented(
          "cannot commit '", path, "' on the '", type, "' file system: Delta commits need an "
          "atomic put-if-absent (a conditional put or a commit coordinator / locking "
          "provider such as delta-rs' DynamoDB log store), which Arrow's '", type,
          "' file system does not offer; write to a local table instead");
    }
    // Local: write a temporary file, then link(2) it to the target name, which
    // fails with EEXIST when another writer (thread, process, delta-rs) took it.
    std::string dir = DirOf(path);
    ARROW_RETURN_NOT_OK(fs_->CreateDir(dir, /*recursive=*/true));
    std::string tmp = JoinPath(dir, "." + BaseName(path) + "." + TempSuffix() + ".tmp");
    {
      auto out = fs_->OpenOutputStream(tmp);
      if (!out.ok()) return NamedError(out.status(), "cannot write", tmp);
      Status st = (*out)->Write(data);
      if (st.ok()) st = (*out)->Close();
      if (!st.ok()) {
        (void)::unlink(tmp.c_str());
        return NamedError(st, "cannot write", tmp);
      }
    }
    int rc = ::link(tmp.c_str(), path.c_str());
    int err = errno;
    (void)::unlink(tmp.c_str());
    if (rc == 0) return Status::OK();
    if (err == EEXIST) return Status::AlreadyExists("'", path, "' already exists");
    return Status::IOError("cannot create '", path, "': ", std::strerror(err));
  }

 private:
  /// List a local directory by name (readdir) and stat only the entries at or
  /// after `from`: a log with a checkpoint skips the stat of every older commit
  /// (arrow::fs's selector listing stats each entry).
  static Result<std::vector<FileMeta>> ListLocal(const std::string& dir, const std::string& from) {
    DIR* d = ::opendir(dir.empty() ? "/" : dir.c_str());
    if (!d) {
      int err = errno;
      if (err == ENOENT) return Status::IOError("directory '", dir, "' does not exist");
      return Status::IOError("cannot list '", dir, "': ", std::strerror(err));
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
      if (e->d_type != DT_REG && e->d_type != DT_UNKNOWN && e->d_type != DT_LNK) continue;
      if (std::strcmp(e->d_name, from.c_str()) < 0) continue;
      names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    std::vector<FileMeta> out;
    out.reserve(names.size());
    for (const auto& name : names) {
      FileMeta m;
      m.location = JoinPath(dir, name);
      struct stat st;
      if (::stat(m.location.c_str(), &st) != 0) {
        if (errno == ENOENT) continue;  // removed meanwhile (e.g. a temporary file)
        return Status::IOError("cannot stat '", m.location, "': ", std::strerror(errno));
      }
      if (!S_ISREG(st.st_mode)) continue;
      m.size = st.st_size;
      m.last_modified_ms = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 +
                           st.st_mtim.tv_nsec / 1000000;
      out.push_back(std::move(m));
    }
    return out;
  }

  /// Read `length` bytes at `offset` into a buffer of the system allocator: log
  /// files are short-lived, and a caching pool would keep their memory resident.
  static Result<std::shared_ptr<arrow::Buffer>> ReadInto(arrow::io::RandomAccessFile& file,
                                                         const std::string& path, int64_t offset,
                                                         int64_t length) {
    auto buffer = arrow::AllocateResizableBuffer(length, arrow::system_memory_pool());
    if (!buffer.ok()) return NamedError(buffer.status(), "cannot read", path);
    auto n = file.ReadAt(offset, length, (*buffer)->mutable_data());
    if (!n.ok()) return NamedError(n.status(), "cannot read", path);
    if (*n < length) ARROW_RETURN_NOT_OK((*buffer)->Resize(*n, /*shrink_to_fit=*/false));
    return std::shared_ptr<arrow::Buffer>(std::move(*buffer));
  }

  Status Missing(const Status& st, const std::string& path) const {
    auto info = fs_->GetFileInfo(path);
    if (info.ok() && info->type() == arrow::fs::FileType::NotFound) {
      return Status::IOError("file '", path, "' does not exist");
    }
    return NamedError(st, "cannot open", path);
  }

  std::shared_ptr<arrow::fs::FileSystem> fs_;
  bool local_ = false;
};

}  // namespace

std::shared_ptr<StorageHandler> MakeArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs) {
  return std::make_shared<ArrowStorageHandler>(std::move(fs));
}

std::shared_ptr<Engine> MakeArrowEngine(std::shared_ptr<arrow::fs::FileSystem> fs) {
  auto engine = std::make_shared<Engine>();
  engine->storage = MakeArrowStorageHandler(fs);
  engine->json = MakeDefaultJsonHandler();
  engine->parquet = MakeStorageParquetHandler(engine->storage);
  // Local reads are CPU-bound (parsing): one thread per core. Object stores are
  // latency-bound: more requests in flight.
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  engine->tasks = MakeThreadTaskRunner(fs->type_name() == "local" ? cores : std::max(cores, 16));
  return engine;
}

namespace {

// Percent-encode a URI user-info or query component.
std::string UriEscape(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

Result<bool> ParseBoolOption(const std::string& key, const std::string& value) {
  std::string v = ToLower(value);
  if (v == "true" || v == "1" || v == "yes") return true;
  if (v == "false" || v == "0" || v == "no") return false;
  return Status::Invalid("storage option '", key, "' must be true or false, not '", value, "'");
}

// "http://host:port/" -> ("http", "host:port").
std::pair<std::string, std::string> SplitEndpoint(const std::string& endpoint) {
  std::string scheme, rest = endpoint;
  if (auto p = endpoint.find("://"); p != std::string::npos) {
    scheme = ToLower(endpoint.substr(0, p));
    rest = endpoint.substr(p + 3);
  }
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  return {scheme, rest};
}

struct OptionSpec {
  const char* canonical;
  std::vector<const char*> aliases;  // lower case, besides the canonical name
};

// Return the canonical name of `key` among `specs`, or an error listing them.
Result<std::string> Canonical(const std::string& key, const std::vector<OptionSpec>& specs,
                              const std::string& store) {
  std::string k = ToLower(key);
  for (const auto& spec : specs) {
    if (k == spec.canonical) return std::string(spec.canonical);
    for (const char* a : spec.aliases) {
      if (k == a) return std::string(spec.canonical);
    }
  }
  std::string known;
  for (const auto& spec : specs) {
    known += known.empty() ? "" : ", ";
    known += spec.canonical;
    for (const char* a : spec.aliases) known += std::string(" / ") + a;
  }
  return Status::Invalid("unknown storage option '", key, "' for ", store,
                         " (keys are case-insensitive); known options: ", known);
}

}  // namespace

Result<StorageTarget> ResolveStorage(const std::string& location,
                                     const std::map<std::string, std::string>& storage_options) {
  StorageTarget out;
  std::string raw_query;  // already URI-encoded (an Azure SAS token)
  auto sep = location.find("://");
  if (sep == std::string::npos) {
    return Status::Invalid("'", location, "' is not a URI (scheme://...)");
  }
  std::string scheme = ToLower(location.substr(0, sep));
  std::string rest = location.substr(sep + 3);  // authority + path
  std::vector<std::pair<std::string, std::string>> query;
  std::string userinfo;
  if (scheme == "s3" || scheme == "s3a") {
    static const std::vector<OptionSpec> kS3 = {
        {"aws_access_key_id", {"access_key_id"}},
        {"aws_secret_access_key", {"secret_access_key"}},
        {"aws_region", {"region", "aws_default_region", "default_region"}},
        {"aws_endpoint_url", {"aws_endpoint", "endpoint_url", "endpoint"}},
        {"aws_allow_http", {"allow_http"}},
        {"aws_session_token", {"session_token", "aws_token", "token"}},
    };
    std::string key_id, secret, region, endpoint, session_token;
    bool allow_http = false;
    for (const auto& [k, v] : storage_options) {
      ARROW_ASSIGN_OR_RAISE(auto c, Canonical(k, kS3, "S3"));
      if (c == "aws_access_key_id") key_id = v;
      if (c == "aws_secret_access_key") secret = v;
      if (c == "aws_region") region = v;
      if (c == "aws_endpoint_url") endpoint = v;
      if (c == "aws_allow_http") { ARROW_ASSIGN_OR_RAISE(allow_http, ParseBoolOption(k, v)); }
      if (c == "aws_session_token") session_token = v;
    }
    if (key_id.empty() != secret.empty()) {
      return Status::Invalid("S3 storage options need both aws_access_key_id and "
                             "aws_secret_access_key (or neither, for the default credentials)");
    }
    if (!session_token.empty() && key_id.empty()) {
      return Status::Invalid("S3 storage option aws_session_token needs aws_access_key_id and "
                             "aws_secret_access_key (temporary credentials come as all three)");
    }
    scheme = "s3";
    if (!session_token.empty()) {
      // Arrow takes a session token only as a factory option, next to the keys
      // (a key in both the URI and the options is an error).
      out.factory_options = {{"access_key", key_id},
                             {"secret_key", secret},
                             {"session_token", session_token}};
    } else if (!key_id.empty()) {
      userinfo = UriEscape(key_id) + ":" + UriEscape(secret);
    }
    if (!region.empty()) query.emplace_back("region", region);
    std::string http_scheme = allow_http ? "http" : "";
    if (!endpoint.empty()) {
      auto [s, host] = SplitEndpoint(endpoint);
      if (s == "http" && !allow_http) {
        return Status::Invalid("S3 endpoint '", endpoint, "' is plain http: set "
                               "aws_allow_http 'true' to allow it");
      }
      if (!s.empty()) http_scheme = s;
      query.emplace_back("endpoint_override", host);
    }
    if (!http_scheme.empty()) query.emplace_back("scheme", http_scheme);
  } else if (scheme == "gs" || scheme == "gcs") {
    static const std::vector<OptionSpec> kGcs = {
        {"google_endpoint", {"endpoint", "google_endpoint_url"}},
        {"allow_http", {"google_allow_http"}},
    };
    std::string endpoint;
    bool allow_http = false;
    for (const auto& [k, v] : storage_options) {
      ARROW_ASSIGN_OR_RAISE(auto c, Canonical(k, kGcs, "Google Cloud Storage (credentials come "
                                                        "from the environment)"));
      if (c == "google_endpoint") endpoint = v;
      if (c == "allow_http") { ARROW_ASSIGN_OR_RAISE(allow_http, ParseBoolOption(k, v)); }
    }
    scheme = "gs";
    std::string http_scheme = allow_http ? "http" : "";
    if (!endpoint.empty()) {
      auto [s, host] = SplitEndpoint(endpoint);
      if (!s.empty()) http_scheme = s;
      query.emplace_back("endpoint_override", host);
    }
    if (!http_scheme.empty()) query.emplace_back("scheme", http_scheme);
  } else if (scheme == "abfs" || scheme == "abfss" || scheme == "az" || scheme == "azure") {
    static const std::vector<OptionSpec> kAzure = {
        {"azure_storage_account_name", {"account_name", "azure_account_name"}},
        {"azure_storage_account_key", {"account_key", "azure_storage_access_key", "access_key"}},
        {"azure_storage_client_id", {"client_id", "azure_client_id"}},
        {"azure_storage_client_secret", {"client_secret", "azure_client_secret"}},
        {"azure_storage_tenant_id", {"tenant_id", "azure_tenant_id"}},
        {"azure_storage_endpoint", {"azure_storage_blob_endpoint", "endpoint"}},
        {"azure_storage_dfs_endpoint", {"dfs_endpoint"}},
        {"azure_storage_use_emulator", {"use_emulator", "azure_use_emulator"}},
        {"allow_http", {"azure_allow_http"}},
        {"azure_storage_sas_key", {"azure_storage_sas_token", "sas_key", "sas_token"}},
    };
    std::string account, key, client_id, client_secret, tenant, blob, dfs, sas;
    bool allow_http = false, emulator = false;
    for (const auto& [k, v] : storage_options) {
      ARROW_ASSIGN_OR_RAISE(auto c, Canonical(k, kAzure, "Azure"));
      if (c == "azure_storage_account_name") account = v;
      if (c == "azure_storage_account_key") key = v;
      if (c == "azure_storage_client_id") client_id = v;
      if (c == "azure_storage_client_secret") client_secret = v;
      if (c == "azure_storage_tenant_id") tenant = v;
      if (c == "azure_storage_endpoint") blob = v;
      if (c == "azure_storage_dfs_endpoint") dfs = v;
      if (c == "azure_storage_use_emulator") { ARROW_ASSIGN_OR_RAISE(emulator, ParseBoolOption(k, v)); }
      if (c == "allow_http") { ARROW_ASSIGN_OR_RAISE(allow_http, ParseBoolOption(k, v)); }
      if (c == "azure_storage_sas_key") sas = v;
    }
    // Arrow's form: abfs[s]://[account[:key]@]container/path (with the account from
    // the option) or abfs[s]://container@account.dfs.core.windows.net/path.
    std::string container_and_path = rest;
    if (auto at = rest.find('@'); at != std::string::npos && at < rest.find('/')) {
      container_and_path = rest.substr(0, at);
      std::string host = rest.substr(at + 1);
      auto slash = host.find('/');
      std::string path = slash == std::string::npos ? "" : host.substr(slash);
      host = host.substr(0, slash == std::string::npos ? host.size() : slash);
      if (account.empty()) account = host.substr(0, host.find('.'));
      container_and_path += path;
    }
    if (emulator) {
      if (account.empty()) account = "devstoreaccount1";
      if (blob.empty()) blob = "http://127.0.0.1:10000";
      allow_http = true;
    }
    if (account.empty()) {
      return Status::Invalid("Azure location '", location, "' needs an account: write "
                             "abfss://container@account.dfs.core.windows.net/path or set "
                             "azure_storage_account_name");
    }
    scheme = scheme == "abfss" ? "abfss" : "abfs";
    userinfo = UriEscape(account) + (key.empty() ? "" : ":" + UriEscape(key));
    rest = container_and_path;
    if (!client_id.empty() || !client_secret.empty() || !tenant.empty()) {
      if (client_id.empty() || client_secret.empty() || tenant.empty()) {
        return Status::Invalid("Azure client credentials need azure_storage_client_id, "
                               "azure_storage_client_secret and azure_storage_tenant_id");
      }
      query.emplace_back("client_id", client_id);
      query.emplace_back("client_secret", client_secret);
      query.emplace_back("tenant_id", tenant);
    }
    bool tls = !allow_http;
    for (auto [opt, value] : {std::pair{"blob_storage_authority", blob},
                              std::pair{"dfs_storage_authority", dfs}}) {
      if (value.empty()) continue;
      auto [s, host] = SplitEndpoint(value);
      if (s == "http") tls = false;
      query.emplace_back(opt, host);
    }
    if (!tls) query.emplace_back("enable_tls", "false");
    if (!sas.empty()) {
      // A SAS token is a query string (sv=...&sig=...), appended as it is: Arrow
      // configures SAS authentication from the parameters it does not know.
      if (!key.empty() || !client_id.empty()) {
        return Status::Invalid("Azure storage options: give one credential, "
                               "azure_storage_sas_key or an account key or client credentials");
      }
      raw_query = sas[0] == '?' ? sas.substr(1) : sas;
    }
  } else {
    return Status::NotImplemented("URI scheme '", scheme, "' of '", location,
                                  "' is not supported (s3, gs, abfs[s] or file)");
  }
  std::string uri = scheme + "://" + (userinfo.empty() ? "" : userinfo + "@") + rest;
  for (size_t i = 0; i < query.size(); ++i) {
    uri += (i == 0 ? "?" : "&") + query[i].first + "=" + UriEscape(query[i].second);
  }
  if (!raw_query.empty()) uri += (query.empty() ? "?" : "&") + raw_query;
  out.uri = std::move(uri);
  return out;
}

Result<std::string> StorageUri(const std::string& location,
                               const std::map<std::string, std::string>& storage_options) {
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveStorage(location, storage_options));
  return target.uri;
}

namespace {

std::string& S3ModulePath() {
  static std::string path;
  return path;
}

// Arrow warns (and may crash) at exit when S3 was initialized but never finalized;
// pyarrow arranges that only when pyarrow.fs is imported. After we initialized S3
// through the module we loaded, finalize it at process exit. Registered after S3's
// own lazily constructed statics, so it runs before their destructors.
void FinalizeS3AtExit() {
  static std::once_flag once;
  std::call_once(once, []() {
    void* handle = ::dlopen(S3ModulePath().c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return;
    using FinalizeFn = arrow::Status (*)();
    static FinalizeFn finalize = reinterpret_cast<FinalizeFn>(
        ::dlsym(handle, "_ZN5arrow2fs17EnsureS3FinalizedEv"));  // arrow::fs::EnsureS3Finalized
    if (finalize != nullptr) std::atexit([] { (void)finalize(); });
  });
}

// Make S3 available in processes that did not load pyarrow's S3 module: load
// libarrow_s3 from the directory of the libarrow in use.
void LoadS3Module() {
  static std::once_flag once;
  std::call_once(once, []() {
    Dl_info info;
    if (::dladdr(reinterpret_cast<void*>(
                     static_cast<Result<std::shared_ptr<arrow::fs::FileSystem>> (*)(
                         const std::string&, std::string*)>(&arrow::fs::FileSystemFromUri)),
                 &info) == 0 ||
        !info.dli_fname) {
      return;
    }
    std::string lib = info.dli_fname;
    auto slash = lib.rfind('/');
    std::string dir = slash == std::string::npos ? "." : lib.substr(0, slash);
    std::string name = lib.substr(slash + 1);  // libarrow.so.2600
    auto so = name.find(".so");
    std::string suffix = so == std::string::npos ? ".so" : name.substr(so);
    S3ModulePath() = dir + "/libarrow_s3" + suffix;
    (void)arrow::fs::LoadFileSystemFactories(S3ModulePath().c_str());
  });
}

}  // namespace

Result<std::pair<std::shared_ptr<arrow::fs::FileSystem>, std::string>> OpenStorage(
    const std::string& location, const std::map<std::string, std::string>& storage_options) {
  auto sep = location.find("://");
  std::string scheme = sep == std::string::npos ? "" : ToLower(location.substr(0, sep));
  if (scheme.empty() || scheme == "file") {
    if (!storage_options.empty()) {
      return Status::Invalid("unknown option '", storage_options.begin()->first, "' for local "
                             "Delta table '", location, "' (storage options apply to s3://, "
                             "gs:// and abfss:// locations)");
    }
    ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(location, nullptr));
    return std::make_pair(loc.fs, loc.path);
  }
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveStorage(location, storage_options));
  const std::string& uri = target.uri;
  arrow::fs::FileSystemFactoryOptions factory_options;
  for (const auto& [k, v] : target.factory_options) factory_options.emplace_back(k, v);
  std::string path;
  auto open = [&]() {
    return factory_options.empty()
               ? arrow::fs::FileSystemFromUri(uri, &path)
               : arrow::fs::FileSystemFromUriAndOptions(uri, factory_options, &path);
  };
  auto fs = open();
  if (!fs.ok() && uri.rfind("s3://", 0) == 0) {
    LoadS3Module();
    fs = open();
    if (fs.ok() && !S3ModulePath().empty()) FinalizeS3AtExit();
  }
  if (!fs.ok()) {
    return Status::FromArgs(fs.status().code(), "cannot open '", location,
                            "': ", fs.status().message());
  }
  return std::make_pair(*fs, path);
}

}  // namespace shoal::delta
