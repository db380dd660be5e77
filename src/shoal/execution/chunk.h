// The executor's internal batch type: a list of Arrow arrays of equal length.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <arrow/array.h>
#include <arrow/record_batch.h>
#include <arrow/type_fwd.h>

#include "shoal/common/status.h"

namespace shoal::exec {

/// A batch of rows flowing through a pipeline. Columns are positional: column i
/// is the i-th output column of the operator that produced the chunk.
struct Chunk {
  std::vector<std::shared_ptr<arrow::Array>> columns;
  int64_t length = 0;
  /// Position of the chunk in its source's natural order (morsel index in the high
  /// bits, chunk number within the morsel in the low bits). Operators that do not
  /// reorder rows keep it; order-sensitive sinks (Limit) sort by it.
  uint64_t order = 0;

  int num_columns() const { return static_cast<int>(columns.size()); }
  /// Return rows [offset, offset + length) as a zero-copy chunk.
  Chunk Slice(int64_t offset, int64_t len) const;
  /// Return the chunk as a RecordBatch with `schema` (same column count).
  std::shared_ptr<arrow::RecordBatch> ToRecordBatch(
      const std::shared_ptr<arrow::Schema>& schema) const;
  /// Make a chunk from the columns of `batch`.
  static Chunk FromRecordBatch(const arrow::RecordBatch& batch, uint64_t order = 0);
};

/// Build an order key from a morsel index and the chunk number inside it.
inline uint64_t MakeOrder(int64_t morsel, int64_t chunk) {
  return (static_cast<uint64_t>(morsel) << 24) | (static_cast<uint64_t>(chunk) & 0xFFFFFF);
}

/// Return the rows of `chunk` at `indices` (an int32/int64/uint32 array).
Result<Chunk> TakeChunk(const Chunk& chunk, const arrow::Array& indices);
/// Return `values` as a boolean mask: boolean arrays as they are, arrays of the
/// null type as all-NULL masks; any other type is an error naming `what`.
Result<std::shared_ptr<arrow::Array>> AsBooleanMask(std::shared_ptr<arrow::Array> values,
                                                    const std::string& what);
/// Return the (int32) positions where the boolean `mask` is true (not null).
Result<std::shared_ptr<arrow::Array>> MaskToIndices(const arrow::Array& mask);
/// Return the rows of `chunk` where `mask` is true (nulls drop the row).
Result<Chunk> FilterChunk(const Chunk& chunk, const arrow::Array& mask);
/// Concatenate chunks with the same layout (`types` gives the column types, used
/// when `chunks` is empty) into one chunk.
Result<Chunk> ConcatenateChunks(const std::vector<Chunk>& chunks,
                                const std::vector<std::shared_ptr<arrow::DataType>>& types);
/// Return a placeholder column of `length` rows (null type, no buffers) for a
/// column that no operator reads (see ColumnUsage in physical_planner.cc).
std::shared_ptr<arrow::Array> MakePlaceholder(int64_t length);
/// Replace column i of `chunk` with a placeholder wherever keep[i] is false
/// (columns past keep.size() stay).
void MaskColumns(Chunk* chunk, const std::vector<bool>& keep);
/// Return the bytes of the buffers `array` references (shared buffers counted
/// in full).
int64_t ArrayMemoryBytes(const arrow::Array& array);
/// Make a column of `length` nulls of `type`.
Result<std::shared_ptr<arrow::Array>> MakeNulls(const std::shared_ptr<arrow::DataType>& type,
                                                int64_t length);

}  // namespace shoal::exec
