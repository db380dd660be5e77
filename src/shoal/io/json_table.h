// Newline-delimited JSON tables: one JSON object per line, one morsel per file.
#pragma once

#include <memory>
#include <string>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"
#include "shoal/io/options.h"

namespace shoal {

/// Create a table over the newline-delimited JSON files at `path` (a file, a
/// directory or a glob). Without `options.schema` the schema is inferred from the
/// first non-empty file; fields absent from a line read as null, fields not in the
/// schema are ignored.
Result<std::shared_ptr<TableProvider>> MakeJsonTable(const std::string& path,
                                                     const JsonOptions& options = {});

}  // namespace shoal
