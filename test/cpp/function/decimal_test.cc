// DECIMAL128 + - * kernels (decimal_kernels.cc): values, nulls, constants on
// either side, sliced inputs, the capped (> 38 digits) path and its overflow
// errors, checked against the Decimal256 reference (DecimalCompute) and Arrow's
// own kernels. A micro-benchmark runs when SHOAL_BENCH=1.
#include <chrono>
#include <cstdlib>
#include <random>

#include <arrow/compute/api_scalar.h>
#include <arrow/compute/cast.h>

#include "function_test_util.h"
#include "shoal/function/decimal_util.h"

namespace shoal::testing {
namespace {

using arrow::Decimal128;
using arrow::decimal128;
using function_internal::DecimalCompute;
using function_internal::DecimalOp;

class DecimalKernelTest : public FunctionTest {};

/// A random DECIMAL128(p, s) array of `n` values (some NULL when `null_every` > 0),
/// values spread over every magnitude up to p digits.
std::shared_ptr<arrow::Array> RandomDecimals(int p, int s, int64_t n, int null_every,
                                             std::mt19937_64* rng) {
  arrow::Decimal128Builder b(decimal128(p, s));
  for (int64_t i = 0; i < n; ++i) {
    if (null_every > 0 && (*rng)() % null_every == 0) {
      EXPECT_TRUE(b.AppendNull().ok());
      continue;
    }
    int digits = 1 + static_cast<int>((*rng)() % p);
    Decimal128 v(0);
    for (int d = 0; d < digits; ++d) {
      v *= Decimal128(10);
      v += Decimal128(static_cast<int64_t>((*rng)() % 10));
    }
    if ((*rng)() % 2) v.Negate();
    EXPECT_TRUE(b.Append(v).ok());
  }
  std::shared_ptr<arrow::Array> out;
  EXPECT_TRUE(b.Finish(&out).ok());
  return out;
}

DecimalOp OpOf(const std::string& op) {
  return op == "+" ? DecimalOp::kAdd : op == "-" ? DecimalOp::kSubtract : DecimalOp::kMultiply;
}

/// Run `op` on (a, b) (either may be a scalar) and compare every row with
/// DecimalCompute; returns the number of rows compared.
void CheckAgainstReference(const std::string& op, const In& a, const In& b) {
  auto r = Eval(op, {a, b});
  ASSERT_TRUE(r.ok()) << op << ": " << r.status().ToString();
  const auto& rt = static_cast<const arrow::Decimal128Type&>(*r->type());
  const auto& ta = static_cast<const arrow::Decimal128Type&>(*a.datum().type());
  const auto& tb = static_cast<const arrow::Decimal128Type&>(*b.datum().type());
  int64_t n = a.array ? a.array->length() : b.array ? b.array->length() : 1;
  std::shared_ptr<arrow::Array> got =
      r->is_array() ? r->make_array() : arrow::MakeArrayFromScalar(*r->scalar(), n).ValueOrDie();
  ASSERT_EQ(got->length(), n);
  auto value = [](const In& in, int64_t i) -> std::shared_ptr<arrow::Scalar> {
    return in.array ? in.array->GetScalar(i).ValueOrDie() : in.scalar;
  };
  for (int64_t i = 0; i < n; ++i) {
    auto x = value(a, i), y = value(b, i);
    auto g = got->GetScalar(i).ValueOrDie();
    if (!x->is_valid || !y->is_valid) {
      EXPECT_FALSE(g->is_valid) << op << " row " << i;
      continue;
    }
    auto expected = DecimalCompute(OpOf(op), static_cast<arrow::Decimal128Scalar&>(*x).value,
                                   ta.scale(), static_cast<arrow::Decimal128Scalar&>(*y).value,
                                   tb.scale(), rt.precision(), rt.scale());
    ASSERT_TRUE(expected.ok()) << expected.status().ToString();
    ASSERT_TRUE(g->is_valid) << op << " row " << i;
    EXPECT_EQ(static_cast<arrow::Decimal128Scalar&>(*g).value, *expected)
        << x->ToString() << " " << op << " " << y->ToString() << " (row " << i << ", "
        << rt.ToString() << ")";
  }
}

TEST_F(DecimalKernelTest, RandomValuesMatchReference) {
  std::mt19937_64 rng(42);
  // (p, s) pairs: int64-sized, mixed scales, wide; all with exact results <= 38 digits.
  std::vector<std::pair<int, int>> types = {{15, 2}, {16, 2}, {10, 0}, {18, 6}, {5, 5},
                                            {12, 3}, {19, 2}, {25, 10}};
  for (const auto& [pa, sa] : types) {
    for (const auto& [pb, sb] : types) {
      for (const std::string op : {"+", "-", "*"}) {
        int ep = 0, es = 0;
        function_internal::ExactDecimalResult(OpOf(op), pa, sa, pb, sb, &ep, &es);
        if (ep > 38) continue;
        auto a = RandomDecimals(pa, sa, 40, 5, &rng);
        auto b = RandomDecimals(pb, sb, 40, 7, &rng);
        SCOPED_TRACE(op + " " + a->type()->ToString() + " " + b->type()->ToString());
        CheckAgainstReference(op, a, b);
        CheckAgainstReference(op, a->Slice(3, 20), b->Slice(7, 20));
        CheckAgainstReference(op, a, b->GetScalar(1).ValueOrDie());
        CheckAgainstReference(op, a->GetScalar(2).ValueOrDie(), b);
        CheckAgainstReference(op, a->GetScalar(4).ValueOrDie(), b->GetScalar(5).ValueOrDie());
      }
    }
  }
}

TEST_F(DecimalKernelTest, SameResultsAsArrowBelow38Digits) {
  // Arrow's add/subtract/multiply give the exact result type and value below 38
  // digits: Shoal's kernels must agree value for value.
  std::mt19937_64 rng(7);
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                  FunctionCatalog::Get().registry());
  auto a = RandomDecimals(15, 2, 1000, 10, &rng);
  auto b = RandomDecimals(16, 4, 1000, 10, &rng);
  for (const auto& [op, arrow_fn] : std::vector<std::pair<std::string, std::string>>{
           {"+", "add"}, {"-", "subtract"}, {"*", "multiply"}}) {
    ASSERT_OK_AND_ASSIGN(auto ours, Eval(op, {a, b}));
    ASSERT_OK_AND_ASSIGN(auto theirs, arrow::compute::CallFunction(arrow_fn, {a, b}, &ctx));
    EXPECT_TRUE(ours.type()->Equals(*theirs.type())) << ours.type()->ToString() << " vs "
                                                      << theirs.type()->ToString();
    EXPECT_TRUE(ours.make_array()->Equals(*theirs.make_array())) << op;
  }
}

TEST_F(DecimalKernelTest, TpchExpression) {
  // l_extendedprice * (1 - l_discount) * (1 + l_tax) on DECIMAL(15,2) columns.
  auto d = [](int p, int s) { return decimal128(p, s); };
  auto price = Arr(d(15, 2), R"(["1000.00", "33.33", null, "9999999999999.99"])");
  auto disc = Arr(d(15, 2), R"(["0.05", "0.10", "0.00", "0.00"])");
  auto tax = Arr(d(15, 2), R"(["0.08", null, "0.02", "0.00"])");
  auto one = Sc(d(10, 0), "\"1\"");
  ASSERT_OK_AND_ASSIGN(auto one_minus, Eval("-", {one, disc}));
  EXPECT_TRUE(one_minus.type()->Equals(*d(16, 2)));
  ExpectEval("-", {one, disc}, d(16, 2), R"(["0.95", "0.90", "1.00", "1.00"])");
  ASSERT_OK_AND_ASSIGN(auto disc_price, Eval("*", {price, one_minus.make_array()}));
  EXPECT_TRUE(disc_price.type()->Equals(*d(32, 4)));
  ExpectEval("*", {price, one_minus.make_array()}, d(32, 4),
             R"(["950.0000", "29.9970", null, "9999999999999.9900"])");
  ASSERT_OK_AND_ASSIGN(auto one_plus, Eval("+", {one, tax}));
  // 32 + 16 + 1 = 49 digits: capped at DECIMAL(38,6).
  ExpectEval("*", {disc_price.make_array(), one_plus.make_array()}, d(38, 6),
             R"(["1026.000000", null, null, "9999999999999.990000"])");
}

TEST_F(DecimalKernelTest, Nulls) {
  auto d = decimal128(10, 2);
  auto null = Sc(d, "null");
  ExpectEval("+", {Arr(d, R"(["1.00", null])"), null}, decimal128(11, 2), "[null, null]");
  ExpectEval("*", {null, Arr(d, R"(["1.00", null])")}, decimal128(21, 4), "[null, null]");
  ExpectEval("-", {Arr(d, R"([null, "2.00", null])"), Arr(d, R"(["1.00", null, null])")},
             decimal128(11, 2), "[null, null, null]");
  // A NULL integer literal takes the decimal's type.
  ExpectEval("*", {Arr(d, R"(["1.00"])"), Sc(arrow::null(), "null")}, decimal128(21, 4),
             "[null]");
}

TEST_F(DecimalKernelTest, CappedValuesAndRounding) {
  auto d = [](int p, int s) { return decimal128(p, s); };
  // 38,10 * 38,10 -> 38,6: scale 20 rounded half away from zero to 6.
  ExpectEval("*", {Arr(d(38, 10), R"(["0.0000015000", "-0.0000015000", "0.0000014999"])"),
                   Sc(d(38, 10), "\"1.0000000000\"")},
             d(38, 6), R"(["0.000002", "-0.000002", "0.000001"])");
  // The product overflows __int128 (10^27 * 10^12) but fits after the rescale.
  ExpectEval("*", {Arr(d(38, 10), R"(["100000000000000000.0000000000"])"),
                   Arr(d(38, 10), R"(["100.0000000000"])")},
             d(38, 6), R"(["10000000000000000000.000000"])");
  // Capped addition: 38,10 + 38,2 -> 38,6 (one operand rescaled up, the sum down).
  ExpectEval("+", {Arr(d(38, 10), R"(["1.2345675000", "-1.2345675000", null])"),
                   Sc(d(38, 2), "\"1.00\"")},
             d(38, 6), R"(["2.234568", "-0.234568", null])");
  // Capped addition whose aligned operand overflows __int128 but whose value fits.
  ExpectEval("+", {Arr(d(38, 0), R"(["99999999999999999999999999999999"])"),
                   Arr(d(38, 10), R"(["0.5000000000"])")},
             d(38, 6), R"(["99999999999999999999999999999999.500000"])");
}

TEST_F(DecimalKernelTest, OverflowErrors) {
  auto d = [](int p, int s) { return decimal128(p, s); };
  ExpectError("*", {Arr(d(38, 0), R"(["1", "99999999999999999999999999999999999999"])"),
                    Sc(d(38, 0), "\"10\"")},
              "decimal overflow: the result does not fit DECIMAL(38,0)");
  ExpectError("+", {Arr(d(38, 0), R"(["99999999999999999999999999999999999999"])"),
                    Arr(d(38, 0), R"(["1"])")},
              "decimal overflow");
  ExpectError("-", {Sc(d(38, 0), "\"-99999999999999999999999999999999999999\""),
                    Arr(d(38, 0), R"(["1"])")},
              "decimal overflow");
  // An overflowing value under a NULL slot is not an error.
  // (The NULL slot of `masked` holds 10: the kernel computes it, then ignores it.)
  auto big = Arr(d(38, 0), R"(["99999999999999999999999999999999999999", "2"])");
  auto data = Arr(d(38, 0), R"(["10", "3"])")->data()->Copy();
  data->buffers[0] = Arr(arrow::boolean(), "[false, true]")->data()->buffers[1];
  data->null_count = 1;
  auto masked = arrow::MakeArray(data);
  ExpectEval("*", {big, masked}, d(38, 0), R"([null, "6"])");
  ExpectEval("+", {masked, big}, d(38, 0), R"([null, "5"])");
}

TEST_F(DecimalKernelTest, CappedRandomMatchesReference) {
  std::mt19937_64 rng(3);
  std::vector<std::pair<int, int>> types = {{38, 10}, {32, 4}, {30, 0}, {20, 20}, {16, 2}};
  for (const auto& [pa, sa] : types) {
    for (const auto& [pb, sb] : types) {
      for (const std::string op : {"+", "-", "*"}) {
        int ep = 0, es = 0;
        function_internal::ExactDecimalResult(OpOf(op), pa, sa, pb, sb, &ep, &es);
        if (ep <= 38) continue;
        // Small enough magnitudes that nothing overflows DECIMAL(38): every
        // row must match the Decimal256 reference exactly.
        auto a = RandomDecimals(std::min(pa, 19), std::min(sa, 19), 40, 6, &rng);
        auto b = RandomDecimals(std::min(pb, 19), std::min(sb, 19), 40, 6, &rng);
        auto ca = *arrow::compute::Cast(a, decimal128(pa, sa));
        auto cb = *arrow::compute::Cast(b, decimal128(pb, sb));
        SCOPED_TRACE(op + " " + ca.type()->ToString() + " " + cb.type()->ToString());
        CheckAgainstReference(op, ca.make_array(), cb.make_array());
        CheckAgainstReference(op, ca.make_array(), cb.make_array()->GetScalar(0).ValueOrDie());
      }
    }
  }
}

// SHOAL_BENCH=1 build/<dir>/test/function_test --gtest_filter='*Bench*'
TEST_F(DecimalKernelTest, Bench) {
  if (std::getenv("SHOAL_BENCH") == nullptr) GTEST_SKIP() << "set SHOAL_BENCH=1 to run";
  std::mt19937_64 rng(1);
  const int64_t n = 1 << 20;
  auto price = RandomDecimals(15, 2, n, 0, &rng);
  auto disc = RandomDecimals(15, 2, n, 0, &rng);
  auto one = Sc(decimal128(10, 0), "\"1\"");
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                  FunctionCatalog::Get().registry());
  auto time = [&](const std::string& fn, std::vector<arrow::Datum> args) {
    double best = 1e9;
    for (int rep = 0; rep < 7; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      auto r = arrow::compute::CallFunction(fn, args, &ctx);
      auto t1 = std::chrono::steady_clock::now();
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    return best * 1e9 / n;  // ns per row
  };
  auto disc16 = *arrow::compute::Cast(disc, decimal128(16, 2));
  auto p32 = *arrow::compute::Cast(price, decimal128(32, 4));
  std::printf("ns/row over %lld rows (best of 7)            arrow  shoal\n",
              static_cast<long long>(n));
  std::printf("1 - d          (10,0 scalar - 15,2)        %5.2f  %5.2f\n",
              time("subtract_checked",
                   {*arrow::compute::Cast(arrow::Datum(one), decimal128(12, 2)), disc}),
              time("shoal_decimal_subtract", {one, disc}));
  std::printf("p + d          (15,2 + 15,2)               %5.2f  %5.2f\n",
              time("add_checked", {price, disc}), time("shoal_decimal_add", {price, disc}));
  std::printf("p * d          (15,2 * 16,2 -> 32,4)       %5.2f  %5.2f\n",
              time("multiply_checked", {price, disc16}),
              time("shoal_decimal_multiply", {price, disc16}));
  // Arrow cannot type this one (49 digits); Shoal's previous kernel was this
  // row loop through Decimal256 (still the exact fallback).
  auto row_loop = [&]() {
    double best = 1e9;
    auto x = std::static_pointer_cast<arrow::Decimal128Array>(p32.make_array());
    auto y = std::static_pointer_cast<arrow::Decimal128Array>(disc16.make_array());
    for (int rep = 0; rep < 3; ++rep) {
      auto t0 = std::chrono::steady_clock::now();
      arrow::Decimal128Builder b(decimal128(38, 6));
      EXPECT_TRUE(b.Reserve(n).ok());
      for (int64_t i = 0; i < n; ++i) {
        if (x->IsNull(i) || y->IsNull(i)) {
          b.UnsafeAppendNull();
          continue;
        }
        auto v = DecimalCompute(DecimalOp::kMultiply, Decimal128(x->GetValue(i)), 4,
                                Decimal128(y->GetValue(i)), 2, 38, 6);
        b.UnsafeAppend(*v);
      }
      std::shared_ptr<arrow::Array> out;
      EXPECT_TRUE(b.Finish(&out).ok());
      auto t1 = std::chrono::steady_clock::now();
      best = std::min(best, std::chrono::duration<double>(t1 - t0).count());
    }
    return best * 1e9 / n;
  };
  std::printf("x * d          (32,4 * 16,2 -> 38,6 capped)  %5.2f  %5.2f  (left: Decimal256 row loop)\n",
              row_loop(), time("shoal_decimal_multiply", {p32, disc16}));
}

}  // namespace
}  // namespace shoal::testing
