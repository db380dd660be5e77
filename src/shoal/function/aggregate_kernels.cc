// Shoal's hash aggregate kernels for DECIMAL128 sum and avg (Arrow's are slow:
// Decimal128 additions out of line, and avg needed its input cast to a wider
// scale first).
//
// - shoal_hash_sum_decimal(DECIMAL128(p, s), group ids) -> DECIMAL128(38, s)
// - shoal_hash_avg_decimal(DECIMAL128(p, s), group ids) -> DECIMAL128(38, s')
//   with s' = DecimalAvgScale(p, s); the mean is rounded half away from zero
//   (the same values as Arrow's hash_mean on the input cast to scale s').
// Both take ScalarAggregateOptions (skip_nulls, min_count). Sums are exact
// __int128; inputs of precision > 18 are added with an overflow check, and a
// result beyond 38 digits is an error ("decimal overflow in sum/avg").
#include <cstring>

#include <arrow/array/data.h>
#include <arrow/buffer.h>
#include <arrow/compute/api_aggregate.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/checked_cast.h>
#include <arrow/util/decimal.h>

#include "shoal/function/decimal_util.h"
#include "shoal/function/group_merge.h"
#include "shoal/function/kernel_util.h"

namespace shoal::function_internal {

using arrow::internal::checked_cast;

namespace {

using int128 = __int128;

constexpr int kWidth = 16;

int128 Pow10(int k) {
  int128 v = 1;
  for (int i = 0; i < k; ++i) v *= 10;
  return v;
}

inline int128 LoadValue(const uint8_t* p) {
  int128 v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

arrow::Decimal256 ToDecimal256(int128 v) {
  auto u = static_cast<unsigned __int128>(v);
  uint64_t lo = static_cast<uint64_t>(u), hi = static_cast<uint64_t>(u >> 64);
  uint64_t sign = (v < 0) ? ~uint64_t{0} : 0;
  return arrow::Decimal256(arrow::Decimal256::LittleEndianArray, {lo, hi, sign, sign});
}

Status SumOverflow(bool avg) {
  return Status::Invalid("decimal overflow in ", avg ? "avg" : "sum",
                         ": the sum does not fit 38 digits");
}

template <bool kAvg>
struct DecimalSumState : cp::KernelState, GroupMergeable {
  cp::ScalarAggregateOptions options;
  int precision = 0, scale = 0;  // input type
  std::vector<int128> sums;
  std::vector<int64_t> counts;
  std::vector<uint8_t> saw_null;  // only tracked when !options.skip_nulls

  Status MergeGroups(const cp::KernelState& other_state, const uint32_t* from,
                     const uint32_t* to, int64_t n) override {
    const auto& other = checked_cast<const DecimalSumState&>(other_state);
    bool overflow = false;
    constexpr int64_t kAhead = 16;  // from[] is scattered over other's groups
    for (int64_t i = 0; i < n; ++i) {
      if (i + kAhead < n) {
        __builtin_prefetch(&other.sums[from[i + kAhead]]);
        __builtin_prefetch(&other.counts[from[i + kAhead]]);
      }
      const uint32_t f = from[i], g = to[i];
      overflow |= __builtin_add_overflow(sums[g], other.sums[f], &sums[g]);
      counts[g] += other.counts[f];
      if (!options.skip_nulls && other.saw_null[f]) saw_null[g] = 1;
    }
    return overflow ? SumOverflow(kAvg) : Status::OK();
  }
};

template <bool kAvg>
Result<std::unique_ptr<cp::KernelState>> InitDecimalSum(cp::KernelContext*,
                                                        const cp::KernelInitArgs& args) {
  auto st = std::make_unique<DecimalSumState<kAvg>>();
  if (args.options != nullptr) {
    st->options = checked_cast<const cp::ScalarAggregateOptions&>(*args.options);
  }
  const auto& t = checked_cast<const arrow::Decimal128Type&>(*args.inputs[0].type);
  st->precision = t.precision();
  st->scale = t.scale();
  return st;
}

template <bool kAvg>
DecimalSumState<kAvg>& StateOf(cp::KernelContext* ctx) {
  return *static_cast<DecimalSumState<kAvg>*>(ctx->state());
}

template <bool kAvg>
Status ResizeDecimalSum(cp::KernelContext* ctx, int64_t n) {
  auto& st = StateOf<kAvg>(ctx);
  st.sums.resize(n, 0);
  st.counts.resize(n, 0);
  if (!st.options.skip_nulls) st.saw_null.resize(n, 0);
  return Status::OK();
}

/// Few groups: the adds of consecutive rows mostly hit the same group and wait on
/// each other; spread rows over kLanes accumulators per group and add them up at
/// the end. For values without nulls. Returns false on overflow (checked only).
constexpr int64_t kLaneMaxGroups = 16;
constexpr int kLanes = 4;

template <bool kAvg, bool kChecked>
bool ConsumeFewGroups(DecimalSumState<kAvg>& st, const uint8_t* data, const uint32_t* ids,
                      int64_t n) {
  const int64_t ngroups = static_cast<int64_t>(st.sums.size());
  int128 acc[kLanes][kLaneMaxGroups] = {};
  int64_t cnt[kLanes][kLaneMaxGroups] = {};
  bool overflow = false;
  auto add = [&](int l, uint32_t g, int128 v) {
    if constexpr (kChecked) {
      overflow |= __builtin_add_overflow(acc[l][g], v, &acc[l][g]);
    } else {
      acc[l][g] += v;
    }
    cnt[l][g] += 1;
  };
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int l = 0; l < kLanes; ++l) add(l, ids[i + l], LoadValue(data + (i + l) * kWidth));
  }
  for (; i < n; ++i) add(0, ids[i], LoadValue(data + i * kWidth));
  for (int64_t g = 0; g < ngroups; ++g) {
    for (int l = 0; l < kLanes; ++l) {
      overflow |= __builtin_add_overflow(st.sums[g], acc[l][g], &st.sums[g]);
      st.counts[g] += cnt[l][g];
    }
  }
  return !overflow;
}

template <bool kAvg, bool kChecked>
Status ConsumeValues(DecimalSumState<kAvg>& st, const arrow::ArraySpan& values,
                     const uint32_t* ids, int64_t n) {
  const uint8_t* data = values.buffers[1].data + values.offset * kWidth;
  const uint8_t* validity = values.buffers[0].data;
  int128* sums = st.sums.data();
  int64_t* counts = st.counts.data();
  bool overflow = false;
  auto add = [&](uint32_t g, int128 v) {
    if constexpr (kChecked) {
      overflow |= __builtin_add_overflow(sums[g], v, &sums[g]);
    } else {
      sums[g] += v;
    }
    counts[g] += 1;
  };
  if (validity == nullptr || values.null_count == 0) {
    if (static_cast<int64_t>(st.sums.size()) <= kLaneMaxGroups) {
      // Unchecked: each lane's partial sum of n < 2^62 values of < 10^18 fits.
      return ConsumeFewGroups<kAvg, kChecked>(st, data, ids, n) ? Status::OK()
                                                                 : SumOverflow(kAvg);
    }
    for (int64_t i = 0; i < n; ++i) add(ids[i], LoadValue(data + i * kWidth));
  } else {
    for (int64_t i = 0; i < n; ++i) {
      if (arrow::bit_util::GetBit(validity, values.offset + i)) {
        add(ids[i], LoadValue(data + i * kWidth));
      } else if (!st.options.skip_nulls) {
        st.saw_null[ids[i]] = 1;
      }
    }
  }
  return overflow ? SumOverflow(kAvg) : Status::OK();
}

template <bool kAvg>
Status ConsumeDecimalSum(cp::KernelContext* ctx, const cp::ExecSpan& batch) {
  auto& st = StateOf<kAvg>(ctx);
  if (!batch[1].is_array()) return Status::Invalid("hash aggregate: group ids must be an array");
  const uint32_t* ids = batch[1].array.GetValues<uint32_t>(1);
  const int64_t n = batch.length;
  if (batch[0].is_scalar()) {
    const auto& s = *batch[0].scalar;
    bool overflow = false;
    for (int64_t i = 0; i < n; ++i) {
      if (!s.is_valid) {
        if (!st.options.skip_nulls) st.saw_null[ids[i]] = 1;
        continue;
      }
      const auto& d = checked_cast<const arrow::Decimal128Scalar&>(s).value;
      int128 v = static_cast<int128>(
          (static_cast<unsigned __int128>(static_cast<uint64_t>(d.high_bits())) << 64) |
          d.low_bits());
      overflow |= __builtin_add_overflow(st.sums[ids[i]], v, &st.sums[ids[i]]);
      st.counts[ids[i]] += 1;
    }
    return overflow ? SumOverflow(kAvg) : Status::OK();
  }
  // Values of at most 18 digits cannot overflow an __int128 sum of < 2^63 rows.
  if (st.precision <= 18) return ConsumeValues<kAvg, false>(st, batch[0].array, ids, n);
  return ConsumeValues<kAvg, true>(st, batch[0].array, ids, n);
}

template <bool kAvg>
Status MergeDecimalSum(cp::KernelContext* ctx, cp::KernelState&& other_state,
                       const arrow::ArrayData& group_id_mapping) {
  auto& st = StateOf<kAvg>(ctx);
  auto& other = checked_cast<DecimalSumState<kAvg>&>(other_state);
  const uint32_t* map = group_id_mapping.GetValues<uint32_t>(1);
  bool overflow = false;
  for (size_t i = 0; i < other.sums.size(); ++i) {
    uint32_t g = map[i];
    overflow |= __builtin_add_overflow(st.sums[g], other.sums[i], &st.sums[g]);
    st.counts[g] += other.counts[i];
    if (!st.options.skip_nulls && other.saw_null[i]) st.saw_null[g] = 1;
  }
  return overflow ? SumOverflow(kAvg) : Status::OK();
}

template <bool kAvg>
Status FinalizeDecimalSum(cp::KernelContext* ctx, arrow::Datum* out) {
  auto& st = StateOf<kAvg>(ctx);
  const int64_t n = static_cast<int64_t>(st.sums.size());
  const int out_scale = kAvg ? DecimalAvgScale(st.precision, st.scale) : st.scale;
  ARROW_ASSIGN_OR_RAISE(auto values, arrow::AllocateBuffer(n * kWidth, ctx->memory_pool()));
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateEmptyBitmap(n, ctx->memory_pool()));
  uint8_t* dst = values->mutable_data();
  uint8_t* valid = bitmap->mutable_data();
  static const int128 kMax38 = Pow10(38) - 1;
  const arrow::Decimal256 scale_up(ToDecimal256(Pow10(out_scale - st.scale)));
  int64_t null_count = 0;
  for (int64_t g = 0; g < n; ++g) {
    int128 v = 0;
    bool ok = st.counts[g] >= static_cast<int64_t>(st.options.min_count) &&
              (st.options.skip_nulls || !st.saw_null[g]) && (!kAvg || st.counts[g] > 0);
    if (ok && !kAvg) {
      v = st.sums[g];
      if (v > kMax38 || v < -kMax38) return SumOverflow(false);
    } else if (ok) {
      // mean = sum * 10^(s' - s) / count, rounded half away from zero.
      arrow::Decimal256 num = ToDecimal256(st.sums[g]) * scale_up;
      arrow::Decimal256 den(st.counts[g]);
      ARROW_ASSIGN_OR_RAISE(auto qr, num.Divide(den));
      arrow::Decimal256 q = qr.first, r = qr.second;
      if (r.Abs() * arrow::Decimal256(2) >= den) q += arrow::Decimal256(num.Sign() < 0 ? -1 : 1);
      if (!q.FitsInPrecision(38)) return SumOverflow(true);
      auto words = q.little_endian_array();
      v = static_cast<int128>((static_cast<unsigned __int128>(words[1]) << 64) | words[0]);
    }
    std::memcpy(dst + g * kWidth, &v, sizeof(v));
    if (ok) {
      arrow::bit_util::SetBit(valid, g);
    } else {
      ++null_count;
    }
  }
  auto type = arrow::decimal128(38, out_scale);
  *out = arrow::ArrayData::Make(type, n,
                                {null_count > 0 ? std::shared_ptr<arrow::Buffer>(std::move(bitmap))
                                                : nullptr,
                                 std::shared_ptr<arrow::Buffer>(std::move(values))},
                                null_count);
  return Status::OK();
}

template <bool kAvg>
Status AddDecimalSumFunction(cp::FunctionRegistry* registry, const std::string& name,
                             const std::string& summary) {
  static const cp::ScalarAggregateOptions kDefaults = cp::ScalarAggregateOptions::Defaults();
  auto func = std::make_shared<cp::HashAggregateFunction>(
      name, cp::Arity::Binary(), cp::FunctionDoc(summary, "Shoal aggregate kernel.", {}),
      &kDefaults);
  cp::OutputType out([](cp::KernelContext*, const std::vector<arrow::TypeHolder>& types)
                         -> Result<arrow::TypeHolder> {
    const auto& t = checked_cast<const arrow::Decimal128Type&>(*types[0].type);
    int scale = kAvg ? DecimalAvgScale(t.precision(), t.scale()) : t.scale();
    return arrow::TypeHolder(arrow::decimal128(38, scale));
  });
  cp::HashAggregateKernel kernel(
      {cp::InputType(arrow::Type::DECIMAL128), cp::InputType(arrow::uint32())}, out,
      InitDecimalSum<kAvg>, ConsumeDecimalSum<kAvg>, ResizeDecimalSum<kAvg>,
      MergeDecimalSum<kAvg>, FinalizeDecimalSum<kAvg>, /*ordered=*/false);
  ARROW_RETURN_NOT_OK(func->AddKernel(std::move(kernel)));
  return registry->AddFunction(func);
}

// ---- count ----------------------------------------------------------------
// shoal_hash_count_all(group ids) and shoal_hash_count(values, group ids) with
// CountOptions: Arrow's hash_count_all / hash_count, with a state whose groups
// can be merged one by one (GroupMergeable).

struct CountState : cp::KernelState, GroupMergeable {
  bool all_rows = false;  // count_all, or CountOptions::ALL
  bool only_null = false;
  std::vector<int64_t> counts;

  Status MergeGroups(const cp::KernelState& other_state, const uint32_t* from,
                     const uint32_t* to, int64_t n) override {
    const auto& other = checked_cast<const CountState&>(other_state);
    constexpr int64_t kAhead = 16;  // from[] is scattered over other's groups
    for (int64_t i = 0; i < n; ++i) {
      if (i + kAhead < n) __builtin_prefetch(&other.counts[from[i + kAhead]]);
      counts[to[i]] += other.counts[from[i]];
    }
    return Status::OK();
  }
};

template <bool kAll>
Result<std::unique_ptr<cp::KernelState>> InitCount(cp::KernelContext*,
                                                   const cp::KernelInitArgs& args) {
  auto st = std::make_unique<CountState>();
  st->all_rows = kAll;
  if (!kAll) {
    cp::CountOptions::CountMode mode = cp::CountOptions::ONLY_VALID;
    if (args.options != nullptr) {
      mode = checked_cast<const cp::CountOptions&>(*args.options).mode;
    }
    st->all_rows = mode == cp::CountOptions::ALL;
    st->only_null = mode == cp::CountOptions::ONLY_NULL;
  }
  return st;
}

CountState& CountStateOf(cp::KernelContext* ctx) {
  return *static_cast<CountState*>(ctx->state());
}

Status ResizeCount(cp::KernelContext* ctx, int64_t n) {
  CountStateOf(ctx).counts.resize(n, 0);
  return Status::OK();
}

template <bool kAll>
Status ConsumeCount(cp::KernelContext* ctx, const cp::ExecSpan& batch) {
  auto& st = CountStateOf(ctx);
  const int id_col = kAll ? 0 : 1;
  if (!batch[id_col].is_array()) {
    return Status::Invalid("hash aggregate: group ids must be an array");
  }
  const uint32_t* ids = batch[id_col].array.GetValues<uint32_t>(1);
  const int64_t n = batch.length;
  int64_t* counts = st.counts.data();
  auto count_all = [&] {
    for (int64_t i = 0; i < n; ++i) counts[ids[i]] += 1;
  };
  if (kAll || st.all_rows) {
    count_all();
    return Status::OK();
  }
  if (batch[0].is_scalar()) {
    if (batch[0].scalar->is_valid != st.only_null) count_all();
    return Status::OK();
  }
  const arrow::ArraySpan& values = batch[0].array;
  if (values.type->id() == arrow::Type::NA) {
    if (st.only_null) count_all();
    return Status::OK();
  }
  const uint8_t* validity = values.buffers[0].data;
  if (validity == nullptr || values.null_count == 0) {
    if (!st.only_null) count_all();
    return Status::OK();
  }
  const int64_t off = values.offset;
  const int64_t want = st.only_null ? 0 : 1;
  for (int64_t i = 0; i < n; ++i) {
    counts[ids[i]] += (arrow::bit_util::GetBit(validity, off + i) ? 1 : 0) == want;
  }
  return Status::OK();
}

Status MergeCount(cp::KernelContext* ctx, cp::KernelState&& other_state,
                  const arrow::ArrayData& group_id_mapping) {
  auto& st = CountStateOf(ctx);
  auto& other = checked_cast<CountState&>(other_state);
  const uint32_t* map = group_id_mapping.GetValues<uint32_t>(1);
  for (size_t i = 0; i < other.counts.size(); ++i) st.counts[map[i]] += other.counts[i];
  return Status::OK();
}

Status FinalizeCount(cp::KernelContext* ctx, arrow::Datum* out) {
  auto& st = CountStateOf(ctx);
  const int64_t n = static_cast<int64_t>(st.counts.size());
  ARROW_ASSIGN_OR_RAISE(auto values,
                        arrow::AllocateBuffer(n * sizeof(int64_t), ctx->memory_pool()));
  if (n > 0) std::memcpy(values->mutable_data(), st.counts.data(), n * sizeof(int64_t));
  *out = arrow::ArrayData::Make(arrow::int64(), n,
                                {nullptr, std::shared_ptr<arrow::Buffer>(std::move(values))}, 0);
  return Status::OK();
}

Status AddCountFunctions(cp::FunctionRegistry* registry) {
  static const cp::CountOptions kDefaults(cp::CountOptions::ONLY_VALID);
  auto count_all = std::make_shared<cp::HashAggregateFunction>(
      "shoal_hash_count_all", cp::Arity::Unary(),
      cp::FunctionDoc("Grouped count of rows", "Shoal aggregate kernel.", {}));
  ARROW_RETURN_NOT_OK(count_all->AddKernel(cp::HashAggregateKernel(
      {cp::InputType(arrow::uint32())}, cp::OutputType(arrow::int64()), InitCount<true>,
      ConsumeCount<true>, ResizeCount, MergeCount, FinalizeCount, /*ordered=*/false)));
  ARROW_RETURN_NOT_OK(registry->AddFunction(count_all));
  auto count = std::make_shared<cp::HashAggregateFunction>(
      "shoal_hash_count", cp::Arity::Binary(),
      cp::FunctionDoc("Grouped count of values (CountOptions)", "Shoal aggregate kernel.", {}),
      &kDefaults);
  ARROW_RETURN_NOT_OK(count->AddKernel(cp::HashAggregateKernel(
      {cp::InputType::Any(), cp::InputType(arrow::uint32())}, cp::OutputType(arrow::int64()),
      InitCount<false>, ConsumeCount<false>, ResizeCount, MergeCount, FinalizeCount,
      /*ordered=*/false)));
  return registry->AddFunction(count);
}

}  // namespace

Status RegisterAggregateKernels(cp::FunctionRegistry* registry) {
  ARROW_RETURN_NOT_OK(AddCountFunctions(registry));
  ARROW_RETURN_NOT_OK(AddDecimalSumFunction<false>(
      registry, "shoal_hash_sum_decimal", "Grouped sum of DECIMAL128 as DECIMAL(38, s)"));
  return AddDecimalSumFunction<true>(registry, "shoal_hash_avg_decimal",
                                     "Grouped mean of DECIMAL128, 4 more digits of scale");
}

}  // namespace shoal::function_internal
