#include "shoal/optimizer/push_down_limits.h"

#include <limits>

#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

int64_t SaturatingAdd(int64_t a, int64_t b) {
  if (a > std::numeric_limits<int64_t>::max() - b) return std::numeric_limits<int64_t>::max();
  return a + b;
}

LogicalOpPtr MakeLimit(const LogicalOpPtr& child, int64_t limit) {
  auto l = std::make_shared<LogicalLimit>();
  l->children = {child};
  l->output = child->output;
  l->limit = limit;
  return l;
}

/// True when `op` already yields at most `n` rows through a Limit (maybe under projections).
bool HasLimitAtMost(const LogicalOpPtr& op, int64_t n) {
  if (op->kind == LogicalOpKind::kProjection) return HasLimitAtMost(op->children[0], n);
  if (op->kind == LogicalOpKind::kTopN) {
    return SaturatingAdd(op->As<LogicalTopN>().limit, op->As<LogicalTopN>().offset) <= n;
  }
  if (op->kind != LogicalOpKind::kLimit) return false;
  const auto& l = op->As<LogicalLimit>();
  return l.limit && SaturatingAdd(*l.limit, l.offset) <= n;
}

LogicalOpPtr Rewrite(LogicalOpPtr op) {
  for (auto& c : op->children) c = Rewrite(c);
  if (op->kind != LogicalOpKind::kLimit) return op;
  auto& lim = op->As<LogicalLimit>();
  if (!lim.limit) return op;
  if (*lim.limit == 0) return MakeEmptyLike(*op);
  LogicalOpPtr child = op->children[0];
  const int64_t needed = SaturatingAdd(*lim.limit, lim.offset);
  switch (child->kind) {
    case LogicalOpKind::kSort: {
      auto topn = std::make_shared<LogicalTopN>();
      topn->keys = child->As<LogicalSort>().keys;
      topn->limit = *lim.limit;
      topn->offset = lim.offset;
      topn->children = child->children;
      topn->output = op->output;
      return topn;
    }
    case LogicalOpKind::kLimit: {
      // LIMIT a OFFSET b over LIMIT c OFFSET d = LIMIT min(a, c - b) OFFSET b + d.
      const auto& inner = child->As<LogicalLimit>();
      auto merged = std::make_shared<LogicalLimit>();
      merged->children = child->children;
      merged->output = op->output;
      merged->offset = SaturatingAdd(lim.offset, inner.offset);
      int64_t l = *lim.limit;
      if (inner.limit) l = std::min(l, std::max<int64_t>(0, *inner.limit - lim.offset));
      merged->limit = l;
      if (l == 0) return MakeEmptyLike(*op);
      return Rewrite(merged);
    }
    case LogicalOpKind::kProjection: {
      // Projection(Limit(x)): projections keep rows one for one.
      for (const auto& e : child->As<LogicalProjection>().exprs) {
        if (HasSideEffectsOrSubquery(e)) return op;
      }
      auto new_limit = op->Clone();
      new_limit->children = {child->children[0]};
      new_limit->output = child->children[0]->output;
      child->children[0] = Rewrite(new_limit);
      return child;
    }
    case LogicalOpKind::kGet: {
      auto& g = child->As<LogicalGet>();
      if (!g.limit || *g.limit > needed) g.limit = needed;
      return op;
    }
    case LogicalOpKind::kSetOperation: {
      const auto& s = child->As<LogicalSetOperation>();
      if (s.op != SetOpKind::kUnion || !s.all) return op;
      for (auto& in : child->children) {
        if (HasLimitAtMost(in, needed)) continue;
        in = Rewrite(MakeLimit(in, needed));
      }
      return op;
    }
    default:
      return op;
  }
}

}  // namespace

Result<bool> PushDownLimits::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  *plan = Rewrite(*plan);
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
