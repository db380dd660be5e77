// DmlScanProvider with PhysicalRowIds (dml.h): the row id is the row's
// physical index in its data file, also in a file with a deletion vector and
// several row groups, and with a scan filter that would prune row groups.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include <arrow/api.h>
#include <arrow/compute/api.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/arrow/writer.h>

#include "delta_test_util.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/dml.h"

namespace shoal::delta::test {
namespace {

namespace cp = arrow::compute;
namespace fs = std::filesystem;

class DmlPhysicalRowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(cp::Initialize().ok());
    const char* env = std::getenv("SHOAL_TESTDATA");
    fs::path src = std::string(env ? env : "/work/shared/testdata") +
                   "/delta/delta-rs/table-with-dv-small";  // values 0..9, 0 and 9 deleted
    if (!fs::exists(src)) GTEST_SKIP() << "no shared testdata at " << src;
    dir_ = fs::temp_directory_path() / ("dml_physical_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::copy(src, dir_, fs::copy_options::recursive);
    for (const auto& e : fs::recursive_directory_iterator(dir_)) {
      fs::permissions(e.path(), fs::perms::owner_all, fs::perm_options::add);
    }
    // The data file again as row groups of 3 rows, its size fixed in the log.
    fs::path data;
    for (const auto& e : fs::directory_iterator(dir_)) {
      if (e.path().extension() == ".parquet") data = e.path();
    }
    ASSERT_FALSE(data.empty());
    auto old_size = fs::file_size(data);
    {
      DELTA_ASSERT_OK_AND_ASSIGN(auto in, arrow::io::ReadableFile::Open(data.string()));
      DELTA_ASSERT_OK_AND_ASSIGN(auto reader,
                                 parquet::arrow::OpenFile(in, arrow::default_memory_pool()));
      std::shared_ptr<arrow::Table> t;
      DELTA_ASSERT_OK(reader->ReadTable(&t));
      DELTA_ASSERT_OK_AND_ASSIGN(auto out, arrow::io::FileOutputStream::Open(data.string()));
      DELTA_ASSERT_OK(parquet::arrow::WriteTable(*t, arrow::default_memory_pool(), out, 3));
      DELTA_ASSERT_OK(out->Close());
    }
    auto new_size = fs::file_size(data);
    for (const auto& e : fs::directory_iterator(dir_ / "_delta_log")) {
      std::stringstream ss;
      ss << std::ifstream(e.path()).rdbuf();
      std::string text = ss.str(), from = "\"size\":" + std::to_string(old_size);
      for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + 1)) {
        text.replace(p, from.size(), "\"size\":" + std::to_string(new_size));
      }
      std::ofstream(e.path(), std::ios::trunc) << text;
    }
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  /// Scan `columns` of the provider and return (value, row id) pairs.
  Result<std::vector<std::pair<int32_t, int64_t>>> Scan(const TableProvider& p,
                                                       std::vector<int> columns,
                                                       cp::Expression filter) {
    ScanRequest request;
    request.columns = std::move(columns);
    request.filter = std::move(filter);
    request.batch_size = 2;
    ARROW_ASSIGN_OR_RAISE(auto scan, p.Scan(request));
    std::vector<std::pair<int32_t, int64_t>> out;
    for (const auto& m : scan->morsels()) {
      ARROW_ASSIGN_OR_RAISE(auto reader, m->Open());
      while (true) {
        ARROW_ASSIGN_OR_RAISE(auto batch, reader->Next());
        if (!batch) break;
        EXPECT_EQ(batch->num_columns(), static_cast<int>(request.columns.size()));
        auto values = batch->GetColumnByName("value");
        auto ids = batch->GetColumnByName("__rid");
        if (!values || !ids) return Status::Invalid("missing columns: ", batch->schema()->ToString());
        for (int64_t i = 0; i < batch->num_rows(); ++i) {
          out.emplace_back(static_cast<const arrow::Int32Array&>(*values).Value(i),
                           static_cast<const arrow::Int64Array&>(*ids).Value(i));
        }
      }
    }
    return out;
  }

  fs::path dir_;
};

TEST_F(DmlPhysicalRowsTest, RowIdIsThePositionInTheFile) {
  DeltaTableOptions options;
  options.file_index_column_name = "__fidx";
  options.split_bytes = std::numeric_limits<int64_t>::max();
  DELTA_ASSERT_OK_AND_ASSIGN(auto table, DeltaTableProvider::Make(dir_.string(), options));
  DmlScanProvider physical(table, "__rid",
                           PhysicalRowIds{table->snapshot(), "__fidx", dir_.string()});
  DmlScanProvider per_scan(table, "__rid");
  const int value = physical.schema()->GetFieldIndex("value");
  const int fidx = physical.schema()->GetFieldIndex("__fidx");
  const int rid = physical.schema()->GetFieldIndex("__rid");
  ASSERT_GE(value, 0);
  std::vector<std::pair<int32_t, int64_t>> want;
  for (int v = 1; v <= 8; ++v) want.emplace_back(v, v);  // value v is row v; 0 and 9 deleted
  // With and without the file index column asked for; a filter that would
  // prune the first row groups is not passed on (all rows, physical ids).
  auto late = cp::greater_equal(cp::field_ref("value"), cp::literal(7));
  DELTA_ASSERT_OK_AND_ASSIGN(auto a, Scan(physical, {value, fidx, rid}, cp::literal(true)));
  EXPECT_EQ(a, want);
  DELTA_ASSERT_OK_AND_ASSIGN(auto b, Scan(physical, {rid, value}, late));
  EXPECT_EQ(b, want);
  EXPECT_TRUE(physical.last_filter().Equals(late));
  // Per-scan ids count the rows read (the deleted row 0 shifts them).
  DELTA_ASSERT_OK_AND_ASSIGN(auto c, Scan(per_scan, {value, rid}, cp::literal(true)));
  ASSERT_EQ(c.size(), want.size());
  EXPECT_EQ(c.front(), std::make_pair(1, int64_t{0}));
}

}  // namespace
}  // namespace shoal::delta::test
