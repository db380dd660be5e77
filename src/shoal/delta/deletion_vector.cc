#include "shoal/delta/deletion_vector.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <random>

#include <arrow/buffer.h>

namespace shoal::delta {

namespace {

constexpr std::string_view kZ85Alphabet =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";
constexpr uint32_t kDvMagic = 1681511377;        // portable layout, little-endian
constexpr uint32_t kDvNativeMagic = 1681511376;  // native layout, big-endian

class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool Has(size_t n) const { return pos_ + n <= data_.size(); }
  size_t pos() const { return pos_; }
  template <typename T>
  bool ReadLE(T* out) {
    if (!Has(sizeof(T))) return false;
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<uint8_t>(data_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    *out = v;
    return true;
  }
  bool Skip(size_t n) {
    if (!Has(n)) return false;
    pos_ += n;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

Status Truncated(const char* what) {
  return Status::Invalid("corrupt deletion vector: truncated ", what);
}

// One 32-bit Roaring bitmap (portable format); values get `high` << 32 added.
Status DecodeRoaring32(ByteReader* r, uint64_t high, std::vector<uint64_t>* out) {
  constexpr uint32_t kSerialCookieNoRun = 12346;
  constexpr uint32_t kSerialCookie = 12347;
  uint32_t cookie;
  if (!r->ReadLE(&cookie)) return Truncated("bitmap header");
  uint32_t size = 0;
  bool has_run = false;
  std::vector<uint8_t> run_flags;
  if ((cookie & 0xFFFF) == kSerialCookie) {
    has_run = true;
    size = (cookie >> 16) + 1;
    size_t bytes = (size + 7) / 8;
    for (size_t i = 0; i < bytes; ++i) {
      uint8_t b;
      if (!r->ReadLE(&b)) return Truncated("run flags");
      run_flags.push_back(b);
    }
  } else if (cookie == kSerialCookieNoRun) {
    if (!r->ReadLE(&size)) return Truncated("bitmap size");
  } else {
    return Status::Invalid("corrupt deletion vector: unknown Roaring cookie ", cookie);
  }
  if (size > 65536) return Status::Invalid("corrupt deletion vector: ", size, " containers");
  std::vector<uint16_t> keys(size), cards(size);
  for (uint32_t i = 0; i < size; ++i) {
    uint16_t k, c;
    if (!r->ReadLE(&k) || !r->ReadLE(&c)) return Truncated("container headers");
    keys[i] = k;
    cards[i] = c;
  }
  if (!has_run || size >= 4) {
    if (!r->Skip(4 * static_cast<size_t>(size))) return Truncated("container offsets");
  }
  for (uint32_t i = 0; i < size; ++i) {
    uint64_t base = (high << 32) | (static_cast<uint64_t>(keys[i]) << 16);
    uint32_t card = static_cast<uint32_t>(cards[i]) + 1;
    bool is_run = has_run && (run_flags[i / 8] >> (i % 8)) & 1;
    if (is_run) {
      uint16_t n_runs;
      if (!r->ReadLE(&n_runs)) return Truncated("run container");
      for (uint16_t j = 0; j < n_runs; ++j) {
        uint16_t start, len;
        if (!r->ReadLE(&start) || !r->ReadLE(&len)) return Truncated("run container");
        for (uint32_t v = start; v <= static_cast<uint32_t>(start) + len; ++v) out->push_back(base | v);
      }
    } else if (card <= 4096) {
      for (uint32_t j = 0; j < card; ++j) {
        uint16_t v;
        if (!r->ReadLE(&v)) return Truncated("array container");
        out->push_back(base | v);
      }
    } else {
      for (uint32_t w = 0; w < 1024; ++w) {
        uint64_t word;
        if (!r->ReadLE(&word)) return Truncated("bitmap container");
        while (word) {
          int bit = __builtin_ctzll(word);
          out->push_back(base | (w * 64 + bit));
          word &= word - 1;
        }
      }
    }
  }
  return Status::OK();
}

template <typename T>
void PutLE(std::string* out, T v) {
  for (size_t i = 0; i < sizeof(T); ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

void PutBE32(std::string* out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}

// One 32-bit Roaring bitmap, portable format without run containers.
void EncodeRoaring32(const uint64_t* begin, const uint64_t* end, std::string* out) {
  struct Container {
    uint16_t key;
    const uint64_t* begin;
    const uint64_t* end;
  };
  std::vector<Container> containers;
  for (const uint64_t* p = begin; p != end;) {
    uint16_t key = static_cast<uint16_t>((*p >> 16) & 0xFFFF);
    const uint64_t* q = p;
    while (q != end && static_cast<uint16_t>((*q >> 16) & 0xFFFF) == key) ++q;
    containers.push_back({key, p, q});
    p = q;
  }
  constexpr uint32_t kSerialCookieNoRun = 12346;
  PutLE<uint32_t>(out, kSerialCookieNoRun);
  PutLE<uint32_t>(out, static_cast<uint32_t>(containers.size()));
  for (const auto& c : containers) {
    PutLE<uint16_t>(out, c.key);
    PutLE<uint16_t>(out, static_cast<uint16_t>(c.end - c.begin - 1));
  }
  // Offsets of the containers from the start of this bitmap.
  size_t offset = 8 + 8 * containers.size();
  for (const auto& c : containers) {
    PutLE<uint32_t>(out, static_cast<uint32_t>(offset));
    size_t card = static_cast<size_t>(c.end - c.begin);
    offset += card <= 4096 ? 2 * card : 8192;
  }
  for (const auto& c : containers) {
    size_t card = static_cast<size_t>(c.end - c.begin);
    if (card <= 4096) {
      for (const uint64_t* p = c.begin; p != c.end; ++p) {
        PutLE<uint16_t>(out, static_cast<uint16_t>(*p & 0xFFFF));
      }
    } else {
      std::vector<uint64_t> words(1024, 0);
      for (const uint64_t* p = c.begin; p != c.end; ++p) {
        uint32_t low = static_cast<uint32_t>(*p & 0xFFFF);
        words[low / 64] |= uint64_t{1} << (low % 64);
      }
      for (uint64_t w : words) PutLE<uint64_t>(out, w);
    }
  }
}

std::string UuidText(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    auto b = static_cast<uint8_t>(bytes[i]);
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

}  // namespace

Result<std::string> DecodeZ85(std::string_view text) {
  if (text.size() % 5 != 0) {
    return Status::Invalid("invalid Z85 text: length ", text.size(), " is not a multiple of 5");
  }
  int8_t table[256];
  std::memset(table, -1, sizeof(table));
  for (size_t i = 0; i < kZ85Alphabet.size(); ++i) {
    table[static_cast<uint8_t>(kZ85Alphabet[i])] = static_cast<int8_t>(i);
  }
  std::string out;
  out.reserve(text.size() / 5 * 4);
  for (size_t i = 0; i < text.size(); i += 5) {
    uint64_t v = 0;
    for (size_t j = 0; j < 5; ++j) {
      int8_t d = table[static_cast<uint8_t>(text[i + j])];
      if (d < 0) return Status::Invalid("invalid Z85 character '", text[i + j], "'");
      v = v * 85 + static_cast<uint64_t>(d);
    }
    if (v > 0xFFFFFFFFull) return Status::Invalid("invalid Z85 text: block out of range");
    out.push_back(static_cast<char>((v >> 24) & 0xFF));
    out.push_back(static_cast<char>((v >> 16) & 0xFF));
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
    out.push_back(static_cast<char>(v & 0xFF));
  }
  return out;
}

Result<std::string> EncodeZ85(std::string_view bytes) {
  if (bytes.size() % 4 != 0) {
    return Status::Invalid("cannot encode ", bytes.size(), " bytes as Z85: not a multiple of 4");
  }
  std::string out;
  out.reserve(bytes.size() / 4 * 5);
  for (size_t i = 0; i < bytes.size(); i += 4) {
    uint32_t v = 0;
    for (size_t j = 0; j < 4; ++j) v = (v << 8) | static_cast<uint8_t>(bytes[i + j]);
    char block[5];
    for (int j = 4; j >= 0; --j) {
      block[j] = kZ85Alphabet[v % 85];
      v /= 85;
    }
    out.append(block, 5);
  }
  return out;
}

std::string EncodeRoaringBitmapArray(const std::vector<uint64_t>& sorted_rows) {
  std::string out;
  PutLE<uint32_t>(&out, kDvMagic);
  size_t count_pos = out.size();
  PutLE<uint64_t>(&out, 0);
  uint64_t buckets = 0;
  const uint64_t* p = sorted_rows.data();
  const uint64_t* end = p + sorted_rows.size();
  while (p != end) {
    uint32_t high = static_cast<uint32_t>(*p >> 32);
    const uint64_t* q = p;
    while (q != end && static_cast<uint32_t>(*q >> 32) == high) ++q;
    PutLE<uint32_t>(&out, high);
    EncodeRoaring32(p, q, &out);
    ++buckets;
    p = q;
  }
  for (size_t i = 0; i < 8; ++i) out[count_pos + i] = static_cast<char>((buckets >> (8 * i)) & 0xFF);
  return out;
}

uint32_t Crc32(std::string_view data) {
  static const auto table = [] {
    std::vector<uint32_t> t(256);
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t crc = 0xFFFFFFFFu;
  for (char ch : data) crc = table[(crc ^ static_cast<uint8_t>(ch)) & 0xFF] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

DeletionVectorFileWriter::DeletionVectorFileWriter() {
  std::random_device rd;
  std::mt19937_64 gen((static_cast<uint64_t>(rd()) << 32) ^ rd());
  uuid_.resize(16);
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t v = gen();
    for (size_t j = 0; j < 8; ++j) uuid_[i + j] = static_cast<char>((v >> (8 * j)) & 0xFF);
  }
  uuid_[6] = static_cast<char>((static_cast<uint8_t>(uuid_[6]) & 0x0F) | 0x40);  // version 4
  uuid_[8] = static_cast<char>((static_cast<uint8_t>(uuid_[8]) & 0x3F) | 0x80);  // variant
  bytes_.push_back(static_cast<char>(1));  // format version
}

std::string DeletionVectorFileWriter::file_name() const {
  return "deletion_vector_" + UuidText(uuid_) + ".bin";
}

Result<DeletionVectorDescriptor> DeletionVectorFileWriter::Add(
    const std::vector<uint64_t>& sorted_rows) {
  std::string bitmap = EncodeRoaringBitmapArray(sorted_rows);
  if (bytes_.size() + bitmap.size() + 8 > 0x7FFFFFFF) {
    return Status::CapacityError("deletion vector file larger than 2 GiB");
  }
  DeletionVectorDescriptor dv;
  dv.storage_type = "u";
  ARROW_ASSIGN_OR_RAISE(dv.path_or_inline_dv, EncodeZ85(uuid_));
  dv.offset = static_cast<int32_t>(bytes_.size());
  dv.size_in_bytes = static_cast<int32_t>(bitmap.size());
  dv.cardinality = static_cast<int64_t>(sorted_rows.size());
  PutBE32(&bytes_, static_cast<uint32_t>(bitmap.size()));
  bytes_ += bitmap;
  PutBE32(&bytes_, Crc32(bitmap));
  ++count_;
  return dv;
}

std::vector<uint64_t> MergeRows(const std::vector<uint64_t>& a, const std::vector<uint64_t>& b) {
  std::vector<uint64_t> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

Result<std::vector<uint64_t>> DecodeRoaringBitmapArray(std::string_view data) {
  ByteReader r(data);
  uint32_t magic;
  if (!r.ReadLE(&magic)) return Truncated("magic number");
  if (__builtin_bswap32(magic) == kDvNativeMagic) {
    // The older "native" layout (big-endian header): a count of 32-bit bitmaps,
    // each with its byte size; bitmap i holds the values with high half i.
    uint32_t count;
    if (!r.ReadLE(&count)) return Truncated("bitmap count");
    count = __builtin_bswap32(count);
    if (count > data.size()) return Status::Invalid("corrupt deletion vector: ", count, " bitmaps");
    std::vector<uint64_t> out;
    for (uint32_t i = 0; i < count; ++i) {
      uint32_t size;
      if (!r.ReadLE(&size)) return Truncated("bitmap size");
      size_t start = r.pos();
      ARROW_RETURN_NOT_OK(DecodeRoaring32(&r, i, &out));
      if (r.pos() - start != __builtin_bswap32(size)) {
        return Status::Invalid("corrupt deletion vector: bitmap ", i, " has the wrong size");
      }
    }
    if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());
    return out;
  }
  if (magic != kDvMagic) {
    return Status::Invalid("corrupt deletion vector: magic number ", magic, " instead of ", kDvMagic);
  }
  uint64_t buckets;
  if (!r.ReadLE(&buckets)) return Truncated("bucket count");
  if (buckets > data.size()) return Status::Invalid("corrupt deletion vector: ", buckets, " buckets");
  std::vector<uint64_t> out;
  for (uint64_t b = 0; b < buckets; ++b) {
    uint32_t key;
    if (!r.ReadLE(&key)) return Truncated("bucket key");
    ARROW_RETURN_NOT_OK(DecodeRoaring32(&r, key, &out));
  }
  if (!std::is_sorted(out.begin(), out.end())) std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> DeletionVectorPath(const DeletionVectorDescriptor& dv,
                                       const std::string& table_root) {
  if (dv.storage_type == "p") return DecodeActionPath(dv.path_or_inline_dv);
  if (dv.storage_type != "u") {
    return Status::Invalid("deletion vector storage type '", dv.storage_type, "' has no file");
  }
  const std::string& s = dv.path_or_inline_dv;
  if (s.size() < 20) {
    return Status::Invalid("invalid deletion vector path '", s, "': shorter than 20 characters");
  }
  std::string prefix = s.substr(0, s.size() - 20);
  ARROW_ASSIGN_OR_RAISE(auto uuid, DecodeZ85(std::string_view(s).substr(s.size() - 20)));
  std::string name = "deletion_vector_" + UuidText(uuid) + ".bin";
  std::string dir = prefix.empty() ? table_root : JoinPath(table_root, prefix);
  return JoinPath(dir, name);
}

Result<std::vector<uint64_t>> LoadDeletionVector(const Engine& engine,
                                                 const DeletionVectorDescriptor& dv,
                                                 const std::string& table_root) {
  auto named = [&](const Status& st, const std::string& where) {
    return Status::FromArgs(st.code(), "cannot load deletion vector ", dv.UniqueId(), where, ": ",
                            st.message());
  };
  std::string bytes;
  std::string where;
  if (dv.storage_type == "i") {
    auto decoded = DecodeZ85(dv.path_or_inline_dv);
    if (!decoded.ok()) return named(decoded.status(), "");
    bytes = std::move(*decoded);
    if (dv.size_in_bytes > 0 && static_cast<size_t>(dv.size_in_bytes) < bytes.size()) {
      bytes.resize(dv.size_in_bytes);
    }
  } else {
    auto path = DeletionVectorPath(dv, table_root);
    if (!path.ok()) return named(path.status(), "");
    where = " from '" + *path + "'";
    int64_t offset = dv.offset.value_or(1);
    // The stored form is: 4-byte big-endian size, the bitmap, a 4-byte checksum.
    auto data = engine.storage->ReadRange(*path, offset, 4 + static_cast<int64_t>(dv.size_in_bytes));
    if (!data.ok()) return named(data.status(), where);
    const uint8_t* p = (*data)->data();
    uint32_t size = (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
    if (size != static_cast<uint32_t>(dv.size_in_bytes)) {
      return named(Status::Invalid("the stored size ", size, " differs from sizeInBytes ",
                                   dv.size_in_bytes),
                   where);
    }
    bytes.assign(reinterpret_cast<const char*>(p + 4), size);
  }
  auto rows = DecodeRoaringBitmapArray(bytes);
  if (!rows.ok()) return named(rows.status(), where);
  if (static_cast<int64_t>(rows->size()) != dv.cardinality) {
    return named(Status::Invalid("it holds ", rows->size(), " rows but its cardinality is ",
                                 dv.cardinality),
                 where);
  }
  return rows;
}

}  // namespace shoal::delta
