// Creating file tables from SQL: CREATE EXTERNAL TABLE ... STORED AS <format>
// OPTIONS (...) LOCATION '<path>'.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/io/file_writer.h"

namespace shoal {

/// Create a table of `format` (parquet, csv, json / ndjson, arrow / ipc / feather;
/// case-insensitive) over `location` (a file, directory or glob).
///
/// `options` are the OPTIONS key/value pairs; keys are case-insensitive and may
/// carry DataFusion's "format." prefix. Accepted keys:
///  - parquet: pruning, pre_buffer, file_extension
///  - csv: has_header / header, delimiter, quote, null_value, compression
///    (uncompressed|gzip|auto), file_extension
///  - json: compression, file_extension
///  - arrow: file_extension
/// Unknown keys are an error naming the key and listing the valid ones.
/// `declared_schema` (may be null or empty) gives the file columns;
/// `partition_cols` the hive partition columns (a null type is discovered).
Result<std::shared_ptr<TableProvider>> MakeFileTable(
    const std::string& format, const std::string& location, const OptionList& options,
    std::shared_ptr<arrow::Schema> declared_schema = nullptr,
    std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols = {});

}  // namespace shoal
