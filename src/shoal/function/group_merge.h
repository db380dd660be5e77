// Merging selected groups of one hash aggregate kernel state into another, so
// that thread-local aggregate tables can be merged partition by partition in
// parallel (Arrow's HashAggregateKernel::merge folds a whole state at once).
#pragma once

#include <cstdint>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace arrow::compute {
struct KernelState;
}  // namespace arrow::compute

namespace shoal {

/// Implemented (besides arrow::compute::KernelState) by the states of Shoal's hash
/// aggregate kernels whose groups can be merged one by one. Find it with
/// dynamic_cast on the kernel state.
class GroupMergeable {
 public:
  virtual ~GroupMergeable() = default;
  /// For each i < n, fold group from[i] of `other` (a state of the same kernel
  /// and options) into group to[i] of this state. This state must already be
  /// resized to more than every to[i]; `other` is left unchanged.
  virtual Status MergeGroups(const arrow::compute::KernelState& other, const uint32_t* from,
                             const uint32_t* to, int64_t n) = 0;
};

}  // namespace shoal
