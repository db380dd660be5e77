// Math, conditional and date/time functions.
#include "function_test_util.h"

namespace shoal::testing {
namespace {

using arrow::date32;
using arrow::decimal128;
using arrow::float64;
using arrow::int32;
using arrow::int64;
using arrow::utf8;

class MathTest : public FunctionTest {};
class DatetimeTest : public FunctionTest {};

TEST_F(MathTest, Rounding) {
  ExpectEval("round", {Arr(float64(), "[2.5, -2.5, 1.25, null]")}, float64(), "[3, -3, 1, null]");
  ExpectEval("round", {Arr(float64(), "[1.25, -1.25]"), Sc(int32(), "1")}, float64(), "[1.3, -1.3]");
  ExpectEval("round", {Arr(decimal128(5, 2), R"(["1.25"])"), Sc(int32(), "1")}, decimal128(5, 2),
             R"(["1.30"])");
  ExpectEval("round", {Arr(int32(), "[15]")}, int32(), "[15]");
  ExpectEval("round", {Arr(float64(), "[1.256, 1.256]"), Arr(int32(), "[1, 2]")}, float64(),
             "[1.3, 1.26]");
  ExpectEval("trunc", {Arr(float64(), "[-1.7, 1.7]")}, float64(), "[-1, 1]");
  ExpectEval("trunc", {Arr(float64(), "[1.789]"), Sc(int32(), "2")}, float64(), "[1.78]");
  ExpectEval("ceil", {Arr(float64(), "[1.2, -1.2]")}, float64(), "[2, -1]");
  ExpectEval("floor", {Arr(int64(), "[3]")}, int64(), "[3]");
  ExpectEval("floor", {Arr(decimal128(5, 2), R"(["-1.25"])")}, decimal128(5, 2), R"(["-2.00"])");
}

TEST_F(MathTest, Functions) {
  ExpectEval("abs", {Arr(int32(), "[-3, null]")}, int32(), "[3, null]");
  ExpectError("abs", {Arr(int64(), "[-9223372036854775808]")}, "overflow");
  ExpectEval("sqrt", {Arr(int32(), "[4]")}, float64(), "[2]");
  ExpectError("sqrt", {Arr(float64(), "[-1]")}, "square root of negative number");
  ExpectEval("cbrt", {Arr(float64(), "[27]")}, float64(), "[3]");
  ExpectEval("power", {Arr(int32(), "[2]"), Sc(int32(), "10")}, float64(), "[1024]");
  ExpectEval("ln", {Arr(float64(), "[1]")}, float64(), "[0]");
  ExpectError("ln", {Arr(float64(), "[0]")}, "logarithm of zero");
  ExpectEval("log10", {Arr(float64(), "[1000]")}, float64(), "[3]");
  ExpectEval("log", {Arr(float64(), "[100]")}, float64(), "[2]");
  ExpectEval("log", {Sc(float64(), "2"), Arr(float64(), "[8]")}, float64(), "[3]");
  ExpectEval("log2", {Arr(float64(), "[8]")}, float64(), "[3]");
  ExpectEval("sign", {Arr(int32(), "[-5, 0, 5]")}, arrow::int8(), "[-1, 0, 1]");
  ExpectEval("degrees", {Arr(float64(), "[0]")}, float64(), "[0]");
  ExpectEval("gcd", {Arr(int64(), "[12]"), Arr(int64(), "[18]")}, int64(), "[6]");
  ExpectEval("factorial", {Arr(int64(), "[5]")}, int64(), "[120]");
  ExpectError("factorial", {Arr(int64(), "[21]")}, "overflows");
  auto pi = Eval("pi", {});
  ASSERT_TRUE(pi.ok()) << pi.status().ToString();
  auto rnd = FunctionCatalog::Get().BindScalar("random", {});
  ASSERT_TRUE(rnd.ok()) << rnd.status().ToString();
  EXPECT_TRUE(rnd->is_volatile);
  ASSERT_OK_AND_ASSIGN(auto r, ExecuteScalar(*rnd, {}, 5));
  EXPECT_EQ(r.length(), 5);
}

TEST_F(MathTest, Conditional) {
  ExpectEval("coalesce", {Arr(int32(), "[null, 1, null]"), Arr(int64(), "[2, 3, null]")}, int64(),
             "[2, 1, null]");
  ExpectEval("ifnull", {Arr(utf8(), R"([null, "a"])"), Sc(utf8(), R"("z")")}, utf8(), R"(["z", "a"])");
  ExpectEval("nullif", {Arr(int32(), "[1, 2, null]"), Sc(int32(), "1")}, int32(), "[null, 2, null]");
  ExpectEval("if", {Arr(arrow::boolean(), "[true, false, null]"), Sc(int32(), "1"), Sc(int32(), "2")},
             int32(), "[1, 2, 2]");
  ExpectEval("greatest", {Arr(int32(), "[1, null, 5]"), Arr(int64(), "[3, 2, null]")}, int64(),
             "[3, 2, 5]");
  ExpectEval("least", {Arr(int32(), "[1, null]"), Arr(int32(), "[3, null]")}, int32(), "[1, null]");
}

TEST_F(DatetimeTest, DatePart) {
  auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  auto t = Arr(ts, R"(["2024-05-19 13:45:12.345678", null])");  // a Sunday
  ExpectEval("date_part", {Sc(utf8(), R"("year")"), t}, int64(), "[2024, null]");
  ExpectEval("extract", {Sc(utf8(), R"("MONTH")"), t}, int64(), "[5, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("quarter")"), t}, int64(), "[2, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("day")"), t}, int64(), "[19, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("dow")"), t}, int64(), "[0, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("isodow")"), t}, int64(), "[7, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("doy")"), t}, int64(), "[140, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("week")"), t}, int64(), "[20, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("hour")"), t}, int64(), "[13, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("minute")"), t}, int64(), "[45, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("second")"), t}, int64(), "[12, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("millisecond")"), t}, int64(), "[12345, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("microsecond")"), t}, int64(), "[12345678, null]");
  ExpectEval("date_part", {Sc(utf8(), R"("epoch")"), Arr(ts, R"(["1970-01-02 00:00:01.5"])")},
             float64(), "[86401.5]");
  ExpectEval("date_part", {Sc(utf8(), R"("year")"), Arr(date32(), "[19753]")}, int64(), "[2024]");
  ExpectEval("date_part", {Sc(utf8(), R"("hour")"), Arr(date32(), "[19753]")}, int64(), "[0]");
  ExpectError("date_part", {Sc(utf8(), R"("yeer")"), t}, "did you mean 'year'");
  auto r = FunctionCatalog::Get().BindScalar("date_part", Args({Arr(utf8(), "[]"), t}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("field must be a constant"), std::string::npos);
}

TEST_F(DatetimeTest, DateTrunc) {
  auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  auto t = Arr(ts, R"(["2024-05-19 13:45:12.345678", null])");
  ExpectEval("date_trunc", {Sc(utf8(), R"("month")"), t}, ts, R"(["2024-05-01 00:00:00", null])");
  ExpectEval("date_trunc", {Sc(utf8(), R"("hour")"), t}, ts, R"(["2024-05-19 13:00:00", null])");
  ExpectEval("date_trunc", {Sc(utf8(), R"("week")"), t}, ts, R"(["2024-05-13 00:00:00", null])");
  ExpectEval("date_trunc", {Sc(utf8(), R"("year")"), t}, ts, R"(["2024-01-01 00:00:00", null])");
  ExpectEval("date_trunc", {Sc(utf8(), R"("quarter")"), Arr(date32(), "[19862]")}, date32(),
             "[19814]");  // 2024-05-19 -> 2024-04-01
  ExpectEval("date_trunc", {Sc(utf8(), R"("second")"), Arr(date32(), "[19862]")}, date32(), "[19862]");
  ExpectError("date_trunc", {Sc(utf8(), R"("fortnight")"), t}, "unknown field 'fortnight'");
}

TEST_F(DatetimeTest, ConversionsAndMisc) {
  auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  ExpectEval("make_date", {Sc(int64(), "2024"), Sc(int64(), "1"), Arr(int64(), "[31, null]")},
             date32(), "[19753, null]");
  ExpectError("make_date", {Sc(int64(), "2023"), Sc(int64(), "2"), Arr(int64(), "[29]")},
              "not a valid date");
  ExpectEval("to_timestamp", {Arr(utf8(), R"(["2024-05-19 13:45:12"])")}, ts,
             R"(["2024-05-19 13:45:12"])");
  ExpectEval("strptime", {Arr(utf8(), R"(["19/05/2024"])"), Sc(utf8(), R"("%d/%m/%Y")")}, ts,
             R"(["2024-05-19 00:00:00"])");
  ExpectEval("to_timestamp", {Arr(float64(), "[1.5]")}, ts, R"(["1970-01-01 00:00:01.5"])");
  ExpectEval("strftime", {Arr(ts, R"(["2024-05-19 13:45:12"])"), Sc(utf8(), R"("%Y/%m/%d")")}, utf8(),
             R"(["2024/05/19"])");
  ExpectEval("strftime", {Arr(date32(), "[19753]"), Sc(utf8(), R"("%Y-%m-%d")")}, utf8(),
             R"(["2024-01-31"])");
  ExpectEval("epoch_ms", {Arr(ts, R"(["1970-01-01 00:00:01.5"])")}, int64(), "[1500]");
  ExpectEval("epoch_ms", {Arr(int64(), "[1500]")}, arrow::timestamp(arrow::TimeUnit::MILLI),
             R"(["1970-01-01 00:00:01.5"])");
  ExpectEval("date_diff", {Sc(utf8(), R"("day")"), Arr(date32(), "[0]"), Arr(date32(), "[31]")},
             int64(), "[31]");
  auto now = FunctionCatalog::Get().BindScalar("now", {});
  ASSERT_TRUE(now.ok()) << now.status().ToString();
  EXPECT_TRUE(now->return_type->Equals(*arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
  ASSERT_OK_AND_ASSIGN(auto v, ExecuteScalar(*now, {}, 3));
  EXPECT_EQ(v.length(), 3);
  auto today = FunctionCatalog::Get().BindScalar("current_date", {});
  ASSERT_TRUE(today.ok());
  EXPECT_TRUE(today->return_type->Equals(*date32()));
}

}  // namespace
}  // namespace shoal::testing
