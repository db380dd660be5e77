// Per-file statistics (PROTOCOL.md "Per-file Statistics") and the guarantees
// they give for file skipping.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"

namespace shoal::delta {

/// Physical column path -> type, for the columns whose statistics are wanted.
using StatsTypes = std::unordered_map<std::string, std::shared_ptr<arrow::DataType>>;

/// Decode the JSON statistics of a file. Values of columns not in `types`, and
/// values that do not parse as their column's type, are left out (statistics
/// only ever help skipping; they never make a file unreadable).
Result<ParsedStats> ParseStatsJson(const std::string& json, const StatsTypes& types);

/// A data column the skipping guarantee may talk about.
struct StatsColumn {
  std::string name;           ///< Logical name (what the filter refers to).
  std::string physical_name;  ///< Key in the statistics.
  std::shared_ptr<arrow::DataType> type;
};

/// Return what `stats` guarantee about `columns` as alternatives over the
/// logical names: every row of the file satisfies at least one of them (a file
/// can be skipped when the filter is false under each). Columns that may hold
/// nulls give two alternatives ("within bounds" or "is null"). Timestamp maxima
/// are widened by the millisecond truncation the protocol allows; long string
/// maxima (possibly truncated) and float bounds with NaN are not used.
std::vector<arrow::compute::Expression> StatsGuarantees(const ParsedStats& stats,
                                                        const std::vector<StatsColumn>& columns);

}  // namespace shoal::delta
