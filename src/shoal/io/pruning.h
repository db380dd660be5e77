// Pruning helpers: decide from what is known about a file, partition or row group
// (a "guarantee" expression) whether a scan filter can match any of its rows.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

namespace shoal {

/// Return `filter` bound to `schema`, or nullopt when the filter is trivially true
/// or cannot be bound (unknown function or column): then nothing is pruned.
std::optional<arrow::compute::Expression> BindPruningFilter(
    const arrow::compute::Expression& filter, const arrow::Schema& schema);

/// Return true if `bound_filter` is false (or null) for every row satisfying
/// `guarantee`. Any error while simplifying means "cannot skip".
bool CanSkip(const arrow::compute::Expression& bound_filter,
             const arrow::compute::Expression& guarantee);

/// Return the guarantee "field == value" (or "field is null") for every partition
/// column of a file.
arrow::compute::Expression PartitionGuarantee(
    const std::vector<std::shared_ptr<arrow::Field>>& fields,
    const std::vector<std::shared_ptr<arrow::Scalar>>& values);

/// Return true if `expr` is the literal true.
bool IsLiteralTrue(const arrow::compute::Expression& expr);

}  // namespace shoal
