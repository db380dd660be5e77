// Reads the shared parquet-testing files: bad files must error or read (never
// crash); good files must give the row count parquet::arrow gives.
#include <filesystem>

#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>

#include "io_test_util.h"
#include "shoal/io/parquet_table.h"

namespace shoal::test {
namespace {

const char* kTestData = "/work/shared/testdata/parquet";

std::vector<std::string> ParquetFilesIn(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".parquet") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Read with Shoal: returns the row count or an error.
arrow::Result<int64_t> ShoalRows(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto table, MakeParquetTable(path));
  ScanRequest req = AllColumns(*table);
  req.batch_size = 1000;
  ARROW_ASSIGN_OR_RAISE(auto got, ScanToTable(*table, req));
  return got->num_rows();
}

arrow::Result<int64_t> ReferenceRows(const std::string& path) {
  ARROW_ASSIGN_OR_RAISE(auto input, arrow::io::ReadableFile::Open(path));
  ARROW_ASSIGN_OR_RAISE(auto reader, parquet::arrow::OpenFile(input, arrow::default_memory_pool()));
  ARROW_ASSIGN_OR_RAISE(auto table, reader->ReadTable());
  ARROW_RETURN_NOT_OK(table->ValidateFull());
  return table->num_rows();
}

TEST(ParquetTestData, BadDataErrorsOrReadsNeverCrashes) {
  auto files = ParquetFilesIn(std::string(kTestData) + "/bad_data");
  if (files.empty()) GTEST_SKIP() << "no bad_data directory";
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  for (const auto& f : files) {
    auto rows = ShoalRows(f);
    if (!rows.ok()) {
      // The error names the file.
      std::string name = std::filesystem::path(f).filename();
      EXPECT_NE(rows.status().message().find(name), std::string::npos)
          << f << ": " << rows.status().ToString();
    }
    std::cout << "  " << std::filesystem::path(f).filename().string() << ": "
              << (rows.ok() ? std::to_string(*rows) + " rows" : rows.status().ToString())
              << "\n";
  }
}

TEST(ParquetTestData, GoodDataMatchesParquetArrowRowCounts) {
  auto files = ParquetFilesIn(std::string(kTestData) + "/data");
  if (files.empty()) GTEST_SKIP() << "no data directory";
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  int compared = 0;
  for (const auto& f : files) {
    // Decodes to more than 2 GB of strings before failing: too slow for a unit test.
    if (f.find("large_string_map") != std::string::npos) continue;
    auto expected = ReferenceRows(f);
    auto rows = ShoalRows(f);
    if (!expected.ok()) {
      if (!rows.ok()) {
        std::string name = std::filesystem::path(f).filename();
        EXPECT_NE(rows.status().message().find(name), std::string::npos)
            << f << ": " << rows.status().ToString();
      }
      continue;
    }
    ASSERT_TRUE(rows.ok()) << f << ": " << rows.status().ToString();
    EXPECT_EQ(*rows, *expected) << f;
    ++compared;
  }
  EXPECT_GT(compared, 20);
}

}  // namespace
}  // namespace shoal::test
