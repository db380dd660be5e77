// Parquet tables: a file, a directory (recursively) or a glob of Parquet files,
// optionally hive-partitioned. One morsel per row group; row groups and
// partitions that cannot match the scan filter are skipped.
#pragma once

#include <memory>
#include <string>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/io/options.h"

namespace shoal {

/// Create a table over the Parquet files at `path` (a file, a directory or a glob
/// with *, ? and **; a local path or a file:// URI).
///
/// The schema comes from `options.schema` or the first file; files whose schema
/// differs compatibly are read by column name (missing columns as nulls), an
/// incompatible file is an error naming both files. Hive partition directories
/// (a=1/b=x/) add partition columns after the file columns, typed by
/// `options.partition_cols` or discovered (int64 when every value is an integer,
/// else utf8). File footers are cached by path, size and modification time.
Result<std::shared_ptr<TableProvider>> MakeParquetTable(const std::string& path,
                                                        const ParquetOptions& options = {});

}  // namespace shoal
