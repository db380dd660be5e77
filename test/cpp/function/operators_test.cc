// SQL operators: arithmetic, comparisons, logic, LIKE, IN, IS DISTINCT FROM, ||.
#include "function_test_util.h"

namespace shoal::testing {
namespace {

using arrow::date32;
using arrow::decimal128;
using arrow::float64;
using arrow::int32;
using arrow::int64;
using arrow::utf8;

class OperatorTest : public FunctionTest {};

TEST_F(OperatorTest, IntegerDivisionTruncates) {
  ExpectEval("/", {Arr(int64(), "[7, -7, 7, -7, null]"), Arr(int64(), "[2, 2, -2, -2, 1]")},
             int64(), "[3, -3, -3, 3, null]");
  ExpectEval("%", {Arr(int64(), "[7, -7, 7]"), Arr(int64(), "[2, 2, -2]")}, int64(),
             "[1, -1, 1]");
  ExpectEval("mod", {Arr(int32(), "[10]"), Sc(int32(), "3")}, int32(), "[1]");
}

TEST_F(OperatorTest, IntegerErrors) {
  ExpectError("/", {Arr(int64(), "[1]"), Arr(int64(), "[0]")}, "divide by zero");
  ExpectError("%", {Arr(int64(), "[1]"), Arr(int64(), "[0]")}, "divide by zero");
  ExpectError("+", {Arr(int64(), "[9223372036854775807]"), Sc(int64(), "1")}, "overflow");
  ExpectError("*", {Arr(int32(), "[2147483647]"), Sc(int32(), "2")}, "overflow");
  ExpectError("negate", {Arr(int64(), "[-9223372036854775808]")}, "overflow");
}

TEST_F(OperatorTest, NumericWidening) {
  EXPECT_TRUE(ReturnType("+", {Arr(int32(), "[1]"), Arr(int64(), "[1]")})->Equals(*int64()));
  ExpectEval("+", {Arr(int32(), "[1, null]"), Arr(float64(), "[0.5, 1]")}, float64(),
             "[1.5, null]");
  ExpectEval("-", {Sc(arrow::null(), "null"), Arr(int64(), "[1]")}, int64(), "[null]");
}

TEST_F(OperatorTest, DecimalResultTypes) {
  auto d = [](int p, int s) { return decimal128(p, s); };
  // Arrow's rules while they fit DECIMAL(38).
  EXPECT_TRUE(ReturnType("+", {Arr(d(10, 2), "[]"), Arr(d(5, 1), "[]")})->Equals(*d(11, 2)));
  EXPECT_TRUE(ReturnType("*", {Arr(d(10, 2), "[]"), Arr(d(5, 1), "[]")})->Equals(*d(16, 3)));
  EXPECT_TRUE(ReturnType("/", {Arr(d(10, 2), "[]"), Arr(d(5, 1), "[]")})->Equals(*d(16, 7)));
  // int32 is DECIMAL(10,0).
  EXPECT_TRUE(ReturnType("+", {Arr(d(10, 2), "[]"), Arr(int32(), "[]")})->Equals(*d(13, 2)));
  // Capped at 38 (Spark's scale reduction, at least min(scale, 6)).
  EXPECT_TRUE(ReturnType("*", {Arr(d(38, 10), "[]"), Arr(d(38, 10), "[]")})->Equals(*d(38, 6)));
  EXPECT_TRUE(ReturnType("+", {Arr(d(38, 10), "[]"), Arr(d(38, 2), "[]")})->Equals(*d(38, 6)));
  // Decimal with float is DOUBLE.
  EXPECT_TRUE(ReturnType("*", {Arr(d(10, 2), "[]"), Arr(float64(), "[]")})->Equals(*float64()));
}

TEST_F(OperatorTest, DecimalValues) {
  auto d = [](int p, int s) { return decimal128(p, s); };
  ExpectEval("+", {Arr(d(10, 2), R"(["1.25", "-3.10", null])"), Arr(d(5, 1), R"(["1.5", "0.1", "1.0"])")},
             d(11, 2), R"(["2.75", "-3.00", null])");
  ExpectEval("/", {Arr(d(10, 2), R"(["1.00"])"), Arr(d(10, 2), R"(["3.00"])")}, d(21, 11),
             R"(["0.33333333333"])");
  // Capped multiply: the value is rounded to the reduced scale.
  ExpectEval("*", {Arr(d(38, 10), R"(["1.2345678901"])"), Arr(d(38, 10), R"(["2.0000000000"])")},
             d(38, 6), R"(["2.469136"])");
  ExpectEval("-", {Arr(d(38, 10), R"(["1.5000000000"])"), Arr(d(38, 2), R"(["0.25"])")},
             d(38, 6), R"(["1.250000"])");
  ExpectError("/", {Arr(d(10, 2), R"(["1.00"])"), Arr(d(10, 2), R"(["0.00"])")}, "ivide by zero");
  ExpectError("*", {Arr(d(38, 0), R"(["99999999999999999999999999999999999999"])"),
                    Arr(d(38, 0), R"(["10"])")},
              "overflow");
}

TEST_F(OperatorTest, DateArithmetic) {
  ExpectEval("+", {Arr(date32(), "[0, null]"), Sc(int32(), "31")}, date32(), "[31, null]");
  ExpectEval("+", {Sc(int64(), "1"), Arr(date32(), "[0]")}, date32(), "[1]");
  ExpectEval("-", {Arr(date32(), "[10]"), Sc(int64(), "3")}, date32(), "[7]");
  ExpectEval("-", {Arr(date32(), "[10, 3]"), Arr(date32(), "[3, 10]")}, int64(), "[7, -7]");
}

TEST_F(OperatorTest, IntervalArithmetic) {
  auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  auto iv = arrow::month_day_nano_interval();
  // 2024-01-31 + 1 month = 2024-02-29 (clamped); date + a constant interval of
  // months/days is a date.
  int32_t jan31 = 19753;  // 2024-01-31
  std::shared_ptr<arrow::Scalar> one_month = std::make_shared<arrow::MonthDayNanoIntervalScalar>(
      arrow::MonthDayNanoIntervalType::MonthDayNanos{1, 0, 0});
  ExpectEval("+", {Arr(date32(), "[" + std::to_string(jan31) + "]"), one_month}, date32(),
             "[" + std::to_string(jan31 + 29) + "]");
  // With an interval column the type is decided before the values are known: a timestamp.
  auto iv_col = arrow::MakeArrayFromScalar(*one_month, 1).ValueOrDie();
  ExpectEval("+", {Arr(date32(), "[" + std::to_string(jan31) + "]"), iv_col}, ts,
             "[\"2024-02-29 00:00:00\"]");
  std::shared_ptr<arrow::Scalar> day_hour = std::make_shared<arrow::MonthDayNanoIntervalScalar>(
      arrow::MonthDayNanoIntervalType::MonthDayNanos{0, 1, 3600LL * 1000000000LL});
  ExpectEval("-", {Arr(ts, R"(["2024-03-01 00:30:00"])"), day_hour}, ts,
             R"(["2024-02-28 23:30:00"])");
  ExpectEval("+", {day_hour, Arr(ts, R"(["2024-03-01 00:00:00"])")}, ts,
             R"(["2024-03-02 01:00:00"])");
  // A time part makes date + interval a timestamp.
  ExpectEval("+", {day_hour, Arr(date32(), "[" + std::to_string(jan31) + "]")}, ts,
             R"(["2024-02-01 01:00:00"])");
  ExpectEval("-", {Arr(date32(), "[" + std::to_string(jan31) + "]"), day_hour}, ts,
             R"(["2024-01-29 23:00:00"])");
  // timestamp - timestamp is a duration.
  ExpectEval("-", {Arr(ts, R"(["2024-03-01 00:00:01"])"), Arr(ts, R"(["2024-03-01 00:00:00"])")},
             arrow::duration(arrow::TimeUnit::MICRO), "[1000000]");
  ExpectError("+", {Arr(date32(), "[1]"), Arr(date32(), "[1]")}, "candidates");
}

TEST_F(OperatorTest, DateIntervalIsDate) {
  using MDN = arrow::MonthDayNanoIntervalType::MonthDayNanos;
  auto iv = [](int32_t months, int32_t days) -> std::shared_ptr<arrow::Scalar> {
    return std::make_shared<arrow::MonthDayNanoIntervalScalar>(MDN{months, days, 0});
  };
  auto d = [](const std::string& s) {
    return Sc(date32(), std::to_string(
                            std::static_pointer_cast<arrow::Date32Scalar>(
                                arrow::Scalar::Parse(date32(), s).ValueOrDie())->value));
  };
  auto days = [](const std::string& s) {
    return std::to_string(std::static_pointer_cast<arrow::Date32Scalar>(
                              arrow::Scalar::Parse(date32(), s).ValueOrDie())->value);
  };
  // TPC-H: DATE '1998-12-01' - INTERVAL '90' DAY, DATE '1994-01-01' + INTERVAL '1' YEAR.
  ExpectEval("-", {d("1998-12-01"), iv(0, 90)}, date32(), "[" + days("1998-09-02") + "]");
  ExpectEval("+", {d("1994-01-01"), iv(12, 0)}, date32(), "[" + days("1995-01-01") + "]");
  ExpectEval("+", {iv(3, 0), d("1993-07-01")}, date32(), "[" + days("1993-10-01") + "]");
  // Month end clamping, negative intervals, leap years, NULLs.
  ExpectEval("-", {Arr(date32(), "[" + days("2024-03-31") + ", " + days("2023-03-31") + ", null]"),
                   iv(1, 0)},
             date32(), "[" + days("2024-02-29") + ", " + days("2023-02-28") + ", null]");
  ExpectEval("+", {Arr(date32(), "[" + days("2024-01-31") + "]"), iv(-1, 1)}, date32(),
             "[" + days("2024-01-01") + "]");
  ExpectEval("+", {Arr(date32(), "[0]"), Sc(arrow::month_day_nano_interval(), "null")}, date32(),
             "[null]");
  ExpectError("+", {Arr(date32(), "[2147483000]"), iv(0, 100000)}, "date out of range");
  // A comparison of a date column with such a constant stays a date comparison.
  auto sum = FunctionCatalog::Get().BindScalar("+", Args({d("1994-01-01"), iv(12, 0)}));
  ASSERT_TRUE(sum.ok());
  EXPECT_TRUE(sum->return_type->Equals(*date32()));
  auto cmp = FunctionCatalog::Get().BindScalar(
      "<", {ScalarArg{date32(), nullptr}, ScalarArg{sum->return_type, nullptr}});
  ASSERT_TRUE(cmp.ok());
  EXPECT_TRUE(cmp->arg_types[0]->Equals(*date32()));
  EXPECT_TRUE(cmp->arg_types[1]->Equals(*date32()));
}

TEST_F(OperatorTest, ComparisonCoercion) {
  ExpectEval("<", {Arr(int32(), "[1, 5, null]"), Arr(int64(), "[2, 2, 2]")}, arrow::boolean(),
             "[true, false, null]");
  ExpectEval("=", {Arr(decimal128(5, 2), R"(["1.50", "2.00"])"), Sc(int32(), "2")},
             arrow::boolean(), "[false, true]");
  // A string literal compared with a date is read as a date.
  ExpectEval(">=", {Arr(date32(), "[19753, 0]"), Sc(utf8(), R"("2024-01-01")")}, arrow::boolean(),
             "[true, false]");
  auto ts = arrow::timestamp(arrow::TimeUnit::MICRO);
  ExpectEval("=", {Arr(date32(), "[19753]"), Arr(ts, R"(["2024-01-31 00:00:00"])")},
             arrow::boolean(), "[true]");
  auto bad = FunctionCatalog::Get().BindScalar("=", Args({Arr(int32(), "[1]"), Arr(date32(), "[1]")}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot compare INTEGER with DATE"), std::string::npos)
      << bad.status().message();
}

TEST_F(OperatorTest, KleeneLogic) {
  auto b = arrow::boolean();
  ExpectEval("and", {Arr(b, "[true, false, null, null]"), Arr(b, "[null, null, false, true]")}, b,
             "[null, false, false, null]");
  ExpectEval("or", {Arr(b, "[true, false, null]"), Arr(b, "[null, null, true]")}, b,
             "[true, null, true]");
  ExpectEval("not", {Arr(b, "[true, null]")}, b, "[false, null]");
  ExpectEval("is_null", {Arr(int32(), "[1, null]")}, b, "[false, true]");
  ExpectEval("is_not_null", {Arr(int32(), "[1, null]")}, b, "[true, false]");
  ExpectError("and", {Arr(int32(), "[1]"), Arr(b, "[true]")}, "must be BOOLEAN");
}

TEST_F(OperatorTest, IsDistinctFrom) {
  auto b = arrow::boolean();
  ExpectEval("is_distinct_from", {Arr(int32(), "[1, 1, null, null]"), Arr(int64(), "[1, 2, 1, null]")},
             b, "[false, true, true, false]");
  ExpectEval("is_not_distinct_from", {Arr(utf8(), R"(["a", null])"), Sc(utf8(), "null")}, b,
             "[false, true]");
}

TEST_F(OperatorTest, ConcatOperator) {
  ExpectEval("||", {Arr(utf8(), R"(["a", null, "c"])"), Sc(utf8(), R"("x")")}, utf8(),
             R"(["ax", null, "cx"])");
  ExpectEval("||", {Arr(utf8(), R"(["n="])"), Arr(int32(), "[5]")}, utf8(), R"(["n=5"])");
}

TEST_F(OperatorTest, LikeConstantPattern) {
  auto b = arrow::boolean();
  auto s = Arr(utf8(), R"(["abc", "aXc", "a%c", "ABC", null, "a\\c"])");
  ExpectEval("like", {s, Sc(utf8(), R"("a_c")")}, b, "[true, true, true, false, null, true]");
  ExpectEval("ilike", {s, Sc(utf8(), R"("a%")")}, b, "[true, true, true, true, null, true]");
  // ESCAPE '!': "a!%c" matches only a literal "a%c".
  ExpectEval("like", {s, Sc(utf8(), R"("a!%c")"), Sc(utf8(), R"("!")")}, b,
             "[false, false, true, false, null, false]");
  // With another escape character a backslash is an ordinary character.
  ExpectEval("like", {s, Sc(utf8(), R"("a\\c")"), Sc(utf8(), R"("!")")}, b,
             "[false, false, false, false, null, true]");
  // Default escape is backslash (PostgreSQL).
  ExpectEval("like", {s, Sc(utf8(), R"("a\\%c")")}, b, "[false, false, true, false, null, false]");
  ExpectError("like", {s, Sc(utf8(), R"("ab!")"), Sc(utf8(), R"("!")")}, "escape character");
  ExpectError("like", {s, Sc(utf8(), R"("ab")"), Sc(utf8(), R"("!!")")}, "single character");
  ExpectEval("like", {s, Sc(utf8(), "null")}, b, "[null, null, null, null, null, null]");
}

TEST_F(OperatorTest, LikeColumnPattern) {
  auto b = arrow::boolean();
  auto s = Arr(utf8(), R"(["abc", "abc", "héllo", "a%c", null])");
  auto p = Arr(utf8(), R"(["a%", "_b_", "h_llo", "a\\%c", "x"])");
  ExpectEval("like", {s, p}, b, "[true, true, true, true, null]");
  ExpectEval("ilike", {Arr(utf8(), R"(["ABC"])"), Arr(utf8(), R"(["a%c"])")}, b, "[true]");
  ExpectEval("like", {Arr(utf8(), R"(["abcabd", "ab"])"), Arr(utf8(), R"(["%ab_", "%%b%%"])")}, b,
             "[true, true]");
}

TEST_F(OperatorTest, InListNullSemantics) {
  auto b = arrow::boolean();
  auto x = Arr(int32(), "[1, 2, null]");
  ExpectEval("in_list", {x, Sc(int32(), "1"), Sc(int64(), "3")}, b, "[true, false, null]");
  // x IN (1, NULL): true when found, else NULL.
  ExpectEval("in_list", {x, Sc(int32(), "1"), Sc(int32(), "null")}, b, "[true, null, null]");
  // Coercion: dates against string literals.
  ExpectEval("in_list", {Arr(date32(), "[19753, 0]"), Sc(utf8(), R"("2024-01-31")")}, b,
             "[true, false]");
  auto nonconst = FunctionCatalog::Get().BindScalar(
      "in_list", Args({x, Arr(int32(), "[1, 2, 3]")}));
  ASSERT_FALSE(nonconst.ok());
  EXPECT_TRUE(nonconst.status().IsNotImplemented());
  EXPECT_NE(nonconst.status().message().find("OR of equals"), std::string::npos);
}

TEST_F(OperatorTest, UnknownAndArityErrors) {
  const auto& c = FunctionCatalog::Get();
  auto r = c.BindScalar("substrr", Args({Arr(utf8(), "[]")}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("did you mean 'substr'"), std::string::npos)
      << r.status().message();
  r = c.BindScalar("substr", Args({Arr(int32(), "[]")}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("substr(VARCHAR, BIGINT[, BIGINT])"), std::string::npos)
      << r.status().message();
  r = c.BindScalar("substr", Args({Arr(int32(), "[]"), Sc(int32(), "1")}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("function substr(INTEGER, INTEGER) does not exist"),
            std::string::npos)
      << r.status().message();
  r = c.BindScalar("sum", Args({Arr(int32(), "[]")}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("aggregate"), std::string::npos);
  EXPECT_TRUE(c.IsScalar("substr"));
  EXPECT_TRUE(c.IsAggregate("sum"));
  EXPECT_TRUE(c.IsWindow("row_number"));
  EXPECT_FALSE(c.IsScalar("row_number"));
}

}  // namespace
}  // namespace shoal::testing
