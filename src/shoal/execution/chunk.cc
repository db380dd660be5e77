#include "shoal/execution/chunk.h"

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>

namespace shoal::exec {

Chunk Chunk::Slice(int64_t offset, int64_t len) const {
  Chunk out;
  out.length = len;
  out.order = order;
  out.columns.reserve(columns.size());
  for (const auto& c : columns) out.columns.push_back(c->Slice(offset, len));
  return out;
}

std::shared_ptr<arrow::RecordBatch> Chunk::ToRecordBatch(
    const std::shared_ptr<arrow::Schema>& schema) const {
  return arrow::RecordBatch::Make(schema, length, columns);
}

Chunk Chunk::FromRecordBatch(const arrow::RecordBatch& batch, uint64_t order) {
  Chunk out;
  out.length = batch.num_rows();
  out.order = order;
  out.columns = batch.columns();
  return out;
}

Result<Chunk> TakeChunk(const Chunk& chunk, const arrow::Array& indices) {
  Chunk out;
  out.length = indices.length();
  out.order = chunk.order;
  out.columns.reserve(chunk.columns.size());
  arrow::compute::TakeOptions opts(/*boundscheck=*/false);
  for (const auto& c : chunk.columns) {
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(*c, indices, opts));
    out.columns.push_back(std::move(taken));
  }
  return out;
}

Result<Chunk> FilterChunk(const Chunk& chunk, const arrow::Array& mask) {
  Chunk out;
  out.order = chunk.order;
  if (chunk.columns.empty()) {
    // Count selected rows.
    const auto& b = static_cast<const arrow::BooleanArray&>(mask);
    int64_t n = 0;
    for (int64_t i = 0; i < b.length(); ++i) n += (b.IsValid(i) && b.Value(i)) ? 1 : 0;
    out.length = n;
    return out;
  }
  // Convert the mask to indices once, then take every column.
  ARROW_ASSIGN_OR_RAISE(auto idx, arrow::compute::CallFunction(
                                      "indices_nonzero", {mask.Slice(0, mask.length())}));
  return TakeChunk(chunk, *idx.make_array());
}

Result<Chunk> ConcatenateChunks(const std::vector<Chunk>& chunks,
                                const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  if (chunks.size() == 1) return chunks[0];
  Chunk out;
  for (const auto& c : chunks) out.length += c.length;
  out.columns.resize(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    if (chunks.empty()) {
      ARROW_ASSIGN_OR_RAISE(out.columns[i], arrow::MakeEmptyArray(types[i]));
      continue;
    }
    arrow::ArrayVector parts;
    parts.reserve(chunks.size());
    for (const auto& c : chunks) parts.push_back(c.columns[i]);
    ARROW_ASSIGN_OR_RAISE(out.columns[i], arrow::Concatenate(parts));
  }
  return out;
}

Result<std::shared_ptr<arrow::Array>> MakeNulls(const std::shared_ptr<arrow::DataType>& type,
                                                int64_t length) {
  return arrow::MakeArrayOfNull(type, length);
}

}  // namespace shoal::exec
