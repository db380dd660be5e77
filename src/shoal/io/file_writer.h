// Writers for COPY TO: Parquet, CSV, newline-delimited JSON and Arrow IPC files,
// to a single file or a directory, optionally hive-partitioned.
//
// Target rules: with partition columns, `path` is a directory and rows go to
// <path>/<col>=<value>/.../part-0.<ext> (partition columns are not stored in the
// files; null values use __HIVE_DEFAULT_PARTITION__). Without partition columns a
// path ending with '/' (or an existing directory) receives <path>/part-0.<ext>;
// otherwise `path` is the file. Parent directories are created; existing files
// are replaced.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/record_batch.h>

#include "shoal/common/status.h"

namespace shoal {

/// Key/value options as written in SQL OPTIONS (...), in order.
using OptionList = std::vector<std::pair<std::string, std::string>>;

/// Write every batch of `reader` as Parquet; return the number of rows written.
/// Options (an optional "format." prefix is accepted): compression
/// (uncompressed|snappy|gzip|zstd|lz4|brotli, "zstd(3)" style levels too),
/// compression_level, row_group_size / max_row_group_size, data_page_size,
/// dictionary_enabled, statistics_enabled, writer_version (1.0|2.4|2.6).
Result<int64_t> WriteParquet(std::shared_ptr<arrow::RecordBatchReader> reader,
                             const std::string& path, const OptionList& options = {},
                             const std::vector<std::string>& partition_by = {});

/// Write as CSV. Options: has_header / header (true), delimiter (','), quote ('"'),
/// null_value (""), compression (uncompressed|gzip).
Result<int64_t> WriteCsv(std::shared_ptr<arrow::RecordBatchReader> reader,
                         const std::string& path, const OptionList& options = {},
                         const std::vector<std::string>& partition_by = {});

/// Write as newline-delimited JSON (one object per row). Options: compression
/// (uncompressed|gzip).
Result<int64_t> WriteJson(std::shared_ptr<arrow::RecordBatchReader> reader,
                          const std::string& path, const OptionList& options = {},
                          const std::vector<std::string>& partition_by = {});

/// Write as an Arrow IPC file. Options: compression (uncompressed|zstd|lz4).
Result<int64_t> WriteArrowIpc(std::shared_ptr<arrow::RecordBatchReader> reader,
                              const std::string& path, const OptionList& options = {},
                              const std::vector<std::string>& partition_by = {});

/// Write in `format` ("parquet", "csv", "json"/"ndjson", "arrow"/"ipc"/"feather",
/// case-insensitive); unknown formats are an error listing the valid ones.
Result<int64_t> WriteFileFormat(const std::string& format,
                                std::shared_ptr<arrow::RecordBatchReader> reader,
                                const std::string& path, const OptionList& options = {},
                                const std::vector<std::string>& partition_by = {});

/// Return the format name that `path`'s extension suggests ("parquet", "csv",
/// "json", "arrow"), or an empty string.
std::string FormatFromExtension(const std::string& path);

}  // namespace shoal
