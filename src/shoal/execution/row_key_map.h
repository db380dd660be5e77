// Group key map for several keys or string keys: each row's keys are encoded
// into one byte string (null bits, fixed-width values, string lengths, string
// bytes) and looked up in an open-addressing table of group ids with hash tags.
#pragma once

#include <memory>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/execution/group_key_map.h"

namespace shoal::exec {

/// Return true when MakeRowKeyMap can encode every type of `key_types`:
/// fixed-width primitives (integers, floats, temporal, decimals, fixed-size
/// binary), booleans, null, and string/binary with 32- or 64-bit offsets.
bool RowKeyMapSupports(const std::vector<std::shared_ptr<arrow::DataType>>& key_types);

/// Make a GroupKeyMap over encoded rows. Floating-point keys are normalized so
/// that -0.0 groups with 0.0 and all NaNs form one group. Fails with
/// NotImplemented when !RowKeyMapSupports(key_types).
Result<std::unique_ptr<GroupKeyMap>> MakeRowKeyMap(
    const std::vector<std::shared_ptr<arrow::DataType>>& key_types, arrow::MemoryPool* pool);

}  // namespace shoal::exec
