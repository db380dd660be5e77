// One-shot stream tables wrapping an arrow::RecordBatchReader: the stream can be
// read once; a second scan is an error asking to register it again.
#pragma once

#include <memory>
#include <string>

#include <arrow/record_batch.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace shoal {

/// Create a one-shot table named `name` (for errors) over `reader`. Its scan has a
/// single morsel reading the stream; opening that morsel consumes the stream, and
/// scanning or opening again fails with "stream table '<name>' was already
/// consumed; register it again".
Result<std::shared_ptr<TableProvider>> MakeStreamTable(
    const std::string& name, std::shared_ptr<arrow::RecordBatchReader> reader);

}  // namespace shoal
