#include "shoal/execution/filter_selection.h"

#include <algorithm>
#include <cstring>

#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>

namespace shoal::exec {

namespace {

/// Write into `sel` the rows (all of 0..length-1, or the current `sel`) whose
/// value passes `test`; validity (may be null) drops NULL rows. Branch-free.
template <typename Test>
void SelectRows(const uint8_t* validity, int64_t offset, bool all, int64_t length,
                SelectionVector* sel, Test test) {
  if (all) {
    sel->resize(length);
    int32_t* out = sel->data();
    int64_t k = 0;
    if (validity == nullptr) {
      for (int64_t i = 0; i < length; ++i) {
        out[k] = static_cast<int32_t>(i);
        k += test(i) ? 1 : 0;
      }
    } else {
      for (int64_t i = 0; i < length; ++i) {
        out[k] = static_cast<int32_t>(i);
        k += (test(i) && arrow::bit_util::GetBit(validity, offset + i)) ? 1 : 0;
      }
    }
    sel->resize(k);
    return;
  }
  int32_t* rows = sel->data();
  const int64_t n = static_cast<int64_t>(sel->size());
  int64_t k = 0;
  if (validity == nullptr) {
    for (int64_t j = 0; j < n; ++j) {
      int32_t i = rows[j];
      rows[k] = i;
      k += test(i) ? 1 : 0;
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      int32_t i = rows[j];
      rows[k] = i;
      k += (test(i) && arrow::bit_util::GetBit(validity, offset + i)) ? 1 : 0;
    }
  }
  sel->resize(k);
}

template <typename T, typename Cmp>
void SelectCompare(const arrow::ArrayData& data, bool all, SelectionVector* sel, T lit, Cmp cmp) {
  const T* v = data.GetValues<T>(1);
  const uint8_t* validity = data.null_count != 0 && data.buffers[0] ? data.buffers[0]->data()
                                                                   : nullptr;
  SelectRows(validity, data.offset, all, data.length, sel,
             [v, lit, cmp](int64_t i) { return cmp(v[i], lit); });
}

template <typename T>
void SelectOp(int op, const arrow::ArrayData& data, bool all, SelectionVector* sel, T lit) {
  switch (op) {
    case 0: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a == b; });
    case 1: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a != b; });
    case 2: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a < b; });
    case 3: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a <= b; });
    case 4: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a > b; });
    default: return SelectCompare(data, all, sel, lit, [](T a, T b) { return a >= b; });
  }
}

/// decimal128 values are compared as __int128 (little-endian two's complement).
template <typename Cmp>
void SelectDecimal(const arrow::ArrayData& data, bool all, SelectionVector* sel, __int128 lit,
                   Cmp cmp) {
  const uint8_t* base = data.buffers[1]->data() + data.offset * 16;
  const uint8_t* validity = data.null_count != 0 && data.buffers[0] ? data.buffers[0]->data()
                                                                   : nullptr;
  SelectRows(validity, data.offset, all, data.length, sel, [base, lit, cmp](int64_t i) {
    __int128 x;
    std::memcpy(&x, base + i * 16, 16);
    return cmp(x, lit);
  });
}

void SelectDecimalOp(int op, const arrow::ArrayData& data, bool all, SelectionVector* sel,
                     __int128 lit) {
  using T = __int128;
  switch (op) {
    case 0: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a == b; });
    case 1: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a != b; });
    case 2: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a < b; });
    case 3: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a <= b; });
    case 4: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a > b; });
    default: return SelectDecimal(data, all, sel, lit, [](T a, T b) { return a >= b; });
  }
}

}  // namespace

std::optional<ColumnCompare> ColumnCompare::Make(const ExprEvaluator::ColumnComparison& cmp,
                                                 const arrow::DataType& column_type) {
  ColumnCompare c;
  c.column_ = cmp.column;
  if (cmp.op == "equal") {
    c.op_ = Op::kEq;
  } else if (cmp.op == "not_equal") {
    c.op_ = Op::kNe;
  } else if (cmp.op == "less") {
    c.op_ = Op::kLt;
  } else if (cmp.op == "less_equal") {
    c.op_ = Op::kLe;
  } else if (cmp.op == "greater") {
    c.op_ = Op::kGt;
  } else if (cmp.op == "greater_equal") {
    c.op_ = Op::kGe;
  } else {
    return std::nullopt;
  }
  const arrow::Scalar& lit = *cmp.literal;
  if (column_type.id() == arrow::Type::DECIMAL128) {
    // Raw values compare like the decimals when the scales agree.
    if (lit.type->id() != arrow::Type::DECIMAL128) return std::nullopt;
    const auto& ct = static_cast<const arrow::Decimal128Type&>(column_type);
    const auto& lt = static_cast<const arrow::Decimal128Type&>(*lit.type);
    if (ct.scale() != lt.scale()) return std::nullopt;
    c.repr_ = Repr::kDec128;
  } else {
    if (!lit.type->Equals(column_type)) return std::nullopt;
    switch (column_type.id()) {
      case arrow::Type::INT8: c.repr_ = Repr::kI8; break;
      case arrow::Type::INT16: c.repr_ = Repr::kI16; break;
      case arrow::Type::INT32:
      case arrow::Type::DATE32:
      case arrow::Type::TIME32:
        c.repr_ = Repr::kI32;
        break;
      case arrow::Type::INT64:
      case arrow::Type::DATE64:
      case arrow::Type::TIME64:
      case arrow::Type::TIMESTAMP:
      case arrow::Type::DURATION:
        c.repr_ = Repr::kI64;
        break;
      case arrow::Type::UINT8: c.repr_ = Repr::kU8; break;
      case arrow::Type::UINT16: c.repr_ = Repr::kU16; break;
      case arrow::Type::UINT32: c.repr_ = Repr::kU32; break;
      case arrow::Type::UINT64: c.repr_ = Repr::kU64; break;
      case arrow::Type::FLOAT: c.repr_ = Repr::kF32; break;
      case arrow::Type::DOUBLE: c.repr_ = Repr::kF64; break;
      default:
        return std::nullopt;
    }
  }
  c.type_ = column_type.GetSharedPtr();
  if (!lit.is_valid) {
    c.literal_null_ = true;
    return c;
  }
  const void* raw = static_cast<const arrow::internal::PrimitiveScalarBase&>(lit).data();
  if (raw == nullptr) return std::nullopt;
  switch (c.repr_) {
    case Repr::kI8: c.i_ = *static_cast<const int8_t*>(raw); break;
    case Repr::kI16: c.i_ = *static_cast<const int16_t*>(raw); break;
    case Repr::kI32: c.i_ = *static_cast<const int32_t*>(raw); break;
    case Repr::kI64: c.i_ = *static_cast<const int64_t*>(raw); break;
    case Repr::kU8: c.u_ = *static_cast<const uint8_t*>(raw); break;
    case Repr::kU16: c.u_ = *static_cast<const uint16_t*>(raw); break;
    case Repr::kU32: c.u_ = *static_cast<const uint32_t*>(raw); break;
    case Repr::kU64: c.u_ = *static_cast<const uint64_t*>(raw); break;
    case Repr::kF32: c.f_ = *static_cast<const float*>(raw); break;
    case Repr::kF64: c.f_ = *static_cast<const double*>(raw); break;
    case Repr::kDec128: std::memcpy(&c.d_, raw, 16); break;
  }
  return c;
}

void ColumnCompare::Select(const arrow::Array& values, bool all, int64_t length,
                           SelectionVector* sel) const {
  if (literal_null_) {
    sel->clear();
    return;
  }
  const arrow::ArrayData& data = *values.data();
  const int op = static_cast<int>(op_);
  switch (repr_) {
    case Repr::kI8: return SelectOp<int8_t>(op, data, all, sel, static_cast<int8_t>(i_));
    case Repr::kI16: return SelectOp<int16_t>(op, data, all, sel, static_cast<int16_t>(i_));
    case Repr::kI32: return SelectOp<int32_t>(op, data, all, sel, static_cast<int32_t>(i_));
    case Repr::kI64: return SelectOp<int64_t>(op, data, all, sel, i_);
    case Repr::kU8: return SelectOp<uint8_t>(op, data, all, sel, static_cast<uint8_t>(u_));
    case Repr::kU16: return SelectOp<uint16_t>(op, data, all, sel, static_cast<uint16_t>(u_));
    case Repr::kU32: return SelectOp<uint32_t>(op, data, all, sel, static_cast<uint32_t>(u_));
    case Repr::kU64: return SelectOp<uint64_t>(op, data, all, sel, u_);
    case Repr::kF32: return SelectOp<float>(op, data, all, sel, static_cast<float>(f_));
    case Repr::kF64: return SelectOp<double>(op, data, all, sel, f_);
    case Repr::kDec128: return SelectDecimalOp(op, data, all, sel, d_);
  }
  (void)length;
}

void RefineSelection(const arrow::Array& mask, bool all, SelectionVector* sel) {
  const arrow::ArrayData& data = *mask.data();
  const uint8_t* bits = data.buffers[1]->data();
  const uint8_t* validity = data.null_count != 0 && data.buffers[0] ? data.buffers[0]->data()
                                                                   : nullptr;
  const int64_t off = data.offset;
  SelectRows(validity, off, all, data.length, sel,
             [bits, off](int64_t i) { return arrow::bit_util::GetBit(bits, off + i); });
}

void RefineSelectionBySubset(const arrow::Array& sub_mask, SelectionVector* sel) {
  const arrow::ArrayData& data = *sub_mask.data();
  const uint8_t* bits = data.buffers[1]->data();
  const uint8_t* validity = data.null_count != 0 && data.buffers[0] ? data.buffers[0]->data()
                                                                   : nullptr;
  const int64_t off = data.offset;
  int32_t* rows = sel->data();
  const int64_t n = static_cast<int64_t>(sel->size());
  int64_t k = 0;
  for (int64_t j = 0; j < n; ++j) {
    rows[k] = rows[j];
    bool pass = arrow::bit_util::GetBit(bits, off + j) &&
                (validity == nullptr || arrow::bit_util::GetBit(validity, off + j));
    k += pass ? 1 : 0;
  }
  sel->resize(k);
}

namespace {

template <typename Index>
void SelectDictIndices(const arrow::ArrayData& indices, const std::vector<uint8_t>& keep, bool all,
                       SelectionVector* sel) {
  const Index* idx = indices.GetValues<Index>(1);
  const uint8_t* validity = indices.null_count != 0 && indices.buffers[0]
                                ? indices.buffers[0]->data()
                                : nullptr;
  const uint8_t* k = keep.data();
  const int64_t off = indices.offset;
  if (validity == nullptr) {
    SelectRows(nullptr, 0, all, indices.length, sel,
               [idx, k](int64_t i) { return k[idx[i]] != 0; });
    return;
  }
  const uint8_t null_keep = keep.back();
  SelectRows(nullptr, 0, all, indices.length, sel, [idx, k, validity, off, null_keep](int64_t i) {
    return arrow::bit_util::GetBit(validity, off + i) ? k[idx[i]] != 0 : null_keep != 0;
  });
}

}  // namespace

void SelectByDictionary(const arrow::Array& dict_column, const std::vector<uint8_t>& keep,
                        bool all, SelectionVector* sel) {
  const auto& dict = static_cast<const arrow::DictionaryArray&>(dict_column);
  const arrow::ArrayData& indices = *dict.indices()->data();
  switch (indices.type->id()) {
    case arrow::Type::INT8: return SelectDictIndices<int8_t>(indices, keep, all, sel);
    case arrow::Type::UINT8: return SelectDictIndices<uint8_t>(indices, keep, all, sel);
    case arrow::Type::INT16: return SelectDictIndices<int16_t>(indices, keep, all, sel);
    case arrow::Type::UINT16: return SelectDictIndices<uint16_t>(indices, keep, all, sel);
    case arrow::Type::INT32: return SelectDictIndices<int32_t>(indices, keep, all, sel);
    case arrow::Type::UINT32: return SelectDictIndices<uint32_t>(indices, keep, all, sel);
    case arrow::Type::UINT64: return SelectDictIndices<uint64_t>(indices, keep, all, sel);
    default: return SelectDictIndices<int64_t>(indices, keep, all, sel);
  }
}

namespace {

/// Decode a dictionary of utf8/binary values with int32 indices and no nulls at
/// `rows` (all rows when null) straight into a string array; nullptr when the
/// column does not qualify (the caller then uses Arrow's take).
Result<std::shared_ptr<arrow::Array>> DecodeStringDictionary(const arrow::DictionaryArray& dict,
                                                             const int32_t* rows, int64_t n,
                                                             arrow::compute::ExecContext* ctx) {
  const auto& values = *dict.dictionary();
  const auto& indices = *dict.indices();
  auto vt = values.type_id();
  if ((vt != arrow::Type::STRING && vt != arrow::Type::BINARY) ||
      indices.type_id() != arrow::Type::INT32 || indices.null_count() != 0 ||
      values.null_count() != 0) {
    return nullptr;
  }
  const auto& bin = static_cast<const arrow::BinaryArray&>(values);
  const int32_t* voff = bin.raw_value_offsets();
  const uint8_t* vdata = bin.value_data() ? bin.value_data()->data() : nullptr;
  const int32_t* idx = indices.data()->GetValues<int32_t>(1);
  ARROW_ASSIGN_OR_RAISE(auto offsets,
                        arrow::AllocateBuffer((n + 1) * sizeof(int32_t), ctx->memory_pool()));
  auto* off = reinterpret_cast<int32_t*>(offsets->mutable_data());
  int64_t total = 0;
  off[0] = 0;
  for (int64_t k = 0; k < n; ++k) {
    int32_t v = idx[rows ? rows[k] : k];
    total += voff[v + 1] - voff[v];
    if (total > INT32_MAX) return nullptr;
    off[k + 1] = static_cast<int32_t>(total);
  }
  // 16 bytes of slack: short values are copied with two fixed 8-byte moves.
  ARROW_ASSIGN_OR_RAISE(auto data, arrow::AllocateBuffer(total + 16, ctx->memory_pool()));
  uint8_t* out = data->mutable_data();
  const int64_t dict_bytes = voff[values.length()] - voff[0];
  int32_t max_len = 0;
  for (int64_t v = 0; v < values.length(); ++v) max_len = std::max(max_len, voff[v + 1] - voff[v]);
  if (max_len <= 16 && dict_bytes <= (1 << 16)) {
    std::vector<uint8_t> padded(static_cast<size_t>(dict_bytes) + 16, 0);
    if (dict_bytes > 0) std::memcpy(padded.data(), vdata + voff[0], dict_bytes);
    const uint8_t* base = padded.data() - voff[0];
    for (int64_t k = 0; k < n; ++k) {
      int32_t v = idx[rows ? rows[k] : k];
      std::memcpy(out + off[k], base + voff[v], 8);
      std::memcpy(out + off[k] + 8, base + voff[v] + 8, 8);
    }
  } else {
    for (int64_t k = 0; k < n; ++k) {
      int32_t v = idx[rows ? rows[k] : k];
      std::memcpy(out + off[k], vdata + voff[v], static_cast<size_t>(voff[v + 1] - voff[v]));
    }
  }
  return arrow::MakeArray(arrow::ArrayData::Make(
      values.type(), n, {nullptr, std::move(offsets), std::move(data)}, 0));
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> DecodeDictionaryRows(
    const std::shared_ptr<arrow::Array>& column, const SelectionVector* sel,
    arrow::compute::ExecContext* ctx) {
  const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
  const int64_t n = sel ? static_cast<int64_t>(sel->size()) : dict.length();
  ARROW_ASSIGN_OR_RAISE(auto fast,
                        DecodeStringDictionary(dict, sel ? sel->data() : nullptr, n, ctx));
  if (fast != nullptr) return fast;
  if (sel == nullptr) return DecodeDictionary(column, ctx);
  return GatherColumn(column, SelectionArray(*sel), ctx);
}

Result<std::shared_ptr<arrow::Array>> DecodeDictionary(const std::shared_ptr<arrow::Array>& column,
                                                       arrow::compute::ExecContext* ctx) {
  if (column->type_id() != arrow::Type::DICTIONARY) return column;
  const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
  ARROW_ASSIGN_OR_RAISE(auto fast, DecodeStringDictionary(dict, nullptr, dict.length(), ctx));
  if (fast != nullptr) return fast;
  ARROW_ASSIGN_OR_RAISE(
      arrow::Datum d,
      arrow::compute::Take(dict.dictionary(), dict.indices(),
                           arrow::compute::TakeOptions::NoBoundsCheck(), ctx));
  return d.make_array();
}

Result<std::shared_ptr<arrow::Array>> EncodeDictionary(
    const std::shared_ptr<arrow::Array>& values,
    const std::shared_ptr<arrow::DataType>& dict_type, arrow::compute::ExecContext* ctx) {
  if (values->type()->Equals(*dict_type)) return values;
  if (dict_type->id() != arrow::Type::DICTIONARY) {
    return Status::Invalid("internal error: cannot encode ", values->type()->ToString(),
                           " as ", dict_type->ToString());
  }
  const auto& dt = static_cast<const arrow::DictionaryType&>(*dict_type);
  std::shared_ptr<arrow::Array> plain = values;
  if (values->type_id() == arrow::Type::DICTIONARY) {
    ARROW_ASSIGN_OR_RAISE(plain, DecodeDictionary(values, ctx));
  }
  if (!plain->type()->Equals(*dt.value_type())) {
    ARROW_ASSIGN_OR_RAISE(arrow::Datum c,
                          arrow::compute::Cast(plain, dt.value_type(),
                                               arrow::compute::CastOptions::Safe(), ctx));
    plain = c.make_array();
  }
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d, arrow::compute::DictionaryEncode(plain, {}, ctx));
  std::shared_ptr<arrow::Array> out = d.make_array();
  if (!out->type()->Equals(*dict_type)) {
    ARROW_ASSIGN_OR_RAISE(arrow::Datum c,
                          arrow::compute::Cast(out, dict_type,
                                               arrow::compute::CastOptions::Safe(), ctx));
    out = c.make_array();
  }
  return out;
}

Result<std::shared_ptr<arrow::Array>> GatherColumn(const std::shared_ptr<arrow::Array>& column,
                                                   const std::shared_ptr<arrow::Array>& sel,
                                                   arrow::compute::ExecContext* ctx) {
  const auto opts = arrow::compute::TakeOptions::NoBoundsCheck();
  if (column->type_id() == arrow::Type::NA) return MakePlaceholder(sel->length());
  if (column->type_id() == arrow::Type::DICTIONARY) {
    const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum idx,
                          arrow::compute::Take(dict.indices(), sel, opts, ctx));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum d,
                          arrow::compute::Take(dict.dictionary(), idx, opts, ctx));
    return d.make_array();
  }
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d, arrow::compute::Take(column, sel, opts, ctx));
  return d.make_array();
}

std::shared_ptr<arrow::Array> SelectionArray(const SelectionVector& sel) {
  std::vector<int32_t> copy(sel);
  const int64_t n = static_cast<int64_t>(copy.size());
  return arrow::MakeArray(arrow::ArrayData::Make(
      arrow::int32(), n, {nullptr, arrow::Buffer::FromVector(std::move(copy))}, 0));
}

Result<std::shared_ptr<arrow::Array>> SelectionMask(const SelectionVector& sel, int64_t length) {
  ARROW_ASSIGN_OR_RAISE(auto bits, arrow::AllocateEmptyBitmap(length));
  uint8_t* b = bits->mutable_data();
  for (int32_t i : sel) arrow::bit_util::SetBit(b, i);
  return arrow::MakeArray(arrow::ArrayData::Make(arrow::boolean(), length,
                                                 {nullptr, std::move(bits)}, 0));
}

Result<std::shared_ptr<arrow::Array>> FilterColumn(const std::shared_ptr<arrow::Array>& column,
                                                   const std::shared_ptr<arrow::Array>& mask,
                                                   int64_t count,
                                                   arrow::compute::ExecContext* ctx) {
  const auto opts = arrow::compute::FilterOptions::Defaults();
  if (column->type_id() == arrow::Type::NA) return MakePlaceholder(count);
  if (column->type_id() == arrow::Type::DICTIONARY) {
    const auto& dict = static_cast<const arrow::DictionaryArray&>(*column);
    ARROW_ASSIGN_OR_RAISE(arrow::Datum idx,
                          arrow::compute::Filter(dict.indices(), mask, opts, ctx));
    ARROW_ASSIGN_OR_RAISE(
        arrow::Datum d, arrow::compute::Take(dict.dictionary(), idx,
                                             arrow::compute::TakeOptions::NoBoundsCheck(), ctx));
    return d.make_array();
  }
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d, arrow::compute::Filter(column, mask, opts, ctx));
  return d.make_array();
}

}  // namespace shoal::exec
