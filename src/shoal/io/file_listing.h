// Finding the data files of a file-backed table: resolving a location (path or
// file:// URI) to a file system, listing a file / directory / glob, and reading
// hive partition values (a=1/b=x/) from the directory names.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal {

/// A location resolved to a file system and a path inside it.
struct FileLocation {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;      ///< Path inside `fs` (absolute for the local file system).
  std::string original;  ///< The location as the user wrote it (for errors).
};

/// Resolve `location` (a local path or a file:// URI) to a file system and path.
/// When `fs` is given it is used as is and `location` is a path inside it.
Result<FileLocation> ResolveLocation(const std::string& location,
                                     std::shared_ptr<arrow::fs::FileSystem> fs = nullptr);

/// A partition key and its value as read from a directory name (unescaped);
/// nullopt for `__HIVE_DEFAULT_PARTITION__`.
using PartitionKeyValue = std::pair<std::string, std::optional<std::string>>;

/// One data file found by listing.
struct DataFile {
  std::string path;         ///< Path inside the file system.
  int64_t size = -1;        ///< Size in bytes (-1 if unknown).
  int64_t mtime_ns = 0;     ///< Modification time (ns since epoch, 0 if unknown).
  /// `key=value` directory segments between the listing root and the file.
  std::vector<PartitionKeyValue> partition;
};

/// Return true if `location` contains glob characters (*, ?, [).
bool IsGlob(const std::string& location);

/// Return true if `pattern` (with *, ?, [..] within a segment and ** across
/// segments) matches the '/'-separated `path`.
bool GlobMatch(const std::string& pattern, const std::string& path);

/// Return `s` with %XX escapes decoded (hive partition values).
std::string UrlUnescape(const std::string& s);
/// Return `s` with characters that are unsafe in a directory name %XX-escaped.
std::string UrlEscapePartitionValue(const std::string& s);

/// List the data files at `loc`: the file itself; every file under a directory
/// (recursively) whose name ends with one of `extensions` (any file when empty),
/// skipping hidden (".x") and "_x" files and directories; or the files matching a glob.
/// The result is sorted by path. A missing path is an error
/// "no such file or directory: '<location>'".
Result<std::vector<DataFile>> ListDataFiles(const FileLocation& loc,
                                            const std::vector<std::string>& extensions);

/// Return the partition columns of `files`: `declared` when not empty (each file must
/// have those keys; a null type is discovered from the values), otherwise the keys found in the directory names, typed int64
/// when every non-null value is an integer and utf8 otherwise. Files with
/// inconsistent keys are an error naming the file.
Result<std::vector<std::shared_ptr<arrow::Field>>> DiscoverPartitionFields(
    const std::vector<DataFile>& files,
    const std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>>& declared);

/// Return the values of the partition columns `fields` for `file`, as scalars of the
/// fields' types (null scalars for `__HIVE_DEFAULT_PARTITION__`). Errors name the file.
Result<std::vector<std::shared_ptr<arrow::Scalar>>> PartitionValues(
    const DataFile& file, const std::vector<std::shared_ptr<arrow::Field>>& fields);

/// Return true if `name` (one path component) is hidden: starts with '.' or '_'.
bool IsHiddenName(const std::string& name);

}  // namespace shoal
