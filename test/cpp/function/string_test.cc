// String functions with SQL semantics.
#include "function_test_util.h"

namespace shoal::testing {
namespace {

using arrow::int32;
using arrow::int64;
using arrow::utf8;

class StringTest : public FunctionTest {};

TEST_F(StringTest, SubstrConstantArguments) {
  auto s = Arr(utf8(), R"(["hello", "héllo", null, ""])");
  ExpectEval("substr", {s, Sc(int64(), "2"), Sc(int64(), "3")}, utf8(),
             R"(["ell", "éll", null, ""])");
  ExpectEval("substring", {s, Sc(int32(), "3")}, utf8(), R"(["llo", "llo", null, ""])");
  // PostgreSQL: positions before 1 count towards the length.
  ExpectEval("substr", {s, Sc(int64(), "0"), Sc(int64(), "2")}, utf8(), R"(["h", "h", null, ""])");
  ExpectEval("substr", {s, Sc(int64(), "-1"), Sc(int64(), "3")}, utf8(), R"(["h", "h", null, ""])");
  ExpectEval("substr", {s, Sc(int64(), "-5"), Sc(int64(), "3")}, utf8(), R"(["", "", null, ""])");
  ExpectEval("substr", {s, Sc(int64(), "10")}, utf8(), R"(["", "", null, ""])");
  ExpectEval("substr", {s, Sc(int64(), "null")}, utf8(), R"([null, null, null, null])");
  ExpectError("substr", {s, Sc(int64(), "1"), Sc(int64(), "-1")}, "negative substring length");
}

TEST_F(StringTest, SubstrColumnArguments) {
  auto s = Arr(utf8(), R"(["hello", "héllo", "abc", "abc"])");
  ExpectEval("substr", {s, Arr(int64(), "[2, 2, 0, null]"), Arr(int64(), "[3, 1, 2, 1]")}, utf8(),
             R"(["ell", "é", "a", null])");
  ExpectEval("substr", {s, Arr(int32(), "[5, 1, -1, 3]")}, utf8(), R"(["o", "héllo", "abc", "c"])");
  ExpectError("substr", {s, Arr(int64(), "[1, 1, 1, 1]"), Arr(int64(), "[1, -2, 1, 1]")},
              "negative substring length");
}

TEST_F(StringTest, CaseLengthAndFriends) {
  auto s = Arr(utf8(), R"(["Héllo", null])");
  ExpectEval("upper", {s}, utf8(), R"(["HÉLLO", null])");
  ExpectEval("lower", {s}, utf8(), R"(["héllo", null])");
  ExpectEval("length", {s}, int32(), "[5, null]");
  ExpectEval("char_length", {s}, int32(), "[5, null]");
  ExpectEval("octet_length", {s}, int32(), "[6, null]");
  ExpectEval("reverse", {s}, utf8(), R"(["olléH", null])");
  ExpectEval("initcap", {Arr(utf8(), R"(["hello wORLD"])")}, utf8(), R"(["Hello World"])");
  ExpectEval("ascii", {Arr(utf8(), R"(["A", "é", ""])")}, int32(), "[65, 233, 0]");
  ExpectEval("chr", {Arr(int64(), "[65, 233]")}, utf8(), R"(["A", "é"])");
  ExpectError("chr", {Arr(int64(), "[-1]")}, "not a valid Unicode code point");
  ExpectEval("to_hex", {Arr(int64(), "[255, -1]")}, utf8(), R"(["ff", "ffffffffffffffff"])");
}

TEST_F(StringTest, LeftRightPosition) {
  auto s = Arr(utf8(), R"(["héllo", null])");
  ExpectEval("left", {s, Sc(int64(), "2")}, utf8(), R"(["hé", null])");
  ExpectEval("left", {s, Sc(int64(), "-2")}, utf8(), R"(["hél", null])");
  ExpectEval("right", {s, Sc(int64(), "2")}, utf8(), R"(["lo", null])");
  ExpectEval("right", {s, Sc(int64(), "-2")}, utf8(), R"(["llo", null])");
  ExpectEval("right", {s, Sc(int64(), "0")}, utf8(), R"(["", null])");
  ExpectEval("strpos", {s, Sc(utf8(), R"("llo")")}, int64(), "[3, null]");
  ExpectEval("position", {s, Sc(utf8(), R"("x")")}, int64(), "[0, null]");
  ExpectEval("starts_with", {s, Sc(utf8(), R"("hé")")}, arrow::boolean(), "[true, null]");
  ExpectEval("ends_with", {s, Arr(utf8(), R"(["lo", "x"])")}, arrow::boolean(), "[true, null]");
  ExpectEval("contains", {s, Arr(utf8(), R"(["éll", "x"])")}, arrow::boolean(), "[true, null]");
  ExpectEval("contains", {s, Sc(utf8(), R"("zz")")}, arrow::boolean(), "[false, null]");
}

TEST_F(StringTest, ReplaceRepeatTrimPad) {
  auto s = Arr(utf8(), R"(["abcabc", null])");
  ExpectEval("replace", {s, Sc(utf8(), R"("b")"), Sc(utf8(), R"("XY")")}, utf8(),
             R"(["aXYcaXYc", null])");
  ExpectEval("replace", {s, Arr(utf8(), R"(["", "b"])"), Sc(utf8(), R"("X")")}, utf8(),
             R"(["abcabc", null])");
  ExpectEval("repeat", {Arr(utf8(), R"(["ab", "x"])"), Arr(int64(), "[3, -1]")}, utf8(),
             R"(["ababab", ""])");
  auto t = Arr(utf8(), R"(["  a b  ", "\tx "])");
  ExpectEval("trim", {t}, utf8(), R"(["a b", "\tx"])");
  ExpectEval("ltrim", {t}, utf8(), R"(["a b  ", "\tx "])");
  ExpectEval("rtrim", {t}, utf8(), R"(["  a b", "\tx"])");
  ExpectEval("btrim", {Arr(utf8(), R"(["xxaxyx"])"), Sc(utf8(), R"("xy")")}, utf8(), R"(["a"])");
  ExpectEval("lpad", {Arr(utf8(), R"(["hi", "hello"])"), Sc(int64(), "5"), Sc(utf8(), R"("xy")")},
             utf8(), R"(["xyxhi", "hello"])");
  ExpectEval("lpad", {Arr(utf8(), R"(["hello"])"), Sc(int64(), "2")}, utf8(), R"(["he"])");
  ExpectEval("rpad", {Arr(utf8(), R"(["hi"])"), Sc(int64(), "4")}, utf8(), R"(["hi  "])");
}

TEST_F(StringTest, ConcatSplitRegexp) {
  ExpectEval("concat", {Arr(utf8(), R"(["a", null])"), Sc(int32(), "1"), Sc(utf8(), "null")}, utf8(),
             R"(["a1", "1"])");
  ExpectEval("concat_ws", {Sc(utf8(), R"("-")"), Arr(utf8(), R"(["a", null])"), Sc(utf8(), R"("b")")},
             utf8(), R"(["a-b", "b"])");
  ExpectEval("concat_ws", {Sc(utf8(), "null"), Arr(utf8(), R"(["a"])")}, utf8(), "[null]");
  auto s = Arr(utf8(), R"(["a,b,,c", null])");
  ExpectEval("split_part", {s, Sc(utf8(), R"(",")"), Sc(int64(), "2")}, utf8(), R"(["b", null])");
  ExpectEval("split_part", {s, Sc(utf8(), R"(",")"), Sc(int64(), "-1")}, utf8(), R"(["c", null])");
  ExpectEval("split_part", {s, Sc(utf8(), R"(",")"), Sc(int64(), "9")}, utf8(), R"(["", null])");
  ExpectError("split_part", {s, Sc(utf8(), R"(",")"), Sc(int64(), "0")}, "must not be zero");
  ExpectEval("string_to_array", {s, Sc(utf8(), R"(",")")}, arrow::list(utf8()),
             R"([["a", "b", "", "c"], null])");
  ExpectEval("regexp_like", {Arr(utf8(), R"(["abc123", "ABC"])"), Sc(utf8(), R"("^[a-z]+\\d+$")")},
             arrow::boolean(), "[true, false]");
  ExpectEval("regexp_matches", {Arr(utf8(), R"(["ABC"])"), Sc(utf8(), R"("abc")"), Sc(utf8(), R"("i")")},
             arrow::boolean(), "[true]");
  ExpectEval("regexp_replace", {Arr(utf8(), R"(["a1b22"])"), Sc(utf8(), R"("\\d+")"), Sc(utf8(), R"("#")")},
             utf8(), R"(["a#b22"])");
  ExpectEval("regexp_replace",
             {Arr(utf8(), R"(["a1b22"])"), Sc(utf8(), R"("\\d+")"), Sc(utf8(), R"("#")"), Sc(utf8(), R"("g")")},
             utf8(), R"(["a#b#"])");
  auto r = FunctionCatalog::Get().BindScalar(
      "regexp_like", Args({Arr(utf8(), "[]"), Arr(utf8(), "[]")}));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pattern must be a constant"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace shoal::testing
