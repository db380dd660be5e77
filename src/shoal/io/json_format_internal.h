// Private to io/: formatting Arrow values as JSON text for the NDJSON writer.
#pragma once

#include <string>

#include <arrow/record_batch.h>

#include "shoal/common/status.h"

namespace shoal::internal {

/// Append one JSON object per row of `batch` to `out`, each followed by '\n'.
Status AppendJsonLines(const arrow::RecordBatch& batch, std::string* out);

}  // namespace shoal::internal
