#include "shoal/execution/join_hash_table.h"

#include <cmath>
#include <cstring>
#include <thread>

#include <arrow/type_traits.h>
#include <arrow/array.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>

namespace shoal::exec {

namespace {

inline uint64_t Mix64(uint64_t x) { return JoinIntHash(x); }

inline uint64_t HashBytes(const uint8_t* p, int64_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ static_cast<uint64_t>(n);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = Mix64(h ^ v) * 0x9E3779B97F4A7C15ULL;
    p += 8;
    n -= 8;
  }
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return Mix64(h ^ v ^ (static_cast<uint64_t>(n) << 56));
}

bool IsIntegerLike(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
      return true;
    default:
      return false;
  }
}

/// Bytes of one value in the kFixed encoding, or 0 when the type is not fixed-width.
int FixedWidth(const arrow::DataType& t) {
  // Booleans are encoded as one byte per value; the other widths are Arrow's own.
  if (t.id() == arrow::Type::BOOL) return 1;
  if (arrow::is_primitive(t.id()) || t.id() == arrow::Type::DECIMAL128 ||
      t.id() == arrow::Type::DECIMAL256 || t.id() == arrow::Type::FIXED_SIZE_BINARY) {
    return t.byte_width();
  }
  return 0;
}

template <typename T>
void ReadInts(const arrow::ArrayData& d, int64_t* out) {
  const T* v = d.GetValues<T>(1);
  for (int64_t i = 0; i < d.length; ++i) out[i] = static_cast<int64_t>(v[i]);
}

Status ToInt64(const arrow::Array& a, int64_t* out) {
  const auto& d = *a.data();
  switch (a.type_id()) {
    case arrow::Type::BOOL: {
      const auto& b = static_cast<const arrow::BooleanArray&>(a);
      for (int64_t i = 0; i < a.length(); ++i) out[i] = b.Value(i) ? 1 : 0;
      return Status::OK();
    }
    case arrow::Type::INT8:
      ReadInts<int8_t>(d, out);
      break;
    case arrow::Type::INT16:
      ReadInts<int16_t>(d, out);
      break;
    case arrow::Type::INT32:
    case arrow::Type::DATE32:
    case arrow::Type::TIME32:
      ReadInts<int32_t>(d, out);
      break;
    case arrow::Type::INT64:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
      ReadInts<int64_t>(d, out);
      break;
    case arrow::Type::UINT8:
      ReadInts<uint8_t>(d, out);
      break;
    case arrow::Type::UINT16:
      ReadInts<uint16_t>(d, out);
      break;
    case arrow::Type::UINT32:
      ReadInts<uint32_t>(d, out);
      break;
    case arrow::Type::UINT64:
      ReadInts<uint64_t>(d, out);
      break;
    default:
      return Status::NotImplemented("join key type ", a.type()->ToString());
  }
  return Status::OK();
}

/// Write the values of fixed-width column `a` into rows of `stride` bytes at byte
/// `col_offset` of each row (null rows are written too; they are never compared).
Status WriteFixedColumn(const arrow::Array& a, int width, int64_t stride, int64_t col_offset,
                        uint8_t* out) {
  const int64_t n = a.length();
  uint8_t* dst = out + col_offset;
  switch (a.type_id()) {
    case arrow::Type::BOOL: {
      const auto& b = static_cast<const arrow::BooleanArray&>(a);
      for (int64_t i = 0; i < n; ++i) dst[i * stride] = b.Value(i) ? 1 : 0;
      return Status::OK();
    }
    case arrow::Type::FLOAT: {
      const float* v = a.data()->GetValues<float>(1);
      for (int64_t i = 0; i < n; ++i) {
        float x = v[i];
        if (x == 0) x = 0;  // -0 == 0
        if (std::isnan(x)) x = std::nanf("");
        std::memcpy(dst + i * stride, &x, 4);
      }
      return Status::OK();
    }
    case arrow::Type::DOUBLE: {
      const double* v = a.data()->GetValues<double>(1);
      for (int64_t i = 0; i < n; ++i) {
        double x = v[i];
        if (x == 0) x = 0;
        if (std::isnan(x)) x = std::nan("");
        std::memcpy(dst + i * stride, &x, 8);
      }
      return Status::OK();
    }
    default:
      break;
  }
  const uint8_t* src = a.data()->GetValues<uint8_t>(1, 0) + a.offset() * width;
  switch (width) {
    case 1:
      for (int64_t i = 0; i < n; ++i) dst[i * stride] = src[i];
      break;
    case 2:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * 2, 2);
      break;
    case 4:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * 4, 4);
      break;
    case 8:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * 8, 8);
      break;
    case 16:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * 16, 16);
      break;
    default:
      for (int64_t i = 0; i < n; ++i) std::memcpy(dst + i * stride, src + i * width, width);
  }
  return Status::OK();
}

/// Append row i of `a` to `out` (the row is known to be valid).
Status AppendValue(const arrow::Array& a, int64_t i, std::vector<uint8_t>* out) {
  auto put = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out->insert(out->end(), b, b + n);
  };
  auto put_view = [&](std::string_view v) {
    uint32_t n = static_cast<uint32_t>(v.size());
    put(&n, 4);
    put(v.data(), v.size());
  };
  switch (a.type_id()) {
    case arrow::Type::STRING:
    case arrow::Type::BINARY:
      put_view(static_cast<const arrow::BinaryArray&>(a).GetView(i));
      return Status::OK();
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY:
      put_view(static_cast<const arrow::LargeBinaryArray&>(a).GetView(i));
      return Status::OK();
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW:
      put_view(static_cast<const arrow::BinaryViewArray&>(a).GetView(i));
      return Status::OK();
    default:
      break;
  }
  return Status::NotImplemented("join key type ", a.type()->ToString(), " is not supported");
}

}  // namespace

KeyLayout ChooseKeyLayout(const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  KeyLayout l;
  if (types.size() == 1 && IsIntegerLike(types[0]->id())) {
    l.mode = KeyMode::kInt;
    l.width = 8;
    return l;
  }
  int32_t width = 0;
  for (const auto& t : types) {
    int w = FixedWidth(*t);
    if (w == 0) {
      l.mode = KeyMode::kVar;
      l.width = 0;
      return l;
    }
    width += w;
  }
  l.mode = KeyMode::kFixed;
  l.width = std::max<int32_t>(width, 1);
  return l;
}

int64_t JoinKeys::MemoryBytes() const {
  return static_cast<int64_t>(ints.capacity() * 8 + bytes.capacity() + offsets.capacity() * 8 +
                              hashes.capacity() * 8 + has_null.capacity());
}

Status EncodeJoinKeys(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                      KeyLayout layout, JoinKeys* out) {
  const int64_t n = columns.empty() ? 0 : columns[0]->length();
  out->layout = layout;
  out->length = n;
  out->hashes.resize(n);
  out->any_null = false;
  out->has_null.clear();
  for (const auto& c : columns) {
    if (c->null_count() == 0) continue;
    if (!out->any_null) out->has_null.assign(n, 0);
    out->any_null = true;
    for (int64_t i = 0; i < n; ++i) {
      if (c->IsNull(i)) out->has_null[i] = 1;
    }
  }
  switch (layout.mode) {
    case KeyMode::kInt: {
      out->ints.resize(n);
      ARROW_RETURN_NOT_OK(ToInt64(*columns[0], out->ints.data()));
      const int64_t* v = out->ints.data();
      uint64_t* h = out->hashes.data();
      for (int64_t i = 0; i < n; ++i) h[i] = Mix64(static_cast<uint64_t>(v[i]));
      return Status::OK();
    }
    case KeyMode::kFixed: {
      const int64_t w = layout.width;
      out->bytes.assign(static_cast<size_t>(n * w), 0);
      int64_t off = 0;
      for (const auto& c : columns) {
        int cw = FixedWidth(*c->type());
        if (cw == 0 || off + cw > w) {
          return Status::Invalid("internal error: join key type ", c->type()->ToString(),
                                 " does not match the key layout");
        }
        ARROW_RETURN_NOT_OK(WriteFixedColumn(*c, cw, w, off, out->bytes.data()));
        off += cw;
      }
      const uint8_t* p = out->bytes.data();
      uint64_t* h = out->hashes.data();
      if (w == 8) {
        for (int64_t i = 0; i < n; ++i) {
          uint64_t v;
          std::memcpy(&v, p + i * 8, 8);
          h[i] = Mix64(v);
        }
      } else if (w == 16) {
        for (int64_t i = 0; i < n; ++i) {
          uint64_t a, b;
          std::memcpy(&a, p + i * 16, 8);
          std::memcpy(&b, p + i * 16 + 8, 8);
          h[i] = Mix64(a * 0x9E3779B97F4A7C15ULL ^ Mix64(b));
        }
      } else {
        for (int64_t i = 0; i < n; ++i) h[i] = HashBytes(p + i * w, w);
      }
      return Status::OK();
    }
    case KeyMode::kVar:
      break;
  }
  out->bytes.clear();
  out->bytes.reserve(n * 8 * columns.size());
  out->offsets.assign(1, 0);
  out->offsets.reserve(n + 1);
  // Fixed-width columns are encoded once per batch.
  std::vector<std::vector<uint8_t>> fixed(columns.size());
  std::vector<int> widths(columns.size(), 0);
  for (size_t c = 0; c < columns.size(); ++c) {
    widths[c] = FixedWidth(*columns[c]->type());
    if (widths[c] > 0) {
      fixed[c].resize(static_cast<size_t>(n * widths[c]));
      ARROW_RETURN_NOT_OK(
          WriteFixedColumn(*columns[c], widths[c], widths[c], 0, fixed[c].data()));
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!out->IsNull(i)) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (widths[c] > 0) {
          const uint8_t* p = fixed[c].data() + i * widths[c];
          out->bytes.insert(out->bytes.end(), p, p + widths[c]);
        } else {
          ARROW_RETURN_NOT_OK(AppendValue(*columns[c], i, &out->bytes));
        }
      }
    }
    out->offsets.push_back(static_cast<int64_t>(out->bytes.size()));
    int64_t start = out->offsets[i];
    out->hashes[i] = HashBytes(out->bytes.data() + start, out->offsets[i + 1] - start);
  }
  return Status::OK();
}

int64_t JoinHashTable::MemoryBytes() const {
  int64_t b = static_cast<int64_t>(num_buckets() * 8);
  if (layout_.mode == KeyMode::kVar) {
    b += static_cast<int64_t>(next_.capacity() * 4 + var_bytes_.capacity() +
                              var_offsets_.capacity() * 8);
  } else {
    b += rows_ * static_cast<int64_t>(stride_);
  }
  return b + static_cast<int64_t>(null_rows_.capacity());
}

Result<std::unique_ptr<JoinHashTable>> JoinHashTable::Build(std::vector<JoinKeys>* parts,
                                                            KeyLayout layout, int threads) {
  auto t = std::make_unique<JoinHashTable>();
  t->layout_ = layout;
  const size_t np = parts->size();
  std::vector<int64_t> row_base(np + 1, 0), byte_base(np + 1, 0);
  bool any_null = false;
  for (size_t p = 0; p < np; ++p) {
    const JoinKeys& k = (*parts)[p];
    if (k.layout.mode != layout.mode || k.layout.width != layout.width) {
      return Status::Invalid("internal error: join key parts with different layouts");
    }
    row_base[p + 1] = row_base[p] + k.length;
    byte_base[p + 1] = byte_base[p] + (layout.mode == KeyMode::kVar
                                           ? static_cast<int64_t>(k.bytes.size())
                                           : 0);
    any_null = any_null || k.any_null;
  }
  const int64_t n = row_base[np];
  if (n >= static_cast<int64_t>(UINT32_MAX) - 1) {
    return Status::NotImplemented("hash join build side too large (", n, " rows)");
  }
  t->rows_ = n;
  uint64_t size = 16;
  while (size < static_cast<uint64_t>(n)) size <<= 1;
  if (layout.mode == KeyMode::kInt && n > 0) {
    // Dense integer keys (typical surrogate keys): index an array by key - min
    // when it is not much bigger than a hash table would be.
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (const auto& k : *parts) {
      for (int64_t i = 0; i < k.length; ++i) {
        if (k.IsNull(i)) continue;
        lo = std::min(lo, k.ints[i]);
        hi = std::max(hi, k.ints[i]);
      }
    }
    if (lo <= hi && static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) <
                        std::max<uint64_t>(2 * size, 1024)) {
      t->direct_ = true;
      t->min_key_ = lo;
      size = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
    }
  }
  if (!t->buckets_.Allocate(size)) return Status::OutOfMemory("hash join table");
  t->mask_ = size - 1;  // unused by direct tables
  if (any_null) t->null_rows_.assign(n, 0);
  if (layout.mode == KeyMode::kVar) {
    t->next_.resize(n);
    t->var_bytes_.resize(byte_base[np]);
    t->var_offsets_.resize(n + 1);
    t->var_offsets_[n] = byte_base[np];
  } else {
    t->stride_ = 4 + static_cast<size_t>(layout.width);
    if (!t->rows_data_.Allocate(static_cast<size_t>(n) * t->stride_ + 8)) {
      return Status::OutOfMemory("hash join rows");
    }
  }
  JoinHashTable* tp = t.get();
  // Copy each part's keys into the table and link its rows into the chains
  // (next = old head, head = row + 1, with a CAS so that threads can insert
  // concurrently; the order of rows within a chain does not matter).
  auto insert_part = [tp, parts, &row_base, &byte_base](size_t p) {
    JoinKeys& k = (*parts)[p];
    const int64_t base = row_base[p];
    const int64_t len = k.length;
    if (k.any_null) std::memcpy(tp->null_rows_.data() + base, k.has_null.data(), len);
    switch (tp->layout_.mode) {
      case KeyMode::kInt:
        for (int64_t i = 0; i < len; ++i) {
          std::memcpy(tp->rows_data_.data() + (base + i) * tp->stride_ + 4, &k.ints[i], 8);
        }
        break;
      case KeyMode::kFixed: {
        const size_t w = static_cast<size_t>(tp->layout_.width);
        for (int64_t i = 0; i < len; ++i) {
          std::memcpy(tp->rows_data_.data() + (base + i) * tp->stride_ + 4,
                      k.bytes.data() + i * w, w);
        }
        break;
      }
      case KeyMode::kVar: {
        std::memcpy(tp->var_bytes_.data() + byte_base[p], k.bytes.data(), k.bytes.size());
        for (int64_t i = 0; i < len; ++i) {
          tp->var_offsets_[base + i] = byte_base[p] + k.offsets[i];
        }
        break;
      }
    }
    constexpr int64_t kBlock = 32;
    const uint64_t* hashes = k.hashes.data();
    for (int64_t b0 = 0; b0 < len; b0 += kBlock) {
      const int64_t b1 = std::min(len, b0 + kBlock);
      for (int64_t i = b0; i < b1 && !tp->direct_; ++i) {
        __builtin_prefetch(&tp->buckets_[hashes[i] & tp->mask_], 1);
      }
      for (int64_t i = b0; i < b1; ++i) {
        const int64_t r = base + i;
        uint8_t* next_slot = tp->layout_.mode == KeyMode::kVar
                                 ? reinterpret_cast<uint8_t*>(&tp->next_[r])
                                 : tp->rows_data_.data() + r * tp->stride_;
        if (k.IsNull(i)) {
          std::memset(next_slot, 0, 4);
          continue;
        }
        const uint64_t h = hashes[i];
        const uint64_t slot =
            tp->direct_ ? static_cast<uint64_t>(k.ints[i]) - static_cast<uint64_t>(tp->min_key_)
                        : (h & tp->mask_);
        std::atomic_ref<uint64_t> bucket(tp->buckets_[slot]);
        const uint64_t tag = tp->direct_ ? 0 : static_cast<uint64_t>(TagBit(h)) << 32;
        uint64_t old = bucket.load(std::memory_order_relaxed);
        uint64_t desired;
        do {
          const uint32_t head = static_cast<uint32_t>(old);
          std::memcpy(next_slot, &head, 4);
          desired = (old & 0xFFFFFFFF00000000ULL) | tag | static_cast<uint64_t>(r + 1);
        } while (!bucket.compare_exchange_weak(old, desired, std::memory_order_relaxed));
      }
    }
    k = JoinKeys();  // free the part
  };
  if (threads <= 1 || n < 100000 || np < 2) {
    for (size_t p = 0; p < np; ++p) insert_part(p);
  } else {
    std::atomic<size_t> next_part{0};
    auto work = [&] {
      while (true) {
        size_t p = next_part.fetch_add(1);
        if (p >= np) return;
        insert_part(p);
      }
    };
    std::vector<std::thread> workers;
    for (int w = 1; w < threads; ++w) workers.emplace_back(work);
    work();
    for (auto& w : workers) w.join();
  }
  parts->clear();
  parts->shrink_to_fit();
  return t;
}

}  // namespace shoal::exec
