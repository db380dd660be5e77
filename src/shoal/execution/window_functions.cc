// Window function kernels over rows sorted by (partition keys, order keys).
#include <algorithm>
#include <cmath>

#include <arrow/array.h>
#include <arrow/builder.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/util/decimal.h>

#include "shoal/execution/sort_util.h"
#include "shoal/execution/window.h"

namespace shoal::exec {

namespace cp = arrow::compute;
using plan::FrameBoundKind;
using plan::FrameUnit;

namespace {

using ArrayPtr = std::shared_ptr<arrow::Array>;

/// Partition and peer-group boundaries of sorted rows.
struct Bounds {
  std::vector<int64_t> pstart, pend, peer_start, peer_end;
};

Result<Bounds> ComputeBounds(const WindowOp::Function& fn, const std::vector<ArrayPtr>& cols,
                             int64_t n) {
  std::vector<std::unique_ptr<RowComparator>> pcmp, ocmp;
  for (int p : fn.partition) {
    ARROW_ASSIGN_OR_RAISE(auto c, RowComparator::Make(*cols[p]->type(), {true, true}));
    pcmp.push_back(std::move(c));
  }
  for (size_t k = 0; k < fn.order.size(); ++k) {
    ARROW_ASSIGN_OR_RAISE(auto c, RowComparator::Make(*cols[fn.order[k]]->type(),
                                                      {fn.ascending[k], fn.nulls_first[k]}));
    ocmp.push_back(std::move(c));
  }
  auto same = [&](const std::vector<std::unique_ptr<RowComparator>>& cmps,
                  const std::vector<int>& idx, int64_t a, int64_t b) {
    for (size_t k = 0; k < cmps.size(); ++k) {
      const auto& col = *cols[idx[k]];
      if (cmps[k]->Compare(col, a, col, b) != 0) return false;
    }
    return true;
  };
  Bounds b;
  b.pstart.resize(n);
  b.pend.resize(n);
  b.peer_start.resize(n);
  b.peer_end.resize(n);
  int64_t ps = 0, peer = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (i > 0 && !same(pcmp, fn.partition, i - 1, i)) {
      ps = i;
      peer = i;
    } else if (i > 0 && !same(ocmp, fn.order, i - 1, i)) {
      peer = i;
    }
    b.pstart[i] = ps;
    b.peer_start[i] = peer;
  }
  int64_t pe = n, peer_e = n;
  for (int64_t i = n - 1; i >= 0; --i) {
    if (i + 1 < n && b.pstart[i + 1] != b.pstart[i]) {
      pe = i + 1;
      peer_e = i + 1;
    } else if (i + 1 < n && b.peer_start[i + 1] != b.peer_start[i]) {
      peer_e = i + 1;
    }
    b.pend[i] = pe;
    b.peer_end[i] = peer_e;
  }
  return b;
}

/// Frame [start, end) of every row.
struct Frames {
  std::vector<int64_t> start, end;
  bool running = false;  ///< start is the partition start and ends never shrink
};

Result<Frames> ComputeFrames(const WindowOp::Function& fn, const std::vector<ArrayPtr>& cols,
                             const Bounds& b, int64_t n, cp::ExecContext* ctx) {
  Frames f;
  f.start.resize(n);
  f.end.resize(n);
  const auto& fr = fn.frame;
  if (fr.unit == FrameUnit::kGroups) {
    return Status::NotImplemented("GROUPS window frames");
  }
  f.running = fr.start.kind == FrameBoundKind::kUnboundedPreceding &&
              (fr.end.kind == FrameBoundKind::kCurrentRow ||
               fr.end.kind == FrameBoundKind::kUnboundedFollowing);
  std::vector<double> keys;
  std::vector<uint8_t> key_valid;
  bool value_range = fr.unit == FrameUnit::kRange &&
                     (fr.start.kind == FrameBoundKind::kPreceding ||
                      fr.start.kind == FrameBoundKind::kFollowing ||
                      fr.end.kind == FrameBoundKind::kPreceding ||
                      fr.end.kind == FrameBoundKind::kFollowing);
  double dir = 1;
  if (value_range) {
    if (fn.order.size() != 1) {
      return Status::Invalid("RANGE with an offset needs exactly one ORDER BY column");
    }
    dir = fn.ascending[0] ? 1 : -1;
    auto col = cols[fn.order[0]];
    auto casted = cp::Cast(*col, arrow::float64(), cp::CastOptions::Unsafe(arrow::float64()), ctx);
    if (!casted.ok()) {
      return Status::NotImplemented("RANGE frame offsets over ", col->type()->ToString());
    }
    const auto& d = static_cast<const arrow::DoubleArray&>(**casted);
    keys.resize(n);
    key_valid.resize(n);
    for (int64_t i = 0; i < n; ++i) {
      key_valid[i] = d.IsValid(i);
      keys[i] = d.IsValid(i) ? dir * d.Value(i) : 0;
    }
  }
  // Value-based bound: first row of the partition's non-null run with t >= x (or > x).
  auto search = [&](int64_t i, double x, bool strict) {
    int64_t lo = b.pstart[i], hi = b.pend[i];
    // Restrict to the non-null rows of the partition (nulls form one peer run).
    while (lo < hi && !key_valid[lo]) ++lo;
    while (hi > lo && !key_valid[hi - 1]) --hi;
    int64_t a = lo, z = hi;
    while (a < z) {
      int64_t m = (a + z) / 2;
      bool before = strict ? keys[m] <= x : keys[m] < x;
      if (before) {
        a = m + 1;
      } else {
        z = m;
      }
    }
    return a;
  };
  for (int64_t i = 0; i < n; ++i) {
    int64_t ps = b.pstart[i], pe = b.pend[i];
    bool rows = fr.unit == FrameUnit::kRows;
    bool null_key = value_range && !key_valid[i];
    int64_t s = ps, e = pe;
    switch (fr.start.kind) {
      case FrameBoundKind::kUnboundedPreceding:
        s = ps;
        break;
      case FrameBoundKind::kCurrentRow:
        s = rows ? i : b.peer_start[i];
        break;
      case FrameBoundKind::kUnboundedFollowing:
        s = pe;
        break;
      case FrameBoundKind::kPreceding:
        s = rows ? std::max(ps, i - fn.start_offset)
                 : (null_key ? b.peer_start[i] : search(i, keys[i] - fn.start_range, false));
        break;
      case FrameBoundKind::kFollowing:
        s = rows ? std::min(pe, i + fn.start_offset)
                 : (null_key ? b.peer_start[i] : search(i, keys[i] + fn.start_range, false));
        break;
    }
    switch (fr.end.kind) {
      case FrameBoundKind::kUnboundedPreceding:
        e = ps;
        break;
      case FrameBoundKind::kCurrentRow:
        e = rows ? i + 1 : b.peer_end[i];
        break;
      case FrameBoundKind::kUnboundedFollowing:
        e = pe;
        break;
      case FrameBoundKind::kPreceding:
        e = rows ? std::max(ps, i - fn.end_offset + 1)
                 : (null_key ? b.peer_end[i] : search(i, keys[i] - fn.end_range, true));
        break;
      case FrameBoundKind::kFollowing:
        e = rows ? std::min(pe, i + fn.end_offset + 1)
                 : (null_key ? b.peer_end[i] : search(i, keys[i] + fn.end_range, true));
        break;
    }
    f.start[i] = std::clamp(s, ps, pe);
    f.end[i] = std::clamp(e, f.start[i], pe);
  }
  return f;
}

Result<ArrayPtr> FinishInt64(const std::vector<int64_t>& v) {
  arrow::Int64Builder b;
  ARROW_RETURN_NOT_OK(b.AppendValues(v));
  ArrayPtr out;
  ARROW_RETURN_NOT_OK(b.Finish(&out));
  return out;
}

/// Take rows of `values` by `idx` (-1 = NULL).
Result<ArrayPtr> TakeOrNull(const ArrayPtr& values, const std::vector<int64_t>& idx,
                            cp::ExecContext* ctx) {
  arrow::Int64Builder b;
  ARROW_RETURN_NOT_OK(b.Reserve(idx.size()));
  for (int64_t i : idx) {
    if (i < 0) {
      b.UnsafeAppendNull();
    } else {
      b.UnsafeAppend(i);
    }
  }
  ArrayPtr ia;
  ARROW_RETURN_NOT_OK(b.Finish(&ia));
  ARROW_ASSIGN_OR_RAISE(arrow::Datum d, cp::Take(values, ia, cp::TakeOptions(false), ctx));
  return d.make_array();
}

Result<std::vector<int64_t>> Int64Values(const ArrayPtr& a, cp::ExecContext* ctx) {
  ARROW_ASSIGN_OR_RAISE(auto c, cp::Cast(*a, arrow::int64(), cp::CastOptions::Safe(), ctx));
  const auto& v = static_cast<const arrow::Int64Array&>(*c);
  std::vector<int64_t> out(v.length());
  for (int64_t i = 0; i < v.length(); ++i) out[i] = v.IsValid(i) ? v.Value(i) : INT64_MIN;
  return out;
}

/// sum / avg / count / min / max over frames.
Result<ArrayPtr> FrameAggregate(const WindowOp::Function& fn, const std::vector<ArrayPtr>& cols,
                                const Frames& f, int64_t n, cp::ExecContext* ctx) {
  const std::string& name = fn.name;
  if (name == "count" || name == "count_star") {
    std::vector<int64_t> prefix(n + 1, 0);
    const arrow::Array* arg = fn.args.empty() ? nullptr : cols[fn.args[0]].get();
    for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + (arg && arg->IsNull(i) ? 0 : 1);
    std::vector<int64_t> out(n);
    for (int64_t i = 0; i < n; ++i) out[i] = prefix[f.end[i]] - prefix[f.start[i]];
    return FinishInt64(out);
  }
  if (fn.args.empty()) return Status::Invalid("window aggregate ", name, " needs an argument");
  ArrayPtr arg = cols[fn.args[0]];
  if (name == "min" || name == "max") {
    ARROW_ASSIGN_OR_RAISE(auto cmp, RowComparator::Make(*arg->type(), {true, false}));
    int sign = name == "min" ? -1 : 1;
    auto better = [&](int64_t a, int64_t cur) {  // a better than cur?
      if (arg->IsNull(a)) return false;
      if (cur < 0) return true;
      return cmp->Compare(*arg, a, *arg, cur) * sign > 0;
    };
    std::vector<int64_t> idx(n, -1);
    int64_t best = -1, covered_start = -1, covered_end = -1;
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = f.start[i], e = f.end[i];
      if (f.running && s == covered_start && e >= covered_end) {
        for (int64_t r = covered_end; r < e; ++r) {
          if (better(r, best)) best = r;
        }
      } else {
        best = -1;
        for (int64_t r = s; r < e; ++r) {
          if (better(r, best)) best = r;
        }
      }
      covered_start = s;
      covered_end = e;
      idx[i] = best;
    }
    return TakeOrNull(arg, idx, ctx);
  }
  if (name != "sum" && name != "avg" && name != "mean") {
    return Status::NotImplemented("window aggregate '", name, "'");
  }
  std::vector<int64_t> cnt(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) cnt[i + 1] = cnt[i] + (arg->IsNull(i) ? 0 : 1);
  const auto tid = arg->type_id();
  if (tid == arrow::Type::DECIMAL128) {
    const auto& d = static_cast<const arrow::Decimal128Array&>(*arg);
    int scale = static_cast<const arrow::Decimal128Type&>(*arg->type()).scale();
    std::vector<arrow::Decimal128> prefix(n + 1);
    for (int64_t i = 0; i < n; ++i) {
      prefix[i + 1] = prefix[i];
      if (d.IsValid(i)) prefix[i + 1] += arrow::Decimal128(d.GetValue(i));
    }
    auto out_type = fn.type->id() == arrow::Type::DECIMAL128 ? fn.type : arrow::decimal128(38, scale);
    int out_scale = static_cast<const arrow::Decimal128Type&>(*out_type).scale();
    arrow::Decimal128Builder b(out_type);
    for (int64_t i = 0; i < n; ++i) {
      int64_t c = cnt[f.end[i]] - cnt[f.start[i]];
      if (c == 0) {
        ARROW_RETURN_NOT_OK(b.AppendNull());
        continue;
      }
      arrow::Decimal128 s = prefix[f.end[i]] - prefix[f.start[i]];
      ARROW_ASSIGN_OR_RAISE(s, s.Rescale(scale, out_scale));
      if (name != "sum") {
        ARROW_ASSIGN_OR_RAISE(auto qr, s.Divide(arrow::Decimal128(c)));
        arrow::Decimal128 q = qr.first, r = qr.second;
        // Round half away from zero.
        if ((r.Abs() * 2) >= arrow::Decimal128(c)) q += s.Sign() < 0 ? -1 : 1;
        s = q;
      }
      ARROW_RETURN_NOT_OK(b.Append(s));
    }
    ArrayPtr out;
    ARROW_RETURN_NOT_OK(b.Finish(&out));
    return out;
  }
  bool integer = arrow::is_integer(tid);
  if (integer && name == "sum") {
    ARROW_ASSIGN_OR_RAISE(auto v, Int64Values(arg, ctx));
    std::vector<int64_t> prefix(n + 1, 0);
    for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + (arg->IsNull(i) ? 0 : v[i]);
    arrow::Int64Builder b;
    for (int64_t i = 0; i < n; ++i) {
      if (cnt[f.end[i]] == cnt[f.start[i]]) {
        ARROW_RETURN_NOT_OK(b.AppendNull());
      } else {
        ARROW_RETURN_NOT_OK(b.Append(prefix[f.end[i]] - prefix[f.start[i]]));
      }
    }
    ArrayPtr out;
    ARROW_RETURN_NOT_OK(b.Finish(&out));
    return out;
  }
  auto casted = cp::Cast(*arg, arrow::float64(), cp::CastOptions::Safe(), ctx);
  if (!casted.ok()) return Status::NotImplemented("window ", name, " over ", arg->type()->ToString());
  const auto& dv = static_cast<const arrow::DoubleArray&>(**casted);
  // Prefix sums in long double; sliding frames over doubles recompute per row to
  // avoid cancellation when values vary wildly.
  std::vector<long double> prefix(n + 1, 0);
  for (int64_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + (dv.IsValid(i) ? dv.Value(i) : 0);
  arrow::DoubleBuilder b;
  for (int64_t i = 0; i < n; ++i) {
    int64_t c = cnt[f.end[i]] - cnt[f.start[i]];
    if (c == 0) {
      ARROW_RETURN_NOT_OK(b.AppendNull());
      continue;
    }
    long double s = prefix[f.end[i]] - prefix[f.start[i]];
    ARROW_RETURN_NOT_OK(b.Append(static_cast<double>(name == "sum" ? s : s / c)));
  }
  ArrayPtr out;
  ARROW_RETURN_NOT_OK(b.Finish(&out));
  return out;
}

}  // namespace

Result<std::shared_ptr<arrow::Array>> ComputeWindowFunction(
    const WindowOp::Function& fn, const std::vector<std::shared_ptr<arrow::Array>>& cols,
    int64_t num_rows, cp::ExecContext* ctx) {
  const int64_t n = num_rows;
  ARROW_ASSIGN_OR_RAISE(Bounds b, ComputeBounds(fn, cols, n));
  const std::string& name = fn.name;
  if (name == "row_number" || name == "rank" || name == "dense_rank") {
    std::vector<int64_t> out(n);
    int64_t dense = 0;
    for (int64_t i = 0; i < n; ++i) {
      if (name == "row_number") {
        out[i] = i - b.pstart[i] + 1;
      } else if (name == "rank") {
        out[i] = b.peer_start[i] - b.pstart[i] + 1;
      } else {
        if (i == b.pstart[i]) dense = 0;
        if (i == b.peer_start[i]) ++dense;
        out[i] = dense;
      }
    }
    return FinishInt64(out);
  }
  if (name == "percent_rank" || name == "cume_dist") {
    arrow::DoubleBuilder db;
    for (int64_t i = 0; i < n; ++i) {
      double size = static_cast<double>(b.pend[i] - b.pstart[i]);
      double v;
      if (name == "percent_rank") {
        v = size <= 1 ? 0.0 : static_cast<double>(b.peer_start[i] - b.pstart[i]) / (size - 1);
      } else {
        v = static_cast<double>(b.peer_end[i] - b.pstart[i]) / size;
      }
      ARROW_RETURN_NOT_OK(db.Append(v));
    }
    ArrayPtr out;
    ARROW_RETURN_NOT_OK(db.Finish(&out));
    return out;
  }
  if (name == "ntile") {
    if (fn.args.empty()) return Status::Invalid("ntile needs the number of buckets");
    ARROW_ASSIGN_OR_RAISE(auto buckets, Int64Values(cols[fn.args[0]], ctx));
    arrow::Int64Builder ib;
    for (int64_t i = 0; i < n; ++i) {
      int64_t nb = buckets[i];
      if (nb == INT64_MIN) {
        ARROW_RETURN_NOT_OK(ib.AppendNull());
        continue;
      }
      if (nb <= 0) return Status::Invalid("ntile: the number of buckets must be positive");
      int64_t size = b.pend[i] - b.pstart[i], k = i - b.pstart[i];
      int64_t q = size / nb, r = size % nb;
      int64_t bucket = q == 0 ? k + 1
                              : (k < r * (q + 1) ? k / (q + 1) + 1 : (k - r * (q + 1)) / q + r + 1);
      ARROW_RETURN_NOT_OK(ib.Append(bucket));
    }
    ArrayPtr out;
    ARROW_RETURN_NOT_OK(ib.Finish(&out));
    return out;
  }
  if (name == "lag" || name == "lead") {
    if (fn.args.empty()) return Status::Invalid(name, " needs an argument");
    ArrayPtr values = cols[fn.args[0]];
    std::vector<int64_t> offsets(n, 1);
    if (fn.args.size() >= 2) {
      ARROW_ASSIGN_OR_RAISE(offsets, Int64Values(cols[fn.args[1]], ctx));
    }
    std::vector<int64_t> idx(n, -1);
    std::vector<uint8_t> in_range(n, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (offsets[i] == INT64_MIN) continue;  // NULL offset: NULL result
      int64_t j = name == "lag" ? i - offsets[i] : i + offsets[i];
      if (j >= b.pstart[i] && j < b.pend[i]) {
        idx[i] = j;
        in_range[i] = 1;
      }
    }
    ARROW_ASSIGN_OR_RAISE(auto taken, TakeOrNull(values, idx, ctx));
    if (fn.args.size() < 3) return taken;
    ArrayPtr deflt = cols[fn.args[2]];
    if (!deflt->type()->Equals(*taken->type())) {
      ARROW_ASSIGN_OR_RAISE(arrow::Datum d, CastDatum(arrow::Datum(deflt), taken->type(), false, ctx));
      deflt = d.make_array();
    }
    arrow::BooleanBuilder mb;
    for (int64_t i = 0; i < n; ++i) ARROW_RETURN_NOT_OK(mb.Append(in_range[i] != 0));
    ArrayPtr mask;
    ARROW_RETURN_NOT_OK(mb.Finish(&mask));
    ARROW_ASSIGN_OR_RAISE(arrow::Datum r, cp::CallFunction("if_else", {mask, taken, deflt}, ctx));
    return r.make_array();
  }
  ARROW_ASSIGN_OR_RAISE(Frames f, ComputeFrames(fn, cols, b, n, ctx));
  if (name == "first_value" || name == "last_value" || name == "nth_value") {
    if (fn.args.empty()) return Status::Invalid(name, " needs an argument");
    ArrayPtr values = cols[fn.args[0]];
    std::vector<int64_t> nth(n, 1);
    if (name == "nth_value") {
      if (fn.args.size() < 2) return Status::Invalid("nth_value needs n");
      ARROW_ASSIGN_OR_RAISE(nth, Int64Values(cols[fn.args[1]], ctx));
    }
    std::vector<int64_t> idx(n, -1);
    for (int64_t i = 0; i < n; ++i) {
      int64_t s = f.start[i], e = f.end[i];
      if (s >= e) continue;
      if (name == "last_value") {
        if (!fn.ignore_nulls) {
          idx[i] = e - 1;
        } else {
          for (int64_t r = e - 1; r >= s; --r) {
            if (values->IsValid(r)) {
              idx[i] = r;
              break;
            }
          }
        }
        continue;
      }
      int64_t k = nth[i];
      if (k == INT64_MIN) continue;
      if (k <= 0) return Status::Invalid("nth_value: n must be positive");
      for (int64_t r = s; r < e; ++r) {
        if (fn.ignore_nulls && values->IsNull(r)) continue;
        if (--k == 0) {
          idx[i] = r;
          break;
        }
      }
    }
    return TakeOrNull(values, idx, ctx);
  }
  return FrameAggregate(fn, cols, f, n, ctx);
}

}  // namespace shoal::exec
