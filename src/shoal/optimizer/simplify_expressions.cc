#include "shoal/optimizer/simplify_expressions.h"

#include <arrow/compute/cast.h>
#include <arrow/compute/exec.h>
#include <arrow/datum.h>
#include <arrow/memory_pool.h>

#include "shoal/function/function_catalog.h"
#include "shoal/optimizer/plan_util.h"

namespace shoal::opt {

using namespace shoal::plan;  // NOLINT

namespace {

bool IsLiteral(const ExprPtr& e) { return e && e->kind == ExprKind::kLiteral; }

const std::shared_ptr<arrow::Scalar>& LiteralValue(const ExprPtr& e) {
  return static_cast<const LiteralExpr&>(*e).value;
}

arrow::compute::ExecContext MakeExecContext() {
  return arrow::compute::ExecContext(arrow::default_memory_pool(), nullptr,
                                     FunctionCatalog::Get().registry());
}

Result<std::shared_ptr<arrow::Scalar>> CastScalar(const std::shared_ptr<arrow::Scalar>& value,
                                                  const std::shared_ptr<arrow::DataType>& to) {
  if (value->type->Equals(*to)) return value;
  auto ctx = MakeExecContext();
  ARROW_ASSIGN_OR_RAISE(auto d, arrow::compute::Cast(arrow::Datum(value),
                                                     arrow::compute::CastOptions::Safe(to), &ctx));
  if (!d.is_scalar()) return Status::Invalid("cast did not produce a scalar");
  return d.scalar();
}

/// Evaluate a call whose arguments are all literals.
Result<std::shared_ptr<arrow::Scalar>> EvalCall(const CallExpr& call) {
  auto ctx = MakeExecContext();
  std::vector<arrow::Datum> args;
  for (const auto& a : call.args) args.emplace_back(LiteralValue(a));
  ARROW_ASSIGN_OR_RAISE(auto d, arrow::compute::CallFunction(call.function, args,
                                                             call.options.get(), &ctx));
  if (!d.is_scalar()) return Status::Invalid("folding did not produce a scalar");
  return CastScalar(d.scalar(), call.type);
}

int IntWidth(arrow::Type::type id) {
  switch (id) {
    case arrow::Type::INT8: case arrow::Type::UINT8: return 8;
    case arrow::Type::INT16: case arrow::Type::UINT16: return 16;
    case arrow::Type::INT32: case arrow::Type::UINT32: return 32;
    case arrow::Type::INT64: case arrow::Type::UINT64: return 64;
    default: return 0;
  }
}

bool IsSigned(arrow::Type::type id) {
  return id == arrow::Type::INT8 || id == arrow::Type::INT16 || id == arrow::Type::INT32 ||
         id == arrow::Type::INT64;
}

int IntDigits(int width) { return width == 8 ? 3 : width == 16 ? 5 : width == 32 ? 10 : 20; }

/// Return true when CAST(from -> to) is injective and order preserving, so a
/// comparison on the cast value equals the comparison on the original value.
bool IsOrderPreservingCast(const arrow::DataType& from, const arrow::DataType& to) {
  int fw = IntWidth(from.id());
  int tw = IntWidth(to.id());
  if (fw && tw) {
    bool fs = IsSigned(from.id()), ts = IsSigned(to.id());
    if (fs == ts) return tw >= fw;
    return !fs && ts && tw > fw;  // unsigned -> wider signed
  }
  if (fw && to.id() == arrow::Type::DOUBLE) return fw <= 32;
  if (fw && to.id() == arrow::Type::FLOAT) return fw <= 16;
  if (from.id() == arrow::Type::FLOAT && to.id() == arrow::Type::DOUBLE) return true;
  if (to.id() == arrow::Type::DECIMAL128 || to.id() == arrow::Type::DECIMAL256) {
    const auto& td = static_cast<const arrow::DecimalType&>(to);
    if (fw) return td.precision() - td.scale() >= IntDigits(fw);
    if (from.id() == arrow::Type::DECIMAL128 || from.id() == arrow::Type::DECIMAL256) {
      const auto& fd = static_cast<const arrow::DecimalType&>(from);
      return td.scale() >= fd.scale() && td.precision() - td.scale() >= fd.precision() - fd.scale();
    }
    return false;
  }
  if (from.id() == arrow::Type::DATE32 && to.id() == arrow::Type::DATE64) return true;
  if (from.id() == arrow::Type::DATE32 && to.id() == arrow::Type::TIMESTAMP) {
    return static_cast<const arrow::TimestampType&>(to).timezone().empty();
  }
  auto is_str = [](arrow::Type::type id) {
    return id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING;
  };
  return is_str(from.id()) && is_str(to.id());
}

/// CAST(x AS T2) <cmp> lit -> x <cmp> lit::T1 when exact; null when not applicable.
ExprPtr UnwrapCastComparison(const CallExpr& call) {
  for (int side = 0; side < 2; ++side) {
    const ExprPtr& c = call.args[side];
    const ExprPtr& lit = call.args[1 - side];
    if (c->kind != ExprKind::kCast || !IsLiteral(lit) || !LiteralValue(lit)->is_valid) continue;
    const auto& cast = static_cast<const CastExpr&>(*c);
    const auto& from = cast.arg->type;
    if (!IsOrderPreservingCast(*from, *cast.type)) continue;
    auto narrowed = CastScalar(LiteralValue(lit), from);
    if (!narrowed.ok()) continue;
    auto back = CastScalar(*narrowed, cast.type);
    if (!back.ok() || !(*back)->Equals(*LiteralValue(lit))) continue;
    std::vector<ExprPtr> args = call.args;
    args[side] = cast.arg;
    args[1 - side] = MakeLiteral(*narrowed);
    return call.WithChildren(std::move(args));
  }
  return nullptr;
}

bool IsFloating(const std::shared_ptr<arrow::DataType>& t) {
  return arrow::is_floating(t->id());
}

void SplitDisjunction(const ExprPtr& e, std::vector<ExprPtr>* out) {
  const CallExpr* call = AsCall(e);
  if (call && call->function == "or_kleene" && call->args.size() == 2) {
    SplitDisjunction(call->args[0], out);
    SplitDisjunction(call->args[1], out);
    return;
  }
  out->push_back(e);
}

ExprPtr MakeOr(const ExprPtr& a, const ExprPtr& b) {
  auto e = std::make_shared<CallExpr>("or_kleene", std::vector<ExprPtr>{a, b}, arrow::boolean(),
                                      nullptr, "OR");
  e->nullable = a->nullable || b->nullable;
  return e;
}

/// (A AND B) OR (A AND C) -> A AND (B OR C); (A) OR (A AND B) -> A. Both hold in
/// three-valued logic. Null when nothing is common.
ExprPtr FactorDisjunction(const ExprPtr& expr) {
  std::vector<ExprPtr> disjuncts;
  SplitDisjunction(expr, &disjuncts);
  if (disjuncts.size() < 2) return nullptr;
  std::vector<std::vector<ExprPtr>> terms(disjuncts.size());
  for (size_t i = 0; i < disjuncts.size(); ++i) SplitConjunction(disjuncts[i], &terms[i]);
  auto contains = [](const std::vector<ExprPtr>& v, const ExprPtr& e) {
    for (const auto& x : v) {
      if (ExprEquals(x, e)) return true;
    }
    return false;
  };
  std::vector<ExprPtr> common;
  for (const auto& t : terms[0]) {
    if (HasSideEffectsOrSubquery(t) || contains(common, t)) continue;
    bool everywhere = true;
    for (size_t i = 1; i < terms.size() && everywhere; ++i) everywhere = contains(terms[i], t);
    if (everywhere) common.push_back(t);
  }
  if (common.empty()) return nullptr;
  ExprPtr rest_or;
  bool absorbed = false;
  for (const auto& ts : terms) {
    std::vector<ExprPtr> rest;
    for (const auto& t : ts) {
      if (!contains(common, t)) rest.push_back(t);
    }
    if (rest.empty()) {
      absorbed = true;
      break;
    }
    ExprPtr conj = MakeConjunction(rest);
    rest_or = rest_or ? MakeOr(rest_or, conj) : conj;
  }
  std::vector<ExprPtr> out = common;
  if (!absorbed) out.push_back(rest_or);
  return MakeConjunction(out);
}

Result<ExprPtr> SimplifyCall(const ExprPtr& expr) {
  const auto& call = static_cast<const CallExpr&>(*expr);
  const std::string& fn = call.function;
  bool all_literal = !call.args.empty() && !call.volatile_;
  for (const auto& a : call.args) all_literal = all_literal && IsLiteral(a);
  if (all_literal) {
    auto folded = EvalCall(call);
    if (folded.ok()) return MakeLiteral(*folded);
    // Leave it: the error must only surface if the expression is evaluated.
  }
  if ((fn == "and_kleene" || fn == "and") && call.args.size() == 2) {
    const auto& a = call.args[0];
    const auto& b = call.args[1];
    if (fn == "and_kleene" && (IsBoolLiteral(a, false) || IsBoolLiteral(b, false))) {
      return MakeBoolLiteral(false);
    }
    if (IsBoolLiteral(a, true)) return b;
    if (IsBoolLiteral(b, true)) return a;
    if (!HasSideEffectsOrSubquery(a) && ExprEquals(a, b)) return a;
  }
  if ((fn == "or_kleene" || fn == "or") && call.args.size() == 2) {
    const auto& a = call.args[0];
    const auto& b = call.args[1];
    if (fn == "or_kleene" && (IsBoolLiteral(a, true) || IsBoolLiteral(b, true))) {
      return MakeBoolLiteral(true);
    }
    if (IsBoolLiteral(a, false)) return b;
    if (IsBoolLiteral(b, false)) return a;
    if (!HasSideEffectsOrSubquery(a) && ExprEquals(a, b)) return a;
    if (fn == "or_kleene") {
      if (auto factored = FactorDisjunction(expr)) return factored;
    }
  }
  if (fn == "invert" && call.args.size() == 1) {
    const auto* inner = AsCall(call.args[0]);
    if (inner && inner->function == "invert" && inner->args.size() == 1 &&
        inner->args[0]->type->id() == arrow::Type::BOOL) {
      return inner->args[0];
    }
  }
  if (IsComparison(fn) && call.args.size() == 2) {
    if (IsNullLiteral(call.args[0]) || IsNullLiteral(call.args[1])) {
      return MakeNullLiteral(arrow::boolean());
    }
    const auto& a = call.args[0];
    if ((fn == "equal" || fn == "less_equal" || fn == "greater_equal") && !a->nullable &&
        !call.args[1]->nullable && !IsFloating(a->type) && !HasSideEffectsOrSubquery(a) &&
        ExprEquals(a, call.args[1])) {
      return MakeBoolLiteral(true);
    }
    if (auto unwrapped = UnwrapCastComparison(call)) return unwrapped;
  }
  if ((fn == "is_null" || fn == "is_valid") && call.args.size() == 1 && !call.args[0]->nullable &&
      !HasSideEffectsOrSubquery(call.args[0])) {
    return MakeBoolLiteral(fn == "is_valid");
  }
  return expr;
}

Result<ExprPtr> SimplifyCase(const ExprPtr& expr) {
  const auto& c = static_cast<const CaseExpr&>(*expr);
  std::vector<std::pair<ExprPtr, ExprPtr>> kept;
  bool changed = false;
  for (const auto& [w, t] : c.when_then) {
    if (IsBoolLiteral(w, false) || IsNullLiteral(w)) {
      changed = true;
      continue;
    }
    if (IsBoolLiteral(w, true)) {
      if (kept.empty()) return t;  // first reachable branch always taken
      auto out = std::make_shared<CaseExpr>(c);
      out->when_then = std::move(kept);
      out->else_expr = t;
      return out;
    }
    kept.push_back({w, t});
  }
  if (kept.empty()) return c.else_expr;
  if (!changed) return expr;
  auto out = std::make_shared<CaseExpr>(c);
  out->when_then = std::move(kept);
  return out;
}

Result<LogicalOpPtr> SimplifyPlan(LogicalOpPtr op);

Result<ExprPtr> SimplifyNode(const ExprPtr& expr) {
  switch (expr->kind) {
    case ExprKind::kCall:
      return SimplifyCall(expr);
    case ExprKind::kCast: {
      const auto& cast = static_cast<const CastExpr&>(*expr);
      if (cast.arg->type->Equals(*cast.type)) return cast.arg;
      if (IsLiteral(cast.arg)) {
        auto folded = CastScalar(LiteralValue(cast.arg), cast.type);
        if (folded.ok()) return MakeLiteral(*folded);
        if (cast.try_cast) return MakeNullLiteral(cast.type);
      }
      return expr;
    }
    case ExprKind::kCase:
      return SimplifyCase(expr);
    case ExprKind::kSubquery: {
      auto sub = std::make_shared<SubqueryExpr>(static_cast<const SubqueryExpr&>(*expr));
      ARROW_ASSIGN_OR_RAISE(sub->plan, SimplifyPlan(sub->plan));
      return sub;
    }
    default:
      return expr;
  }
}

/// Simplify a list of conjuncts: split, simplify, drop true, deduplicate.
/// Return true in *always_false when a term is false or NULL.
Result<std::vector<ExprPtr>> SimplifyConjuncts(const std::vector<ExprPtr>& conds,
                                               bool* always_false) {
  *always_false = false;
  std::vector<ExprPtr> terms;
  SplitAll(conds, &terms);
  std::vector<ExprPtr> out;
  for (const auto& t : terms) {
    ARROW_ASSIGN_OR_RAISE(auto s, SimplifyExpr(t));
    std::vector<ExprPtr> parts;
    SplitConjunction(s, &parts);
    for (auto& p : parts) {
      if (IsBoolLiteral(p, true)) continue;
      if (IsBoolLiteral(p, false) || IsNullLiteral(p)) *always_false = true;
      bool dup = false;
      for (const auto& o : out) {
        if (!HasSideEffectsOrSubquery(p) && ExprEquals(o, p)) dup = true;
      }
      if (!dup) out.push_back(std::move(p));
    }
  }
  return out;
}

Result<LogicalOpPtr> SimplifyPlan(LogicalOpPtr op) {
  for (auto& c : op->children) {
    ARROW_ASSIGN_OR_RAISE(c, SimplifyPlan(c));
  }
  switch (op->kind) {
    case LogicalOpKind::kFilter: {
      auto& f = op->As<LogicalFilter>();
      bool always_false = false;
      ARROW_ASSIGN_OR_RAISE(f.conditions, SimplifyConjuncts(f.conditions, &always_false));
      if (always_false) return MakeEmptyLike(*op);
      if (f.conditions.empty()) return op->children[0];
      return op;
    }
    case LogicalOpKind::kJoin: {
      auto& j = op->As<LogicalJoin>();
      bool always_false = false;
      ARROW_ASSIGN_OR_RAISE(j.conditions, SimplifyConjuncts(j.conditions, &always_false));
      if (always_false) {
        if (j.join_type == JoinType::kInner || j.join_type == JoinType::kSemi) {
          return MakeEmptyLike(*op);
        }
        if (j.join_type == JoinType::kAnti) return op->children[0];
        j.conditions = {MakeBoolLiteral(false)};
      }
      return op;
    }
    case LogicalOpKind::kGet: {
      auto& g = op->As<LogicalGet>();
      bool always_false = false;
      ARROW_ASSIGN_OR_RAISE(g.filters, SimplifyConjuncts(g.filters, &always_false));
      return op;
    }
    default:
      ARROW_RETURN_NOT_OK(MapExpressions(op.get(), SimplifyExpr));
      return op;
  }
}

}  // namespace

Result<ExprPtr> SimplifyExpr(const ExprPtr& expr) { return TransformUp(expr, SimplifyNode); }

Result<bool> SimplifyExpressions::Apply(LogicalOpPtr* plan, OptimizerContext& ctx) const {
  std::string before = PlanDigest(*plan);
  ARROW_ASSIGN_OR_RAISE(*plan, SimplifyPlan(*plan));
  return PlanDigest(*plan) != before;
}

}  // namespace shoal::opt
