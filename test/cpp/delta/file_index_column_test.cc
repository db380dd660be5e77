// DeltaTableOptions::file_index_column_name: an int32 column holding each row's
// data file as its index in the snapshot's files() (MERGE's match pass).
#include <cstdlib>
#include <filesystem>
#include <map>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "delta_test_util.h"
#include "shoal/delta/delta_table.h"

namespace shoal::delta::test {
namespace {

std::string SimpleTable() {
  const char* env = std::getenv("SHOAL_TESTDATA");
  return std::string(env ? env : "/work/shared/testdata") + "/delta/delta-rs/simple_table";
}

TEST(FileIndexColumnTest, IndexNamesTheRowsFile) {
  if (!std::filesystem::exists(SimpleTable())) GTEST_SKIP() << "no testdata";
  DeltaTableOptions options;
  options.file_column_name = "__file";
  options.file_index_column_name = "__fidx";
  DELTA_ASSERT_OK_AND_ASSIGN(auto table, DeltaTableProvider::Make(SimpleTable(), options));
  auto schema = table->schema();
  int file_col = schema->GetFieldIndex("__file");
  int index_col = schema->GetFieldIndex("__fidx");
  ASSERT_GE(file_col, 0);
  ASSERT_GE(index_col, 0);
  EXPECT_TRUE(schema->field(index_col)->type()->Equals(*arrow::int32()));
  EXPECT_FALSE(schema->field(index_col)->nullable());

  const auto& files = table->snapshot()->files();
  ASSERT_GT(files.size(), 1u);
  ScanRequest request;
  request.columns = {index_col, file_col};
  DELTA_ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(request));
  std::map<int32_t, int64_t> rows_per_index;
  for (const auto& m : scan->morsels()) {
    DELTA_ASSERT_OK_AND_ASSIGN(auto reader, m->Open());
    while (true) {
      DELTA_ASSERT_OK_AND_ASSIGN(auto batch, reader->Next());
      if (!batch) break;
      const auto& idx = static_cast<const arrow::Int32Array&>(*batch->column(0));
      const auto& path = static_cast<const arrow::StringArray&>(*batch->column(1));
      for (int64_t i = 0; i < batch->num_rows(); ++i) {
        int32_t k = idx.Value(i);
        ASSERT_GE(k, 0);
        ASSERT_LT(static_cast<size_t>(k), files.size());
        EXPECT_EQ(path.GetString(i), DecodeActionPath(files[k].path));
        ++rows_per_index[k];
      }
    }
  }
  EXPECT_GT(rows_per_index.size(), 1u);  // rows of several files (some files hold none)
}

TEST(FileIndexColumnTest, NameClashIsAnError) {
  if (!std::filesystem::exists(SimpleTable())) GTEST_SKIP() << "no testdata";
  DeltaTableOptions options;
  options.file_index_column_name = "id";  // a table column
  auto table = DeltaTableProvider::Make(SimpleTable(), options);
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("file_index_column_name 'id'"), std::string::npos);
}

}  // namespace
}  // namespace shoal::delta::test
