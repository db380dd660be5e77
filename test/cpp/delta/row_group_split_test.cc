// Big data files read by several morsels (row-group ranges) keep deletion
// vectors right: their row indexes are file-global.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <arrow/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "delta_test_util.h"
#include "shoal/delta/delta_table.h"

namespace shoal::delta::test {
namespace {

namespace fs = std::filesystem;

std::string DvTable() {
  const char* env = std::getenv("SHOAL_TESTDATA");
  return std::string(env ? env : "/work/shared/testdata") + "/delta/delta-rs/table-with-dv-small";
}

std::string ReadText(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Return the values of column 0 over every morsel of a full scan, in morsel order.
Result<std::vector<int32_t>> ScanValues(const std::string& root, int64_t split_bytes,
                                        size_t* num_morsels) {
  DeltaTableOptions options;
  options.split_bytes = split_bytes;
  ARROW_ASSIGN_OR_RAISE(auto table, DeltaTableProvider::Make(root, options));
  ScanRequest request;
  request.columns = {0};
  request.batch_size = 2;
  ARROW_ASSIGN_OR_RAISE(auto scan, table->Scan(request));
  std::vector<int32_t> out;
  *num_morsels = scan->morsels().size();
  for (const auto& m : scan->morsels()) {
    ARROW_ASSIGN_OR_RAISE(auto reader, m->Open());
    while (true) {
      ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
      if (!batch) break;
      const auto& col = static_cast<const arrow::Int32Array&>(*batch->column(0));
      for (int64_t i = 0; i < col.length(); ++i) out.push_back(col.Value(i));
    }
  }
  return out;
}

TEST(RowGroupSplitTest, DeletionVectorsAcrossSplits) {
  if (!fs::exists(DvTable())) GTEST_SKIP() << "no shared testdata at " << DvTable();
  fs::path dir = fs::temp_directory_path() / ("dread_split_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::copy(DvTable(), dir, fs::copy_options::recursive);
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::add);
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
  }
  // Rewrite the data file (values 0..9) as row groups of 3 rows.
  fs::path data;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() == ".parquet") data = e.path();
  }
  ASSERT_FALSE(data.empty());
  int64_t old_size = static_cast<int64_t>(fs::file_size(data));
  {
    DELTA_ASSERT_OK_AND_ASSIGN(auto in, arrow::io::ReadableFile::Open(data.string()));
    DELTA_ASSERT_OK_AND_ASSIGN(auto reader, parquet::arrow::OpenFile(in, arrow::default_memory_pool()));
    std::shared_ptr<arrow::Table> t;
    DELTA_ASSERT_OK(reader->ReadTable(&t));
    DELTA_ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(data.string()));
    DELTA_ASSERT_OK(parquet::arrow::WriteTable(*t, arrow::default_memory_pool(), out, 3));
    DELTA_ASSERT_OK(out->Close());
  }
  int64_t new_size = static_cast<int64_t>(fs::file_size(data));
  for (const auto& e : fs::directory_iterator(dir / "_delta_log")) {
    if (e.path().extension() != ".json") continue;
    std::string text = ReadText(e.path());
    std::string from = "\"size\":" + std::to_string(old_size);
    for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + 1)) {
      text.replace(p, from.size(), "\"size\":" + std::to_string(new_size));
    }
    std::ofstream(e.path(), std::ios::trunc) << text;
  }

  size_t whole_morsels = 0, split_morsels = 0;
  DELTA_ASSERT_OK_AND_ASSIGN(auto whole, ScanValues(dir.string(), int64_t{32} << 20, &whole_morsels));
  DELTA_ASSERT_OK_AND_ASSIGN(auto split, ScanValues(dir.string(), 100, &split_morsels));
  EXPECT_EQ(whole_morsels, 1u);
  EXPECT_GT(split_morsels, 4u);  // more morsels than row groups: some read nothing
  EXPECT_EQ(split, whole);
  EXPECT_LT(whole.size(), 10u);  // the deletion vector removed rows
  EXPECT_FALSE(whole.empty());
  fs::remove_all(dir);
}

}  // namespace
}  // namespace shoal::delta::test
