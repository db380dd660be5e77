// Private to delta/: helpers shared by the maintenance operations.
#pragma once

#include <memory>
#include <string>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/maintenance.h"
#include "shoal/delta/snapshot.h"

namespace shoal::delta::internal {

/// Return the path inside the table's file system of the data file `raw` (an
/// add / remove path).
Result<std::string> TableFilePath(const std::string& root, const std::string& raw);

/// Return a reader of the rows of `add` (deletion vector applied) with the
/// table's schema (partition columns filled from the partition values).
Result<std::shared_ptr<arrow::RecordBatchReader>> ReadTableFile(const Snapshot& snapshot,
                                                                const TableLocation& table,
                                                                const AddFile& add);

/// Return a one-row batch of the partition values of `add` (partition columns
/// in table order).
Result<std::shared_ptr<arrow::RecordBatch>> PartitionValuesBatch(const Snapshot& snapshot,
                                                                  const PartitionValueMap& values);

/// Return a remove action for `add` (deletion timestamp now).
RemoveFile RemoveFor(const AddFile& add, bool data_change, int64_t now_ms);

/// Return the current time in ms since the epoch.
int64_t NowMillis();

}  // namespace shoal::delta::internal
