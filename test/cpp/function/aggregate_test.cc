// Aggregate and window binding, and the finishing step of Shoal aggregates.
#include <arrow/compute/api_aggregate.h>

#include <arrow/compute/function.h>
#include <arrow/compute/kernel.h>
#include <arrow/compute/registry.h>

#include "function_test_util.h"
#include "shoal/function/group_merge.h"

namespace shoal::testing {
namespace {

using arrow::decimal128;
using arrow::float64;
using arrow::int32;
using arrow::int64;
using arrow::utf8;

class AggregateTest : public FunctionTest {
 protected:
  BoundAggregate Bind(const std::string& name, const std::vector<In>& in, bool distinct = false) {
    auto r = FunctionCatalog::Get().BindAggregate(name, Args(in), distinct);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().ToString();
    return r.ok() ? *r : BoundAggregate{};
  }
};

TEST_F(AggregateTest, CountVariants) {
  auto star = Bind("count", {});
  EXPECT_EQ(star.hash_function, "shoal_hash_count_all");
  EXPECT_TRUE(star.return_type->Equals(*int64()));
  auto col = Bind("count", {Arr(utf8(), "[]")});
  EXPECT_EQ(col.hash_function, "shoal_hash_count");
  // Types whose NULLs are not just the validity bitmap keep Arrow's count.
  EXPECT_EQ(Bind("count", {Arr(arrow::null(), "[]")}).hash_function, "hash_count");
  ASSERT_NE(col.options, nullptr);
  EXPECT_EQ(static_cast<const arrow::compute::CountOptions&>(*col.options).mode,
            arrow::compute::CountOptions::ONLY_VALID);
  auto distinct = Bind("count", {Arr(utf8(), "[]")}, true);
  EXPECT_EQ(distinct.hash_function, "hash_count_distinct");
  EXPECT_FALSE(distinct.distinct_input);
}

TEST_F(AggregateTest, SumAvgTypes) {
  auto s = Bind("sum", {Arr(int32(), "[]")});
  EXPECT_EQ(s.hash_function, "hash_sum");
  EXPECT_TRUE(s.return_type->Equals(*int64()));
  const auto& opts = static_cast<const arrow::compute::ScalarAggregateOptions&>(*s.options);
  EXPECT_TRUE(opts.skip_nulls);
  EXPECT_EQ(opts.min_count, 1u);
  EXPECT_TRUE(Bind("sum", {Arr(arrow::float32(), "[]")}).return_type->Equals(*float64()));
  EXPECT_TRUE(Bind("sum", {Arr(decimal128(10, 2), "[]")}).return_type->Equals(*decimal128(38, 2)));
  EXPECT_TRUE(Bind("sum", {Arr(int32(), "[]")}, true).distinct_input);
  EXPECT_TRUE(Bind("avg", {Arr(int32(), "[]")}).return_type->Equals(*float64()));
  auto avg_dec = Bind("avg", {Arr(decimal128(10, 2), "[]")});
  EXPECT_EQ(avg_dec.hash_function, "shoal_hash_avg_decimal");
  EXPECT_TRUE(avg_dec.arg_types[0]->Equals(*decimal128(10, 2)));  // no cast
  EXPECT_TRUE(avg_dec.return_type->Equals(*decimal128(38, 6)));
  EXPECT_EQ(Bind("sum", {Arr(decimal128(10, 2), "[]")}).hash_function, "shoal_hash_sum_decimal");
  auto avg_wide = Bind("mean", {Arr(decimal128(38, 2), "[]")});
  EXPECT_TRUE(avg_wide.return_type->Equals(*decimal128(38, 2)));
  auto bad = FunctionCatalog::Get().BindAggregate("sum", Args({Arr(utf8(), "[]")}), false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sum(NUMERIC)"), std::string::npos);
}

TEST_F(AggregateTest, OtherAggregates) {
  EXPECT_TRUE(Bind("min", {Arr(utf8(), "[]")}).return_type->Equals(*utf8()));
  EXPECT_EQ(Bind("max", {Arr(arrow::date32(), "[]")}).hash_function, "hash_max");
  auto sd = Bind("stddev", {Arr(int32(), "[]")});
  EXPECT_EQ(sd.hash_function, "hash_stddev");
  EXPECT_EQ(static_cast<const arrow::compute::VarianceOptions&>(*sd.options).ddof, 1);
  auto vp = Bind("var_pop", {Arr(int32(), "[]")});
  EXPECT_EQ(vp.hash_function, "hash_variance");
  EXPECT_EQ(static_cast<const arrow::compute::VarianceOptions&>(*vp.options).ddof, 0);
  EXPECT_EQ(Bind("every", {Arr(arrow::boolean(), "[]")}).hash_function, "hash_all");
  EXPECT_EQ(Bind("bool_or", {Arr(arrow::boolean(), "[]")}).hash_function, "hash_any");
  EXPECT_TRUE(Bind("array_agg", {Arr(int32(), "[]")}).return_type->Equals(*arrow::list(int32())));
  EXPECT_EQ(Bind("approx_distinct", {Arr(int32(), "[]")}).hash_function, "hash_count_distinct");
  EXPECT_EQ(Bind("first", {Arr(int32(), "[]")}).hash_function, "hash_first");
  EXPECT_EQ(Bind("last", {Arr(int32(), "[]")}).hash_function, "hash_last");
  EXPECT_EQ(Bind("count_if", {Arr(arrow::boolean(), "[]")}).hash_function, "hash_sum");
  auto unknown = FunctionCatalog::Get().BindAggregate("summ", Args({Arr(int32(), "[]")}), false);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("did you mean 'sum'"), std::string::npos);
}

/// A hash aggregate kernel state of `function` over `values` with group `ids`.
struct KernelRun {
  const arrow::compute::HashAggregateKernel* kernel = nullptr;
  std::unique_ptr<arrow::compute::KernelState> state;
};

Result<KernelRun> Consume(const std::string& function, const arrow::compute::FunctionOptions* opts,
                          const std::vector<std::shared_ptr<arrow::Array>>& args,
                          const std::string& ids_json, uint32_t groups,
                          arrow::compute::ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(auto fn, ctx->func_registry()->GetFunction(function));
  std::vector<arrow::TypeHolder> types;
  for (const auto& a : args) types.emplace_back(a->type());
  types.emplace_back(arrow::uint32());
  ARROW_ASSIGN_OR_RAISE(auto k, fn->DispatchExact(types));
  KernelRun run;
  run.kernel = static_cast<const arrow::compute::HashAggregateKernel*>(k);
  if (opts == nullptr) opts = fn->default_options();
  arrow::compute::KernelContext kctx(ctx);
  ARROW_ASSIGN_OR_RAISE(run.state, run.kernel->init(&kctx, {run.kernel, types, opts}));
  kctx.SetState(run.state.get());
  ARROW_RETURN_NOT_OK(run.kernel->resize(&kctx, groups));
  auto ids = Arr(arrow::uint32(), ids_json);
  std::vector<arrow::Datum> values(args.begin(), args.end());
  values.emplace_back(ids);
  arrow::compute::ExecBatch batch(std::move(values), ids->length());
  ARROW_RETURN_NOT_OK(run.kernel->consume(&kctx, arrow::compute::ExecSpan(batch)));
  return run;
}

Result<std::shared_ptr<arrow::Array>> Finish(KernelRun& run, arrow::compute::ExecContext* ctx) {
  arrow::compute::KernelContext kctx(ctx);
  kctx.SetState(run.state.get());
  arrow::Datum out;
  ARROW_RETURN_NOT_OK(run.kernel->finalize(&kctx, &out));
  return out.make_array();
}

TEST_F(AggregateTest, CountKernelsAndGroupMerge) {
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                  FunctionCatalog::Get().registry());
  auto values = Arr(utf8(), R"(["a", null, "b", null, "c"])");
  const std::string ids = "[0, 0, 1, 2, 2]";
  using CO = arrow::compute::CountOptions;
  struct Case {
    CO::CountMode mode;
    const char* want;
  } cases[] = {{CO::ONLY_VALID, "[1, 1, 1]"}, {CO::ONLY_NULL, "[1, 0, 1]"}, {CO::ALL, "[2, 1, 2]"}};
  for (const auto& c : cases) {
    CO opts(c.mode);
    ASSERT_OK_AND_ASSIGN(auto run, Consume("shoal_hash_count", &opts, {values}, ids, 3, &ctx));
    ASSERT_OK_AND_ASSIGN(auto out, Finish(run, &ctx));
    EXPECT_TRUE(out->Equals(*Arr(int64(), c.want))) << c.mode << ": " << out->ToString();
  }
  ASSERT_OK_AND_ASSIGN(auto all, Consume("shoal_hash_count_all", nullptr, {}, ids, 4, &ctx));
  ASSERT_OK_AND_ASSIGN(auto out, Finish(all, &ctx));
  EXPECT_TRUE(out->Equals(*Arr(int64(), "[2, 1, 2, 0]"))) << out->ToString();

  // Merge groups 2 and 0 of one state into groups 0 and 1 of another.
  ASSERT_OK_AND_ASSIGN(auto into, Consume("shoal_hash_count", nullptr, {values}, ids, 3, &ctx));
  ASSERT_OK_AND_ASSIGN(auto from, Consume("shoal_hash_count", nullptr, {values}, ids, 3, &ctx));
  auto* m = dynamic_cast<GroupMergeable*>(into.state.get());
  ASSERT_NE(m, nullptr);
  const uint32_t f[] = {2, 0}, t[] = {0, 1};
  ASSERT_OK(m->MergeGroups(*from.state, f, t, 2));
  ASSERT_OK_AND_ASSIGN(out, Finish(into, &ctx));
  EXPECT_TRUE(out->Equals(*Arr(int64(), "[2, 2, 1]"))) << out->ToString();
}

TEST_F(AggregateTest, DecimalSumGroupMerge) {
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr,
                                  FunctionCatalog::Get().registry());
  auto values = Arr(decimal128(10, 2), R"(["1.50", null, "2.25", "-1.00", "3.00"])");
  const std::string ids = "[0, 1, 1, 2, 0]";
  ASSERT_OK_AND_ASSIGN(auto into,
                       Consume("shoal_hash_sum_decimal", nullptr, {values}, ids, 3, &ctx));
  ASSERT_OK_AND_ASSIGN(auto from,
                       Consume("shoal_hash_sum_decimal", nullptr, {values}, ids, 3, &ctx));
  auto* m = dynamic_cast<GroupMergeable*>(into.state.get());
  ASSERT_NE(m, nullptr);
  const uint32_t f[] = {0, 0, 1}, t[] = {2, 1, 1};
  ASSERT_OK(m->MergeGroups(*from.state, f, t, 3));
  ASSERT_OK_AND_ASSIGN(auto out, Finish(into, &ctx));
  EXPECT_TRUE(out->Equals(*Arr(decimal128(38, 2), R"(["4.50", "9.00", "3.50"])")))
      << out->ToString();
  // Without NULLs and with few groups the sum uses several accumulators per group.
  auto many = Arr(decimal128(10, 2), R"(["1.01", "2.02", "3.03", "4.04", "5.05", "6.06",
                                         "7.07", "8.08", "9.09"])");
  ASSERT_OK_AND_ASSIGN(auto lanes, Consume("shoal_hash_sum_decimal", nullptr, {many},
                                           "[0, 1, 0, 0, 1, 1, 0, 2, 0]", 3, &ctx));
  ASSERT_OK_AND_ASSIGN(out, Finish(lanes, &ctx));
  EXPECT_TRUE(out->Equals(*Arr(decimal128(38, 2), R"(["24.24", "13.13", "8.08"])")))
      << out->ToString();
}

TEST_F(AggregateTest, StringAggFinalize) {
  auto agg = Bind("string_agg", {Arr(utf8(), "[]"), Sc(utf8(), R"("; ")")});
  EXPECT_EQ(agg.impl, AggregateImpl::kShoal);
  EXPECT_EQ(agg.hash_function, "hash_list");
  EXPECT_EQ(agg.arg_indices, std::vector<int>{0});
  auto lists = Arr(arrow::list(utf8()), R"([["a", null, "b"], [null], [], null])");
  ASSERT_OK_AND_ASSIGN(auto out, FinalizeAggregate(agg, lists));
  EXPECT_TRUE(out.make_array()->Equals(*Arr(utf8(), R"(["a; b", null, null, null])")))
      << out.ToString();
  auto no_sep = FunctionCatalog::Get().BindAggregate("string_agg", Args({Arr(utf8(), "[]"),
                                                                          Arr(utf8(), "[]")}),
                                                     false);
  EXPECT_FALSE(no_sep.ok());
}

TEST_F(AggregateTest, MedianIsExact) {
  auto agg = Bind("median", {Arr(int32(), "[]")});
  EXPECT_EQ(agg.finalize, "median");
  auto lists = Arr(arrow::list(float64()), "[[3, 1, 2], [4, 1, 3, 2], [null], [10, null]]");
  ASSERT_OK_AND_ASSIGN(auto out, FinalizeAggregate(agg, lists));
  EXPECT_TRUE(out.make_array()->Equals(*Arr(float64(), "[2, 2.5, null, 10]"))) << out.ToString();
}

TEST_F(AggregateTest, WindowFunctions) {
  const auto& c = FunctionCatalog::Get();
  auto rn = c.BindWindow("row_number", {});
  ASSERT_TRUE(rn.ok());
  EXPECT_TRUE(rn->return_type->Equals(*int64()));
  auto pr = c.BindWindow("percent_rank", {});
  ASSERT_TRUE(pr.ok());
  EXPECT_TRUE(pr->return_type->Equals(*float64()));
  auto lag = c.BindWindow("lag", Args({Arr(int32(), "[]"), Sc(int64(), "2"), Sc(int64(), "0")}));
  ASSERT_TRUE(lag.ok()) << lag.status().ToString();
  EXPECT_TRUE(lag->return_type->Equals(*int64()));
  EXPECT_EQ(lag->arg_types.size(), 3u);
  auto ntile = c.BindWindow("ntile", Args({Sc(utf8(), R"("x")")}));
  EXPECT_FALSE(ntile.ok());
  auto bad = c.BindWindow("row_number", Args({Arr(int32(), "[]")}));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("takes 0 arguments"), std::string::npos)
      << bad.status().message();
  EXPECT_TRUE(c.BindWindow("nth_value", Args({Arr(utf8(), "[]"), Sc(int64(), "2")})).ok());
}

}  // namespace
}  // namespace shoal::testing
