// The Engine backed by an arrow::fs::FileSystem (the local file system today;
// S3, GCS and Azure file systems work the same way once registered).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/type_fwd.h>

#include "shoal/delta/engine.h"

namespace shoal::delta {

/// Return a storage handler over `fs` (paths are paths inside `fs`). PutIfAbsent
/// is atomic on the local file system (a temporary file link(2)ed to the name, so
/// concurrent writers in threads, processes or delta-rs never overwrite a commit);
/// on other file systems it fails with NotImplemented, since arrow::fs offers no
/// conditional put and Delta commits would need a commit coordinator.
std::shared_ptr<StorageHandler> MakeArrowStorageHandler(std::shared_ptr<arrow::fs::FileSystem> fs);

/// Return an Engine whose handlers read through `fs`, reading the log with a
/// thread per core (local file systems) or 16 (remote ones).
std::shared_ptr<Engine> MakeArrowEngine(std::shared_ptr<arrow::fs::FileSystem> fs);

/// Return `location` (an s3://, s3a://, gs://, gcs://, abfs://, abfss:// or az:// URI)
/// rewritten so that arrow::fs::FileSystemFromUri applies `storage_options`. Keys
/// are delta-rs' (object_store's) names, case-insensitive, with or without their
/// prefix: S3 aws_access_key_id, aws_secret_access_key, aws_region (aws_default_region),
/// aws_endpoint_url (aws_endpoint), aws_allow_http; GCS google_endpoint (endpoint),
/// allow_http; Azure azure_storage_account_name, azure_storage_account_key,
/// azure_storage_client_id / client_secret / tenant_id, azure_storage_endpoint
/// (azure_storage_blob_endpoint), azure_storage_dfs_endpoint, allow_http,
/// azure_storage_use_emulator, azure_storage_sas_key (sas_token). An unknown key is
/// an error listing the known keys. Credentials Arrow takes only as factory options
/// (an S3 aws_session_token with its keys) are not in the URI: see ResolveStorage.
Result<std::string> StorageUri(const std::string& location,
                               const std::map<std::string, std::string>& storage_options);

/// A remote location as Arrow opens it: a URI plus the backend options that
/// cannot be written in it (FileSystemFromUriAndOptions).
struct StorageTarget {
  std::string uri;
  std::vector<std::pair<std::string, std::string>> factory_options;
};

/// Return the URI (as StorageUri) and factory options for `location`.
Result<StorageTarget> ResolveStorage(const std::string& location,
                                     const std::map<std::string, std::string>& storage_options);

/// Return the file system and the path inside it for a table `location`: a local
/// path or file:// URI (no storage options allowed), or a remote URI opened with
/// `storage_options` (see StorageUri). S3 support is loaded from pyarrow's
/// libarrow_s3 when the process has not loaded it yet.
Result<std::pair<std::shared_ptr<arrow::fs::FileSystem>, std::string>> OpenStorage(
    const std::string& location, const std::map<std::string, std::string>& storage_options);

}  // namespace shoal::delta
