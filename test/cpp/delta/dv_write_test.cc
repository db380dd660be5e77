// The deletion vector writer (deletion_vector.h) against the reader.
#include <gtest/gtest.h>

#include <random>

#include "delta_test_util.h"
#include "shoal/delta/deletion_vector.h"

namespace shoal::delta::test {
namespace {

TEST(DvWriteTest, Z85RoundTripAndProtocolExample) {
  DELTA_ASSERT_OK_AND_ASSIGN(auto text, EncodeZ85(std::string("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8)));
  EXPECT_EQ(text, "HelloWorld");
  EXPECT_FALSE(EncodeZ85("abc").ok());
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  DELTA_ASSERT_OK_AND_ASSIGN(auto enc, EncodeZ85(all));
  DELTA_ASSERT_OK_AND_ASSIGN(auto dec, DecodeZ85(enc));
  EXPECT_EQ(dec, all);
  // The rows of PROTOCOL.md's inline example, as an inline DV of our encoding.
  std::string bitmap = EncodeRoaringBitmapArray({3, 4, 7, 11, 18, 29});
  EXPECT_EQ(bitmap.size(), 44u);  // magic, count, key, cookie, size, header, offset, 6 values
  DELTA_ASSERT_OK_AND_ASSIGN(auto inline_text, EncodeZ85(bitmap));
  DeletionVectorDescriptor dv;
  dv.storage_type = "i";
  dv.path_or_inline_dv = inline_text;
  dv.size_in_bytes = static_cast<int32_t>(bitmap.size());
  dv.cardinality = 6;
  MemoryTable t;
  DELTA_ASSERT_OK_AND_ASSIGN(auto rows, LoadDeletionVector(*t.engine(), dv, "mem/t"));
  EXPECT_EQ(rows, (std::vector<uint64_t>{3, 4, 7, 11, 18, 29}));
}

TEST(DvWriteTest, CrcMatchesKnownValue) {
  EXPECT_EQ(Crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(Crc32(""), 0u);
}

TEST(DvWriteTest, RoaringRoundTripAllContainerKinds) {
  std::vector<std::vector<uint64_t>> cases = {
      {},
      {0},
      {65535, 65536, 65537},
      {uint64_t{1} << 32, (uint64_t{3} << 32) | 5, (uint64_t{3} << 32) | 70000},
  };
  std::vector<uint64_t> dense;  // bitmap container (> 4096 values in one key)
  for (uint64_t i = 0; i < 10000; ++i) dense.push_back(i * 3);
  cases.push_back(dense);
  std::mt19937_64 gen(7);
  std::vector<uint64_t> random;
  for (int i = 0; i < 50000; ++i) random.push_back(gen() % (uint64_t{1} << 34));
  std::sort(random.begin(), random.end());
  random.erase(std::unique(random.begin(), random.end()), random.end());
  cases.push_back(random);
  for (const auto& rows : cases) {
    DELTA_ASSERT_OK_AND_ASSIGN(auto back, DecodeRoaringBitmapArray(EncodeRoaringBitmapArray(rows)));
    EXPECT_EQ(back, rows) << "rows: " << rows.size();
  }
}

TEST(DvWriteTest, FileRoundTripThroughLoadDeletionVector) {
  MemoryTable t;
  DeletionVectorFileWriter w;
  EXPECT_TRUE(w.empty());
  std::vector<uint64_t> a = {1, 2, 3, 100000};
  std::vector<uint64_t> b;
  for (uint64_t i = 0; i < 5000; ++i) b.push_back(i);
  DELTA_ASSERT_OK_AND_ASSIGN(auto dv_a, w.Add(a));
  DELTA_ASSERT_OK_AND_ASSIGN(auto dv_b, w.Add(b));
  EXPECT_FALSE(w.empty());
  EXPECT_EQ(dv_a.storage_type, "u");
  EXPECT_EQ(dv_a.path_or_inline_dv.size(), 20u);
  EXPECT_EQ(dv_a.offset, 1);
  EXPECT_EQ(dv_b.offset, 1 + 4 + dv_a.size_in_bytes + 4);
  EXPECT_EQ(dv_b.cardinality, 5000);
  DELTA_ASSERT_OK_AND_ASSIGN(auto path, DeletionVectorPath(dv_a, "mem/t"));
  EXPECT_EQ(path, "mem/t/" + w.file_name());
  ASSERT_EQ(w.bytes()[0], 1);
  t.storage()->Put(path, w.bytes());
  DELTA_ASSERT_OK_AND_ASSIGN(auto rows_a, LoadDeletionVector(*t.engine(), dv_a, "mem/t"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto rows_b, LoadDeletionVector(*t.engine(), dv_b, "mem/t"));
  EXPECT_EQ(rows_a, a);
  EXPECT_EQ(rows_b, b);
  // The checksum after each bitmap is the CRC-32 of the bitmap, big-endian.
  const std::string& f = w.bytes();
  std::string bitmap = f.substr(5, dv_a.size_in_bytes);
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc = (crc << 8) | static_cast<uint8_t>(f[5 + dv_a.size_in_bytes + i]);
  EXPECT_EQ(crc, Crc32(bitmap));
  EXPECT_EQ(MergeRows({1, 5, 9}, {2, 5, 10}), (std::vector<uint64_t>{1, 2, 5, 9, 10}));
  // Two writers never share a file name.
  DeletionVectorFileWriter other;
  EXPECT_NE(other.file_name(), w.file_name());
}

}  // namespace
}  // namespace shoal::delta::test
