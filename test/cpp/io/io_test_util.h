// Helpers shared by the io tests: temporary directories, writing test files with
// Arrow's writers, and draining a scan.
#pragma once

#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/writer.h>

#include "shoal/catalog/table_provider.h"

namespace shoal::test {

#define ASSERT_OK(expr)                                  \
  do {                                                   \
    auto _st = (expr);                                   \
    ASSERT_TRUE(_st.ok()) << _st.ToString();             \
  } while (0)

#define ASSERT_OK_AND_ASSIGN(lhs, rexpr)                          \
  auto ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__) = (rexpr);     \
  ASSERT_TRUE(ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__).ok())   \
      << ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__).status().ToString(); \
  lhs = std::move(ARROW_ASSIGN_OR_RAISE_NAME(_res_, __LINE__)).ValueOrDie()

/// A test fixture with a fresh temporary directory.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(arrow::compute::Initialize().ok());
    static std::mt19937_64 rng(std::random_device{}());
    dir_ = std::filesystem::temp_directory_path() /
           ("shoal_io_test_" + std::to_string(rng()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  /// Return the path of `rel` inside the temporary directory (parents created).
  std::string Path(const std::string& rel) {
    auto p = dir_ / rel;
    std::filesystem::create_directories(p.parent_path());
    return p.string();
  }
  std::filesystem::path dir_;
};

/// Return an int64 array with the given values.
inline std::shared_ptr<arrow::Array> Int64s(const std::vector<int64_t>& v) {
  arrow::Int64Builder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}

/// Return a utf8 array with the given values.
inline std::shared_ptr<arrow::Array> Strings(const std::vector<std::string>& v) {
  arrow::StringBuilder b;
  EXPECT_TRUE(b.AppendValues(v).ok());
  return b.Finish().ValueOrDie();
}

/// Return a table (x: 0..n-1, y: x*10 as double, s: "s<x>").
inline std::shared_ptr<arrow::Table> SampleTable(int64_t n, int64_t offset = 0) {
  arrow::Int64Builder x;
  arrow::DoubleBuilder y;
  arrow::StringBuilder s;
  for (int64_t i = offset; i < offset + n; ++i) {
    EXPECT_TRUE(x.Append(i).ok());
    EXPECT_TRUE(y.Append(i * 10.0).ok());
    EXPECT_TRUE(s.Append("s" + std::to_string(i)).ok());
  }
  auto schema = arrow::schema({arrow::field("x", arrow::int64()),
                               arrow::field("y", arrow::float64()),
                               arrow::field("s", arrow::utf8())});
  return arrow::Table::Make(schema, {x.Finish().ValueOrDie(), y.Finish().ValueOrDie(),
                                     s.Finish().ValueOrDie()});
}

/// Write `table` as Parquet with `row_group_size` rows per row group.
inline void WriteParquetFile(const std::shared_ptr<arrow::Table>& table, const std::string& path,
                             int64_t row_group_size = 1 << 20, bool store_schema = false) {
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  auto arrow_props = store_schema
                         ? parquet::ArrowWriterProperties::Builder().store_schema()->build()
                         : parquet::default_arrow_writer_properties();
  ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out,
                                       row_group_size, parquet::default_writer_properties(),
                                       arrow_props));
  ASSERT_OK(out->Close());
}

/// Write `text` to `path`.
inline void WriteText(const std::string& path, const std::string& text) {
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  ASSERT_OK(out->Write(text.data(), static_cast<int64_t>(text.size())));
  ASSERT_OK(out->Close());
}

/// Return a request for all columns of `table`.
inline ScanRequest AllColumns(const TableProvider& table) {
  ScanRequest r;
  for (int i = 0; i < table.schema()->num_fields(); ++i) r.columns.push_back(i);
  return r;
}

/// Open every morsel of `scan` in order and collect the rows into one table.
inline arrow::Result<std::shared_ptr<arrow::Table>> Drain(const TableScan& scan) {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (const auto& m : scan.morsels()) {
    ARROW_ASSIGN_OR_RAISE(auto reader, m->Open());
    if (!reader->schema()->Equals(*scan.schema())) {
      return arrow::Status::Invalid("morsel schema ", reader->schema()->ToString(),
                                    " differs from scan schema ", scan.schema()->ToString());
    }
    while (true) {
      std::shared_ptr<arrow::RecordBatch> b;
      ARROW_RETURN_NOT_OK(reader->ReadNext(&b));
      if (!b) break;
      ARROW_RETURN_NOT_OK(b->ValidateFull());
      batches.push_back(b);
    }
  }
  return arrow::Table::FromRecordBatches(scan.schema(), batches);
}

/// Scan `table` with `request` and collect the rows.
inline arrow::Result<std::shared_ptr<arrow::Table>> ScanToTable(const TableProvider& table,
                                                               const ScanRequest& request) {
  ARROW_ASSIGN_OR_RAISE(auto scan, table.Scan(request));
  return Drain(*scan);
}

/// Return `t` with its chunks combined (for comparisons).
inline std::shared_ptr<arrow::Table> Combined(const std::shared_ptr<arrow::Table>& t) {
  return t->CombineChunks().ValueOrDie();
}

}  // namespace shoal::test
