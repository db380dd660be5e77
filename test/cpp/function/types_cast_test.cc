// SQL types, coercion rules and CAST / TRY_CAST.
#include "function_test_util.h"

namespace shoal::testing {
namespace {

using arrow::date32;
using arrow::decimal128;
using arrow::float32;
using arrow::float64;
using arrow::int16;
using arrow::int32;
using arrow::int64;
using arrow::utf8;

class TypesTest : public FunctionTest {};

TEST_F(TypesTest, SqlTypeToArrow) {
  auto check = [](const std::string& name, std::vector<int64_t> params, const TypePtr& want) {
    auto t = SqlTypeToArrow(name, params);
    ASSERT_TRUE(t.ok()) << name << ": " << t.status().ToString();
    EXPECT_TRUE((*t)->Equals(*want)) << name << " -> " << (*t)->ToString();
  };
  check("integer", {}, int32());
  check("INT", {}, int32());
  check("bigint", {}, int64());
  check("smallint", {}, int16());
  check("real", {}, float32());
  check("double", {}, float64());
  check("decimal", {15, 2}, decimal128(15, 2));
  check("numeric", {10}, decimal128(10, 0));
  check("varchar", {20}, utf8());
  check("text", {}, utf8());
  check("date", {}, date32());
  check("timestamp", {}, arrow::timestamp(arrow::TimeUnit::MICRO));
  check("timestamptz", {}, arrow::timestamp(arrow::TimeUnit::MICRO, "UTC"));
  check("interval", {}, arrow::month_day_nano_interval());
  check("boolean", {}, arrow::boolean());
  auto list = SqlTypeToArrow("list", {}, int32());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)->Equals(*arrow::list(int32())));
  auto bad = SqlTypeToArrow("intger", {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("did you mean 'integer'"), std::string::npos)
      << bad.status().message();
  EXPECT_FALSE(SqlTypeToArrow("decimal", {40, 2}).ok());
  EXPECT_FALSE(SqlTypeToArrow("decimal", {10, 11}).ok());
  EXPECT_FALSE(SqlTypeToArrow("integer", {3}).ok());
}

TEST_F(TypesTest, ArrowTypeToSql) {
  EXPECT_EQ(ArrowTypeToSql(*int64()), "BIGINT");
  EXPECT_EQ(ArrowTypeToSql(*decimal128(15, 2)), "DECIMAL(15,2)");
  EXPECT_EQ(ArrowTypeToSql(*utf8()), "VARCHAR");
  EXPECT_EQ(ArrowTypeToSql(*arrow::list(int32())), "INTEGER[]");
  EXPECT_EQ(ArrowTypeToSql(*arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
            "TIMESTAMP WITH TIME ZONE");
}

TEST_F(TypesTest, CommonTypeAndImplicitCasts) {
  const auto& c = FunctionCatalog::Get();
  auto common = [&](const TypePtr& a, const TypePtr& b) {
    auto r = c.CommonType(a, b);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : nullptr;
  };
  EXPECT_TRUE(common(int32(), int64())->Equals(*int64()));
  EXPECT_TRUE(common(int32(), float64())->Equals(*float64()));
  EXPECT_TRUE(common(int32(), decimal128(5, 2))->Equals(*decimal128(12, 2)));
  EXPECT_TRUE(common(decimal128(10, 2), decimal128(5, 3))->Equals(*decimal128(11, 3)));
  EXPECT_TRUE(common(arrow::uint32(), int32())->Equals(*int64()));
  EXPECT_TRUE(common(date32(), arrow::timestamp(arrow::TimeUnit::MICRO))
                  ->Equals(*arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_TRUE(common(utf8(), date32())->Equals(*date32()));
  EXPECT_TRUE(common(arrow::null(), utf8())->Equals(*utf8()));
  auto none = c.CommonType(int32(), date32());
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("INTEGER and DATE"), std::string::npos);
  EXPECT_TRUE(c.CanImplicitlyCast(int32(), int64()));
  EXPECT_FALSE(c.CanImplicitlyCast(int64(), int32()));
  EXPECT_TRUE(c.CanImplicitlyCast(date32(), arrow::timestamp(arrow::TimeUnit::MICRO)));
  EXPECT_FALSE(c.CanImplicitlyCast(utf8(), date32()));
  EXPECT_TRUE(c.CanImplicitlyCast(arrow::null(), date32()));
}

TEST_F(TypesTest, CastErrorsNameTheValue) {
  auto r = CastValue(Arr(utf8(), R"(["12", "1x"])"), int32(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'1x'"), std::string::npos) << r.status().message();
  r = CastValue(Arr(utf8(), R"(["2024-01-01", "2024-13-01"])"), date32(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("2024-13-01"), std::string::npos) << r.status().message();
  r = CastValue(Arr(int64(), "[300]"), arrow::int8(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("300"), std::string::npos) << r.status().message();
}

TEST_F(TypesTest, CastSqlSemantics) {
  ASSERT_OK_AND_ASSIGN(auto a, CastValue(Arr(float64(), "[1.5, -1.5, 2.4]"), int32(), false));
  EXPECT_TRUE(a.make_array()->Equals(*Arr(int32(), "[2, -2, 2]"))) << a.ToString();
  ASSERT_OK_AND_ASSIGN(auto b, CastValue(Arr(decimal128(5, 3), R"(["1.235"])"), decimal128(5, 2), false));
  EXPECT_TRUE(b.make_array()->Equals(*Arr(decimal128(5, 2), R"(["1.24"])"))) << b.ToString();
  ASSERT_OK_AND_ASSIGN(auto c, CastValue(Arr(utf8(), R"([" 42 "])"), int64(), false));
  EXPECT_TRUE(c.make_array()->Equals(*Arr(int64(), "[42]"))) << c.ToString();
  ASSERT_OK_AND_ASSIGN(auto d, CastValue(Arr(utf8(), R"(["2024-01-31"])"), date32(), false));
  EXPECT_TRUE(d.make_array()->Equals(*Arr(date32(), "[19753]")));
}

TEST_F(TypesTest, TryCast) {
  ASSERT_OK_AND_ASSIGN(auto a, CastValue(Arr(utf8(), R"(["12", "1x", null, "7"])"), int32(), true));
  EXPECT_TRUE(a.make_array()->Equals(*Arr(int32(), "[12, null, null, 7]"))) << a.ToString();
  ASSERT_OK_AND_ASSIGN(auto s, CastValue(arrow::Datum(Sc(utf8(), R"("nope")")), date32(), true));
  EXPECT_FALSE(s.scalar()->is_valid);
  ASSERT_OK_AND_ASSIGN(auto o, CastValue(Arr(int64(), "[1, 300]"), arrow::int8(), true));
  EXPECT_TRUE(o.make_array()->Equals(*Arr(arrow::int8(), "[1, null]")));
  auto chunked = std::make_shared<arrow::ChunkedArray>(
      arrow::ArrayVector{Arr(utf8(), R"(["1"])"), Arr(utf8(), R"(["x", "3"])")});
  ASSERT_OK_AND_ASSIGN(auto ch, CastValue(arrow::Datum(chunked), int64(), true));
  EXPECT_EQ(ch.chunked_array()->null_count(), 1);
  // An impossible pair of types stays an error.
  auto bad = CastValue(Arr(date32(), "[1]"), arrow::list(int32()), true);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace shoal::testing
