// The data writer's lanes (row groups of one directory spread over threads,
// each lane writing its own files) and the reuse of a remembered snapshot.
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

#include <arrow/api.h>
#include <arrow/compute/initialize.h>
#include <arrow/filesystem/localfs.h>
#include <arrow/io/file.h>
#include <gtest/gtest.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "shoal/delta/delta_writer.h"
#include "shoal/delta/arrow_engine.h"
#include "shoal/delta/snapshot.h"
#include "shoal/delta/snapshot_reuse.h"

namespace shoal::delta::test {
namespace {

namespace fs = std::filesystem;

std::string TempDir(const std::string& name) {
  auto dir = fs::temp_directory_path() / ("shoal_pw_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(dir);
  return dir.string();
}

// Rows id = start .. start + n - 1 and part = id % parts, in batches of `batch_rows`.
std::shared_ptr<arrow::RecordBatchReader> Rows(int64_t start, int64_t n, int64_t batch_rows,
                                               int parts = 0) {
  auto schema = arrow::schema({arrow::field("id", arrow::int64()),
                               arrow::field("part", arrow::int32())});
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  for (int64_t off = 0; off < n; off += batch_rows) {
    int64_t m = std::min(batch_rows, n - off);
    arrow::Int64Builder ids;
    arrow::Int32Builder ps;
    for (int64_t i = 0; i < m; ++i) {
      EXPECT_TRUE(ids.Append(start + off + i).ok());
      EXPECT_TRUE(ps.Append(parts ? static_cast<int32_t>((start + off + i) % parts) : 0).ok());
    }
    batches.push_back(arrow::RecordBatch::Make(schema, m, {*ids.Finish(), *ps.Finish()}));
  }
  return *arrow::RecordBatchReader::Make(batches, schema);
}

struct FileSummary {
  int64_t rows = 0;
  int64_t id_sum = 0;
  int64_t files = 0;
  int64_t max_group_rows = 0;
  int64_t empty_groups = 0;
};

FileSummary Summarize(const Snapshot& snap) {
  FileSummary s;
  for (const auto& add : snap.files()) {
    auto path = JoinPath(snap.table_root(), DecodeActionPath(add.path));
    auto reader = parquet::ParquetFileReader::OpenFile(path);
    auto md = reader->metadata();
    for (int g = 0; g < md->num_row_groups(); ++g) {
      int64_t r = md->RowGroup(g)->num_rows();
      s.max_group_rows = std::max(s.max_group_rows, r);
      if (r == 0) ++s.empty_groups;
    }
    auto made = parquet::arrow::FileReader::Make(arrow::default_memory_pool(), std::move(reader));
    EXPECT_TRUE(made.ok());
    auto fr = std::move(*made);
    std::shared_ptr<arrow::Table> t;
    EXPECT_TRUE(fr->ReadTable(&t).ok());
    s.rows += t->num_rows();
    auto col = t->GetColumnByName("id");
    for (const auto& chunk : col->chunks()) {
      const auto& a = static_cast<const arrow::Int64Array&>(*chunk);
      for (int64_t i = 0; i < a.length(); ++i) s.id_sum += a.Value(i);
    }
    ++s.files;
  }
  return s;
}

TEST(ParallelWriteTest, BigBatchIsCutIntoRowGroupsAndFiles) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  std::string root = TempDir("big");
  const int64_t n = 3'000'000;
  DeltaWriteOptions options;
  options.target_file_size = 4 << 20;  // several files per lane
  auto written = WriteDeltaTable(root, Rows(0, n, n), options);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(written->num_rows, n);
  auto snap = Snapshot::Make(MakeArrowEngine(std::make_shared<arrow::fs::LocalFileSystem>()),
                             root);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  auto s = Summarize(**snap);
  EXPECT_EQ(s.rows, n);
  EXPECT_EQ(s.id_sum, n * (n - 1) / 2);
  EXPECT_EQ(s.files, written->num_files);
  EXPECT_GE(s.files, 2);
  EXPECT_EQ(s.empty_groups, 0);
  EXPECT_LE(s.max_group_rows, 1024 * 1024);
  // Every file's stats count its rows.
  for (const auto& add : (*snap)->files()) {
    ASSERT_TRUE(add.stats.has_value());
    EXPECT_NE(add.stats->find("\"numRecords\":"), std::string::npos);
  }
  fs::remove_all(root);
}

TEST(ParallelWriteTest, SmallBatchesAndPartitions) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  std::string root = TempDir("parts");
  const int64_t n = 200'000;
  DeltaWriteOptions options;
  options.partition_by = {"part"};
  options.target_file_size = 256 << 10;
  auto written = WriteDeltaTable(root, Rows(0, n, 1000, /*parts=*/3), options);
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto snap = Snapshot::Make(MakeArrowEngine(std::make_shared<arrow::fs::LocalFileSystem>()),
                             root);
  ASSERT_TRUE(snap.ok()) << snap.status().ToString();
  auto s = Summarize(**snap);
  EXPECT_EQ(s.rows, n);
  EXPECT_EQ(s.id_sum, n * (n - 1) / 2);
  EXPECT_EQ(s.empty_groups, 0);
  std::map<std::string, int64_t> per_part;
  for (const auto& add : (*snap)->files()) {
    EXPECT_EQ(add.path.find("part="), 0u) << add.path;
    ++per_part[*add.partition_values.at("part")];
  }
  EXPECT_EQ(per_part.size(), 3u);
  fs::remove_all(root);
}

TEST(SnapshotReuseTest, ReusedOnlyWhileTheLogIsUnchanged) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  std::string root = TempDir("reuse");
  auto engine = MakeArrowEngine(std::make_shared<arrow::fs::LocalFileSystem>());
  ASSERT_TRUE(WriteDeltaTable(root, Rows(0, 10, 10), {}).ok());
  auto v0 = Snapshot::Make(engine, root);
  ASSERT_TRUE(v0.ok());
  RememberSnapshot(root, *v0);
  EXPECT_EQ(FindRememberedSnapshot(root, std::nullopt), *v0);
  EXPECT_EQ(FindRememberedSnapshot(root, 0), *v0);
  EXPECT_EQ(FindRememberedSnapshot(root, 1), nullptr);
  EXPECT_EQ(FindRememberedSnapshot(root + "/other", std::nullopt), nullptr);

  DeltaWriteOptions append;
  append.mode = SaveMode::kAppend;
  ASSERT_TRUE(WriteDeltaTable(root, Rows(10, 10, 10), append).ok());
  EXPECT_EQ(FindRememberedSnapshot(root, std::nullopt), nullptr);  // version 1 exists
  EXPECT_EQ(FindRememberedSnapshot(root, 0), *v0);                 // version 0 unchanged

  // The table deleted and created again: its version 0 is another file.
  fs::remove_all(root);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(WriteDeltaTable(root, Rows(0, 20, 20), {}).ok());
  EXPECT_EQ(FindRememberedSnapshot(root, 0), nullptr);
  ForgetRememberedSnapshot();
  EXPECT_EQ(FindRememberedSnapshot(root, 0), nullptr);
  fs::remove_all(root);
}

}  // namespace
}  // namespace shoal::delta::test
