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

/// Encode bytes (length a multiple of 4) as Z85 text.
Result<std::string> EncodeZ85(std::string_view bytes);

/// Serialize sorted, distinct row indexes as a RoaringBitmapArray (magic
/// number + portable 64-bit Roaring bitmap; array and bitmap containers).
std::string EncodeRoaringBitmapArray(const std::vector<uint64_t>& sorted_rows);

/// Return the CRC-32 (ISO-HDLC, as java.util.zip.CRC32) of `data`.
uint32_t Crc32(std::string_view data);

/// Builds one deletion vector file (`deletion_vector_<uuid>.bin` in the table
/// root): a version byte, then per deletion vector its big-endian size, the
/// serialized RoaringBitmapArray and its big-endian CRC-32.
class DeletionVectorFileWriter {
 public:
  /// Start a file with a random (version 4) uuid.
  DeletionVectorFileWriter();
  /// Append the rows (sorted, distinct) and return their descriptor
  /// (storageType 'u', the Z85 uuid, the offset inside the file).
  Result<DeletionVectorDescriptor> Add(const std::vector<uint64_t>& sorted_rows);
  /// Return true when nothing was added.
  bool empty() const { return count_ == 0; }
  /// Return the file's name, relative to the table root.
  std::string file_name() const;
  /// Return the file's bytes.
  const std::string& bytes() const { return bytes_; }

 private:
  std::string uuid_;  ///< 16 raw bytes.
  std::string bytes_;
  int64_t count_ = 0;
};

/// Return the sorted union of two sorted row index lists.
std::vector<uint64_t> MergeRows(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b);

}  // namespace shoal::delta
