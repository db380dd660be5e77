// String functions: Shoal kernels for what Arrow lacks or does differently
// from SQL, and the binding of every SQL string function.
#include <algorithm>
#include <cstdio>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/util/checked_cast.h>

#include "shoal/common/strings.h"
#include "shoal/function/binder_internal.h"
#include "shoal/function/kernel_util.h"

namespace shoal::function_internal {

namespace {

// ---------------------------------------------------------------------------
// UTF-8 helpers
// ---------------------------------------------------------------------------

inline bool IsContinuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

int64_t CharCount(std::string_view s) {
  int64_t n = 0;
  for (char c : s) n += !IsContinuation(c);
  return n;
}

/// Byte offset of character `k` (0-based), or s.size() when past the end.
size_t ByteOffset(std::string_view s, int64_t k) {
  if (k <= 0) return 0;
  size_t i = 0;
  int64_t seen = 0;
  while (i < s.size()) {
    if (!IsContinuation(s[i])) {
      if (seen == k) return i;
      ++seen;
    }
    ++i;
  }
  return s.size();
}

/// Characters [from, to) (0-based, clipped) of s.
std::string_view CharSlice(std::string_view s, int64_t from, int64_t to) {
  from = std::max<int64_t>(from, 0);
  if (to <= from) return {};
  size_t b = ByteOffset(s, from);
  size_t e = ByteOffset(s, to);
  return s.substr(b, e - b);
}

uint32_t FirstCodePoint(std::string_view s) {
  if (s.empty()) return 0;
  auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return c;
  int n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  uint32_t cp = c & (0xFF >> (n + 1));
  for (int i = 1; i < n && i < static_cast<int>(s.size()); ++i) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i]) & 0x3F);
  }
  return cp;
}

// ---------------------------------------------------------------------------
// Kernels
// ---------------------------------------------------------------------------

/// SQL substring: characters from `start` (1-based, may be <= 0) for `len`.
Result<std::string_view> SqlSubstr(std::string_view s, int64_t start, bool has_len, int64_t len) {
  if (!has_len) return CharSlice(s, start - 1, INT64_MAX);
  if (len < 0) return Status::Invalid("substr: negative substring length ", len, " not allowed");
  int64_t end;
  if (__builtin_add_overflow(start, len, &end)) end = INT64_MAX;
  return CharSlice(s, start - 1, end - 1);
}

Status ExecSubstr(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]);
  NumReader<int64_t> start(batch[1]);
  bool has_len = batch.num_values() > 2;
  std::optional<NumReader<int64_t>> len;
  if (has_len) len.emplace(batch[2]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !start.IsValid(i) || (has_len && !len->IsValid(i))) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    ARROW_ASSIGN_OR_RAISE(auto r, SqlSubstr(s.Get(i), start.Get(i), has_len,
                                            has_len ? len->Get(i) : 0));
    ARROW_RETURN_NOT_OK(b.Append(r));
  }
  return FinishInto(&b, out);
}

template <bool kLeft>
Status ExecLeftRight(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]);
  NumReader<int64_t> n(batch[1]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !n.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    std::string_view v = s.Get(i);
    int64_t count = CharCount(v), k = n.Get(i);
    // PostgreSQL: a negative n means all but the last (left) / first (right) |n|.
    int64_t keep = k >= 0 ? std::min(k, count) : std::max<int64_t>(count + k, 0);
    ARROW_RETURN_NOT_OK(b.Append(kLeft ? CharSlice(v, 0, keep) : CharSlice(v, count - keep, count)));
  }
  return FinishInto(&b, out);
}

Status ExecStrpos(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]), sub(batch[1]);
  arrow::Int64Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !sub.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    auto v = s.Get(i);
    size_t pos = v.find(sub.Get(i));
    b.UnsafeAppend(pos == std::string_view::npos ? 0 : CharCount(v.substr(0, pos)) + 1);
  }
  return FinishInto(&b, out);
}

// Options text: "starts", "ends" or "contains".
Status ExecStrPredicate(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const std::string& mode = GetOptions(ctx).text;
  StrReader s(batch[0]), p(batch[1]);
  arrow::BooleanBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !p.IsValid(i)) {
      b.UnsafeAppendNull();
      continue;
    }
    auto v = s.Get(i), q = p.Get(i);
    bool r = mode == "starts" ? v.substr(0, q.size()) == q
             : mode == "ends" ? (v.size() >= q.size() && v.substr(v.size() - q.size()) == q)
                              : v.find(q) != std::string_view::npos;
    b.UnsafeAppend(r);
  }
  return FinishInto(&b, out);
}

Status ExecReplace(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]), from(batch[1]), to(batch[2]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !from.IsValid(i) || !to.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    auto v = s.Get(i), f = from.Get(i), t = to.Get(i);
    if (f.empty()) {
      ARROW_RETURN_NOT_OK(b.Append(v));
      continue;
    }
    tmp.clear();
    size_t pos = 0;
    while (true) {
      size_t hit = v.find(f, pos);
      if (hit == std::string_view::npos) break;
      tmp.append(v.substr(pos, hit - pos));
      tmp.append(t);
      pos = hit + f.size();
    }
    tmp.append(v.substr(pos));
    ARROW_RETURN_NOT_OK(b.Append(tmp));
  }
  return FinishInto(&b, out);
}

Status ExecRepeat(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]);
  NumReader<int64_t> n(batch[1]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !n.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    auto v = s.Get(i);
    int64_t k = std::max<int64_t>(n.Get(i), 0);
    if (!v.empty() && k > (int64_t{1} << 30) / static_cast<int64_t>(v.size())) {
      return Status::Invalid("repeat: result of ", k, " copies is too large");
    }
    tmp.clear();
    for (int64_t j = 0; j < k; ++j) tmp.append(v);
    ARROW_RETURN_NOT_OK(b.Append(tmp));
  }
  return FinishInto(&b, out);
}

// lpad/rpad(s, n, fill): PostgreSQL semantics (truncate to n when longer).
template <bool kLeft>
Status ExecPad(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  static const arrow::StringScalar kSpace(" ");
  cp::ExecValue fill_value = batch.num_values() > 2 ? batch[2] : cp::ExecValue(&kSpace);
  StrReader s(batch[0]), fill(fill_value);
  NumReader<int64_t> n(batch[1]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !n.IsValid(i) || !fill.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    auto v = s.Get(i), f = fill.Get(i);
    int64_t width = std::max<int64_t>(n.Get(i), 0);
    if (width > (int64_t{1} << 28)) return Status::Invalid("lpad/rpad: width ", width, " is too large");
    int64_t count = CharCount(v);
    if (count >= width || f.empty()) {
      ARROW_RETURN_NOT_OK(b.Append(CharSlice(v, 0, width)));
      continue;
    }
    int64_t need = width - count, fill_chars = CharCount(f);
    std::string pad;
    while (need > 0) {
      int64_t take = std::min(need, fill_chars);
      pad.append(CharSlice(f, 0, take));
      need -= take;
    }
    tmp = kLeft ? pad + std::string(v) : std::string(v) + pad;
    ARROW_RETURN_NOT_OK(b.Append(tmp));
  }
  return FinishInto(&b, out);
}

// concat(a, b, ...): NULLs are skipped.  concat_ws(sep, a, ...): NULL sep -> NULL.
template <bool kWithSeparator>
Status ExecConcat(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  std::vector<StrReader> in;
  for (int k = 0; k < batch.num_values(); ++k) in.emplace_back(batch[k]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    tmp.clear();
    size_t first = 0;
    if (kWithSeparator) {
      if (!in[0].IsValid(i)) {
        ARROW_RETURN_NOT_OK(b.AppendNull());
        continue;
      }
      first = 1;
    }
    bool any = false;
    for (size_t k = first; k < in.size(); ++k) {
      if (!in[k].IsValid(i)) continue;
      if (kWithSeparator && any) tmp.append(in[0].Get(i));
      tmp.append(in[k].Get(i));
      any = true;
    }
    ARROW_RETURN_NOT_OK(b.Append(tmp));
  }
  return FinishInto(&b, out);
}

Status ExecSplitPart(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]), d(batch[1]);
  NumReader<int64_t> n(batch[2]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i) || !d.IsValid(i) || !n.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    auto v = s.Get(i), delim = d.Get(i);
    int64_t k = n.Get(i);
    if (k == 0) return Status::Invalid("split_part: field position must not be zero");
    std::vector<std::string_view> parts;
    if (delim.empty()) {
      parts.push_back(v);
    } else {
      size_t pos = 0;
      while (true) {
        size_t hit = v.find(delim, pos);
        if (hit == std::string_view::npos) break;
        parts.push_back(v.substr(pos, hit - pos));
        pos = hit + delim.size();
      }
      parts.push_back(v.substr(pos));
    }
    int64_t idx = k > 0 ? k - 1 : static_cast<int64_t>(parts.size()) + k;
    bool in_range = idx >= 0 && idx < static_cast<int64_t>(parts.size());
    ARROW_RETURN_NOT_OK(b.Append(in_range ? parts[idx] : std::string_view()));
  }
  return FinishInto(&b, out);
}

Status ExecAscii(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  StrReader s(batch[0]);
  arrow::Int32Builder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!s.IsValid(i)) {
      b.UnsafeAppendNull();
    } else {
      b.UnsafeAppend(static_cast<int32_t>(FirstCodePoint(s.Get(i))));
    }
  }
  return FinishInto(&b, out);
}

Status ExecChr(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int64_t> n(batch[0]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  std::string tmp;
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!n.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    int64_t cp = n.Get(i);
    if (cp <= 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return Status::Invalid("chr: ", cp, " is not a valid Unicode code point");
    }
    tmp.clear();
    AppendUtf8(static_cast<uint32_t>(cp), &tmp);
    ARROW_RETURN_NOT_OK(b.Append(tmp));
  }
  return FinishInto(&b, out);
}

Status ExecToHex(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  NumReader<int64_t> n(batch[0]);
  arrow::StringBuilder b(ctx->memory_pool());
  ARROW_RETURN_NOT_OK(b.Reserve(batch.length));
  char buf[32];
  for (int64_t i = 0; i < batch.length; ++i) {
    if (!n.IsValid(i)) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    int len = std::snprintf(buf, sizeof(buf), "%llx",
                            static_cast<unsigned long long>(static_cast<uint64_t>(n.Get(i))));
    ARROW_RETURN_NOT_OK(b.Append(buf, len));
  }
  return FinishInto(&b, out);
}

Status Add(cp::FunctionRegistry* reg, const std::string& name, cp::Arity arity,
           std::vector<std::pair<std::vector<cp::InputType>, cp::OutputType>> sigs,
           cp::ArrayKernelExec exec, bool with_options = false) {
  auto f = MakeFunction(name, arity, name);
  for (auto& [in, out] : sigs) {
    ARROW_RETURN_NOT_OK(AddShoalKernel(f.get(), in, out, exec, with_options));
  }
  return reg->AddFunction(f);
}

// ---------------------------------------------------------------------------
// Binding
// ---------------------------------------------------------------------------

using cp::MatchSubstringOptions;

std::shared_ptr<arrow::Scalar> NullString() { return NullOf(arrow::utf8()); }

bool AnyNullConst(const ScalarArgs& args) {
  for (const auto& a : args) {
    if (IsNullConst(a)) return true;
  }
  return false;
}

Result<BoundScalarFunction> BindSubstr(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString) || !CoerceTo(args[1], Kind::kInt) ||
      (args.size() == 3 && !CoerceTo(args[2], Kind::kInt))) {
    return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullString());
  bool all_const = IsConst(args[1]) && (args.size() == 2 || IsConst(args[2]));
  if (all_const) {
    ARROW_ASSIGN_OR_RAISE(int64_t start, ConstInt(args[1], name, "start"));
    int64_t from = std::max<int64_t>(start - 1, 0), to = INT64_MAX;
    if (args.size() == 3) {
      ARROW_ASSIGN_OR_RAISE(int64_t len, ConstInt(args[2], name, "length"));
      if (len < 0) return Status::Invalid(name, ": negative substring length ", len, " not allowed");
      int64_t end;
      to = __builtin_add_overflow(start, len, &end) ? INT64_MAX : std::max<int64_t>(end - 1, 0);
    }
    if (to <= from) from = to = 0;
    return BindArrow("utf8_slice_codeunits", {0}, {arrow::utf8()},
                     std::make_shared<cp::SliceOptions>(from, to));
  }
  return BindKinds(def, name, args, "shoal_substr", {Kind::kString, Kind::kInt});
}

Result<BoundScalarFunction> BindPredicate(const ScalarDef& def, const std::string& name,
                                          const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString) || !CoerceTo(args[1], Kind::kString)) {
    return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullOf(arrow::boolean()));
  if (IsConst(args[1])) {
    ARROW_ASSIGN_OR_RAISE(auto p, ConstString(args[1], name, "pattern"));
    const char* fn = name == "starts_with" || name == "prefix" ? "starts_with"
                     : name == "ends_with" || name == "suffix" ? "ends_with"
                                                               : "match_substring";
    return BindArrow(fn, {0}, {arrow::utf8()}, std::make_shared<MatchSubstringOptions>(p));
  }
  std::string mode = name == "starts_with" || name == "prefix" ? "starts"
                     : name == "ends_with" || name == "suffix" ? "ends"
                                                               : "contains";
  return BindKinds(def, name, args, "shoal_str_predicate", {Kind::kString},
                   std::make_shared<ShoalOptions>(std::vector<std::shared_ptr<arrow::Scalar>>{},
                                                  mode));
}

Result<BoundScalarFunction> BindReplace(const ScalarDef& def, const std::string& name,
                                        const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kString)) return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullString());
  if (IsConst(args[1]) && IsConst(args[2])) {
    ARROW_ASSIGN_OR_RAISE(auto from, ConstString(args[1], name, "search string"));
    ARROW_ASSIGN_OR_RAISE(auto to, ConstString(args[2], name, "replacement"));
    if (!from.empty()) {
      return BindArrow("replace_substring", {0}, {arrow::utf8()},
                       std::make_shared<cp::ReplaceSubstringOptions>(from, to));
    }
  }
  return BindKinds(def, name, args, "shoal_replace", {Kind::kString});
}

Result<BoundScalarFunction> BindTrim(const ScalarDef& def, const std::string& name,
                                     const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kString)) return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullString());
  std::string chars = " ";
  if (args.size() == 2) {
    ARROW_ASSIGN_OR_RAISE(chars, ConstString(args[1], name, "characters to trim"));
  }
  const char* fn = name == "ltrim" ? "utf8_ltrim" : name == "rtrim" ? "utf8_rtrim" : "utf8_trim";
  return BindArrow(fn, {0}, {arrow::utf8()}, std::make_shared<cp::TrimOptions>(chars));
}

Result<BoundScalarFunction> BindPad(const ScalarDef& def, const std::string& name,
                                    const ScalarArgs& args) {
  if (!CoerceTo(args[0], Kind::kString) || !CoerceTo(args[1], Kind::kInt) ||
      (args.size() == 3 && !CoerceTo(args[2], Kind::kString))) {
    return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullString());
  std::string fn = name == "lpad" ? "shoal_lpad" : "shoal_rpad";
  if (args.size() == 2) return BindArrowAll(fn + "_space", {arrow::utf8(), arrow::int64()});
  return BindArrowAll(fn, {arrow::utf8(), arrow::int64(), arrow::utf8()});
}

Result<BoundScalarFunction> BindConcat(const ScalarDef& def, const std::string& name,
                                       const ScalarArgs& args) {
  // Every argument is cast to VARCHAR (concat(1, 'a') = '1a').
  return BindArrowAll(name == "concat" ? "shoal_concat" : "shoal_concat_ws",
                      std::vector<TypePtr>(args.size(), arrow::utf8()));
}

Result<BoundScalarFunction> BindRegexpLike(const ScalarDef& def, const std::string& name,
                                           const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kString)) return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullOf(arrow::boolean()));
  ARROW_ASSIGN_OR_RAISE(auto pattern, ConstString(args[1], name, "pattern"));
  bool ignore_case = false;
  if (args.size() == 3) {
    ARROW_ASSIGN_OR_RAISE(auto flags, ConstString(args[2], name, "flags"));
    for (char f : flags) {
      if (f == 'i') {
        ignore_case = true;
      } else if (f != 'c') {
        return Status::Invalid(name, ": unsupported flag '", std::string(1, f), "'");
      }
    }
  }
  return BindArrow("match_substring_regex", {0}, {arrow::utf8()},
                   std::make_shared<MatchSubstringOptions>(pattern, ignore_case));
}

Result<BoundScalarFunction> BindRegexpReplace(const ScalarDef& def, const std::string& name,
                                              const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kString)) return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullString());
  ARROW_ASSIGN_OR_RAISE(auto pattern, ConstString(args[1], name, "pattern"));
  ARROW_ASSIGN_OR_RAISE(auto replacement, ConstString(args[2], name, "replacement"));
  int64_t max_replacements = 1;
  if (args.size() == 4) {
    ARROW_ASSIGN_OR_RAISE(auto flags, ConstString(args[3], name, "flags"));
    for (char f : flags) {
      if (f == 'g') {
        max_replacements = -1;
      } else if (f == 'i') {
        pattern = "(?i)" + pattern;
      } else if (f != 'c') {
        return Status::Invalid(name, ": unsupported flag '", std::string(1, f), "'");
      }
    }
  }
  return BindArrow("replace_substring_regex", {0}, {arrow::utf8()},
                   std::make_shared<cp::ReplaceSubstringOptions>(pattern, replacement,
                                                                 max_replacements));
}

Result<BoundScalarFunction> BindSplit(const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args) {
  for (const auto& a : args) {
    if (!CoerceTo(a, Kind::kString)) return NoMatch(def, name, args);
  }
  if (AnyNullConst(args)) return ConstantResult(NullOf(arrow::list(arrow::utf8())));
  ARROW_ASSIGN_OR_RAISE(auto delim, ConstString(args[1], name, "delimiter"));
  if (delim.empty()) return Status::Invalid(name, ": the delimiter must not be empty");
  return BindArrow("split_pattern", {0}, {arrow::utf8()},
                   std::make_shared<cp::SplitPatternOptions>(delim));
}

/// Bind a function with fixed argument kinds to one registry function.
BindFn Simple(std::string function, std::vector<Kind> kinds, TypePtr null_type) {
  return [function, kinds, null_type](const ScalarDef& def, const std::string& name,
                                      const ScalarArgs& args) -> Result<BoundScalarFunction> {
    for (size_t i = 0; i < args.size(); ++i) {
      if (!CoerceTo(args[i], kinds[std::min(i, kinds.size() - 1)])) return NoMatch(def, name, args);
    }
    return BindKinds(def, name, args, function, kinds);
  };
}

}  // namespace

Status RegisterStringKernels(cp::FunctionRegistry* reg) {
  auto utf8 = arrow::utf8();
  auto i64 = arrow::int64();
  {
    auto f = MakeFunction("shoal_substr", cp::Arity::VarArgs(2), "substr(s, start[, len])");
    cp::ScalarKernel k(cp::KernelSignature::Make({utf8, i64}, utf8, /*is_varargs=*/true),
                       ExecSubstr);
    k.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    k.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    ARROW_RETURN_NOT_OK(f->AddKernel(k));
    ARROW_RETURN_NOT_OK(reg->AddFunction(f));
  }
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_left", cp::Arity::Binary(), {{{utf8, i64}, utf8}},
                          ExecLeftRight<true>));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_right", cp::Arity::Binary(), {{{utf8, i64}, utf8}},
                          ExecLeftRight<false>));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_strpos", cp::Arity::Binary(), {{{utf8, utf8}, i64}},
                          ExecStrpos));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_str_predicate", cp::Arity::Binary(),
                          {{{utf8, utf8}, arrow::boolean()}}, ExecStrPredicate, true));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_replace", cp::Arity::Ternary(), {{{utf8, utf8, utf8}, utf8}},
                          ExecReplace));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_repeat", cp::Arity::Binary(), {{{utf8, i64}, utf8}},
                          ExecRepeat));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_lpad", cp::Arity::Ternary(), {{{utf8, i64, utf8}, utf8}},
                          ExecPad<true>));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_rpad", cp::Arity::Ternary(), {{{utf8, i64, utf8}, utf8}},
                          ExecPad<false>));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_lpad_space", cp::Arity::Binary(), {{{utf8, i64}, utf8}},
                          ExecPad<true>));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_rpad_space", cp::Arity::Binary(), {{{utf8, i64}, utf8}},
                          ExecPad<false>));
  {
    auto f = MakeFunction("shoal_concat", cp::Arity::VarArgs(1), "concat, NULLs skipped");
    cp::ScalarKernel k({cp::InputType(utf8)}, utf8, ExecConcat<false>);
    k.signature = cp::KernelSignature::Make({cp::InputType(utf8)}, utf8, /*is_varargs=*/true);
    k.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    k.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    ARROW_RETURN_NOT_OK(f->AddKernel(k));
    ARROW_RETURN_NOT_OK(reg->AddFunction(f));
    auto g = MakeFunction("shoal_concat_ws", cp::Arity::VarArgs(2), "concat_ws");
    k.signature = cp::KernelSignature::Make({cp::InputType(utf8), cp::InputType(utf8)}, utf8,
                                            /*is_varargs=*/true);
    k.exec = ExecConcat<true>;
    ARROW_RETURN_NOT_OK(g->AddKernel(k));
    ARROW_RETURN_NOT_OK(reg->AddFunction(g));
  }
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_split_part", cp::Arity::Ternary(),
                          {{{utf8, utf8, i64}, utf8}}, ExecSplitPart));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_ascii", cp::Arity::Unary(), {{{utf8}, arrow::int32()}},
                          ExecAscii));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_chr", cp::Arity::Unary(), {{{i64}, utf8}}, ExecChr));
  ARROW_RETURN_NOT_OK(Add(reg, "shoal_to_hex", cp::Arity::Unary(), {{{i64}, utf8}}, ExecToHex));
  return Status::OK();
}

void AddStringDefs(std::vector<ScalarDef>* defs) {
  using K = Kind;
  auto s1 = [](const char* fn) { return Simple(fn, {K::kString}, arrow::utf8()); };
  defs->push_back({{"lower", "lcase"}, 1, 1, {"lower(VARCHAR)"}, s1("utf8_lower")});
  defs->push_back({{"upper", "ucase"}, 1, 1, {"upper(VARCHAR)"}, s1("utf8_upper")});
  defs->push_back({{"length", "char_length", "character_length", "len"}, 1, 1,
                   {"length(VARCHAR)"}, s1("utf8_length")});
  defs->push_back({{"octet_length"}, 1, 1, {"octet_length(VARCHAR)"}, s1("binary_length")});
  defs->push_back({{"reverse"}, 1, 1, {"reverse(VARCHAR)"}, s1("utf8_reverse")});
  defs->push_back({{"initcap"}, 1, 1, {"initcap(VARCHAR)"}, s1("utf8_title")});
  defs->push_back({{"ascii"}, 1, 1, {"ascii(VARCHAR)"}, s1("shoal_ascii")});
  defs->push_back({{"chr"}, 1, 1, {"chr(BIGINT)"}, Simple("shoal_chr", {K::kInt}, arrow::utf8())});
  defs->push_back({{"to_hex"}, 1, 1, {"to_hex(BIGINT)"},
                   Simple("shoal_to_hex", {K::kInt}, arrow::utf8())});
  defs->push_back({{"substr", "substring"}, 2, 3, {"substr(VARCHAR, BIGINT[, BIGINT])"},
                   BindSubstr});
  defs->push_back({{"left"}, 2, 2, {"left(VARCHAR, BIGINT)"},
                   Simple("shoal_left", {K::kString, K::kInt}, arrow::utf8())});
  defs->push_back({{"right"}, 2, 2, {"right(VARCHAR, BIGINT)"},
                   Simple("shoal_right", {K::kString, K::kInt}, arrow::utf8())});
  defs->push_back({{"strpos", "position", "instr"}, 2, 2, {"strpos(VARCHAR, VARCHAR)"},
                   Simple("shoal_strpos", {K::kString}, arrow::int64())});
  defs->push_back({{"starts_with", "prefix"}, 2, 2, {"starts_with(VARCHAR, VARCHAR)"}, BindPredicate});
  defs->push_back({{"ends_with", "suffix"}, 2, 2, {"ends_with(VARCHAR, VARCHAR)"}, BindPredicate});
  defs->push_back({{"contains"}, 2, 2, {"contains(VARCHAR, VARCHAR)"}, BindPredicate});
  defs->push_back({{"replace"}, 3, 3, {"replace(VARCHAR, VARCHAR, VARCHAR)"}, BindReplace});
  defs->push_back({{"repeat"}, 2, 2, {"repeat(VARCHAR, BIGINT)"},
                   Simple("shoal_repeat", {K::kString, K::kInt}, arrow::utf8())});
  defs->push_back({{"trim", "btrim"}, 1, 2, {"trim(VARCHAR[, VARCHAR])"}, BindTrim});
  defs->push_back({{"ltrim"}, 1, 2, {"ltrim(VARCHAR[, VARCHAR])"}, BindTrim});
  defs->push_back({{"rtrim"}, 1, 2, {"rtrim(VARCHAR[, VARCHAR])"}, BindTrim});
  defs->push_back({{"lpad"}, 2, 3, {"lpad(VARCHAR, BIGINT[, VARCHAR])"}, BindPad});
  defs->push_back({{"rpad"}, 2, 3, {"rpad(VARCHAR, BIGINT[, VARCHAR])"}, BindPad});
  defs->push_back({{"concat"}, 1, -1, {"concat(ANY, ...)"}, BindConcat});
  defs->push_back({{"concat_ws"}, 2, -1, {"concat_ws(VARCHAR, ANY, ...)"}, BindConcat});
  defs->push_back({{"split_part"}, 3, 3, {"split_part(VARCHAR, VARCHAR, BIGINT)"},
                   Simple("shoal_split_part", {K::kString, K::kString, K::kInt}, arrow::utf8())});
  defs->push_back({{"regexp_like", "regexp_matches"}, 2, 3,
                   {"regexp_like(VARCHAR, constant VARCHAR[, flags])"}, BindRegexpLike});
  defs->push_back({{"regexp_replace"}, 3, 4,
                   {"regexp_replace(VARCHAR, constant VARCHAR, constant VARCHAR[, flags])"},
                   BindRegexpReplace});
  defs->push_back({{"string_to_array", "string_split", "split", "str_split"}, 2, 2,
                   {"string_to_array(VARCHAR, constant VARCHAR)"}, BindSplit});
}

}  // namespace shoal::function_internal
