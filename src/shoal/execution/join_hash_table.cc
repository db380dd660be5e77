#include "shoal/execution/join_hash_table.h"

#include <cmath>
#include <thread>
#include <cstring>

#include <arrow/array.h>
#include <arrow/type.h>
#include <arrow/util/bit_util.h>

namespace shoal::exec {

namespace {

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

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

/// Append row i of `a` to `out` (the row is known to be valid).
Status AppendValue(const arrow::Array& a, int64_t i, std::vector<uint8_t>* out) {
  auto put = [&](const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    out->insert(out->end(), b, b + n);
  };
  switch (a.type_id()) {
    case arrow::Type::BOOL: {
      uint8_t v = static_cast<const arrow::BooleanArray&>(a).Value(i) ? 1 : 0;
      put(&v, 1);
      return Status::OK();
    }
    case arrow::Type::FLOAT: {
      float v = static_cast<const arrow::FloatArray&>(a).Value(i);
      if (v == 0) v = 0;  // -0 == 0
      if (std::isnan(v)) v = std::nanf("");
      put(&v, sizeof(v));
      return Status::OK();
    }
    case arrow::Type::DOUBLE: {
      double v = static_cast<const arrow::DoubleArray&>(a).Value(i);
      if (v == 0) v = 0;
      if (std::isnan(v)) v = std::nan("");
      put(&v, sizeof(v));
      return Status::OK();
    }
    case arrow::Type::STRING:
    case arrow::Type::BINARY: {
      auto v = static_cast<const arrow::BinaryArray&>(a).GetView(i);
      uint32_t n = static_cast<uint32_t>(v.size());
      put(&n, 4);
      put(v.data(), v.size());
      return Status::OK();
    }
    case arrow::Type::LARGE_STRING:
    case arrow::Type::LARGE_BINARY: {
      auto v = static_cast<const arrow::LargeBinaryArray&>(a).GetView(i);
      uint32_t n = static_cast<uint32_t>(v.size());
      put(&n, 4);
      put(v.data(), v.size());
      return Status::OK();
    }
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY_VIEW: {
      auto v = static_cast<const arrow::BinaryViewArray&>(a).GetView(i);
      uint32_t n = static_cast<uint32_t>(v.size());
      put(&n, 4);
      put(v.data(), v.size());
      return Status::OK();
    }
    default:
      break;
  }
  if (IsIntegerLike(a.type_id())) {
    int64_t v;
    ARROW_RETURN_NOT_OK(ToInt64(*a.Slice(i, 1), &v));
    put(&v, 8);
    return Status::OK();
  }
  const auto* fw = dynamic_cast<const arrow::FixedWidthType*>(a.type().get());
  if (fw != nullptr && fw->bit_width() % 8 == 0 &&
      (a.type_id() == arrow::Type::DECIMAL128 || a.type_id() == arrow::Type::DECIMAL256 ||
       a.type_id() == arrow::Type::FIXED_SIZE_BINARY ||
       a.type_id() == arrow::Type::INTERVAL_MONTH_DAY_NANO ||
       a.type_id() == arrow::Type::INTERVAL_DAY_TIME ||
       a.type_id() == arrow::Type::INTERVAL_MONTHS || a.type_id() == arrow::Type::HALF_FLOAT)) {
    int w = fw->bit_width() / 8;
    const uint8_t* base = a.data()->GetValues<uint8_t>(1, 0);
    put(base + (a.offset() + i) * w, w);
    return Status::OK();
  }
  return Status::NotImplemented("join key type ", a.type()->ToString(), " is not supported");
}

}  // namespace

bool UsesIntegerKeys(const std::vector<std::shared_ptr<arrow::DataType>>& types) {
  return types.size() == 1 && IsIntegerLike(types[0]->id());
}

Status EncodeJoinKeys(const std::vector<std::shared_ptr<arrow::Array>>& columns,
                      bool integer_mode, JoinKeys* out) {
  int64_t n = columns.empty() ? 0 : columns[0]->length();
  out->integer_mode = integer_mode;
  out->length = n;
  out->hashes.resize(n);
  out->has_null.assign(n, 0);
  out->any_null = false;
  for (const auto& c : columns) {
    if (c->null_count() == 0) continue;
    out->any_null = true;
    for (int64_t i = 0; i < n; ++i) {
      if (c->IsNull(i)) out->has_null[i] = 1;
    }
  }
  if (integer_mode) {
    out->ints.resize(n);
    ARROW_RETURN_NOT_OK(ToInt64(*columns[0], out->ints.data()));
    for (int64_t i = 0; i < n; ++i) out->hashes[i] = Mix64(static_cast<uint64_t>(out->ints[i]));
    return Status::OK();
  }
  out->bytes.clear();
  out->bytes.reserve(n * 8 * columns.size());
  out->offsets.assign(1, 0);
  out->offsets.reserve(n + 1);
  // Integer-like columns are converted once per batch.
  std::vector<std::vector<int64_t>> ints(columns.size());
  for (size_t c = 0; c < columns.size(); ++c) {
    if (IsIntegerLike(columns[c]->type_id())) {
      ints[c].resize(n);
      ARROW_RETURN_NOT_OK(ToInt64(*columns[c], ints[c].data()));
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!out->has_null[i]) {
      for (size_t c = 0; c < columns.size(); ++c) {
        if (!ints[c].empty()) {
          const auto* p = reinterpret_cast<const uint8_t*>(&ints[c][i]);
          out->bytes.insert(out->bytes.end(), p, p + 8);
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

void AppendJoinKeys(JoinKeys&& more, JoinKeys* into) {
  if (into->length == 0 && into->ints.capacity() == 0 && into->bytes.capacity() == 0) {
    bool mode = into->integer_mode;
    *into = std::move(more);
    if (into->length == 0) into->integer_mode = mode;
    if (!into->integer_mode && into->offsets.empty()) into->offsets.push_back(0);
    return;
  }
  into->integer_mode = more.integer_mode;
  if (more.integer_mode) {
    into->ints.insert(into->ints.end(), more.ints.begin(), more.ints.end());
  } else {
    if (into->offsets.empty()) into->offsets.push_back(0);
    int64_t base = static_cast<int64_t>(into->bytes.size());
    into->bytes.insert(into->bytes.end(), more.bytes.begin(), more.bytes.end());
    for (size_t i = 1; i < more.offsets.size(); ++i) {
      into->offsets.push_back(base + more.offsets[i]);
    }
  }
  into->hashes.insert(into->hashes.end(), more.hashes.begin(), more.hashes.end());
  into->has_null.insert(into->has_null.end(), more.has_null.begin(), more.has_null.end());
  into->any_null = into->any_null || more.any_null;
  into->length += more.length;
}

JoinKeys ConcatenateJoinKeys(std::vector<JoinKeys>* parts, bool integer_mode) {
  JoinKeys out;
  out.integer_mode = integer_mode;
  int64_t rows = 0, bytes = 0;
  for (const auto& p : *parts) {
    rows += p.length;
    bytes += static_cast<int64_t>(p.bytes.size());
  }
  out.hashes.reserve(rows);
  out.has_null.reserve(rows);
  if (integer_mode) {
    out.ints.reserve(rows);
  } else {
    out.bytes.reserve(bytes);
    out.offsets.reserve(rows + 1);
    out.offsets.push_back(0);
  }
  for (auto& p : *parts) {
    AppendJoinKeys(std::move(p), &out);
    p = JoinKeys();
  }
  parts->clear();
  return out;
}

Result<std::unique_ptr<JoinHashTable>> JoinHashTable::Build(JoinKeys keys, int threads) {
  if (keys.length >= static_cast<int64_t>(UINT32_MAX) - 1) {
    return Status::NotImplemented("hash join build side too large (", keys.length, " rows)");
  }
  auto t = std::make_unique<JoinHashTable>();
  uint64_t size = 16;
  while (size < static_cast<uint64_t>(keys.length) * 2) size <<= 1;
  t->buckets_ = std::make_unique<std::atomic<uint32_t>[]>(size);
  t->next_.assign(keys.length, 0);
  t->mask_ = size - 1;
  t->keys_ = std::move(keys);
  const int64_t n = t->keys_.length;
  // Each thread inserts a range of rows: next[i] = old head, head = i + 1. The
  // order of rows within a chain does not matter.
  auto insert = [&](int64_t begin, int64_t end) {
    constexpr int64_t kBlock = 64;
    const uint64_t* hashes = t->keys_.hashes.data();
    const uint8_t* nulls = t->keys_.has_null.data();
    for (int64_t b0 = begin; b0 < end; b0 += kBlock) {
      int64_t b1 = std::min(end, b0 + kBlock);
      for (int64_t i = b0; i < b1; ++i) __builtin_prefetch(&t->buckets_[hashes[i] & t->mask_], 1);
      for (int64_t i = b0; i < b1; ++i) {
        if (nulls[i]) continue;
        auto& head = t->buckets_[hashes[i] & t->mask_];
        t->next_[i] = head.exchange(static_cast<uint32_t>(i + 1), std::memory_order_relaxed);
      }
    }
  };
  if (threads <= 1 || n < 100000) {
    insert(0, n);
  } else {
    std::vector<std::thread> workers;
    int64_t per = (n + threads - 1) / threads;
    for (int w = 1; w < threads; ++w) {
      int64_t b = std::min(n, w * per), e = std::min(n, (w + 1) * per);
      workers.emplace_back([&, b, e] { insert(b, e); });
    }
    insert(0, std::min(n, per));
    for (auto& w : workers) w.join();
  }
  return t;
}

}  // namespace shoal::exec
