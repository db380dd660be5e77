// Pure decoding: JSON, schemas, partition values, statistics, Z85 and
// deletion vector bitmaps.
#include <arrow/api.h>
#include <arrow/compute/expression.h>

#include "delta_test_util.h"
#include "shoal/delta/deletion_vector.h"
#include "shoal/delta/json.h"
#include "shoal/delta/schema.h"
#include "shoal/delta/stats.h"
#include "shoal/io/pruning.h"

namespace shoal::delta::test {
namespace {

namespace cp = arrow::compute;

TEST(JsonTest, ParsesDocumentsAndKeepsNumberText) {
  DELTA_ASSERT_OK_AND_ASSIGN(
      auto v, ParseJson(R"( {"a": [1, -2.5e3, true, null], "b": "x\"\u00e9\ud83d\ude00", "big": 12345678901234567890.125} )"));
  ASSERT_TRUE(v.is_object());
  const JsonValue* a = v.Find("a");
  ASSERT_TRUE(a && a->is_array());
  EXPECT_EQ(a->elements()[0].AsInt64(), 1);
  EXPECT_EQ(a->elements()[1].AsDouble(), -2500.0);
  EXPECT_TRUE(a->elements()[2].bool_value());
  EXPECT_TRUE(a->elements()[3].is_null());
  EXPECT_EQ(v.Find("b")->text(), "x\"\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(v.Find("big")->text(), "12345678901234567890.125");
  EXPECT_FALSE(v.Find("big")->AsInt64());
  EXPECT_EQ(ParseJson(v.ToJson())->ToJson(), v.ToJson());
}

TEST(JsonTest, ErrorsGiveThePosition) {
  for (std::string bad : {"{\"a\":", "{\"a\" 1}", "[1,]", "\"abc", "{} x", "tru", "01x"}) {
    auto r = ParseJson(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_CONTAINS(r.status().message(), "invalid JSON");
  }
  auto r = ParseJson("{\"a\": @}");
  EXPECT_CONTAINS(r.status().message(), "byte 6");
}

TEST(SchemaTest, MapsEveryDeltaType) {
  const std::string schema = R"JSON({"type":"struct","fields":[
    {"name":"s","type":"string","nullable":true,"metadata":{}},
    {"name":"l","type":"long","nullable":false,"metadata":{}},
    {"name":"i","type":"integer","nullable":true,"metadata":{}},
    {"name":"sh","type":"short","nullable":true,"metadata":{}},
    {"name":"b","type":"byte","nullable":true,"metadata":{}},
    {"name":"f","type":"float","nullable":true,"metadata":{}},
    {"name":"d","type":"double","nullable":true,"metadata":{}},
    {"name":"bo","type":"boolean","nullable":true,"metadata":{}},
    {"name":"bi","type":"binary","nullable":true,"metadata":{}},
    {"name":"da","type":"date","nullable":true,"metadata":{}},
    {"name":"ts","type":"timestamp","nullable":true,"metadata":{}},
    {"name":"tn","type":"timestamp_ntz","nullable":true,"metadata":{}},
    {"name":"de","type":"decimal(12, 3)","nullable":true,"metadata":{}},
    {"name":"arr","type":{"type":"array","elementType":"integer","containsNull":false},"nullable":true,"metadata":{}},
    {"name":"m","type":{"type":"map","keyType":"string","valueType":"long","valueContainsNull":true},"nullable":true,"metadata":{}},
    {"name":"st","type":{"type":"struct","fields":[{"name":"x","type":"integer","nullable":true,"metadata":{"delta.columnMapping.id":7,"delta.columnMapping.physicalName":"col-x"}}]},"nullable":true,"metadata":{}}
  ]})JSON";
  DELTA_ASSERT_OK_AND_ASSIGN(auto s, ParseSchemaString(schema));
  auto stripped = StripDeltaMetadata(s);
  EXPECT_EQ(stripped->field(0)->type()->ToString(), "string");
  EXPECT_FALSE(stripped->field(1)->nullable());
  EXPECT_EQ(stripped->field(10)->type()->ToString(), "timestamp[us, tz=UTC]");
  EXPECT_EQ(stripped->field(11)->type()->ToString(), "timestamp[us]");
  EXPECT_EQ(stripped->field(12)->type()->ToString(), "decimal128(12, 3)");
  EXPECT_EQ(stripped->field(13)->type()->ToString(), "list<element: int32 not null>");
  EXPECT_EQ(stripped->field(14)->type()->ToString(), "map<string, int64>");
  const auto& x = s->field(15)->type()->field(0);
  EXPECT_EQ(PhysicalName(*x, ColumnMappingMode::kName), "col-x");
  EXPECT_EQ(PhysicalName(*x, ColumnMappingMode::kNone), "x");
  EXPECT_EQ(ColumnMappingId(*x), 7);
  EXPECT_FALSE(stripped->field(15)->type()->field(0)->metadata());

  auto bad = ParseSchemaString(R"({"type":"struct","fields":[{"name":"q","type":"interval","nullable":true}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_CONTAINS(bad.status().message(), "column 'q'");
  EXPECT_FALSE(ParseSchemaString("{").ok());
}

TEST(PartitionValueTest, EveryTypeNullsAndEscapes) {
  auto check = [](const std::optional<std::string>& raw, std::shared_ptr<arrow::DataType> type,
                  const std::string& expected) {
    auto v = ParsePartitionValue(raw, type);
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_EQ((*v)->ToString(), expected) << raw.value_or("<null>");
    EXPECT_TRUE((*v)->type->Equals(*type));
  };
  check("42", arrow::int32(), "42");
  check("-7", arrow::int8(), "-7");
  check("9223372036854775807", arrow::int64(), "9223372036854775807");
  check("1.5", arrow::float64(), "1.5");
  check("true", arrow::boolean(), "true");
  check("a/b=c%d", arrow::utf8(), "a/b=c%d");
  check("2021-03-04", arrow::date32(), "2021-03-04");
  check("1970-01-01 00:00:01.5", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
        "1970-01-01 00:00:01.500000Z");
  check("1970-01-01T00:00:01.000002Z", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"),
        "1970-01-01 00:00:01.000002Z");
  check("2020-01-01 10:00:00", arrow::timestamp(arrow::TimeUnit::MICRO), "2020-01-01 10:00:00.000000");
  check("12.5", arrow::decimal128(10, 3), "12.500");
  check(std::nullopt, arrow::int32(), "null");
  check("", arrow::utf8(), "null");
  EXPECT_FALSE(ParsePartitionValue("abc", arrow::int32()).ok());
  EXPECT_FALSE(ParsePartitionValue("300", arrow::int8()).ok());
  EXPECT_FALSE(ParsePartitionValue("2021-13-01", arrow::date32()).ok());
  EXPECT_EQ(ParseTimestampMicros("2021-01-01T01:00:00+01:00"), ParseTimestampMicros("2021-01-01 00:00:00"));
  EXPECT_EQ(ParseDateDays("1969-12-31"), -1);
}

TEST(StatsTest, ParsesStatsAndSkips) {
  ASSERT_TRUE(cp::Initialize().ok());
  StatsTypes types = {{"x", arrow::int64()}, {"s", arrow::utf8()}, {"n", arrow::int32()},
                      {"ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")}};
  DELTA_ASSERT_OK_AND_ASSIGN(
      auto stats,
      ParseStatsJson(R"({"numRecords":10,"minValues":{"x":5,"s":"b","ts":"2021-01-01T00:00:00.000Z"},"maxValues":{"x":9,"s":"d","ts":"2021-01-01T00:00:00.123Z"},"nullCount":{"x":0,"s":2,"n":10}})",
                     types));
  EXPECT_EQ(stats.num_records, 10);
  EXPECT_EQ(stats.min_values.at("x")->ToString(), "5");
  EXPECT_EQ(stats.null_count.at("s"), 2);
  auto schema = arrow::schema({arrow::field("x", arrow::int64()), arrow::field("s", arrow::utf8()),
                               arrow::field("n", arrow::int32()),
                               arrow::field("ts", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"))});
  std::vector<StatsColumn> cols;
  for (const auto& f : schema->fields()) cols.push_back({f->name(), f->name(), f->type()});
  auto guarantees = StatsGuarantees(stats, cols);
  auto skip = [&](cp::Expression filter) {
    auto bound = BindPruningFilter(filter, *schema);
    EXPECT_TRUE(bound.has_value());
    for (const auto& g : guarantees) {
      if (!CanSkip(*bound, g)) return false;
    }
    return true;
  };
  EXPECT_TRUE(skip(cp::greater(cp::field_ref("x"), cp::literal(int64_t{9}))));
  EXPECT_FALSE(skip(cp::greater(cp::field_ref("x"), cp::literal(int64_t{8}))));
  EXPECT_TRUE(skip(cp::equal(cp::field_ref("s"), cp::literal("a"))));
  EXPECT_FALSE(skip(cp::is_null(cp::field_ref("s"))));       // 2 nulls
  EXPECT_TRUE(skip(cp::is_null(cp::field_ref("x"))));        // no nulls
  EXPECT_TRUE(skip(cp::equal(cp::field_ref("n"), cp::literal(3))));  // all null
  // Timestamp maxima are truncated to milliseconds: 00.123456 may be in the file.
  auto ts = [](int64_t us) {
    return cp::literal(std::make_shared<arrow::TimestampScalar>(
        us, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  };
  int64_t base = *ParseTimestampMicros("2021-01-01 00:00:00");
  EXPECT_FALSE(skip(cp::equal(cp::field_ref("ts"), ts(base + 123456))));
  EXPECT_TRUE(skip(cp::equal(cp::field_ref("ts"), ts(base + 124000))));
  // Unparseable values are left out, never an error.
  DELTA_ASSERT_OK_AND_ASSIGN(auto odd, ParseStatsJson(R"({"minValues":{"x":"oops"}})", types));
  EXPECT_TRUE(odd.min_values.empty());
  EXPECT_FALSE(ParseStatsJson("{", types).ok());
}

TEST(DeletionVectorTest, Z85AndRoaringDecode) {
  DELTA_ASSERT_OK_AND_ASSIGN(auto hello, DecodeZ85("HelloWorld"));
  EXPECT_EQ(hello, std::string("\x86\x4F\xD2\x6F\xB5\x59\xF7\x5B", 8));
  EXPECT_FALSE(DecodeZ85("Hell").ok());
  EXPECT_FALSE(DecodeZ85("Hell~").ok());

  // Magic, one bucket (key 0), a 32-bit bitmap without runs: one array container {1, 5, 70000 & 0xFFFF}.
  auto le32 = [](uint32_t v) {
    std::string s(4, '\0');
    for (int i = 0; i < 4; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    return s;
  };
  auto le16 = [](uint16_t v) { return std::string{static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; };
  std::string bitmap = le32(1681511377) + le32(1) + le32(0) +  // magic, 1 bucket (u64)
                       le32(2) +                                 // bucket key 2
                       le32(12346) + le32(1) +                   // cookie, one container
                       le16(1) + le16(2) +                       // key 1, cardinality 3
                       le32(0) +                                 // offset
                       le16(1) + le16(5) + le16(9);
  DELTA_ASSERT_OK_AND_ASSIGN(auto rows, DecodeRoaringBitmapArray(bitmap));
  uint64_t base = (uint64_t{2} << 32) | (uint64_t{1} << 16);
  EXPECT_EQ(rows, (std::vector<uint64_t>{base + 1, base + 5, base + 9}));
  EXPECT_FALSE(DecodeRoaringBitmapArray(bitmap.substr(0, bitmap.size() - 1)).ok());
  EXPECT_FALSE(DecodeRoaringBitmapArray("\x01\x02\x03\x04").ok());

  // The inline example of PROTOCOL.md: 6 deleted rows.
  DeletionVectorDescriptor dv;
  dv.storage_type = "i";
  dv.path_or_inline_dv = "wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L";
  dv.size_in_bytes = 40;
  dv.cardinality = 6;
  MemoryTable t;
  DELTA_ASSERT_OK_AND_ASSIGN(auto deleted, LoadDeletionVector(*t.engine(), dv, "mem/t"));
  EXPECT_EQ(deleted, (std::vector<uint64_t>{3, 4, 7, 11, 18, 29}));
  dv.cardinality = 5;
  auto wrong = LoadDeletionVector(*t.engine(), dv, "mem/t");
  ASSERT_FALSE(wrong.ok());
  EXPECT_CONTAINS(wrong.status().message(), "cardinality");

  // On-disk form: version byte, big-endian size, bitmap, checksum; 'u' paths.
  DeletionVectorDescriptor ondisk;
  ondisk.storage_type = "u";
  ondisk.path_or_inline_dv = "ab" + std::string("HelloWorldHelloWorld");
  ondisk.offset = 1;
  ondisk.size_in_bytes = static_cast<int32_t>(bitmap.size());
  ondisk.cardinality = 3;
  DELTA_ASSERT_OK_AND_ASSIGN(auto path, DeletionVectorPath(ondisk, "mem/t"));
  EXPECT_EQ(path, "mem/t/ab/deletion_vector_864fd26f-b559-f75b-864f-d26fb559f75b.bin");
  std::string size_be{static_cast<char>(0), static_cast<char>(0), static_cast<char>(0),
                      static_cast<char>(bitmap.size())};
  t.storage()->Put(path, std::string("\x01", 1) + size_be + bitmap + "crc!");
  DELTA_ASSERT_OK_AND_ASSIGN(auto from_file, LoadDeletionVector(*t.engine(), ondisk, "mem/t"));
  EXPECT_EQ(from_file, rows);
  t.storage()->Remove(path);
  auto missing = LoadDeletionVector(*t.engine(), ondisk, "mem/t");
  ASSERT_FALSE(missing.ok());
  EXPECT_CONTAINS(missing.status().message(), "deletion_vector_864fd26f");
}

}  // namespace
}  // namespace shoal::delta::test
