// CSV tables: a file, a directory or a glob of CSV files (gzip-compressed files
// allowed), with an explicit or inferred schema. One morsel per file.
#pragma once

#include <memory>
#include <string>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/io/options.h"

namespace shoal {

/// Create a table over the CSV files at `path` (a file, a directory or a glob; a
/// local path or a file:// URI).
///
/// Without `options.schema` the schema is inferred from the first non-empty file;
/// files without a header get the column names column_1, column_2, ... (as
/// DataFusion). With a schema, columns are matched by position and a header line
/// (has_header) is skipped. Hive partition directories add partition columns.
Result<std::shared_ptr<TableProvider>> MakeCsvTable(const std::string& path,
                                                    const CsvOptions& options = {});

}  // namespace shoal
