// DeltaTableProvider::statistics(): per-column min / max / null count / ndv
// merged over the live files' statistics and partition values.
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <limits>

#include <arrow/api.h>
#include <gtest/gtest.h>

#include "delta_test_util.h"
#include "shoal/delta/delta_table.h"
#include "shoal/delta/stats.h"
#include "shoal/delta/table_statistics.h"

namespace shoal::delta::test {
namespace {

// Schema: id long, x double, ts timestamp, s string, p int (partition column).
std::string Header(const std::string& configuration = "{}", const std::string& id_meta = "{}",
                   const std::string& protocol =
                       R"({"protocol":{"minReaderVersion":1,"minWriterVersion":2}})") {
  auto field = [](const std::string& name, const std::string& type,
                  const std::string& meta = "{}") {
    return R"({\"name\":\")" + name + R"(\",\"type\":\")" + type +
           R"(\",\"nullable\":true,\"metadata\":)" + meta + "}";
  };
  std::string schema = R"({\"type\":\"struct\",\"fields\":[)" + field("id", "long", id_meta) +
                       "," + field("x", "double") + "," + field("ts", "timestamp") + "," +
                       field("s", "string") + "," + field("p", "integer") + "]}";
  return protocol + "\n" +
         R"({"metaData":{"id":"t1","format":{"provider":"parquet","options":{}},"schemaString":")" +
         schema + R"(","partitionColumns":["p"],"configuration":)" + configuration + "}}\n";
}

// An add line with JSON `stats` (escaped here) and partition value `p` ("null": null).
std::string Add(const std::string& path, const std::string& p, const std::string& stats,
                const std::string& extra = "") {
  std::string escaped;
  for (char c : stats) {
    if (c == '"') escaped += '\\';
    escaped += c;
  }
  std::string pv = p == "null" ? "null" : "\"" + p + "\"";
  return R"({"add":{"path":")" + path + R"(","partitionValues":{"p":)" + pv +
         R"(},"size":100,"modificationTime":1,"dataChange":true)" +
         (stats.empty() ? "" : R"(,"stats":")" + escaped + "\"") + extra + "}}\n";
}

class TableStatisticsTest : public ::testing::Test {
 protected:
  void SetUp() override { DELTA_ASSERT_OK(arrow::compute::Initialize()); }

  // Load the table's latest snapshot and return its statistics.
  TableStatistics Stats(const DeltaTableOptions& options = {}) {
    auto snap = table_.Load();
    EXPECT_TRUE(snap.ok()) << snap.status().ToString();
    if (!snap.ok()) return {};
    auto provider = DeltaTableProvider::FromSnapshot(*snap, nullptr, options);
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    if (!provider.ok()) return {};
    schema_ = (*provider)->schema();
    return (*provider)->statistics();
  }
  const ColumnStatistics& Col(const TableStatistics& s, const std::string& name) {
    static const ColumnStatistics kNone;
    int idx = schema_ ? schema_->GetFieldIndex(name) : -1;
    EXPECT_GE(idx, 0) << name;
    EXPECT_EQ(s.columns.size(), static_cast<size_t>(schema_->num_fields()));
    if (idx < 0 || static_cast<size_t>(idx) >= s.columns.size()) return kNone;
    return s.columns[idx];
  }

  MemoryTable table_;
  std::shared_ptr<arrow::Schema> schema_;
};

void ExpectInt64(const std::shared_ptr<arrow::Scalar>& s, int64_t v) {
  ASSERT_NE(s, nullptr);
  ASSERT_TRUE(s->type->Equals(*arrow::int64())) << s->type->ToString();
  EXPECT_EQ(static_cast<const arrow::Int64Scalar&>(*s).value, v);
}

TEST_F(TableStatisticsTest, MergesBoundsNullsAndRows) {
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"id":5,"x":-1.5,"ts":"2026-01-01T00:00:00.000Z"},)"
                           R"("maxValues":{"id":9,"x":2.5,"ts":"2026-01-02T00:00:00.123Z"},)"
                           R"("nullCount":{"id":0,"x":1,"ts":0,"s":0}})") +
                       Add("b.parquet", "3",
                           R"({"numRecords":4,"minValues":{"id":-2,"x":0.5,"ts":"2025-12-31T00:00:00.000Z"},)"
                           R"("maxValues":{"id":7,"x":10.0,"ts":"2026-01-01T00:00:00.000Z"},)"
                           R"("nullCount":{"id":1,"x":0,"ts":0,"s":2}})"));
  auto s = Stats();
  ASSERT_TRUE(s.num_rows.has_value());
  EXPECT_EQ(*s.num_rows, 7);
  EXPECT_TRUE(s.exact);
  EXPECT_EQ(s.total_bytes, 200);

  const auto& id = Col(s, "id");
  ExpectInt64(id.min, -2);
  ExpectInt64(id.max, 9);
  EXPECT_EQ(id.null_count, 1);
  EXPECT_FALSE(id.distinct_count.has_value());  // derived by the optimizer from the range

  const auto& x = Col(s, "x");
  ASSERT_NE(x.min, nullptr);
  EXPECT_EQ(static_cast<const arrow::DoubleScalar&>(*x.min).value, -1.5);
  EXPECT_EQ(static_cast<const arrow::DoubleScalar&>(*x.max).value, 10.0);
  EXPECT_EQ(x.null_count, 1);

  // Timestamp maxima are widened by the allowed millisecond truncation.
  const auto& ts = Col(s, "ts");
  ASSERT_NE(ts.max, nullptr);
  ASSERT_TRUE(ts.max->type->Equals(*Col(s, "ts").min->type));
  const int64_t max_us = static_cast<const arrow::TimestampScalar&>(*ts.max).value;
  const int64_t min_us = static_cast<const arrow::TimestampScalar&>(*ts.min).value;
  EXPECT_EQ(max_us % 1000000, 123999);
  EXPECT_LT(min_us, max_us);

  // Strings: null count only (no bounds, as for Parquet tables).
  const auto& str = Col(s, "s");
  EXPECT_EQ(str.null_count, 2);
  EXPECT_EQ(str.min, nullptr);

  // Partition column: bounds, nulls and exact ndv from partition values.
  const auto& p = Col(s, "p");
  ASSERT_NE(p.min, nullptr);
  EXPECT_EQ(static_cast<const arrow::Int32Scalar&>(*p.min).value, 1);
  EXPECT_EQ(static_cast<const arrow::Int32Scalar&>(*p.max).value, 3);
  EXPECT_EQ(p.null_count, 0);
  EXPECT_EQ(p.distinct_count, 2.0);
}

// statistics() decodes each file's statistics and drops them when the snapshot
// has not decoded them (for skipping) yet, else aggregates the decoded ones:
// both give the same answer.
TEST_F(TableStatisticsTest, StreamedAndDecodedAgree) {
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"id":5,"x":-1.5,"ts":"2026-01-01T00:00:00.000Z","s":"a"},)"
                           R"("maxValues":{"id":9,"x":2.5,"ts":"2026-01-02T00:00:00.123Z","s":"b"},)"
                           R"("nullCount":{"id":0,"x":1,"ts":0,"s":0}})") +
                       Add("b.parquet", "null",
                           R"({"numRecords":4,"minValues":{"id":-2,"x":0.5},"maxValues":{"id":7,"x":10.0},)"
                           R"("nullCount":{"id":1,"x":0,"ts":4,"s":2}})"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  DELTA_ASSERT_OK_AND_ASSIGN(auto streamed, DeltaTableProvider::FromSnapshot(snap, nullptr, {}));
  auto a = streamed->statistics();
  EXPECT_EQ(snap->decoded_file_stats(), nullptr);  // statistics() kept nothing
  ASSERT_EQ(snap->file_stats().size(), 2u);
  ASSERT_NE(snap->decoded_file_stats(), nullptr);
  DELTA_ASSERT_OK_AND_ASSIGN(auto decoded, DeltaTableProvider::FromSnapshot(snap, nullptr, {}));
  auto b = decoded->statistics();
  EXPECT_EQ(a.num_rows, b.num_rows);
  ASSERT_EQ(a.columns.size(), b.columns.size());
  for (size_t c = 0; c < a.columns.size(); ++c) {
    SCOPED_TRACE(c);
    EXPECT_EQ(a.columns[c].null_count, b.columns[c].null_count);
    EXPECT_EQ(a.columns[c].distinct_count, b.columns[c].distinct_count);
    ASSERT_EQ(a.columns[c].min == nullptr, b.columns[c].min == nullptr);
    ASSERT_EQ(a.columns[c].max == nullptr, b.columns[c].max == nullptr);
    if (a.columns[c].min) EXPECT_TRUE(a.columns[c].min->Equals(*b.columns[c].min));
    if (a.columns[c].max) EXPECT_TRUE(a.columns[c].max->Equals(*b.columns[c].max));
  }
  EXPECT_NE(a.columns[0].min, nullptr);  // id
  EXPECT_EQ(a.columns[2].null_count, 4);  // ts
  EXPECT_EQ(a.columns[4].null_count, 4);  // p: b's rows
}

TEST_F(TableStatisticsTest, FileWithoutStatsMakesEverythingUnknown) {
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"id":5},"maxValues":{"id":9},)"
                           R"("nullCount":{"id":0}})") +
                       Add("b.parquet", "2", ""));
  auto s = Stats();
  EXPECT_FALSE(s.num_rows.has_value());
  const auto& id = Col(s, "id");
  EXPECT_EQ(id.min, nullptr);
  EXPECT_EQ(id.max, nullptr);
  EXPECT_FALSE(id.null_count.has_value());
  // Partition values are known for every file: ndv and bounds, but not the
  // null count rows (row counts are needed only for null partition values).
  const auto& p = Col(s, "p");
  EXPECT_EQ(p.distinct_count, 2.0);
  EXPECT_NE(p.min, nullptr);
  EXPECT_EQ(p.null_count, 0);
}

TEST_F(TableStatisticsTest, MissingBoundOfOneFileIsUnknownButAllNullFileIsNot) {
  // c: all 2 rows of `id` null (no bounds written); d: `x` has values but no bounds.
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"id":5,"x":1.0},"maxValues":{"id":9,"x":2.0},)"
                           R"("nullCount":{"id":0,"x":0}})") +
                       Add("c.parquet", "null",
                           R"({"numRecords":2,"minValues":{"x":0.0},"maxValues":{"x":3.0},)"
                           R"("nullCount":{"id":2,"x":0}})") +
                       Add("d.parquet", "1",
                           R"({"numRecords":1,"minValues":{"id":1},"maxValues":{"id":1},)"
                           R"("nullCount":{"id":0,"x":0}})"));
  auto s = Stats();
  ASSERT_EQ(s.num_rows, 6);
  const auto& id = Col(s, "id");
  ExpectInt64(id.min, 1);
  ExpectInt64(id.max, 9);
  EXPECT_EQ(id.null_count, 2);
  const auto& x = Col(s, "x");
  EXPECT_EQ(x.min, nullptr);
  EXPECT_EQ(x.max, nullptr);
  EXPECT_EQ(x.null_count, 0);
  // The null partition value counts the file's rows as nulls.
  const auto& p = Col(s, "p");
  EXPECT_EQ(p.null_count, 2);
  EXPECT_EQ(p.distinct_count, 1.0);
  // A missing nullCount entry makes the null count unknown.
  table_.Commit(1, Add("e.parquet", "1",
                       R"({"numRecords":1,"minValues":{"id":0},"maxValues":{"id":0},"nullCount":{}})"));
  auto s1 = Stats();
  EXPECT_FALSE(Col(s1, "id").null_count.has_value());
  ExpectInt64(Col(s1, "id").min, 0);
}

TEST_F(TableStatisticsTest, DeletionVectorsAndRemovedFiles) {
  const std::string dv =
      R"(,"deletionVector":{"storageType":"u","pathOrInlineDv":"ab^-aqEH.-t@S}K{vb[*k^",)"
      R"("offset":1,"sizeInBytes":36,"cardinality":3})";
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":4,"minValues":{"id":5},"maxValues":{"id":9},"nullCount":{"id":4}})",
                           dv) +
                       Add("b.parquet", "2",
                           R"({"numRecords":10,"minValues":{"id":100},"maxValues":{"id":200},"nullCount":{"id":0}})"));
  auto s = Stats();
  EXPECT_EQ(s.num_rows, 11);  // 4 - 3 + 10
  // All 4 physical rows of a's id are null: no bounds from a; null count at most the live rows.
  ExpectInt64(Col(s, "id").min, 100);
  EXPECT_EQ(Col(s, "id").null_count, 4);

  // Removing b: its bounds no longer count.
  table_.Commit(1, RemoveLine("b.parquet"));
  auto s1 = Stats();
  EXPECT_EQ(s1.num_rows, 1);
  EXPECT_EQ(Col(s1, "id").null_count, 1);  // clamped to the live rows
  EXPECT_EQ(Col(s1, "id").min, nullptr);
  EXPECT_EQ(Col(s1, "p").distinct_count, 1.0);
}

TEST_F(TableStatisticsTest, ColumnMappingUsesPhysicalNames) {
  table_.Commit(0, Header(R"({"delta.columnMapping.mode":"name","delta.columnMapping.maxColumnId":"5"})",
                          R"({\"delta.columnMapping.id\":1,\"delta.columnMapping.physicalName\":\"col-7f3a\"})",
                          R"({"protocol":{"minReaderVersion":2,"minWriterVersion":5}})") +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"col-7f3a":11,"id":99},)"
                           R"("maxValues":{"col-7f3a":12,"id":99},"nullCount":{"col-7f3a":0}})"));
  auto s = Stats();
  ExpectInt64(Col(s, "id").min, 11);
  ExpectInt64(Col(s, "id").max, 12);
  EXPECT_EQ(Col(s, "id").null_count, 0);
}

TEST_F(TableStatisticsTest, TimeTravelHasItsOwnStatistics) {
  table_.Commit(0, Header() + Add("a.parquet", "1",
                                  R"({"numRecords":3,"minValues":{"id":5},"maxValues":{"id":9},"nullCount":{"id":0}})"));
  table_.Commit(1, Add("b.parquet", "1",
                       R"({"numRecords":2,"minValues":{"id":50},"maxValues":{"id":90},"nullCount":{"id":0}})"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  DELTA_ASSERT_OK_AND_ASSIGN(auto latest, DeltaTableProvider::FromSnapshot(snap, nullptr, {}));
  auto s = latest->statistics();
  ExpectInt64(s.columns[0].max, 90);
  EXPECT_EQ(s.num_rows, 5);
  TableVersion v0;
  v0.version = 0;
  DELTA_ASSERT_OK_AND_ASSIGN(auto old, latest->TimeTravel(v0));
  auto s0 = old->statistics();
  ExpectInt64(s0.columns[0].max, 9);
  EXPECT_EQ(s0.num_rows, 3);
  // Asked again: the same (cached) answer.
  ExpectInt64(latest->statistics().columns[0].max, 90);
}

TEST_F(TableStatisticsTest, OnlyFilesAndFileColumns) {
  table_.Commit(0, Header() +
                       Add("a.parquet", "1",
                           R"({"numRecords":3,"minValues":{"id":5},"maxValues":{"id":9},"nullCount":{"id":0}})") +
                       Add("b.parquet", "2",
                           R"({"numRecords":2,"minValues":{"id":50},"maxValues":{"id":90},"nullCount":{"id":0}})"));
  DeltaTableOptions options;
  options.only_files = std::make_shared<std::set<std::string>>(std::set<std::string>{"b.parquet"});
  options.file_column_name = "__file";
  options.file_index_column_name = "__fidx";
  auto s = Stats(options);
  EXPECT_EQ(s.num_rows, 2);
  ExpectInt64(Col(s, "id").min, 50);
  EXPECT_EQ(Col(s, "__file").distinct_count, 1.0);
  EXPECT_EQ(Col(s, "__file").null_count, 0);
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  int32_t b_index = snap->files()[0].path == "b.parquet" ? 0 : 1;
  ASSERT_EQ(snap->files()[b_index].path, "b.parquet");
  const auto& fidx = Col(s, "__fidx");
  ASSERT_NE(fidx.min, nullptr);
  EXPECT_EQ(static_cast<const arrow::Int32Scalar&>(*fidx.min).value, b_index);
  EXPECT_EQ(static_cast<const arrow::Int32Scalar&>(*fidx.max).value, b_index);
}

TEST_F(TableStatisticsTest, DictionaryPartitionValuesReportNoBounds) {
  table_.Commit(0, Header() + Add("a.parquet", "4", R"({"numRecords":1,"nullCount":{}})") +
                       Add("b.parquet", "7", R"({"numRecords":1,"nullCount":{}})"));
  DeltaTableOptions options;
  options.dictionary_partition_values = true;
  auto s = Stats(options);
  const auto& p = Col(s, "p");
  EXPECT_EQ(p.min, nullptr);
  EXPECT_EQ(p.distinct_count, 2.0);
  EXPECT_EQ(p.null_count, 0);
}

// The builder on its own: stats_parsed of a widened column, NaN bounds.
TEST(TableStatisticsBuilderTest, WidenedStatsParsedAndNaN) {
  StatsColumnSource widened;
  widened.kind = StatsColumnSource::Kind::kData;
  widened.physical_name = "v";
  widened.type = arrow::int64();
  StatsColumnSource dbl = widened;
  dbl.physical_name = "d";
  dbl.type = arrow::float64();
  TableStatisticsBuilder builder({widened, dbl});

  ParsedStats a;  // written when v was an int
  a.num_records = 2;
  a.min_values["v"] = std::make_shared<arrow::Int32Scalar>(-7);
  a.max_values["v"] = std::make_shared<arrow::Int32Scalar>(3);
  a.null_count["v"] = 0;
  a.min_values["d"] = std::make_shared<arrow::DoubleScalar>(1.0);
  a.max_values["d"] = std::make_shared<arrow::DoubleScalar>(std::numeric_limits<double>::quiet_NaN());
  a.null_count["d"] = 0;
  ParsedStats b;
  b.num_records = 5;
  b.min_values["v"] = std::make_shared<arrow::Int64Scalar>(int64_t{1} << 40);
  b.max_values["v"] = std::make_shared<arrow::Int64Scalar>((int64_t{1} << 40) + 1);
  b.null_count["v"] = 1;
  b.min_values["d"] = std::make_shared<arrow::DoubleScalar>(0.0);
  b.max_values["d"] = std::make_shared<arrow::DoubleScalar>(2.0);
  b.null_count["d"] = 0;
  FileStatsView fa;
  fa.stats = &a;
  FileStatsView fb;
  fb.index = 1;
  fb.stats = &b;
  builder.Add(fa);
  builder.Add(fb);
  auto s = builder.Finish();
  EXPECT_EQ(s.num_rows, 7);
  ExpectInt64(s.columns[0].min, -7);
  ExpectInt64(s.columns[0].max, (int64_t{1} << 40) + 1);
  EXPECT_EQ(s.columns[0].null_count, 1);
  EXPECT_EQ(s.columns[1].min, nullptr);  // a NaN bound: unknown
  EXPECT_EQ(s.columns[1].max, nullptr);
  EXPECT_EQ(s.columns[1].null_count, 0);
}

}  // namespace
}  // namespace shoal::delta::test

namespace shoal::delta::test {
namespace {

// Manual measurement: SHOAL_DELTA_STATS_BENCH=<table path> times decoding the
// files' statistics and aggregating them (e.g. bench/data/delta/ckpt, 100,000 files).
TEST(TableStatisticsBench, DecodeAndAggregate) {
  const char* path = std::getenv("SHOAL_DELTA_STATS_BENCH");
  if (!path) GTEST_SKIP() << "set SHOAL_DELTA_STATS_BENCH to a Delta table path";
  auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
  auto t0 = std::chrono::steady_clock::now();
  DELTA_ASSERT_OK_AND_ASSIGN(auto table, DeltaTableProvider::Make(path));
  auto t1 = std::chrono::steady_clock::now();
  auto s = table->statistics();  // nothing decoded yet: streamed
  auto t2 = std::chrono::steady_clock::now();
  const auto& stats = table->snapshot()->file_stats();
  auto t3 = std::chrono::steady_clock::now();
  auto again = table->statistics();
  auto t4 = std::chrono::steady_clock::now();
  std::cout << table->snapshot()->files().size() << " files: open " << ms(t0, t1)
            << " ms, statistics() " << ms(t1, t2) << " ms, decode file statistics (for skipping) "
            << ms(t2, t3)
            << " ms, cached call " << ms(t3, t4) << " ms; rows "
            << (s.num_rows ? *s.num_rows : -1) << std::endl;
  for (int c = 0; c < table->schema()->num_fields(); ++c) {
    const auto& col = s.columns[c];
    std::cout << "  " << table->schema()->field(c)->name() << ": min "
              << (col.min ? col.min->ToString() : "?") << " max "
              << (col.max ? col.max->ToString() : "?") << " nulls "
              << (col.null_count ? std::to_string(*col.null_count) : "?") << std::endl;
  }
  EXPECT_EQ(stats.size(), table->snapshot()->files().size());
  // A second provider on the same snapshot aggregates from the decoded statistics.
  DELTA_ASSERT_OK_AND_ASSIGN(auto second,
                             DeltaTableProvider::FromSnapshot(table->snapshot(), table->filesystem(), {}));
  auto t5 = std::chrono::steady_clock::now();
  auto from_decoded = second->statistics();
  auto t6 = std::chrono::steady_clock::now();
  std::cout << "aggregate from decoded file statistics " << ms(t5, t6) << " ms" << std::endl;
  ASSERT_EQ(from_decoded.columns.size(), s.columns.size());
  for (size_t c = 0; c < s.columns.size(); ++c) {
    EXPECT_EQ(from_decoded.columns[c].null_count, s.columns[c].null_count);
    EXPECT_EQ(from_decoded.columns[c].min == nullptr, s.columns[c].min == nullptr);
    if (s.columns[c].min) EXPECT_TRUE(from_decoded.columns[c].min->Equals(*s.columns[c].min));
  }
  EXPECT_EQ(again.num_rows, s.num_rows);
}

}  // namespace
}  // namespace shoal::delta::test
