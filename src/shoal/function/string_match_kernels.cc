// Faster utf8 kernels behind Arrow's "match_like" and "is_in" in the catalog's
// registry. The catalog's registry holds its own "match_like" and "is_in"
// (shadowing Arrow's defaults for lookups through it) with every Arrow kernel
// copied; only the utf8 kernel's init/exec are replaced:
//
// - match_like on utf8 with a case-sensitive pattern without `_`: the pattern
//   is split at its `%` into literal pieces matched with memcmp (first/last
//   piece anchored) and memmem (the pieces between, leftmost first), instead of
//   RE2 ('%special%requests%' in TPC-H Q13) or Arrow's per-shape matchers.
// - is_in on utf8 with at most kMaxSmallSet values and SQL null semantics
//   (INCONCLUSIVE, what FunctionCatalog binds): compares lengths first, then
//   bytes, against the few values, instead of hashing every row
//   (`l_shipmode IN ('MAIL', 'SHIP')`).
// Any other options fall back to Arrow's kernel (its init and exec run
// unchanged inside ours), so names, options, plans and results stay Arrow's.
#include <algorithm>
#include <cstring>
#include <optional>

#include <arrow/array/array_binary.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_generate.h>
#include <arrow/util/checked_cast.h>

#include "shoal/function/kernel_util.h"
#include "shoal/function/like_util.h"

namespace shoal::function_internal {

using arrow::internal::checked_cast;

namespace {

constexpr size_t kMaxSmallSet = 32;

/// State of a replaced kernel: either Shoal's fast path, or Arrow's kernel with
/// its own state.
struct FastOrArrowState : cp::KernelState {
  const cp::ScalarKernel* arrow_kernel = nullptr;
  std::unique_ptr<cp::KernelState> arrow_state;  ///< set when falling back
  // match_like: the literal pieces between `%` (see SplitLikePattern).
  std::vector<std::string> pieces;
  // is_in: the values, and whether the value set held a NULL.
  std::vector<std::string> values;
  bool set_has_null = false;
  /// Every value has at most 8 bytes: values as zero-padded little-endian words.
  bool short_values = false;
  std::vector<uint64_t> words;
  std::vector<uint64_t> lengths;
};

/// Return true when the n bytes at `a` and `b` are equal. Reads only those
/// bytes (overlapping word loads); fast when n is the same on every call.
inline bool BytesEqual(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    if (n > 16) return std::memcmp(a, b, n) == 0;
    uint64_t x0, y0, x1, y1;
    std::memcpy(&x0, a, 8);
    std::memcpy(&y0, b, 8);
    std::memcpy(&x1, a + n - 8, 8);
    std::memcpy(&y1, b + n - 8, 8);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 4) {
    uint32_t x0, y0, x1, y1;
    std::memcpy(&x0, a, 4);
    std::memcpy(&y0, b, 4);
    std::memcpy(&x1, a + n - 4, 4);
    std::memcpy(&y1, b + n - 4, 4);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  if (n >= 2) {
    uint16_t x0, y0, x1, y1;
    std::memcpy(&x0, a, 2);
    std::memcpy(&y0, b, 2);
    std::memcpy(&x1, a + n - 2, 2);
    std::memcpy(&y1, b + n - 2, 2);
    return ((x0 ^ y0) | (x1 ^ y1)) == 0;
  }
  return n == 0 || *a == *b;
}

/// Arrow's kernel for `type` in its default registry's function `name`.
Result<const cp::ScalarKernel*> ArrowKernel(const std::string& name,
                                            const std::shared_ptr<arrow::DataType>& type) {
  ARROW_ASSIGN_OR_RAISE(auto fn, cp::GetFunctionRegistry()->GetFunction(name));
  ARROW_ASSIGN_OR_RAISE(const cp::Kernel* k, fn->DispatchExact({arrow::TypeHolder(type)}));
  return static_cast<const cp::ScalarKernel*>(k);
}

Status RunArrowKernel(cp::KernelContext* ctx, const FastOrArrowState& st,
                      const cp::ExecSpan& batch, cp::ExecResult* out) {
  cp::KernelContext inner(ctx->exec_context(), st.arrow_kernel);
  inner.SetState(st.arrow_state.get());
  return st.arrow_kernel->exec(&inner, batch, out);
}

Result<std::unique_ptr<cp::KernelState>> FallBack(std::unique_ptr<FastOrArrowState> st,
                                                  cp::KernelContext* ctx,
                                                  const cp::KernelInitArgs& args) {
  if (st->arrow_kernel->init) {
    cp::KernelInitArgs inner{st->arrow_kernel, args.inputs, args.options};
    ARROW_ASSIGN_OR_RAISE(st->arrow_state, st->arrow_kernel->init(ctx, inner));
  }
  return std::unique_ptr<cp::KernelState>(std::move(st));
}

/// Call `f(i, view)` -> bool for each row of a utf8 input; write the results as
/// bits of the preallocated boolean output.
template <typename F>
void WriteBits(const cp::ExecValue& in, int64_t n, arrow::ArraySpan* out, F f) {
  uint8_t* bits = out->buffers[1].data;
  if (in.is_scalar()) {
    const auto& s = checked_cast<const arrow::BaseBinaryScalar&>(*in.scalar);
    bool v = s.is_valid && f(s.view());
    arrow::bit_util::SetBitsTo(bits, out->offset, n, v);
    return;
  }
  const int32_t* offsets = in.array.GetValues<int32_t>(1);
  const char* data = reinterpret_cast<const char*>(in.array.buffers[2].data);
  int64_t i = 0;
  arrow::internal::GenerateBitsUnrolled(bits, out->offset, n, [&]() {
    std::string_view s(data + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
    ++i;
    return f(s);
  });
}

/// Pattern shapes with their own loops.
enum class LikeShape { kEquals, kPrefix, kSuffix, kContains, kGeneral };

LikeShape ShapeOf(const std::vector<std::string>& pieces) {
  if (pieces.size() == 1) return LikeShape::kEquals;
  if (pieces.size() == 2 && pieces[1].empty()) return LikeShape::kPrefix;
  if (pieces.size() == 2 && pieces[0].empty()) return LikeShape::kSuffix;
  if (pieces.size() == 3 && pieces[0].empty() && pieces[2].empty()) return LikeShape::kContains;
  return LikeShape::kGeneral;
}

// ---------------------------------------------------------------------------
// match_like
// ---------------------------------------------------------------------------

inline bool MatchPieces(const std::vector<std::string>& pieces, std::string_view s) {
  if (pieces.size() == 1) return s == pieces[0];
  const std::string& first = pieces.front();
  const std::string& last = pieces.back();
  if (s.size() < first.size() + last.size()) return false;
  if (std::memcmp(s.data(), first.data(), first.size()) != 0) return false;
  if (std::memcmp(s.data() + s.size() - last.size(), last.data(), last.size()) != 0) return false;
  const char* p = s.data() + first.size();
  const char* end = s.data() + s.size() - last.size();
  for (size_t k = 1; k + 1 < pieces.size(); ++k) {
    const std::string& m = pieces[k];
    if (m.empty()) continue;
    const void* hit = memmem(p, static_cast<size_t>(end - p), m.data(), m.size());
    if (hit == nullptr) return false;
    p = static_cast<const char*>(hit) + m.size();
  }
  return true;
}

Result<std::unique_ptr<cp::KernelState>> InitLike(cp::KernelContext* ctx,
                                                  const cp::KernelInitArgs& args) {
  auto st = std::make_unique<FastOrArrowState>();
  ARROW_ASSIGN_OR_RAISE(st->arrow_kernel, ArrowKernel("match_like", arrow::utf8()));
  const auto* opts = dynamic_cast<const cp::MatchSubstringOptions*>(args.options);
  if (opts == nullptr || opts->ignore_case) return FallBack(std::move(st), ctx, args);
  // Arrow's LIKE syntax: backslash escapes.
  auto pieces = SplitLikePattern(opts->pattern, "\\");
  if (!pieces.ok() || !pieces->has_value()) return FallBack(std::move(st), ctx, args);
  st->pieces = std::move(**pieces);
  return std::unique_ptr<cp::KernelState>(std::move(st));
}

Status ExecLike(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& st = *static_cast<const FastOrArrowState*>(ctx->state());
  if (st.arrow_state != nullptr || st.pieces.empty()) return RunArrowKernel(ctx, st, batch, out);
  const auto& pieces = st.pieces;
  arrow::ArraySpan* span = out->array_span_mutable();
  switch (ShapeOf(pieces)) {
    case LikeShape::kEquals: {
      const std::string& p = pieces[0];
      WriteBits(batch[0], batch.length, span, [&p](std::string_view s) {
        return s.size() == p.size() && BytesEqual(s.data(), p.data(), p.size());
      });
      break;
    }
    case LikeShape::kPrefix: {
      const std::string& p = pieces[0];
      WriteBits(batch[0], batch.length, span, [&p](std::string_view s) {
        return s.size() >= p.size() && BytesEqual(s.data(), p.data(), p.size());
      });
      break;
    }
    case LikeShape::kSuffix: {
      const std::string& p = pieces[1];
      WriteBits(batch[0], batch.length, span, [&p](std::string_view s) {
        return s.size() >= p.size() && BytesEqual(s.data() + s.size() - p.size(), p.data(),
                                                  p.size());
      });
      break;
    }
    case LikeShape::kContains: {
      const std::string& p = pieces[1];
      WriteBits(batch[0], batch.length, span, [&p](std::string_view s) {
        return memmem(s.data(), s.size(), p.data(), p.size()) != nullptr;
      });
      break;
    }
    case LikeShape::kGeneral:
      WriteBits(batch[0], batch.length, span,
                [&pieces](std::string_view s) { return MatchPieces(pieces, s); });
      break;
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------
// is_in
// ---------------------------------------------------------------------------

Result<std::unique_ptr<cp::KernelState>> InitIsIn(cp::KernelContext* ctx,
                                                  const cp::KernelInitArgs& args) {
  auto st = std::make_unique<FastOrArrowState>();
  ARROW_ASSIGN_OR_RAISE(st->arrow_kernel, ArrowKernel("is_in", arrow::utf8()));
  const auto* opts = dynamic_cast<const cp::SetLookupOptions*>(args.options);
  if (opts == nullptr || opts->skip_nulls.has_value() ||
      opts->null_matching_behavior != cp::SetLookupOptions::INCONCLUSIVE ||
      !opts->value_set.is_array() || opts->value_set.type()->id() != arrow::Type::STRING ||
      opts->value_set.length() > static_cast<int64_t>(kMaxSmallSet)) {
    return FallBack(std::move(st), ctx, args);
  }
  arrow::StringArray set(opts->value_set.array());
  st->short_values = true;
  for (int64_t i = 0; i < set.length(); ++i) {
    if (set.IsNull(i)) {
      st->set_has_null = true;
      continue;
    }
    std::string_view v = set.GetView(i);
    st->values.emplace_back(v);
    if (v.size() > 8) st->short_values = false;
    uint64_t w = 0;
    std::memcpy(&w, v.data(), std::min<size_t>(v.size(), 8));
    st->words.push_back(w);
    st->lengths.push_back(v.size());
  }
  return std::unique_ptr<cp::KernelState>(std::move(st));
}

inline bool InSmallSet(const FastOrArrowState& st, std::string_view s) {
  for (const auto& v : st.values) {
    if (v.size() == s.size() && BytesEqual(v.data(), s.data(), s.size())) return true;
  }
  return false;
}

/// is_in over values of at most 8 bytes: each row's bytes as one zero-padded
/// word compared with every value's word, without branches.
void IsInShortValues(const FastOrArrowState& st, const cp::ExecValue& in, int64_t n,
                     arrow::ArraySpan* out) {
  const size_t k = st.words.size();
  const uint64_t* words = st.words.data();
  const uint64_t* lengths = st.lengths.data();
  const int32_t* offsets = in.array.GetValues<int32_t>(1);
  const char* data = reinterpret_cast<const char*>(in.array.buffers[2].data);
  const int64_t data_size = in.array.buffers[2].size;
  int64_t i = 0;
  arrow::internal::GenerateBitsUnrolled(out->buffers[1].data, out->offset, n, [&]() {
    const int64_t begin = offsets[i], len = offsets[i + 1] - begin;
    ++i;
    uint64_t w = 0;
    if (begin + 8 <= data_size) {
      std::memcpy(&w, data + begin, 8);
    } else if (len > 0) {
      std::memcpy(&w, data + begin, static_cast<size_t>(std::min<int64_t>(len, 8)));
    }
    if (len < 8) w &= (uint64_t{1} << (8 * len)) - 1;
    bool found = false;
    for (size_t j = 0; j < k; ++j) {
      found |= (static_cast<uint64_t>(len) == lengths[j]) & (w == words[j]);
    }
    return found;
  });
}

// Arrow's is_in kernel computes its own validity (COMPUTED_PREALLOCATE): here
// it is the input's, and with a NULL in the value set also "found".
Status ExecIsIn(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& st = *static_cast<const FastOrArrowState*>(ctx->state());
  if (st.arrow_state != nullptr) return RunArrowKernel(ctx, st, batch, out);
  arrow::ArraySpan* span = out->array_span_mutable();
  const cp::ExecValue& in = batch[0];
  const int64_t n = batch.length;
  if (st.short_values && in.is_array()) {
    IsInShortValues(st, in, n, span);
  } else {
    WriteBits(in, n, span, [&st](std::string_view s) { return InSmallSet(st, s); });
  }
  // Validity.
  uint8_t* validity = span->buffers[0].data;
  bool input_nulls = in.is_scalar() ? !in.scalar->is_valid
                                    : (in.array.buffers[0].data != nullptr &&
                                       in.array.GetNullCount() != 0);
  if (!input_nulls && !st.set_has_null) {
    if (validity != nullptr) arrow::bit_util::SetBitsTo(validity, span->offset, n, true);
    span->null_count = 0;
    return Status::OK();
  }
  if (validity == nullptr) {
    return Status::Invalid("is_in: the output has no validity buffer for its NULLs");
  }
  const uint8_t* found = span->buffers[1].data;
  const uint8_t* in_valid = in.is_scalar() ? nullptr : in.array.buffers[0].data;
  int64_t i = 0;
  arrow::internal::GenerateBitsUnrolled(validity, span->offset, n, [&]() {
    bool valid = in.is_scalar() ? in.scalar->is_valid
                                : (in_valid == nullptr ||
                                   arrow::bit_util::GetBit(in_valid, in.array.offset + i));
    bool v = valid && (!st.set_has_null || arrow::bit_util::GetBit(found, span->offset + i));
    ++i;
    return v;
  });
  // NULL rows must read false.
  for (int64_t k = 0; k < n; ++k) {
    if (!arrow::bit_util::GetBit(validity, span->offset + k)) {
      arrow::bit_util::ClearBit(span->buffers[1].data, span->offset + k);
    }
  }
  span->null_count = arrow::kUnknownNullCount;
  return Status::OK();
}

/// Register a copy of Arrow's function `name` whose utf8 kernel runs
/// `init`/`exec` (everything else of the kernel, e.g. null handling, is Arrow's).
Status ShadowArrowFunction(cp::FunctionRegistry* registry, const std::string& name,
                           cp::KernelInit init, cp::ArrayKernelExec exec) {
  ARROW_ASSIGN_OR_RAISE(auto base, cp::GetFunctionRegistry()->GetFunction(name));
  if (base->kind() != cp::Function::SCALAR) {
    return Status::Invalid("cannot shadow ", name, ": not a scalar function");
  }
  const auto& arrow_fn = checked_cast<const cp::ScalarFunction&>(*base);
  auto func = std::make_shared<cp::ScalarFunction>(name, arrow_fn.arity(), arrow_fn.doc(),
                                                   arrow_fn.default_options(),
                                                   arrow_fn.is_pure());
  ARROW_ASSIGN_OR_RAISE(const cp::ScalarKernel* utf8_kernel, ArrowKernel(name, arrow::utf8()));
  for (const cp::ScalarKernel* k : arrow_fn.kernels()) {
    cp::ScalarKernel copy = *k;
    if (k == utf8_kernel) {
      copy.init = init;
      copy.exec = exec;
    }
    ARROW_RETURN_NOT_OK(func->AddKernel(std::move(copy)));
  }
  return registry->AddFunction(func, /*allow_overwrite=*/true);
}

}  // namespace

Status RegisterStringMatchKernels(cp::FunctionRegistry* registry) {
  ARROW_RETURN_NOT_OK(ShadowArrowFunction(registry, "match_like", InitLike, ExecLike));
  return ShadowArrowFunction(registry, "is_in", InitIsIn, ExecIsIn);
}

}  // namespace shoal::function_internal
