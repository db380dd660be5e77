#include "shoal/execution/runtime_filter.h"

#include <algorithm>
#include <limits>
#include <unordered_map>

#include <arrow/array.h>

#include "shoal/execution/basic_operators.h"
#include "shoal/execution/hash_join.h"

namespace shoal::exec {

namespace {

/// Most build keys a membership test is built for (a Bloom filter of 16 bits per key).
constexpr int64_t kMaxMembershipKeys = int64_t{16} << 20;
/// Bitmaps up to this many bits (1 MB) are always preferred to a Bloom filter: they
/// are exact, need no hashing, and probe keys often arrive sorted.
constexpr uint64_t kSmallBitmapBits = uint64_t{1} << 23;

uint64_t BloomMask(uint64_t h) {
  return (uint64_t{1} << (h & 63)) | (uint64_t{1} << ((h >> 6) & 63)) |
         (uint64_t{1} << ((h >> 12) & 63));
}

uint64_t BloomWord(uint64_t h, uint64_t word_mask) { return (h >> 32) & word_mask; }

}  // namespace

std::unique_ptr<RuntimeFilter> RuntimeFilter::Make(const std::vector<JoinKeys>& parts,
                                                   KeyLayout layout) {
  auto f = std::make_unique<RuntimeFilter>();
  f->layout_ = layout;
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (const auto& p : parts) {
    for (int64_t i = 0; i < p.length; ++i) {
      if (p.IsNull(i)) continue;
      ++f->keys_;
      if (layout.mode == KeyMode::kInt) {
        lo = std::min(lo, p.ints[i]);
        hi = std::max(hi, p.ints[i]);
      }
    }
  }
  if (f->keys_ == 0) return f;
  if (layout.mode == KeyMode::kInt) {
    f->has_range_ = true;
    f->min_ = lo;
    f->max_ = hi;
  }
  if (f->keys_ > kMaxMembershipKeys) return f;
  if (layout.mode == KeyMode::kInt) {
    const uint64_t range = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo);
    const uint64_t limit = std::max<uint64_t>(kSmallBitmapBits, static_cast<uint64_t>(f->keys_) * 64);
    if (range < limit) {
      f->bitmap_ = true;
      f->bits_.assign(range / 64 + 1, 0);
      for (const auto& p : parts) {
        for (int64_t i = 0; i < p.length; ++i) {
          if (p.IsNull(i)) continue;
          const uint64_t d = static_cast<uint64_t>(p.ints[i]) - static_cast<uint64_t>(lo);
          f->bits_[d >> 6] |= uint64_t{1} << (d & 63);
        }
      }
      return f;
    }
  }
  // Blocked Bloom filter: 16 bits per key, three bits in one 64-bit word.
  uint64_t words = 1;
  while (words * 4 < static_cast<uint64_t>(f->keys_)) words <<= 1;
  f->bits_.assign(words, 0);
  f->word_mask_ = words - 1;
  for (const auto& p : parts) {
    for (int64_t i = 0; i < p.length; ++i) {
      if (p.IsNull(i)) continue;
      const uint64_t h = p.hashes[i];
      f->bits_[BloomWord(h, f->word_mask_)] |= BloomMask(h);
    }
  }
  return f;
}

void RuntimeFilter::Select(const JoinKeys& keys, SelectionVector* sel) const {
  const int64_t n = keys.length;
  sel->reserve(sel->size() + static_cast<size_t>(n));
  if (empty()) return;
  if (bitmap_) {
    const int64_t* v = keys.ints.data();
    const uint64_t base = static_cast<uint64_t>(min_);
    const uint64_t range = static_cast<uint64_t>(max_) - base;
    const uint64_t* bits = bits_.data();
    for (int64_t i = 0; i < n; ++i) {
      const uint64_t d = static_cast<uint64_t>(v[i]) - base;
      const bool hit = d <= range && ((bits[d >> 6] >> (d & 63)) & 1) != 0;
      if (hit && !keys.IsNull(i)) sel->push_back(static_cast<int32_t>(i));
    }
    return;
  }
  const uint64_t* h = keys.hashes.data();
  const bool check_range = has_range_;
  const uint64_t base = static_cast<uint64_t>(min_);
  const uint64_t range = static_cast<uint64_t>(max_) - base;
  for (int64_t i = 0; i < n; ++i) {
    bool hit = true;
    if (check_range) hit = static_cast<uint64_t>(keys.ints[i]) - base <= range;
    if (!bits_.empty()) {
      const uint64_t m = BloomMask(h[i]);
      hit = hit && (bits_[BloomWord(h[i], word_mask_)] & m) == m;
    }
    if (hit && !keys.IsNull(i)) sel->push_back(static_cast<int32_t>(i));
  }
}

namespace {

/// Append the rows of `v` (one int key per row) that pass: inside [base, base +
/// range], and set in the bitmap `bits` (offsets from base) or the Bloom filter
/// `bloom`. Branch-free: every row is written, the count advances on a hit.
template <typename T>
void SelectValues(const T* v, const arrow::Array& column, uint64_t base, uint64_t range,
                  const uint64_t* bits, const uint64_t* bloom, uint64_t word_mask,
                  SelectionVector* sel) {
  const int64_t n = column.length();
  const size_t start = sel->size();
  sel->resize(start + static_cast<size_t>(n));
  int32_t* out = sel->data() + start;
  int64_t k = 0;
  for (int64_t i = 0; i < n; ++i) {
    const uint64_t d = static_cast<uint64_t>(static_cast<int64_t>(v[i])) - base;
    bool hit = d <= range;
    if (bits != nullptr) {
      hit = hit && ((bits[d >> 6] >> (d & 63)) & 1) != 0;
    } else if (bloom != nullptr) {
      const uint64_t h = JoinIntHash(static_cast<uint64_t>(static_cast<int64_t>(v[i])));
      const uint64_t m = BloomMask(h);
      hit = hit && (bloom[BloomWord(h, word_mask)] & m) == m;
    }
    out[k] = static_cast<int32_t>(i);
    k += hit ? 1 : 0;
  }
  if (column.null_count() > 0) {
    int64_t j = 0;
    for (int64_t x = 0; x < k; ++x) {
      if (column.IsValid(out[x])) out[j++] = out[x];
    }
    k = j;
  }
  sel->resize(start + static_cast<size_t>(k));
}

}  // namespace

bool RuntimeFilter::SelectColumn(const arrow::Array& column, SelectionVector* sel) const {
  if (!has_range_) return false;
  const uint64_t base = static_cast<uint64_t>(min_);
  const uint64_t range = static_cast<uint64_t>(max_) - base;
  const uint64_t* bits = bitmap_ ? bits_.data() : nullptr;
  const uint64_t* bloom = !bitmap_ && !bits_.empty() ? bits_.data() : nullptr;
  switch (column.type_id()) {
    case arrow::Type::INT32:
    case arrow::Type::DATE32: {
      const auto* v = column.data()->GetValues<int32_t>(1);
      SelectValues(v, column, base, range, bits, bloom, word_mask_, sel);
      return true;
    }
    case arrow::Type::INT64: {
      const auto* v = column.data()->GetValues<int64_t>(1);
      SelectValues(v, column, base, range, bits, bloom, word_mask_, sel);
      return true;
    }
    default:
      return false;
  }
}

std::string RuntimeFilter::ToString() const {
  std::string s = "keys=" + std::to_string(keys_);
  if (has_range_) s += " range=[" + std::to_string(min_) + ", " + std::to_string(max_) + "]";
  if (bitmap_) {
    s += " bitmap";
  } else if (!bits_.empty()) {
    s += " bloom_kb=" + std::to_string(bits_.size() * 8 / 1024);
  }
  return s;
}

// ---------------------------------------------------------------------------
// Planning pass

namespace {

void CountParents(const PhysicalOperator& op,
                  std::unordered_map<const PhysicalOperator*, int>* parents) {
  for (const auto& c : op.children) {
    if (++(*parents)[c.get()] == 1) CountParents(*c, parents);
  }
}

/// True when the join may drop probe rows that have no match in the build side.
bool ProbeRowsNeedMatch(const HashJoinOp& join) {
  const auto& cfg = join.config();
  if (cfg.probe_keys.size() == 0) return false;
  switch (cfg.type) {
    case plan::JoinType::kInner:
    case plan::JoinType::kSemi:
      return true;
    case plan::JoinType::kLeft:
    case plan::JoinType::kSingle:
      return !cfg.build_right;  // the probe (right) side is not preserved
    case plan::JoinType::kRight:
      return cfg.build_right;  // the probe (left) side is not preserved
    default:
      return false;  // full, anti, mark: unmatched probe rows matter
  }
}

/// Follow probe key columns `cols` of `join` from `op` down to a scan.
void Trace(const HashJoinOp& join, const PhysicalOperator* op, std::vector<int> cols,
           const std::unordered_map<const PhysicalOperator*, int>& parents) {
  while (op != nullptr) {
    auto it = parents.find(op);
    if (it == parents.end() || it->second != 1) return;  // shared subtree
    if (const auto* scan = dynamic_cast<const TableScanOp*>(op)) {
      for (size_t i = 0; i < cols.size(); ++i) {
        const auto& want = join.config().probe_keys[i]->type();
        if (cols[i] < 0 || cols[i] >= static_cast<int>(scan->types().size()) ||
            !scan->types()[cols[i]]->Equals(*want)) {
          return;
        }
      }
      // The plan was built from non-const operators; this pass is part of planning.
      const_cast<TableScanOp*>(scan)->AddRuntimeFilter(RuntimeFilterTarget{&join, cols});
      const_cast<HashJoinOp&>(join).EnableRuntimeFilter();
      return;
    }
    if (dynamic_cast<const FilterOp*>(op) != nullptr) {
      op = op->children.empty() ? nullptr : op->children[0].get();
      continue;
    }
    if (const auto* proj = dynamic_cast<const ProjectionOp*>(op)) {
      for (auto& c : cols) {
        if (c < 0 || c >= static_cast<int>(proj->exprs().size())) return;
        c = proj->exprs()[c]->column_index();
        if (c < 0) return;
      }
      op = op->children.empty() ? nullptr : op->children[0].get();
      continue;
    }
    if (const auto* j = dynamic_cast<const HashJoinOp*>(op)) {
      // Only through the probe side (same pipeline); output = left then right.
      const auto& cfg = j->config();
      const int nl = static_cast<int>(cfg.left_types.size());
      if (op->children.size() != 2) return;
      if (cfg.build_right) {
        for (int c : cols) {
          if (c >= nl) return;
        }
        op = op->children[0].get();
      } else {
        if (j->name() != "HashJoin" && j->name() != "NestedLoopJoin") return;
        bool pairs = cfg.type != plan::JoinType::kSemi && cfg.type != plan::JoinType::kAnti &&
                     cfg.type != plan::JoinType::kMark;
        if (!pairs) return;  // output holds the (build) left side only
        for (auto& c : cols) {
          if (c < nl) return;
          c -= nl;
        }
        op = op->children[1].get();
      }
      continue;
    }
    return;
  }
}

void Walk(const PhysicalOperator& op,
          const std::unordered_map<const PhysicalOperator*, int>& parents,
          std::unordered_map<const PhysicalOperator*, bool>* visited) {
  if ((*visited)[&op]) return;
  (*visited)[&op] = true;
  if (const auto* join = dynamic_cast<const HashJoinOp*>(&op)) {
    if (ProbeRowsNeedMatch(*join) && op.children.size() == 2) {
      const auto& cfg = join->config();
      std::vector<int> cols;
      bool ok = true;
      for (size_t i = 0; i < cfg.probe_keys.size() && ok; ++i) {
        cols.push_back(cfg.probe_keys[i]->column_index());
        ok = cols.back() >= 0;
      }
      if (ok) Trace(*join, op.children[1 - join->build_child()].get(), cols, parents);
    }
  }
  for (const auto& c : op.children) Walk(*c, parents, visited);
}

}  // namespace

void AttachRuntimeFilters(const PhysicalOperator& root) {
  std::unordered_map<const PhysicalOperator*, int> parents;
  parents[&root] = 1;
  CountParents(root, &parents);
  std::unordered_map<const PhysicalOperator*, bool> visited;
  Walk(root, parents, &visited);
}

}  // namespace shoal::exec
