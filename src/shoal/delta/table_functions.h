// Delta table functions for SQL (and the Python DeltaTable built on them):
//   delta_scan('path' [, version])      the table's rows
//   delta_snapshot('path' [, version])  one row: version, protocol, metadata
//   delta_files('path' [, version])     the live data files
//   delta_history('path' [, limit])     commits, newest first
//   table_changes('table or path', start [, end])
//                                       the change data feed (start / end are
//                                       versions or timestamps)
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace shoal {
class Catalog;
}  // namespace shoal

namespace shoal::delta {

/// Return true if `name` is one of the Delta table functions.
bool IsDeltaTableFunction(const std::string& name);

/// Return the names of the Delta table functions.
const std::vector<std::string>& DeltaTableFunctionNames();

/// Call the Delta table function `name` with constant `args`. `catalog` (may be
/// null) resolves table names given to table_changes.
Result<std::shared_ptr<TableProvider>> CallDeltaTableFunction(
    const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args,
    const Catalog* catalog = nullptr);

}  // namespace shoal::delta
