// DECIMAL128 sum / avg hash aggregate kernels (aggregate_kernels.cc): the same
// types and values as Arrow's hash_sum / hash_mean (avg on the input widened to
// the result scale), over several batches, merged states, NULLs, options and
// overflow.
#include <random>

#include <arrow/compute/api_aggregate.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/kernel.h>

#include "function_test_util.h"

namespace shoal::testing {
namespace {

namespace cp = arrow::compute;
using arrow::decimal128;

class DecimalAggregateTest : public FunctionTest {};

/// A grouped aggregation run through a hash aggregate kernel the way the
/// executor drives it: init, resize, consume per batch, merge, finalize.
class HashRun {
 public:
  static Result<HashRun> Make(const std::string& function, const TypePtr& type,
                              const cp::FunctionOptions* options) {
    HashRun run;
    ARROW_ASSIGN_OR_RAISE(auto fn, FunctionCatalog::Get().registry()->GetFunction(function));
    run.types_ = {type, arrow::uint32()};
    ARROW_ASSIGN_OR_RAISE(const cp::Kernel* k, fn->DispatchExact(run.types_));
    run.kernel_ = static_cast<const cp::HashAggregateKernel*>(k);
    run.options_ = options ? options : fn->default_options();
    return run;
  }

  Result<std::unique_ptr<cp::KernelState>> NewState() {
    cp::KernelContext kctx(&ctx_);
    return kernel_->init(&kctx, cp::KernelInitArgs{kernel_, types_, options_});
  }

  Status Consume(cp::KernelState* st, const std::shared_ptr<arrow::Array>& values,
                 const std::vector<uint32_t>& ids, uint32_t num_groups) {
    cp::KernelContext kctx(&ctx_);
    kctx.SetState(st);
    ARROW_RETURN_NOT_OK(kernel_->resize(&kctx, num_groups));
    arrow::UInt32Builder b;
    ARROW_RETURN_NOT_OK(b.AppendValues(ids));
    std::shared_ptr<arrow::Array> id_arr;
    ARROW_RETURN_NOT_OK(b.Finish(&id_arr));
    cp::ExecBatch batch({values, id_arr}, values->length());
    return kernel_->consume(&kctx, cp::ExecSpan(batch));
  }

  Status Merge(cp::KernelState* into, std::unique_ptr<cp::KernelState> from,
               const std::vector<uint32_t>& mapping, uint32_t num_groups) {
    cp::KernelContext kctx(&ctx_);
    kctx.SetState(into);
    ARROW_RETURN_NOT_OK(kernel_->resize(&kctx, num_groups));
    arrow::UInt32Builder b;
    ARROW_RETURN_NOT_OK(b.AppendValues(mapping));
    std::shared_ptr<arrow::Array> map;
    ARROW_RETURN_NOT_OK(b.Finish(&map));
    return kernel_->merge(&kctx, std::move(*from), *map->data());
  }

  Result<std::shared_ptr<arrow::Array>> Finalize(cp::KernelState* st, uint32_t num_groups) {
    cp::KernelContext kctx(&ctx_);
    kctx.SetState(st);
    ARROW_RETURN_NOT_OK(kernel_->resize(&kctx, num_groups));
    arrow::Datum out;
    ARROW_RETURN_NOT_OK(kernel_->finalize(&kctx, &out));
    return out.make_array();
  }

  /// One state, one batch.
  Result<std::shared_ptr<arrow::Array>> Run(const std::shared_ptr<arrow::Array>& values,
                                            const std::vector<uint32_t>& ids,
                                            uint32_t num_groups) {
    ARROW_ASSIGN_OR_RAISE(auto st, NewState());
    ARROW_RETURN_NOT_OK(Consume(st.get(), values, ids, num_groups));
    return Finalize(st.get(), num_groups);
  }

 private:
  cp::ExecContext ctx_{arrow::default_memory_pool(), nullptr, FunctionCatalog::Get().registry()};
  const cp::HashAggregateKernel* kernel_ = nullptr;
  const cp::FunctionOptions* options_ = nullptr;
  std::vector<arrow::TypeHolder> types_;
};

std::shared_ptr<arrow::Array> RandomDecimals(int p, int s, int64_t n, std::mt19937_64* rng) {
  arrow::Decimal128Builder b(decimal128(p, s));
  for (int64_t i = 0; i < n; ++i) {
    if ((*rng)() % 6 == 0) {
      EXPECT_TRUE(b.AppendNull().ok());
      continue;
    }
    arrow::Decimal128 v(0);
    int digits = 1 + static_cast<int>((*rng)() % p);
    for (int d = 0; d < digits; ++d) {
      v *= arrow::Decimal128(10);
      v += arrow::Decimal128(static_cast<int64_t>((*rng)() % 10));
    }
    if ((*rng)() % 2) v.Negate();
    EXPECT_TRUE(b.Append(v).ok());
  }
  std::shared_ptr<arrow::Array> out;
  EXPECT_TRUE(b.Finish(&out).ok());
  return out;
}

TEST_F(DecimalAggregateTest, MatchesArrowKernels) {
  std::mt19937_64 rng(11);
  const uint32_t groups = 7;
  for (auto [p, s] : std::vector<std::pair<int, int>>{{15, 2}, {10, 0}, {18, 4}, {25, 3}}) {
    auto values = RandomDecimals(p, s, 500, &rng);
    std::vector<uint32_t> ids(values->length());
    for (auto& g : ids) g = static_cast<uint32_t>(rng() % (groups - 1));  // last group empty
    SCOPED_TRACE(values->type()->ToString());
    // sum vs Arrow's hash_sum.
    cp::ScalarAggregateOptions opts(/*skip_nulls=*/true, /*min_count=*/1);
    ASSERT_OK_AND_ASSIGN(auto sum_run, HashRun::Make("shoal_hash_sum_decimal", values->type(), &opts));
    ASSERT_OK_AND_ASSIGN(auto ours, sum_run.Run(values, ids, groups));
    ASSERT_OK_AND_ASSIGN(auto arrow_sum, HashRun::Make("hash_sum", values->type(), &opts));
    ASSERT_OK_AND_ASSIGN(auto theirs, arrow_sum.Run(values, ids, groups));
    EXPECT_TRUE(ours->type()->Equals(*decimal128(38, s)));
    EXPECT_TRUE(ours->Equals(*theirs)) << ours->ToString() << "\nvs\n" << theirs->ToString();
    EXPECT_TRUE(ours->IsNull(groups - 1));
    // avg vs Arrow's hash_mean on the input cast to the result scale.
    int scale = std::min(s + 4, 38 - (p - s));
    ASSERT_OK_AND_ASSIGN(auto avg_run, HashRun::Make("shoal_hash_avg_decimal", values->type(), &opts));
    ASSERT_OK_AND_ASSIGN(auto our_avg, avg_run.Run(values, ids, groups));
    auto wide = cp::Cast(values, decimal128(38, scale)).ValueOrDie().make_array();
    ASSERT_OK_AND_ASSIGN(auto arrow_mean, HashRun::Make("hash_mean", decimal128(38, scale), &opts));
    ASSERT_OK_AND_ASSIGN(auto their_avg, arrow_mean.Run(wide, ids, groups));
    EXPECT_TRUE(our_avg->type()->Equals(*decimal128(38, scale)));
    EXPECT_TRUE(our_avg->Equals(*their_avg)) << our_avg->ToString() << "\nvs\n"
                                             << their_avg->ToString();
  }
}

TEST_F(DecimalAggregateTest, BatchesAndMerge) {
  auto d = decimal128(15, 2);
  ASSERT_OK_AND_ASSIGN(auto run, HashRun::Make("shoal_hash_avg_decimal", d, nullptr));
  // State A: groups 0, 1; state B: its groups 0, 1 map to A's 1, 2.
  ASSERT_OK_AND_ASSIGN(auto a, run.NewState());
  ASSERT_OK(run.Consume(a.get(), Arr(d, R"(["1.00", "2.00", null])"), {0, 1, 1}, 2));
  ASSERT_OK(run.Consume(a.get(), Arr(d, R"(["0.01"])"), {0}, 2));
  ASSERT_OK_AND_ASSIGN(auto b, run.NewState());
  ASSERT_OK(run.Consume(b.get(), Arr(d, R"(["-3.00", "4.00", "-0.01"])"), {0, 1, 0}, 2));
  ASSERT_OK(run.Merge(a.get(), std::move(b), {1, 2}, 3));
  ASSERT_OK_AND_ASSIGN(auto out, run.Finalize(a.get(), 3));
  // g0: (1.00 + 0.01) / 2 = 0.505; g1: (2.00 - 3.00 - 0.01) / 3 = -0.336666..; g2: 4.
  auto expected = Arr(decimal128(38, 6), R"(["0.505000", "-0.336667", "4.000000"])");
  EXPECT_TRUE(out->Equals(*expected)) << out->ToString();
}

TEST_F(DecimalAggregateTest, RoundsHalfAwayFromZero) {
  auto d = decimal128(10, 6);  // avg scale min(10, 38 - 4) = 10
  ASSERT_OK_AND_ASSIGN(auto run, HashRun::Make("shoal_hash_avg_decimal", d, nullptr));
  ASSERT_OK_AND_ASSIGN(auto out, run.Run(Arr(d, R"(["0.000001", "0.000000", "0.000000",
      "-0.000001", "0.000000", "0.000000"])"), {0, 0, 0, 1, 1, 1}, 2));
  // 1e-6 / 3 at scale 10: 0.0000003333 (down), -0.0000003333.
  EXPECT_TRUE(out->Equals(*Arr(decimal128(38, 10), R"(["0.0000003333", "-0.0000003333"])")))
      << out->ToString();
  auto d2 = decimal128(36, 2);  // avg scale min(6, 38 - 34) = 4
  ASSERT_OK_AND_ASSIGN(auto run2, HashRun::Make("shoal_hash_avg_decimal", d2, nullptr));
  ASSERT_OK_AND_ASSIGN(auto out2, run2.Run(Arr(d2, R"(["0.01", "0.00", "-0.01", "0.00",
      "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00", "0.00",
      "0.00"])"), {0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, 2));
  // 0.01 / 2 = 0.0050; -0.01 / 14 = -0.000714.. -> -0.0007.
  EXPECT_TRUE(out2->Equals(*Arr(decimal128(38, 4), R"(["0.0050", "-0.0007"])")))
      << out2->ToString();
  // Exact halves: DECIMAL(38,3) keeps scale 3; 0.001 / 2 = 0.0005 -> 0.001.
  auto d3 = decimal128(38, 3);
  ASSERT_OK_AND_ASSIGN(auto run3, HashRun::Make("shoal_hash_avg_decimal", d3, nullptr));
  ASSERT_OK_AND_ASSIGN(auto out3, run3.Run(Arr(d3, R"(["0.001", "0.000", "-0.001", "0.000",
      "0.003", "0.000"])"), {0, 0, 1, 1, 2, 2}, 3));
  EXPECT_TRUE(out3->Equals(*Arr(decimal128(38, 3), R"(["0.001", "-0.001", "0.002"])")))
      << out3->ToString();
}

TEST_F(DecimalAggregateTest, NullOptions) {
  auto d = decimal128(15, 2);
  auto values = Arr(d, R"(["1.00", null, "2.00", null])");
  std::vector<uint32_t> ids = {0, 0, 1, 2};
  // Default: NULLs skipped, a group without values is NULL.
  ASSERT_OK_AND_ASSIGN(auto run, HashRun::Make("shoal_hash_sum_decimal", d, nullptr));
  ASSERT_OK_AND_ASSIGN(auto out, run.Run(values, ids, 3));
  EXPECT_TRUE(out->Equals(*Arr(decimal128(38, 2), R"(["1.00", "2.00", null])"))) << out->ToString();
  // min_count = 0: an empty sum is 0 (avg stays NULL).
  cp::ScalarAggregateOptions zero(true, 0);
  ASSERT_OK_AND_ASSIGN(auto run0, HashRun::Make("shoal_hash_sum_decimal", d, &zero));
  ASSERT_OK_AND_ASSIGN(auto out0, run0.Run(values, ids, 3));
  EXPECT_TRUE(out0->Equals(*Arr(decimal128(38, 2), R"(["1.00", "2.00", "0.00"])")))
      << out0->ToString();
  ASSERT_OK_AND_ASSIGN(auto avg0, HashRun::Make("shoal_hash_avg_decimal", d, &zero));
  ASSERT_OK_AND_ASSIGN(auto outa, avg0.Run(values, ids, 3));
  EXPECT_TRUE(outa->Equals(*Arr(decimal128(38, 6), R"(["1.000000", "2.000000", null])")))
      << outa->ToString();
  // skip_nulls = false: a NULL makes the group NULL.
  cp::ScalarAggregateOptions keep(false, 1);
  ASSERT_OK_AND_ASSIGN(auto runk, HashRun::Make("shoal_hash_sum_decimal", d, &keep));
  ASSERT_OK_AND_ASSIGN(auto outk, runk.Run(values, ids, 3));
  EXPECT_TRUE(outk->Equals(*Arr(decimal128(38, 2), R"([null, "2.00", null])"))) << outk->ToString();
}

TEST_F(DecimalAggregateTest, Overflow) {
  auto d = decimal128(38, 0);
  ASSERT_OK_AND_ASSIGN(auto run, HashRun::Make("shoal_hash_sum_decimal", d, nullptr));
  auto big = Arr(d, R"(["99999999999999999999999999999999999999", "1"])");
  auto r = run.Run(big, {0, 0}, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("decimal overflow in sum"), std::string::npos)
      << r.status().message();
  // Two values whose sum overflows __int128 itself.
  auto r2 = run.Run(Arr(d, R"(["99999999999999999999999999999999999999",
      "99999999999999999999999999999999999999"])"), {0, 0}, 1);
  ASSERT_FALSE(r2.ok());
  // The same values in different groups are fine.
  ASSERT_OK_AND_ASSIGN(auto ok, run.Run(big, {0, 1}, 2));
  EXPECT_TRUE(ok->Equals(*big));
}

}  // namespace
}  // namespace shoal::testing
