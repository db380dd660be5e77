// CSV, NDJSON and Arrow IPC tables.
#include <arrow/io/compressed.h>
#include <arrow/ipc/writer.h>
#include <arrow/util/compression.h>

#include "io_test_util.h"
#include "shoal/io/csv_table.h"
#include "shoal/io/file_table_factory.h"
#include "shoal/io/ipc_table.h"
#include "shoal/io/json_table.h"

namespace shoal::test {
namespace {

class TextFormatsTest : public TempDirTest {};

TEST_F(TextFormatsTest, CsvInfersSchemaAndProjects) {
  WriteText(Path("a.csv"), "id,name,score\n1,ann,1.5\n2,bob,\n3,\"c,d\",7\n");
  ASSERT_OK_AND_ASSIGN(auto table, MakeCsvTable(Path("a.csv")));
  EXPECT_EQ(table->kind(), "csv");
  auto schema = table->schema();
  ASSERT_EQ(schema->num_fields(), 3);
  EXPECT_TRUE(schema->field(0)->type()->Equals(arrow::int64()));
  EXPECT_TRUE(schema->field(1)->type()->Equals(arrow::utf8()));
  EXPECT_TRUE(schema->field(2)->type()->Equals(arrow::float64()));
  ScanRequest req;
  req.columns = {1};
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, req));
  got = Combined(got);
  ASSERT_EQ(got->num_columns(), 1);
  EXPECT_EQ(got->column(0)->GetScalar(2).ValueOrDie()->ToString(), "c,d");
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(Combined(got)->column(2)->null_count(), 1);
  // Empty projection: row count only.
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, ScanRequest{}));
  EXPECT_EQ(got->num_rows(), 3);
}

TEST_F(TextFormatsTest, CsvOptionsHeaderlessDelimiterAndSchema) {
  WriteText(Path("h.csv"), "1;x\n2;y\n");
  CsvOptions o;
  o.has_header = false;
  o.delimiter = ';';
  ASSERT_OK_AND_ASSIGN(auto table, MakeCsvTable(Path("h.csv"), o));
  EXPECT_EQ(table->schema()->field(0)->name(), "column_1");
  EXPECT_EQ(table->schema()->field(1)->name(), "column_2");
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(got->num_rows(), 2);
  // Explicit schema with a header line: columns by position, header skipped.
  WriteText(Path("s.csv"), "whatever,names\n10,p\n20,q\n");
  CsvOptions s;
  s.schema = arrow::schema({arrow::field("n", arrow::int32()), arrow::field("t", arrow::utf8())});
  ASSERT_OK_AND_ASSIGN(table, MakeCsvTable(Path("s.csv"), s));
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, AllColumns(*table)));
  got = Combined(got);
  ASSERT_EQ(got->num_rows(), 2);
  EXPECT_TRUE(got->schema()->field(0)->type()->Equals(arrow::int32()));
  EXPECT_EQ(got->column(1)->GetScalar(1).ValueOrDie()->ToString(), "q");
  // A bad value is an error naming the file.
  WriteText(Path("bad/b.csv"), "n,t\n1,a\n");
  WriteText(Path("bad/c.csv"), "n,t\nnotanumber,b\n");
  ASSERT_OK_AND_ASSIGN(table, MakeCsvTable(Path("bad")));
  auto bad = ScanToTable(*table, AllColumns(*table));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("c.csv"), std::string::npos) << bad.status();
}

TEST_F(TextFormatsTest, CsvDirectoryGzipAndPartitions) {
  WriteText(Path("d/k=1/a.csv"), "v\n1\n2\n");
  {
    auto codec = arrow::util::Codec::Create(arrow::Compression::GZIP).ValueOrDie();
    auto raw = arrow::io::FileOutputStream::Open(Path("d/k=2/b.csv.gz")).ValueOrDie();
    auto out = arrow::io::CompressedOutputStream::Make(codec.get(), raw).ValueOrDie();
    std::string text = "v\n3\n4\n5\n";
    ASSERT_OK(out->Write(text.data(), static_cast<int64_t>(text.size())));
    ASSERT_OK(out->Close());
  }
  WriteText(Path("d/k=2/ignored.txt"), "not csv");
  ASSERT_OK_AND_ASSIGN(auto table, MakeCsvTable(Path("d")));
  ASSERT_EQ(table->schema()->num_fields(), 2);
  EXPECT_EQ(table->schema()->field(1)->name(), "k");
  auto req = AllColumns(*table);
  req.filter = arrow::compute::equal(arrow::compute::field_ref("k"),
                                     arrow::compute::literal(int64_t{2}));
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->planning_metrics().files_pruned, 1);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 3);
}

TEST_F(TextFormatsTest, JsonReadsLinesWithMissingFields) {
  WriteText(Path("j/1.json"), "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2}\n");
  WriteText(Path("j/2.json"), "{\"b\": \"z\", \"a\": 3, \"extra\": true}\n");
  ASSERT_OK_AND_ASSIGN(auto table, MakeJsonTable(Path("j")));
  EXPECT_EQ(table->kind(), "json");
  ASSERT_EQ(table->schema()->num_fields(), 2);
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  got = Combined(got);
  ASSERT_EQ(got->num_rows(), 3);
  EXPECT_EQ(got->GetColumnByName("b")->null_count(), 1);
  ScanRequest req;
  req.columns = {1};
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, req));
  EXPECT_EQ(Combined(got)->column(0)->GetScalar(2).ValueOrDie()->ToString(), "z");
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, ScanRequest{}));
  EXPECT_EQ(got->num_rows(), 3);
  WriteText(Path("bad.json"), "{\"a\": 1}\n{not json\n");
  auto bad_table = MakeJsonTable(Path("bad.json"));
  if (bad_table.ok()) {
    auto bad = ScanToTable(**bad_table, AllColumns(**bad_table));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.status().message().find("bad.json"), std::string::npos) << bad.status();
  } else {
    EXPECT_NE(bad_table.status().message().find("bad.json"), std::string::npos);
  }
}

TEST_F(TextFormatsTest, IpcFileMorselPerBatchAndStreamFormat) {
  auto data = SampleTable(30);
  {
    auto out = arrow::io::FileOutputStream::Open(Path("i/a.arrow")).ValueOrDie();
    auto w = arrow::ipc::MakeFileWriter(out, data->schema()).ValueOrDie();
    ASSERT_OK(w->WriteTable(*data, 10));
    ASSERT_OK(w->Close());
  }
  {
    auto out = arrow::io::FileOutputStream::Open(Path("i/b.arrows")).ValueOrDie();
    auto w = arrow::ipc::MakeStreamWriter(out, data->schema()).ValueOrDie();
    ASSERT_OK(w->WriteTable(*data, 7));
    ASSERT_OK(w->Close());
  }
  ASSERT_OK_AND_ASSIGN(auto table, MakeIpcTable(Path("i/a.arrow")));
  EXPECT_EQ(table->kind(), "arrow");
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(AllColumns(*table)));
  EXPECT_EQ(scan->morsels().size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_TRUE(got->Equals(*data));
  ASSERT_OK_AND_ASSIGN(table, MakeIpcTable(Path("i")));
  ScanRequest req;
  req.columns = {2, 0};
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, req));
  EXPECT_EQ(got->num_rows(), 60);
  EXPECT_EQ(got->schema()->field(0)->name(), "s");
  WriteText(Path("junk.arrow"), "not arrow");
  auto bad = MakeIpcTable(Path("junk.arrow"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("junk.arrow"), std::string::npos);
}

TEST_F(TextFormatsTest, FactoryAcceptsDataFusionOptions) {
  WriteText(Path("f.csv"), "1|a\n2|b\n");
  ASSERT_OK_AND_ASSIGN(auto table,
                       MakeFileTable("CSV", Path("f.csv"),
                                     {{"format.has_header", "false"}, {"format.delimiter", "|"}}));
  ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(got->num_rows(), 2);
  EXPECT_EQ(got->num_columns(), 2);
  auto bad = MakeFileTable("csv", Path("f.csv"), {{"delimeter", ";"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("unknown option 'delimeter'"), std::string::npos);
  EXPECT_NE(bad.status().message().find("did you mean 'delimiter'"), std::string::npos)
      << bad.status();
  EXPECT_NE(bad.status().message().find("'has_header'"), std::string::npos);
  auto bad_bool = MakeFileTable("csv", Path("f.csv"), {{"has_header", "maybe"}});
  ASSERT_FALSE(bad_bool.ok());
  auto bad_format = MakeFileTable("avro", Path("f.csv"), {});
  ASSERT_FALSE(bad_format.ok());
  EXPECT_NE(bad_format.status().message().find("parquet, csv, json, arrow"), std::string::npos);
  // Declared schema and partition columns.
  WriteText(Path("p/part=x/1.csv"), "5\n");
  ASSERT_OK_AND_ASSIGN(
      table, MakeFileTable("csv", Path("p"), {{"has_header", "false"}},
                           arrow::schema({arrow::field("v", arrow::int16())}),
                           {{"part", nullptr}}));
  EXPECT_EQ(table->schema()->ToString(), "v: int16\npart: string");
}

}  // namespace
}  // namespace shoal::test
