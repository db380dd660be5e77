#include <atomic>
#include <filesystem>
#include <thread>

#include <arrow/compute/expression.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io_test_util.h"
#include "shoal/io/parquet_table.h"

namespace shoal::test {
namespace {

namespace cp = arrow::compute;

class ParquetTableTest : public TempDirTest {};

TEST_F(ParquetTableTest, ReadsSingleFileOneMorselPerRowGroup) {
  auto data = SampleTable(1000);
  WriteParquetFile(data, Path("t.parquet"), 100);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  EXPECT_EQ(table->kind(), "parquet");
  EXPECT_TRUE(table->schema()->Equals(*data->schema()));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(AllColumns(*table)));
  EXPECT_EQ(scan->morsels().size(), 10u);
  for (size_t i = 0; i < scan->morsels().size(); ++i) {
    EXPECT_EQ(scan->morsels()[i]->index(), static_cast<int64_t>(i));
  }
  EXPECT_NE(scan->morsels()[3]->description().find("row group 3"), std::string::npos);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_TRUE(got->Equals(*data)) << got->ToString();
  auto stats = table->statistics();
  ASSERT_TRUE(stats.num_rows.has_value());
  EXPECT_EQ(*stats.num_rows, 1000);
  EXPECT_TRUE(stats.exact);
}

TEST_F(ParquetTableTest, ProjectsColumnsInRequestedOrderAndBatchSize) {
  WriteParquetFile(SampleTable(300), Path("t.parquet"), 300);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  ScanRequest req;
  req.columns = {2, 0};
  req.batch_size = 64;
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  ASSERT_EQ(scan->schema()->num_fields(), 2);
  EXPECT_EQ(scan->schema()->field(0)->name(), "s");
  EXPECT_EQ(scan->schema()->field(1)->name(), "x");
  ASSERT_OK_AND_ASSIGN(auto reader, scan->morsels()[0]->Open());
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_OK(reader->ReadNext(&b));
  ASSERT_TRUE(b);
  EXPECT_LE(b->num_rows(), 64);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 300);
  EXPECT_EQ(got->column(0)->GetScalar(299).ValueOrDie()->ToString(), "s299");
  EXPECT_EQ(got->column(1)->GetScalar(7).ValueOrDie()->ToString(), "7");
}

TEST_F(ParquetTableTest, EmptyProjectionKeepsRowCounts) {
  WriteParquetFile(SampleTable(250), Path("t.parquet"), 100);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  ScanRequest req;
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, req));
  EXPECT_EQ(got->num_columns(), 0);
  EXPECT_EQ(got->num_rows(), 250);
}

TEST_F(ParquetTableTest, PrunesRowGroupsByStatistics) {
  WriteParquetFile(SampleTable(1000), Path("t.parquet"), 100);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  auto req = AllColumns(*table);
  req.filter = cp::greater(cp::field_ref("x"), cp::literal(int64_t{850}));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  auto m = scan->planning_metrics();
  EXPECT_EQ(m.files_total, 1);
  EXPECT_EQ(m.row_groups_total, 10);
  EXPECT_EQ(m.row_groups_pruned, 8);
  EXPECT_EQ(scan->morsels().size(), 2u);
  // A filter on a string column and a conjunction.
  req.filter = cp::and_(cp::equal(cp::field_ref("s"), cp::literal("s5")),
                        cp::less(cp::field_ref("y"), cp::literal(100.0)));
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().row_groups_pruned, 9);
  // A filter that cannot be bound (unknown column) prunes nothing and is no error.
  req.filter = cp::greater(cp::field_ref("nope"), cp::literal(1));
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().row_groups_pruned, 0);
  EXPECT_EQ(scan->morsels().size(), 10u);
}

TEST_F(ParquetTableTest, PruningCanBeDisabled) {
  WriteParquetFile(SampleTable(1000), Path("t.parquet"), 100);
  ParquetOptions o;
  o.pruning = false;
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet"), o));
  auto req = AllColumns(*table);
  req.filter = cp::greater(cp::field_ref("x"), cp::literal(int64_t{850}));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().row_groups_pruned, 0);
}

TEST_F(ParquetTableTest, LimitStopsCreatingMorsels) {
  WriteParquetFile(SampleTable(1000), Path("t.parquet"), 100);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  auto req = AllColumns(*table);
  req.limit = 150;
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->morsels().size(), 2u);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 150);
}

TEST_F(ParquetTableTest, RunTimeMetricsCountRowsAndBytesRead) {
  WriteParquetFile(SampleTable(1000), Path("t.parquet"), 100);
  // The compressed size of columns x (leaf 0) and s (leaf 2) in row groups 9 and 8.
  auto input = arrow::io::ReadableFile::Open(Path("t.parquet")).ValueOrDie();
  auto meta = parquet::ParquetFileReader::Open(input)->metadata();
  int64_t expected_bytes = 0;
  for (int rg : {8, 9}) {
    for (int leaf : {0, 2}) {
      expected_bytes += meta->RowGroup(rg)->ColumnChunk(leaf)->total_compressed_size();
    }
  }
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t.parquet")));
  ScanRequest req;
  req.columns = {2, 0};
  req.filter = cp::greater(cp::field_ref("x"), cp::literal(int64_t{850}));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->metrics().rows_read, 0);
  EXPECT_EQ(scan->metrics().bytes_read, 0);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  auto m = scan->metrics();
  EXPECT_EQ(m.rows_read, 200);
  EXPECT_EQ(m.bytes_read, expected_bytes);
  EXPECT_EQ(m.row_groups_total, 10);  // planning counters are kept
  EXPECT_EQ(m.row_groups_pruned, 8);
  // A limit counts only the rows produced; no columns reads no bytes.
  req = ScanRequest{};
  req.limit = 150;
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(req));
  ASSERT_OK_AND_ASSIGN(got, Drain(*scan));
  EXPECT_EQ(scan->metrics().rows_read, 150);
  EXPECT_EQ(scan->metrics().bytes_read, 0);
}

TEST_F(ParquetTableTest, HivePartitionsDiscoveredTypedAndNull) {
  WriteParquetFile(SampleTable(10, 0), Path("t/year=2020/city=a%2Fb/p.parquet"));
  WriteParquetFile(SampleTable(10, 10), Path("t/year=2021/city=oslo/p.parquet"));
  WriteParquetFile(SampleTable(10, 20),
                   Path("t/year=2021/city=__HIVE_DEFAULT_PARTITION__/p.parquet"));
  WriteText(Path("t/_SUCCESS"), "");
  WriteText(Path("t/.hidden.parquet"), "garbage");
  WriteText(Path("t/_delta_log/x.parquet"), "garbage");
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t")));
  auto schema = table->schema();
  ASSERT_EQ(schema->num_fields(), 5);
  EXPECT_EQ(schema->field(3)->name(), "year");
  EXPECT_TRUE(schema->field(3)->type()->Equals(arrow::int64()));
  EXPECT_EQ(schema->field(4)->name(), "city");
  EXPECT_TRUE(schema->field(4)->type()->Equals(arrow::utf8()));

  ASSERT_OK_AND_ASSIGN(auto all, ScanToTable(*table, AllColumns(*table)));
  ASSERT_EQ(all->num_rows(), 30);
  auto city = Combined(all)->GetColumnByName("city");
  EXPECT_EQ(city->GetScalar(0).ValueOrDie()->ToString(), "a/b");  // unescaped
  EXPECT_EQ(city->null_count(), 10);

  // Partition pruning: only the 2021 files; only the null city.
  ScanRequest req;
  req.columns = {0, 3};
  req.filter = cp::equal(cp::field_ref("year"), cp::literal(int64_t{2021}));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().files_total, 3);
  EXPECT_EQ(scan->planning_metrics().files_pruned, 1);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 20);
  req.filter = cp::is_null(cp::field_ref("city"));
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().files_pruned, 2);
  // Only partition columns requested.
  req.columns = {4};
  req.filter = cp::literal(true);
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, req));
  EXPECT_EQ(got->num_rows(), 30);
}

TEST_F(ParquetTableTest, DeclaredPartitionTypes) {
  WriteParquetFile(SampleTable(5), Path("t/day=2024-01-02/p.parquet"));
  WriteParquetFile(SampleTable(5), Path("t/day=2024-01-03/p.parquet"));
  ParquetOptions o;
  o.partition_cols = {{"day", arrow::date32()}};
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("t"), o));
  EXPECT_TRUE(table->schema()->GetFieldByName("day")->type()->Equals(arrow::date32()));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(Combined(got)->GetColumnByName("day")->GetScalar(9).ValueOrDie()->ToString(),
            "2024-01-03");
  // A value that does not parse is a clear error naming the path.
  WriteParquetFile(SampleTable(5), Path("t/day=notadate/p.parquet"));
  auto bad = ScanToTable(*table, AllColumns(*table));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("notadate"), std::string::npos) << bad.status();
}

TEST_F(ParquetTableTest, GlobsAndFileUris) {
  WriteParquetFile(SampleTable(1), Path("g/a.parquet"));
  WriteParquetFile(SampleTable(2), Path("g/b.parquet"));
  WriteParquetFile(SampleTable(4), Path("g/sub/c.parquet"));
  WriteParquetFile(SampleTable(8), Path("g/sub/deeper/d.parquet"));
  auto rows = [&](const std::string& loc) -> int64_t {
    auto t = MakeParquetTable(loc);
    if (!t.ok()) return -1;
    auto got = ScanToTable(**t, AllColumns(**t));
    return got.ok() ? (*got)->num_rows() : -2;
  };
  EXPECT_EQ(rows(Path("g") + "/*.parquet"), 3);
  EXPECT_EQ(rows(Path("g") + "/?.parquet"), 3);
  EXPECT_EQ(rows(Path("g") + "/**/*.parquet"), 15);
  EXPECT_EQ(rows(Path("g") + "/sub/*/*.parquet"), 8);
  EXPECT_EQ(rows(Path("g")), 15);
  EXPECT_EQ(rows("file://" + Path("g/b.parquet")), 2);
}

TEST_F(ParquetTableTest, CompatibleSchemasMatchByNameIncompatibleNameBothFiles) {
  auto t1 = arrow::Table::Make(
      arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8())}),
      {Int64s({1, 2}), Strings({"x", "y"})});
  arrow::Int32Builder ib;
  ASSERT_OK(ib.AppendValues({3, 4, 5}));
  auto t2 = arrow::Table::Make(arrow::schema({arrow::field("c", arrow::utf8()),
                                              arrow::field("a", arrow::int32())}),
                               {Strings({"p", "q", "r"}), ib.Finish().ValueOrDie()});
  WriteParquetFile(t1, Path("e/1.parquet"));
  WriteParquetFile(t2, Path("e/2.parquet"));
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("e")));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  got = Combined(got);
  ASSERT_EQ(got->num_rows(), 5);
  EXPECT_EQ(got->column(0)->ToString(), Combined(arrow::Table::Make(
      arrow::schema({arrow::field("a", arrow::int64())}), {Int64s({1, 2, 3, 4, 5})}))->column(0)->ToString());
  EXPECT_EQ(got->column(1)->null_count(), 3);

  auto t3 = arrow::Table::Make(arrow::schema({arrow::field("a", arrow::utf8())}),
                               {Strings({"bad"})});
  WriteParquetFile(t3, Path("e/3.parquet"));
  auto bad = table->Scan(AllColumns(*table));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("1.parquet"), std::string::npos) << bad.status();
  EXPECT_NE(bad.status().message().find("3.parquet"), std::string::npos) << bad.status();
}

TEST_F(ParquetTableTest, DictionaryColumnsReadAsPlainValues) {
  auto dict = arrow::DictionaryArray::FromArrays(arrow::dictionary(arrow::int32(), arrow::utf8()),
                                                 [] {
                                                   arrow::Int32Builder b;
                                                   EXPECT_TRUE(b.AppendValues({0, 1, 0}).ok());
                                                   return b.Finish().ValueOrDie();
                                                 }(),
                                                 Strings({"red", "blue"}))
                  .ValueOrDie();
  auto t = arrow::Table::Make(arrow::schema({arrow::field("c", dict->type())}), {dict});
  WriteParquetFile(t, Path("d.parquet"), 100, /*store_schema=*/true);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("d.parquet")));
  EXPECT_TRUE(table->schema()->field(0)->type()->Equals(arrow::utf8()))
      << table->schema()->ToString();
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(Combined(got)->column(0)->GetScalar(2).ValueOrDie()->ToString(), "red");
}

TEST_F(ParquetTableTest, FootersAreCachedUntilTheFileChanges) {
  WriteParquetFile(SampleTable(100), Path("c/t.parquet"), 10);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("c")));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(AllColumns(*table)));
  EXPECT_EQ(scan->morsels().size(), 10u);
  // Overwrite the file with garbage of the same size and restore its mtime: planning
  // still works from the cached footer, which proves the footer is not re-read.
  auto path = Path("c/t.parquet");
  auto size = std::filesystem::file_size(path);
  auto mtime = std::filesystem::last_write_time(path);
  WriteText(path, std::string(size, 'z'));
  std::filesystem::last_write_time(path, mtime);
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(AllColumns(*table)));
  EXPECT_EQ(scan->morsels().size(), 10u);
  // A changed file (different size) is read again.
  WriteParquetFile(SampleTable(30), path, 10);
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(AllColumns(*table)));
  EXPECT_EQ(scan->morsels().size(), 3u);
  // New files are seen by the next scan.
  WriteParquetFile(SampleTable(5), Path("c/u.parquet"));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(got->num_rows(), 35);
}

TEST_F(ParquetTableTest, ClearErrors) {
  auto missing = MakeParquetTable(Path("nope.parquet"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("no such file or directory"), std::string::npos);
  EXPECT_NE(missing.status().message().find("nope.parquet"), std::string::npos);

  std::filesystem::create_directories(Path("empty/x"));
  auto empty = MakeParquetTable(Path("empty"));
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no parquet files"), std::string::npos);
  // With a schema, an empty directory is an empty table.
  ParquetOptions o;
  o.schema = arrow::schema({arrow::field("a", arrow::int64())});
  ASSERT_OK_AND_ASSIGN(auto e, MakeParquetTable(Path("empty"), o));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*e, AllColumns(*e)));
  EXPECT_EQ(got->num_rows(), 0);

  WriteText(Path("notparquet.parquet"), "hello, this is not parquet at all");
  auto bad = MakeParquetTable(Path("notparquet.parquet"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("notparquet.parquet"), std::string::npos);

  // A truncated file.
  WriteParquetFile(SampleTable(100), Path("trunc.parquet"));
  std::filesystem::resize_file(Path("trunc.parquet"), 50);
  auto trunc = MakeParquetTable(Path("trunc.parquet"));
  ASSERT_FALSE(trunc.ok());
  EXPECT_NE(trunc.status().message().find("trunc.parquet"), std::string::npos);
}

TEST_F(ParquetTableTest, MorselsOpenConcurrentlyFromWorkerThreads) {
  for (int f = 0; f < 3; ++f) {
    WriteParquetFile(SampleTable(2000, f * 2000), Path("m/" + std::to_string(f) + ".parquet"), 100);
  }
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("m")));
  for (int round = 0; round < 2; ++round) {
    auto req = AllColumns(*table);
    req.batch_size = 7;
    ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
    ASSERT_EQ(scan->morsels().size(), 60u);
    std::atomic<size_t> next{0};
    std::atomic<int64_t> rows{0}, sum{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> workers;
    for (int t = 0; t < 4; ++t) {
      workers.emplace_back([&] {
        for (size_t i; (i = next.fetch_add(1)) < scan->morsels().size();) {
          auto reader = scan->morsels()[i]->Open();
          if (!reader.ok()) { failed = true; return; }
          std::shared_ptr<arrow::RecordBatch> b;
          while ((*reader)->ReadNext(&b).ok() && b) {
            rows += b->num_rows();
            auto x = std::static_pointer_cast<arrow::Int64Array>(b->column(0));
            for (int64_t k = 0; k < x->length(); ++k) sum += x->Value(k);
          }
        }
      });
    }
    for (auto& w : workers) w.join();
    EXPECT_FALSE(failed.load());
    EXPECT_EQ(rows.load(), 6000);
    EXPECT_EQ(scan->metrics().rows_read, 6000);
    EXPECT_EQ(sum.load(), 5999LL * 6000 / 2);
  }
}

}  // namespace
}  // namespace shoal::test
