// COPY TO writers: round trips through the readers, options, partitioning.
#include <filesystem>

#include <arrow/io/file.h>
#include <parquet/arrow/reader.h>
#include <parquet/metadata.h>

#include "io_test_util.h"
#include "shoal/io/csv_table.h"
#include "shoal/io/file_table_factory.h"
#include "shoal/io/file_writer.h"
#include "shoal/io/ipc_table.h"
#include "shoal/io/json_table.h"
#include "shoal/io/parquet_table.h"

namespace shoal::test {
namespace {

class FileWriterTest : public TempDirTest {
 protected:
  std::shared_ptr<arrow::RecordBatchReader> Reader(const std::shared_ptr<arrow::Table>& t) {
    auto r = std::make_shared<arrow::TableBatchReader>(t);
    r->set_chunksize(64);
    return r;
  }
};

TEST_F(FileWriterTest, ParquetRoundTripWithOptions) {
  auto data = SampleTable(1000);
  ASSERT_OK_AND_ASSIGN(auto rows, WriteParquet(Reader(data), Path("out/t.parquet"),
                                               {{"compression", "zstd(5)"},
                                                {"format.row_group_size", "250"}}));
  EXPECT_EQ(rows, 1000);
  auto input = arrow::io::ReadableFile::Open(Path("out/t.parquet")).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
  EXPECT_EQ(reader->parquet_reader()->metadata()->num_row_groups(), 4);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("out/t.parquet")));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_TRUE(got->Equals(*data));
}

TEST_F(FileWriterTest, UnknownOptionsListValidOnes) {
  auto r = WriteParquet(Reader(SampleTable(3)), Path("x.parquet"), {{"compresion", "zstd"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown option 'compresion'"), std::string::npos);
  EXPECT_NE(r.status().message().find("'row_group_size'"), std::string::npos) << r.status();
  auto c = WriteParquet(Reader(SampleTable(3)), Path("x.parquet"), {{"compression", "zip"}});
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("zip"), std::string::npos);
  auto f = WriteFileFormat("xlsx", Reader(SampleTable(3)), Path("x.xlsx"));
  ASSERT_FALSE(f.ok());
}

TEST_F(FileWriterTest, CsvRoundTripWithOptionsAndGzip) {
  // CSV has no types: whole doubles read back as integers, so read with a schema.
  auto data = SampleTable(100);
  ASSERT_OK_AND_ASSIGN(auto rows,
                       WriteCsv(Reader(data), Path("c/t.csv"),
                                {{"delimiter", ";"}, {"format.has_header", "true"}}));
  EXPECT_EQ(rows, 100);
  CsvOptions o;
  o.delimiter = ';';
  o.schema = data->schema();
  ASSERT_OK_AND_ASSIGN(auto table, MakeCsvTable(Path("c/t.csv"), o));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_TRUE(got->Equals(*data)) << got->ToString();
  // Directory target and gzip.
  ASSERT_OK_AND_ASSIGN(rows, WriteCsv(Reader(data), Path("cz") + "/", {{"compression", "gzip"}}));
  EXPECT_TRUE(std::filesystem::exists(Path("cz/part-0.csv.gz")));
  CsvOptions z;
  z.schema = data->schema();
  ASSERT_OK_AND_ASSIGN(table, MakeCsvTable(Path("cz"), z));
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_TRUE(got->Equals(*data));
}

TEST_F(FileWriterTest, JsonAndIpcRoundTrip) {
  auto data = SampleTable(50);
  ASSERT_OK_AND_ASSIGN(auto rows, WriteJson(Reader(data), Path("j/t.json")));
  EXPECT_EQ(rows, 50);
  ASSERT_OK_AND_ASSIGN(auto table, MakeJsonTable(Path("j/t.json")));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_TRUE(got->Equals(*data)) << got->schema()->ToString();

  ASSERT_OK_AND_ASSIGN(rows, WriteArrowIpc(Reader(data), Path("i/t.arrow"),
                                           {{"compression", "zstd"}}));
  ASSERT_OK_AND_ASSIGN(table, MakeIpcTable(Path("i/t.arrow")));
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_TRUE(got->Equals(*data));
}

TEST_F(FileWriterTest, JsonEscapesAndNestedValues) {
  arrow::StringBuilder sb;
  ASSERT_OK(sb.Append("quote \" backslash \\ newline \n"));
  ASSERT_OK(sb.AppendNull());
  arrow::Int32Builder ob;
  ASSERT_OK(ob.AppendValues({0, 2, 2}));
  auto list = arrow::ListArray::FromArrays(*ob.Finish().ValueOrDie(), *Int64s({7, 8})).ValueOrDie();
  auto t = arrow::Table::Make(arrow::schema({arrow::field("s", arrow::utf8()),
                                             arrow::field("l", list->type())}),
                              {sb.Finish().ValueOrDie(), list});
  ASSERT_OK(WriteJson(Reader(t), Path("n.json")).status());
  ASSERT_OK_AND_ASSIGN(auto table, MakeJsonTable(Path("n.json")));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  got = Combined(got);
  EXPECT_EQ(got->column(0)->GetScalar(0).ValueOrDie()->ToString(),
            "quote \" backslash \\ newline \n");
  auto first = std::static_pointer_cast<arrow::ListScalar>(got->column(1)->GetScalar(0).ValueOrDie());
  EXPECT_TRUE(first->value->Equals(*Int64s({7, 8}))) << first->ToString();
}

TEST_F(FileWriterTest, PartitionedWriteReadsBackAsHiveTable) {
  arrow::StringBuilder region;
  arrow::Int64Builder year, v;
  for (int i = 0; i < 40; ++i) {
    if (i % 4 == 3) {
      ASSERT_OK(region.AppendNull());
    } else {
      ASSERT_OK(region.Append(i % 2 ? "eu/west" : "us"));
    }
    ASSERT_OK(year.Append(2020 + i % 3));
    ASSERT_OK(v.Append(i));
  }
  auto data = arrow::Table::Make(
      arrow::schema({arrow::field("v", arrow::int64()), arrow::field("region", arrow::utf8()),
                     arrow::field("year", arrow::int64())}),
      {v.Finish().ValueOrDie(), region.Finish().ValueOrDie(), year.Finish().ValueOrDie()});
  for (std::string format : {"parquet", "csv", "json", "arrow"}) {
    SCOPED_TRACE(format);
    std::string dir = Path("p_" + format);
    ASSERT_OK_AND_ASSIGN(auto rows,
                         WriteFileFormat(format, Reader(data), dir, {}, {"year", "region"}));
    EXPECT_EQ(rows, 40);
    std::string ext = ".";
    ext += format;
    EXPECT_TRUE(std::filesystem::exists(dir + "/year=2020/region=us/part-0" + ext));
    EXPECT_TRUE(std::filesystem::exists(dir + "/year=2021/region=eu%2Fwest/part-0" + ext));
    EXPECT_TRUE(
        std::filesystem::exists(dir + "/year=2022/region=__HIVE_DEFAULT_PARTITION__/part-0" + ext));
    ASSERT_OK_AND_ASSIGN(auto table, MakeFileTable(format, dir, {}));
    EXPECT_EQ(table->schema()->ToString(), "v: int64\nyear: int64\nregion: string");
    ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
    got = Combined(got);
    ASSERT_EQ(got->num_rows(), 40);
    EXPECT_EQ(got->GetColumnByName("region")->null_count(), 10);
    // Row (v=5) went to year 2022, region eu/west.
    auto sorted_v = got->GetColumnByName("v");
    bool found = false;
    for (int64_t i = 0; i < got->num_rows(); ++i) {
      if (sorted_v->GetScalar(i).ValueOrDie()->ToString() == "5") {
        found = true;
        EXPECT_EQ(got->GetColumnByName("year")->GetScalar(i).ValueOrDie()->ToString(), "2022");
        EXPECT_EQ(got->GetColumnByName("region")->GetScalar(i).ValueOrDie()->ToString(),
                  "eu/west");
      }
    }
    EXPECT_TRUE(found);
  }
  auto bad = WriteParquet(Reader(data), Path("bad"), {}, {"nope"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("'nope'"), std::string::npos);
}

TEST_F(FileWriterTest, FormatFromExtension) {
  EXPECT_EQ(FormatFromExtension("a/b.parquet"), "parquet");
  EXPECT_EQ(FormatFromExtension("a/b.CSV.gz"), "csv");
  EXPECT_EQ(FormatFromExtension("b.ndjson"), "json");
  EXPECT_EQ(FormatFromExtension("b.feather"), "arrow");
  EXPECT_EQ(FormatFromExtension("b.txt"), "");
}

}  // namespace
}  // namespace shoal::test
