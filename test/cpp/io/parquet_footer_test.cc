// Files whose stored Arrow schema ("ARROW:schema") says string_view, binary_view
// or dictionary must be decoded straight into utf8 / binary / value types, with
// the same values, while everything else the stored schema says (time zones,
// large types, durations, second timestamps, field metadata) is kept.
#include <arrow/compute/cast.h>
#include <arrow/json/from_string.h>
#include <arrow/io/file.h>
#include <arrow/util/key_value_metadata.h>
#include <parquet/arrow/reader.h>
#include <parquet/file_reader.h>
#include <parquet/metadata.h>

#include "io_test_util.h"
#include "shoal/io/parquet_footer_internal.h"
#include "shoal/io/parquet_table.h"
#include "shoal/io/scan_util.h"

namespace shoal::test {
namespace {

class ParquetFooterTest : public TempDirTest {};

std::shared_ptr<arrow::Array> ArrayOf(const std::shared_ptr<arrow::DataType>& type,
                                      const std::string& json) {
  auto r = arrow::json::ArrayFromJSONString(type, json);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ValueOrDie();
}

/// Return a chunked array with one chunk per JSON text (the Parquet writer cannot
/// slice structs of views, so row groups must follow chunk boundaries).
std::shared_ptr<arrow::ChunkedArray> ChunksOf(const std::shared_ptr<arrow::DataType>& type,
                                              const std::vector<std::string>& chunks) {
  arrow::ArrayVector arrays;
  for (const auto& c : chunks) arrays.push_back(ArrayOf(type, c));
  return std::make_shared<arrow::ChunkedArray>(arrays, type);
}

/// Return a table (3 chunks of 2 rows) whose columns cover the types the stored
/// schema changes or keeps.
std::shared_ptr<arrow::Table> RichTable() {
  auto map_type = arrow::map(arrow::utf8_view(), arrow::int64());
  auto dict_type = arrow::dictionary(arrow::int32(), arrow::utf8());
  auto dict_values = ArrayOf(arrow::utf8(), R"(["red", "a longer value than twelve bytes"])");
  arrow::ArrayVector dict_chunks;
  for (const char* idx : {"[0, 1]", "[null, 0]", "[1, 1]"}) {
    dict_chunks.push_back(
        arrow::DictionaryArray::FromArrays(dict_type, ArrayOf(arrow::int32(), idx), dict_values)
            .ValueOrDie());
  }
  std::vector<std::shared_ptr<arrow::Field>> fields = {
      arrow::field("sv", arrow::utf8_view()),
      arrow::field("bv", arrow::binary_view()),
      arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "America/New_York")),
      arrow::field("sec", arrow::timestamp(arrow::TimeUnit::SECOND)),
      arrow::field("ls", arrow::large_utf8()),
      arrow::field("dur", arrow::duration(arrow::TimeUnit::MILLI)),
      arrow::field("d", dict_type),
      arrow::field("l", arrow::list(arrow::utf8_view())),
      arrow::field("st", arrow::struct_({arrow::field("a", arrow::utf8_view()),
                                        arrow::field("b", arrow::int32())})),
      arrow::field("m", map_type),
      arrow::field("n", arrow::int64(), true, arrow::key_value_metadata({"k"}, {"v"})),
  };
  std::vector<std::shared_ptr<arrow::ChunkedArray>> cols = {
      ChunksOf(arrow::utf8_view(),
               {R"(["a", null])", R"(["a string longer than twelve bytes", ""])",
                R"(["xyz", "€uro"])"}),
      ChunksOf(arrow::binary_view(),
               {R"(["AA", ""])", R"([null, "BBBBBBBBBBBBBBBBBBBB"])", R"(["C", "D"])"}),
      ChunksOf(fields[2]->type(), {"[0, 1000000]", "[null, 1700000000000000]", "[-5, 7]"}),
      ChunksOf(fields[3]->type(), {"[0, 1]", "[2, null]", "[1700000000, -1]"}),
      ChunksOf(arrow::large_utf8(), {R"(["l1", "l2"])", R"([null, "l4"])", R"(["l5", "l6"])"}),
      ChunksOf(fields[5]->type(), {"[1, -2]", "[null, 4]", "[5, 6]"}),
      std::make_shared<arrow::ChunkedArray>(dict_chunks, dict_type),
      ChunksOf(fields[7]->type(), {R"([["x", "y"], []])",
                                   R"([null, ["a string longer than twelve bytes", null]])",
                                   R"([["z"], []])"}),
      ChunksOf(fields[8]->type(),
               {R"([{"a": "p", "b": 1}, null])", R"([{"a": null, "b": 3}, {"a": "q", "b": null}])",
                R"([{"a": "a string longer than twelve bytes", "b": 5}, {"a": "", "b": 6}])"}),
      ChunksOf(map_type, {R"([[["k1", 1], ["k2", 2]], null])", R"([[], [["k3", null]]])",
                          R"([[["k4", 4]], []])"}),
      ChunksOf(arrow::int64(), {"[1, 2]", "[3, 4]", "[5, 6]"}),
  };
  return arrow::Table::Make(arrow::schema(fields), cols);
}

/// Read `path` with parquet::arrow as pyarrow does (stored schema honoured).
std::shared_ptr<arrow::Table> ReferenceRead(const std::string& path) {
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool()).ValueOrDie();
  return reader->ReadTable().ValueOrDie();
}

/// Read `path` with parquet::arrow using the footer rewritten by WithPlainStoredSchema.
std::shared_ptr<arrow::Table> RewrittenRead(const std::string& path) {
  auto input = arrow::io::ReadableFile::Open(path).ValueOrDie();
  auto raw = parquet::ParquetFileReader::Open(input);
  auto metadata = WithPlainStoredSchema(raw->metadata());
  parquet::arrow::FileReaderBuilder builder;
  EXPECT_TRUE(builder.Open(input, parquet::default_reader_properties(), metadata).ok());
  auto reader = builder.Build().ValueOrDie();
  auto table = reader->ReadTable().ValueOrDie();
  EXPECT_TRUE(table->ValidateFull().ok());
  return table;
}

/// Return `table` with every column cast to PlainStoredType of its type.
std::shared_ptr<arrow::Table> CastToPlain(const std::shared_ptr<arrow::Table>& table) {
  arrow::FieldVector fields;
  std::vector<std::shared_ptr<arrow::ChunkedArray>> cols;
  for (int i = 0; i < table->num_columns(); ++i) {
    auto f = table->schema()->field(i);
    auto type = PlainStoredType(f->type());
    fields.push_back(f->WithType(type));
    auto cast = arrow::compute::Cast(table->column(i), type);
    EXPECT_TRUE(cast.ok()) << f->ToString() << ": " << cast.status().ToString();
    cols.push_back(cast.ValueOrDie().chunked_array());
  }
  return arrow::Table::Make(arrow::schema(fields), cols);
}

TEST(PlainStoredTypeTest, ReplacesViewsAndDictionariesAtAnyDepth) {
  EXPECT_TRUE(PlainStoredType(arrow::utf8_view())->Equals(arrow::utf8()));
  EXPECT_TRUE(PlainStoredType(arrow::binary_view())->Equals(arrow::binary()));
  EXPECT_TRUE(PlainStoredType(arrow::dictionary(arrow::int8(), arrow::utf8_view()))
                  ->Equals(arrow::utf8()));
  EXPECT_TRUE(PlainStoredType(arrow::large_list(arrow::struct_({arrow::field(
                                  "a", arrow::map(arrow::utf8_view(), arrow::binary_view()))})))
                  ->Equals(arrow::large_list(arrow::struct_(
                      {arrow::field("a", arrow::map(arrow::utf8(), arrow::binary()))}))));
  EXPECT_TRUE(PlainStoredType(arrow::fixed_size_list(arrow::utf8_view(), 3))
                  ->Equals(arrow::fixed_size_list(arrow::utf8(), 3)));
  // Unchanged types come back as the same object.
  auto ts = arrow::timestamp(arrow::TimeUnit::MILLI, "UTC");
  EXPECT_EQ(PlainStoredType(ts), ts);
  auto l = arrow::list(arrow::large_utf8());
  EXPECT_EQ(PlainStoredType(l), l);
}

TEST(ReplaceFooterKeyValueTest, ReplacesExactlyOneVerifiedEntry) {
  // A KeyValue struct in Thrift compact encoding, surrounded by other bytes.
  std::string entry = std::string("\x18\x03key\x18\x03old", 10) + std::string(1, '\0');
  std::string footer = "prefix" + entry + "suffix";
  ASSERT_OK_AND_ASSIGN(auto out, ReplaceFooterKeyValue(footer, "key", "old", "newer value"));
  EXPECT_EQ(out, "prefix" + std::string("\x18\x03key\x18\x0bnewer value", 18) +
                     std::string(1, '\0') + "suffix");
  // A long value gets a multi-byte varint length.
  std::string big(300, 'v');
  ASSERT_OK_AND_ASSIGN(out, ReplaceFooterKeyValue(footer, "key", "old", big));
  EXPECT_NE(out.find(std::string("\x18\xac\x02", 3) + big), std::string::npos);
  // The old value must match, and the entry must be unique.
  EXPECT_FALSE(ReplaceFooterKeyValue(footer, "key", "other", "x").ok());
  EXPECT_FALSE(ReplaceFooterKeyValue(footer + entry, "key", "old", "x").ok());
}

TEST_F(ParquetFooterTest, StoredViewSchemaReadsAsPlainTypesWithSameValues) {
  auto data = RichTable();
  WriteParquetFile(data, Path("rich.parquet"), /*row_group_size=*/2, /*store_schema=*/true);
  auto reference = ReferenceRead(Path("rich.parquet"));
  // What pyarrow sees: the stored view and dictionary types.
  ASSERT_TRUE(reference->schema()->field(0)->type()->Equals(arrow::utf8_view()))
      << reference->schema()->ToString();
  ASSERT_EQ(reference->schema()->field(6)->type()->id(), arrow::Type::DICTIONARY);
  auto expected = CastToPlain(reference);

  // The parquet reader itself decodes into the plain types (no cast involved).
  auto rewritten = RewrittenRead(Path("rich.parquet"));
  EXPECT_TRUE(rewritten->schema()->Equals(*expected->schema(), /*check_metadata=*/true))
      << rewritten->schema()->ToString() << "\nvs\n" << expected->schema()->ToString();
  EXPECT_TRUE(rewritten->Equals(*expected)) << rewritten->ToString();
  // Kept from the stored schema.
  EXPECT_TRUE(rewritten->schema()->field(2)->type()->Equals(
      arrow::timestamp(arrow::TimeUnit::MICRO, "America/New_York")));
  EXPECT_TRUE(rewritten->schema()->field(4)->type()->Equals(arrow::large_utf8()));
  EXPECT_TRUE(rewritten->schema()->field(5)->type()->Equals(
      arrow::duration(arrow::TimeUnit::MILLI)));
  ASSERT_TRUE(rewritten->schema()->field(10)->metadata());
  EXPECT_EQ(rewritten->schema()->field(10)->metadata()->Get("k").ValueOr(""), "v");

  // Through the table provider: utf8 schema, identical values, every morsel.
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("rich.parquet")));
  for (int i = 0; i < table->schema()->num_fields(); ++i) {
    EXPECT_TRUE(table->schema()->field(i)->type()->Equals(expected->schema()->field(i)->type()))
        << table->schema()->field(i)->ToString();
  }
  auto req = AllColumns(*table);
  req.batch_size = 1;
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->morsels().size(), 3u);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  for (int i = 0; i < got->num_columns(); ++i) {
    EXPECT_TRUE(got->column(i)->Equals(*expected->column(i)))
        << got->schema()->field(i)->ToString() << "\n"
        << got->column(i)->ToString() << "\nvs\n"
        << expected->column(i)->ToString();
  }
  // Row-group pruning still works on the rewritten footer's statistics.
  req.filter = arrow::compute::equal(arrow::compute::field_ref("n"),
                                     arrow::compute::literal(int64_t{4}));
  ASSERT_OK_AND_ASSIGN(scan, table->Scan(req));
  EXPECT_EQ(scan->morsels().size(), 1u);
}

TEST_F(ParquetFooterTest, FootersWithoutViewsAreLeftAlone) {
  WriteParquetFile(SampleTable(10), Path("plain.parquet"), 5, /*store_schema=*/true);
  WriteParquetFile(SampleTable(10), Path("bare.parquet"), 5, /*store_schema=*/false);
  for (const char* name : {"plain.parquet", "bare.parquet"}) {
    auto input = arrow::io::ReadableFile::Open(Path(name)).ValueOrDie();
    auto metadata = parquet::ParquetFileReader::Open(input)->metadata();
    EXPECT_EQ(WithPlainStoredSchema(metadata), metadata) << name;
  }
}

TEST_F(ParquetFooterTest, TestDataFilesReadLikeParquetArrow) {
  // Every readable file of the shared test data gives pyarrow's values, with
  // view and dictionary types replaced (none of them change other types).
  const std::string dir = "/work/shared/testdata/parquet/data";
  std::error_code ec;
  int compared = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string f = e.path().string();
    if (e.path().extension() != ".parquet" || f.find("large_string_map") != std::string::npos) {
      continue;
    }
    std::shared_ptr<arrow::Table> reference;
    try {
      auto input = arrow::io::ReadableFile::Open(f).ValueOrDie();
      auto reader = parquet::arrow::OpenFile(input, arrow::default_memory_pool());
      if (!reader.ok()) continue;
      auto t = (*reader)->ReadTable();
      if (!t.ok() || !(*t)->ValidateFull().ok()) continue;
      reference = *t;
    } catch (const std::exception&) {
      continue;
    }
    auto table = MakeParquetTable(f);
    ASSERT_TRUE(table.ok()) << f << ": " << table.status().ToString();
    ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(**table, AllColumns(**table)));
    auto expected = CastToPlain(reference);
    ASSERT_EQ(got->num_columns(), expected->num_columns()) << f;
    for (int i = 0; i < got->num_columns(); ++i) {
      auto want = expected->schema()->field(i)->type();
      // Top-level dictionaries were normalized to their values before already.
      EXPECT_TRUE(got->schema()->field(i)->type()->Equals(NormalizeType(want)))
          << f << ": " << got->schema()->field(i)->ToString() << " vs " << want->ToString();
      if (got->schema()->field(i)->type()->Equals(want)) {
        EXPECT_TRUE(
            got->column(i)->Equals(*expected->column(i), arrow::EqualOptions().nans_equal(true)))
            << f << ": column " << got->schema()->field(i)->name();
      }
    }
    ++compared;
  }
  if (compared == 0) GTEST_SKIP() << "no test data at " << dir;
  EXPECT_GT(compared, 20);
}

/// Write `table` with a small dictionary page limit (so high-cardinality chunks
/// fall back to plain pages) and `rows_per_group` rows per row group.
void WriteWithSmallDictionaries(const std::shared_ptr<arrow::Table>& table,
                                const std::string& path, int64_t rows_per_group) {
  auto out = arrow::io::FileOutputStream::Open(path).ValueOrDie();
  auto props = parquet::WriterProperties::Builder().dictionary_pagesize_limit(4096)->build();
  ASSERT_OK(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), out, rows_per_group,
                                       props));
  ASSERT_OK(out->Close());
}

TEST_F(ParquetFooterTest, LowCardinalityStringChunksReadAsDictionariesWithSameValues) {
  // low: 4 values and nulls; unique: all distinct (falls back to plain pages);
  // mixed: 150 distinct values, dictionary-encoded but with a large dictionary.
  arrow::StringBuilder low, unique, mixed;
  arrow::Int64Builder x;
  const int64_t n = 20000;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 7 == 3) {
      ASSERT_OK(low.AppendNull());
    } else {
      ASSERT_OK(low.Append(std::vector<std::string>{"AIR", "MAIL", "SHIP", ""}[i % 4]));
    }
    ASSERT_OK(unique.Append("value number " + std::to_string(i)));
    ASSERT_OK(mixed.Append(std::to_string((i % 150) * 2654435761u % 1000003) + "-" +
                           std::to_string((i % 150) * 40503u % 99991) + "-mixed"));
    ASSERT_OK(x.Append(i));
  }
  auto schema = arrow::schema({arrow::field("low", arrow::utf8()),
                               arrow::field("unique", arrow::utf8()),
                               arrow::field("mixed", arrow::utf8()),
                               arrow::field("x", arrow::int64())});
  auto data = arrow::Table::Make(schema, {low.Finish().ValueOrDie(), unique.Finish().ValueOrDie(),
                                          mixed.Finish().ValueOrDie(), x.Finish().ValueOrDie()});
  WriteWithSmallDictionaries(data, Path("d.parquet"), 5000);

  auto input = arrow::io::ReadableFile::Open(Path("d.parquet")).ValueOrDie();
  auto meta = parquet::ParquetFileReader::Open(input)->metadata();
  ASSERT_EQ(meta->num_row_groups(), 4);
  for (int rg = 0; rg < meta->num_row_groups(); ++rg) {
    auto g = meta->RowGroup(rg);
    EXPECT_TRUE(PreferDictionaryRead(*g->ColumnChunk(0))) << rg;
    EXPECT_FALSE(PreferDictionaryRead(*g->ColumnChunk(1))) << rg;  // plain fallback
    EXPECT_FALSE(PreferDictionaryRead(*g->ColumnChunk(2))) << rg;  // large dictionary
    for (const auto& st : g->ColumnChunk(2)->encoding_stats()) {
      if (st.page_type == parquet::PageType::DATA_PAGE) {
        EXPECT_EQ(st.encoding, parquet::Encoding::RLE_DICTIONARY) << "mixed did not stay dictionary-encoded";
      }
    }
    EXPECT_FALSE(PreferDictionaryRead(*g->ColumnChunk(3))) << rg;  // not a string
  }

  // Same values, types and row order with and without dictionary reads.
  for (bool dict : {true, false}) {
    ParquetOptions o;
    o.dictionary_reads = dict;
    ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("d.parquet"), o));
    EXPECT_TRUE(table->schema()->Equals(*schema)) << table->schema()->ToString();
    for (int64_t batch_size : {int64_t{7}, int64_t{8192}}) {
      auto req = AllColumns(*table);
      req.batch_size = batch_size;
      ASSERT_OK_AND_ASSIGN(auto got, ScanToTable(*table, req));
      EXPECT_TRUE(Combined(got)->Equals(*data)) << "dictionary_reads=" << dict;
    }
  }
}

TEST_F(ParquetFooterTest, StatisticsMergeColumnStatisticsOverRowGroups) {
  // 4 row groups: x 0..19999 with every 10th value null, d dates, s strings.
  arrow::Int64Builder x;
  arrow::Date32Builder d;
  arrow::StringBuilder s;
  const int64_t n = 20000;
  for (int64_t i = 0; i < n; ++i) {
    if (i % 10 == 5) {
      ASSERT_OK(x.AppendNull());
    } else {
      ASSERT_OK(x.Append(i));
    }
    ASSERT_OK(d.Append(static_cast<int32_t>(9000 + (i * 7) % 365)));
    ASSERT_OK(s.Append("v" + std::to_string(i % 3)));
  }
  auto schema = arrow::schema({arrow::field("x", arrow::int64()),
                               arrow::field("d", arrow::date32()),
                               arrow::field("s", arrow::utf8())});
  auto data = arrow::Table::Make(schema, {x.Finish().ValueOrDie(), d.Finish().ValueOrDie(),
                                          s.Finish().ValueOrDie()});
  WriteWithSmallDictionaries(data, Path("st.parquet"), 5000);
  ASSERT_OK_AND_ASSIGN(auto table, MakeParquetTable(Path("st.parquet"), ParquetOptions{}));
  for (int pass = 0; pass < 2; ++pass) {  // the second answer comes from the cache
    auto stats = table->statistics();
    ASSERT_EQ(stats.num_rows, n);
    ASSERT_EQ(stats.columns.size(), 3u);
    const auto& cx = stats.columns[0];
    ASSERT_TRUE(cx.min && cx.max);
    EXPECT_TRUE(cx.min->Equals(arrow::Int64Scalar(0))) << cx.min->ToString();
    EXPECT_TRUE(cx.max->Equals(arrow::Int64Scalar(n - 1))) << cx.max->ToString();
    EXPECT_EQ(cx.null_count, n / 10);
    const auto& cd = stats.columns[1];
    ASSERT_TRUE(cd.min && cd.max);
    EXPECT_TRUE(cd.min->Equals(arrow::Date32Scalar(9000))) << cd.min->ToString();
    EXPECT_TRUE(cd.max->Equals(arrow::Date32Scalar(9364))) << cd.max->ToString();
    EXPECT_EQ(cd.null_count, 0);
    // Strings: null count only (bounds are kept for range-comparable types).
    EXPECT_FALSE(stats.columns[2].min);
    EXPECT_EQ(stats.columns[2].null_count, 0);
  }
}

}  // namespace
}  // namespace shoal::test
