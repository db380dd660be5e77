// Deletion vectors (PROTOCOL.md "Deletion Vectors" and "Deletion Vector Format"):
// Z85 text, the RoaringBitmapArray format, and loading a descriptor's rows.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"

namespace shoal::delta {

/// Decode Z85 text (length a multiple of 5) into bytes.
Result<std::string> DecodeZ85(std::string_view text);

/// Decode a serialized RoaringBitmapArray (magic number + portable 64-bit
/// Roaring bitmap) into its sorted row indexes.
Result<std::vector<uint64_t>> DecodeRoaringBitmapArray(std::string_view data);

/// Return the path of the file holding an on-disk deletion vector ('u' or 'p').
Result<std::string> DeletionVectorPath(const DeletionVectorDescriptor& dv,
                                       const std::string& table_root);

/// Return the sorted indexes of the rows `dv` deletes, reading its file through
/// `engine` when it is not inline. Errors name the deletion vector and the file.
Result<std::vector<uint64_t>> LoadDeletionVector(const Engine& engine,
                                                 const DeletionVectorDescriptor& dv,
                                                 const std::string& table_root);

}  // namespace shoal::delta
