#include "shoal/execution/chunk.h"

#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/util/bit_run_reader.h>
#include <arrow/util/byte_size.h>

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

std::shared_ptr<arrow::Array> MakePlaceholder(int64_t length) {
  return std::make_shared<arrow::NullArray>(length);
}

void MaskColumns(Chunk* chunk, const std::vector<bool>& keep) {
  const size_t n = std::min(keep.size(), chunk->columns.size());
  for (size_t i = 0; i < n; ++i) {
    if (!keep[i] && (chunk->columns[i] == nullptr ||
                     chunk->columns[i]->type_id() != arrow::Type::NA)) {
      chunk->columns[i] = MakePlaceholder(chunk->length);
    }
  }
}

int64_t ArrayMemoryBytes(const arrow::Array& array) {
  return arrow::util::TotalBufferSize(*array.data());
}

Result<Chunk> TakeChunk(const Chunk& chunk, const arrow::Array& indices) {
  Chunk out;
  out.length = indices.length();
  out.order = chunk.order;
  out.columns.reserve(chunk.columns.size());
  arrow::compute::TakeOptions opts(/*boundscheck=*/false);
  for (const auto& c : chunk.columns) {
    if (c->type_id() == arrow::Type::NA) {
      out.columns.push_back(MakePlaceholder(out.length));
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(*c, indices, opts));
    out.columns.push_back(std::move(taken));
  }
  return out;
}

Result<std::shared_ptr<arrow::Array>> AsBooleanMask(std::shared_ptr<arrow::Array> values,
                                                    const std::string& what) {
  if (values->type_id() == arrow::Type::BOOL) return values;
  if (values->type_id() == arrow::Type::NA) {
    return arrow::MakeArrayOfNull(arrow::boolean(), values->length());
  }
  return Status::TypeError(what, " must be a boolean, got ", values->type()->ToString());
}

Result<std::shared_ptr<arrow::Array>> MaskToIndices(const arrow::Array& mask) {
  if (mask.type_id() != arrow::Type::BOOL) {
    return Status::TypeError("internal error: selection mask of type ", mask.type()->ToString());
  }
  const auto& b = static_cast<const arrow::BooleanArray&>(mask);
  const int64_t n = b.length();
  std::vector<int32_t> idx;
  idx.reserve(b.true_count());
  const uint8_t* values = b.values()->data();
  const uint8_t* validity = b.null_count() > 0 ? b.null_bitmap_data() : nullptr;
  ARROW_RETURN_NOT_OK(arrow::internal::VisitTwoSetBitRuns(
      values, b.offset(), validity, b.offset(), n, [&](int64_t pos, int64_t len) {
        for (int64_t i = pos; i < pos + len; ++i) idx.push_back(static_cast<int32_t>(i));
        return Status::OK();
      }));
  int64_t count = static_cast<int64_t>(idx.size());
  return arrow::MakeArray(arrow::ArrayData::Make(
      arrow::int32(), count, {nullptr, arrow::Buffer::FromVector(std::move(idx))}, 0));
}

Result<Chunk> FilterChunk(const Chunk& chunk, const arrow::Array& mask) {
  if (mask.type_id() != arrow::Type::BOOL) {
    return Status::TypeError("internal error: selection mask of type ", mask.type()->ToString());
  }
  const auto& b = static_cast<const arrow::BooleanArray&>(mask);
  int64_t selected = b.true_count();
  Chunk out;
  out.order = chunk.order;
  out.length = selected;
  if (chunk.columns.empty()) return out;
  if (selected * 2 > mask.length()) {
    // Dense selection: Arrow's filter copies runs of selected rows.
    for (const auto& c : chunk.columns) {
      if (c->type_id() == arrow::Type::NA) {
        out.columns.push_back(MakePlaceholder(selected));
        continue;
      }
      ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                            arrow::compute::Filter(c, mask.data(),
                                                   arrow::compute::FilterOptions::Defaults()));
      out.columns.push_back(d.make_array());
    }
    return out;
  }
  ARROW_ASSIGN_OR_RAISE(auto idx, MaskToIndices(mask));
  return TakeChunk(chunk, *idx);
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
