// The catalog's match_like / is_in (string_match_kernels.cc) against Arrow's own
// kernels: random strings and patterns, NULLs, sliced inputs, outputs written
// in slices (small exec chunks), constants, and the fallbacks.
#include <chrono>
#include <cstdlib>
#include <random>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/registry.h>

#include "function_test_util.h"
#include "shoal/function/like_util.h"

namespace shoal::testing {
namespace {

namespace cp = arrow::compute;
using arrow::utf8;

class StringMatchTest : public FunctionTest {
 protected:
  /// Run `fn` through the catalog's registry (Shoal's kernels) and through
  /// Arrow's default registry; both results must be equal. `chunk` > 0 makes
  /// the executor write the output in slices of that many rows.
  void ExpectSameAsArrow(const std::string& fn, const arrow::Datum& input,
                         const cp::FunctionOptions& options, int64_t chunk = 0) {
    cp::ExecContext ours(arrow::default_memory_pool(), nullptr,
                         FunctionCatalog::Get().registry());
    cp::ExecContext theirs(arrow::default_memory_pool(), nullptr, cp::GetFunctionRegistry());
    if (chunk > 0) ours.set_exec_chunksize(chunk);
    auto a = cp::CallFunction(fn, {input}, &options, &ours);
    auto b = cp::CallFunction(fn, {input}, &options, &theirs);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    auto x = a->is_array() ? a->make_array() : arrow::MakeArrayFromScalar(*a->scalar(), 1).ValueOrDie();
    auto y = b->is_array() ? b->make_array() : arrow::MakeArrayFromScalar(*b->scalar(), 1).ValueOrDie();
    ASSERT_OK(x->ValidateFull());
    EXPECT_TRUE(x->Equals(*y)) << fn << " " << options.ToString() << "\nshoal: " << x->ToString()
                               << "\narrow: " << y->ToString();
  }
};

/// Compare the catalog's match_like with Shoal's row-at-a-time LIKE matcher
/// (like_util.h), the SQL reference.
void ExpectSameAsReference(const std::shared_ptr<arrow::Array>& strings,
                           const std::string& pattern) {
  cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, FunctionCatalog::Get().registry());
  cp::MatchSubstringOptions opts(pattern);
  auto r = cp::CallFunction("match_like", {strings}, &opts, &ctx);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto got = r->make_array();
  const auto& s = static_cast<const arrow::StringArray&>(*strings);
  for (int64_t i = 0; i < s.length(); ++i) {
    if (s.IsNull(i)) {
      EXPECT_TRUE(got->IsNull(i));
      continue;
    }
    auto expected = function_internal::LikeMatch(s.GetView(i), pattern, "\\", false);
    ASSERT_TRUE(expected.ok());
    EXPECT_EQ(static_cast<const arrow::BooleanArray&>(*got).Value(i), *expected)
        << "'" << s.GetView(i) << "' LIKE '" << pattern << "'";
  }
}

std::shared_ptr<arrow::Array> RandomStrings(int64_t n, std::mt19937_64* rng) {
  // A small alphabet (with %, \ and a newline) so patterns match often.
  static const char kAlphabet[] = "ab%c\\\nx";
  arrow::StringBuilder b;
  for (int64_t i = 0; i < n; ++i) {
    if ((*rng)() % 9 == 0) {
      EXPECT_TRUE(b.AppendNull().ok());
      continue;
    }
    std::string s;
    size_t len = (*rng)() % 9;
    for (size_t k = 0; k < len; ++k) s += kAlphabet[(*rng)() % (sizeof(kAlphabet) - 1)];
    EXPECT_TRUE(b.Append(s).ok());
  }
  std::shared_ptr<arrow::Array> out;
  EXPECT_TRUE(b.Finish(&out).ok());
  return out;
}

TEST_F(StringMatchTest, LikeMatchesArrow) {
  std::mt19937_64 rng(5);
  auto strings = RandomStrings(400, &rng);
  std::vector<std::string> patterns = {
      "",       "%",     "%%",      "a",       "ab",     "a%",      "%a",      "%a%",
      "a%b",    "ab%ba", "%ab%ba%", "%a%b%c%", "a%%c",   "\\%",     "%\\%%",   "\\\\%",
      "%\\\\",  "x%x",   "%\n%",    "a\nb%",   "%c%c",   "abc",     "%b%",     "c%a%b"};
  // Random patterns over the alphabet and % (no _: those fall back to Arrow).
  for (int k = 0; k < 60; ++k) {
    std::string p;
    size_t len = rng() % 6;
    for (size_t i = 0; i < len; ++i) p += "ab%c\nx"[rng() % 6];
    patterns.push_back(p);
  }
  for (const auto& p : patterns) {
    cp::MatchSubstringOptions opts(p);
    SCOPED_TRACE("pattern '" + p + "'");
    ExpectSameAsReference(strings, p);
    ExpectSameAsReference(strings->Slice(13, 200), p);
    // Arrow's own match_like gets '%\\' (a suffix ending in an escaped
    // backslash) wrong: compare with it only on patterns without escapes.
    if (p.find('\\') != std::string::npos) continue;
    ExpectSameAsArrow("match_like", strings, opts);
    ExpectSameAsArrow("match_like", strings->Slice(13, 200), opts);
    ExpectSameAsArrow("match_like", strings, opts, /*chunk=*/7);
    ExpectSameAsArrow("match_like", *strings->GetScalar(3), opts);
  }
}

TEST_F(StringMatchTest, LikeFallbacks) {
  std::mt19937_64 rng(6);
  auto strings = RandomStrings(200, &rng);
  for (const auto& p : {"a_", "%_%", "_%b", "A%"}) {
    ExpectSameAsArrow("match_like", strings, cp::MatchSubstringOptions(p));
    ExpectSameAsArrow("match_like", strings, cp::MatchSubstringOptions(p, /*ignore_case=*/true));
  }
  // large_utf8 keeps Arrow's kernel.
  auto large = *cp::Cast(strings, arrow::large_utf8());
  ExpectSameAsArrow("match_like", large, cp::MatchSubstringOptions("%a%b%"));
}

TEST_F(StringMatchTest, SqlLike) {
  auto s = Arr(utf8(), R"(["special requests", "specialrequests", "requests special", null,
                          "xx special yy requests zz", "100%", "promo"])");
  ExpectEval("like", {s, Sc(utf8(), R"("%special%requests%")")}, arrow::boolean(),
             "[true, true, false, null, true, false, false]");
  ExpectEval("like", {s, Sc(utf8(), R"("%!%" )")}, arrow::boolean(),
             "[false, false, false, null, false, false, false]");
  ExpectEval("like", {s, Sc(utf8(), R"("%!%")"), Sc(utf8(), R"("!")")}, arrow::boolean(),
             "[false, false, false, null, false, true, false]");
  ExpectEval("like", {s, Sc(utf8(), R"("PROMO%")")}, arrow::boolean(),
             "[false, false, false, null, false, false, false]");
  ExpectEval("ilike", {s, Sc(utf8(), R"("PROMO%")")}, arrow::boolean(),
             "[false, false, false, null, false, false, true]");
  // A suffix ending in an escaped backslash (Arrow's match_like says false).
  ExpectEval("like", {Arr(utf8(), R"(["x\\", "x"])"), Sc(utf8(), R"("%\\\\")")},
             arrow::boolean(), "[true, false]");
}

TEST_F(StringMatchTest, IsInMatchesArrow) {
  std::mt19937_64 rng(8);
  auto strings = RandomStrings(400, &rng);
  auto specific = Arr(utf8(), R"(["abcabcab", "abcabcabx", "abababab", null, "ab", "",
                                 "abcabcabxx", "abcabcab"])");
  using SLO = cp::SetLookupOptions;
  std::vector<std::string> sets = {R"([])", R"(["a"])", R"(["a", "ab", ""])",
                                   R"(["a", null])", R"([null])", R"(["ab%", "x\n", "c", "b"])",
                                   R"(["abcabcab", "ab", "abcabcabx"])", R"(["abababab", null])"};
  for (const auto& json : sets) {
    auto value_set = Arr(utf8(), json);
    for (auto behavior : {SLO::INCONCLUSIVE, SLO::MATCH, SLO::SKIP, SLO::EMIT_NULL}) {
      SLO opts(value_set, behavior);
      SCOPED_TRACE(json + " behavior " + std::to_string(behavior));
      ExpectSameAsArrow("is_in", strings, opts);
      ExpectSameAsArrow("is_in", strings->Slice(5, 300), opts);
      ExpectSameAsArrow("is_in", specific, opts);
      ExpectSameAsArrow("is_in", specific->Slice(1), opts);
      ExpectSameAsArrow("is_in", strings, opts, /*chunk=*/9);
      ExpectSameAsArrow("is_in", *strings->GetScalar(0), opts);
      ExpectSameAsArrow("is_in", arrow::MakeNullScalar(utf8()), opts);
    }
  }
  // More values than the small-set path takes: Arrow's hash kernel.
  arrow::StringBuilder b;
  for (int i = 0; i < 40; ++i) ASSERT_OK(b.Append(std::string(1 + i % 5, "abcx\n"[i % 5])));
  std::shared_ptr<arrow::Array> big;
  ASSERT_OK(b.Finish(&big));
  ExpectSameAsArrow("is_in", strings, SLO(big, SLO::INCONCLUSIVE));
}

TEST_F(StringMatchTest, SqlInList) {
  auto modes = Arr(utf8(), R"(["MAIL", "SHIP", "AIR", null, "REG AIR", "MAI"])");
  ExpectEval("in_list", {modes, Sc(utf8(), R"("MAIL")"), Sc(utf8(), R"("SHIP")")},
             arrow::boolean(), "[true, true, false, null, false, false]");
  ExpectEval("in_list",
             {modes, Sc(utf8(), R"("MAIL")"), Sc(utf8(), "null"), Sc(utf8(), R"("AIR")")},
             arrow::boolean(), "[true, null, true, null, null, null]");
}

// SHOAL_BENCH=1 build/<dir>/test/function_test --gtest_filter='StringMatch*Bench*'
TEST_F(StringMatchTest, Bench) {
  if (std::getenv("SHOAL_BENCH") == nullptr) GTEST_SKIP() << "set SHOAL_BENCH=1 to run";
  std::mt19937_64 rng(1);
  const int64_t n = 1 << 20;
  static const char* kModes[] = {"REG AIR", "AIR", "RAIL", "SHIP", "MAIL", "TRUCK", "FOB"};
  static const char* kWords[] = {"special", "requests", "carefully", "final", "deposits",
                                 "pending", "ironic", "packages", "quickly", "blithely"};
  arrow::StringBuilder modes, comments;
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_OK(modes.Append(kModes[rng() % 7]));
    std::string c;
    for (int w = 0; w < 7; ++w) c += std::string(kWords[rng() % 10]) + " ";
    ASSERT_OK(comments.Append(c));
  }
  std::shared_ptr<arrow::Array> m, c;
  ASSERT_OK(modes.Finish(&m));
  ASSERT_OK(comments.Finish(&c));
  auto time = [&](cp::FunctionRegistry* reg, const std::string& fn, const arrow::Datum& in,
                  const cp::FunctionOptions& opts) {
    cp::ExecContext ctx(arrow::default_memory_pool(), nullptr, reg);
    double best = 1e9;
    for (int rep = 0; rep < 5; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = cp::CallFunction(fn, {in}, &opts, &ctx);
      auto t1 = std::chrono::steady_clock::now();
      EXPECT_TRUE(r.ok());
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    return best * 1e9 / n;
  };
  auto* ours = FunctionCatalog::Get().registry();
  auto* arrow_reg = cp::GetFunctionRegistry();
  cp::SetLookupOptions in_opts(Arr(utf8(), R"(["MAIL", "SHIP"])"),
                               cp::SetLookupOptions::INCONCLUSIVE);
  std::printf("ns/row over %lld rows (best of 5)              arrow  shoal\n",
              static_cast<long long>(n));
  std::printf("l_shipmode IN ('MAIL', 'SHIP')                %5.2f  %5.2f\n",
              time(arrow_reg, "is_in", m, in_opts), time(ours, "is_in", m, in_opts));
  for (const char* p : {"%special%requests%", "%requests%", "special%", "%blithely "}) {
    cp::MatchSubstringOptions like(p);
    std::printf("comment LIKE '%-20s'               %5.2f  %5.2f\n", p,
                time(arrow_reg, "match_like", c, like), time(ours, "match_like", c, like));
  }
}

}  // namespace
}  // namespace shoal::testing
