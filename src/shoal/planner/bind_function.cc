// Binding of function calls: scalar functions, aggregates (with DISTINCT,
// FILTER, ORDER BY) and window functions (OVER, named windows, frames).
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/planner/binder_internal.h"

namespace shoal::binder_internal {

namespace {

std::vector<ScalarArg> ToScalarArgs(const std::vector<ExprPtr>& args) {
  std::vector<ScalarArg> out;
  for (const auto& a : args) {
    ScalarArg sa;
    sa.type = a->type;
    if (a->kind == plan::ExprKind::kLiteral) {
      sa.literal = static_cast<const plan::LiteralExpr&>(*a).value;
    }
    out.push_back(std::move(sa));
  }
  return out;
}

/// Drop trailing constant arguments a catalog binding folded into its options.
Status DropFoldedArgs(const std::string& name, size_t kept, std::vector<ExprPtr>* args) {
  if (kept >= args->size()) return Status::OK();
  for (size_t i = kept; i < args->size(); ++i) {
    if ((*args)[i]->kind != plan::ExprKind::kLiteral) {
      return Status::Invalid("internal error: binding for '", name, "' dropped argument ", i + 1,
                             " which is not a constant");
    }
  }
  args->resize(kept);
  return Status::OK();
}

plan::FrameBoundKind ToPlan(ast::FrameBoundKind k) {
  switch (k) {
    case ast::FrameBoundKind::kUnboundedPreceding: return plan::FrameBoundKind::kUnboundedPreceding;
    case ast::FrameBoundKind::kPreceding: return plan::FrameBoundKind::kPreceding;
    case ast::FrameBoundKind::kCurrentRow: return plan::FrameBoundKind::kCurrentRow;
    case ast::FrameBoundKind::kFollowing: return plan::FrameBoundKind::kFollowing;
    case ast::FrameBoundKind::kUnboundedFollowing: return plan::FrameBoundKind::kUnboundedFollowing;
  }
  return plan::FrameBoundKind::kCurrentRow;
}

}  // namespace

Result<ExprPtr> QueryBinder::BindFunction(const ast::FunctionExpr& fn, ExprContext& ctx) {
  if (fn.name.parts.empty()) return Error(fn.loc, "malformed function call");
  // Function names are case-insensitive; a schema qualifier is ignored.
  std::string name = ToLower(fn.name.parts.back().name);
  const FunctionCatalog& catalog = Functions();

  if (fn.over) return BindWindowCall(fn, name, ctx);

  if (name == "grouping") {
    if (!ctx.allow_aggregates || ctx.in_aggregate) {
      return Error(fn.loc, std::string("GROUPING() is not allowed in ") + ctx.clause);
    }
    if (fn.args.empty()) return Error(fn.loc, "GROUPING() needs at least one argument");
    std::vector<ExprPtr> args;
    ExprContext sub = ctx;
    sub.allow_aggregates = false;
    sub.allow_windows = false;
    for (const auto& a : fn.args) {
      ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(a.get(), sub));
      args.push_back(std::move(e));
    }
    // Replaced by bit arithmetic over the grouping id once the groups are known
    // (bind_aggregate.cc).
    auto call = std::make_shared<plan::CallExpr>(kGroupingPlaceholder, std::move(args),
                                                 arrow::int32(), nullptr, "grouping");
    call->nullable = false;
    return call;
  }

  if (catalog.IsAggregate(name)) return BindAggregateCall(fn, name, ctx);

  if (!catalog.IsScalar(name)) {
    if (catalog.IsWindow(name)) {
      return Error(fn.loc, "window function '" + name + "' requires an OVER clause");
    }
    std::string msg = "function '" + name + "' not found";
    auto close = ClosestMatches(name, catalog.AllNames());
    if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
    return Error(fn.loc, msg);
  }
  if (fn.distinct || fn.star || !fn.order_by.empty() || fn.filter || fn.ignore_nulls) {
    return Error(fn.loc, "DISTINCT, *, ORDER BY, FILTER and IGNORE NULLS are only allowed "
                         "for aggregate or window functions, not for '" + name + "'");
  }
  std::vector<ExprPtr> args;
  for (const auto& a : fn.args) {
    ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(a.get(), ctx));
    args.push_back(std::move(e));
  }
  return MakeCall(name, std::move(args), name, fn.loc, &fn);
}

Result<ExprPtr> QueryBinder::BindAggregateCall(const ast::FunctionExpr& fn,
                                               const std::string& name, ExprContext& ctx) {
  if (!ctx.allow_aggregates) {
    return Error(fn.loc, "aggregate function '" + name + "' is not allowed in " +
                             std::string(ctx.clause));
  }
  if (ctx.in_aggregate) {
    return Error(fn.loc, "aggregate function calls cannot be nested ('" + name +
                             "' inside another aggregate)");
  }
  ExprContext sub = ctx;
  sub.in_aggregate = true;
  sub.allow_windows = false;
  std::vector<ExprPtr> args;
  if (fn.star) {
    if (name != "count") return Error(fn.loc, "only count accepts *, not '" + name + "'");
    if (fn.distinct) return Error(fn.loc, "count(DISTINCT *) is not supported");
  } else {
    for (const auto& a : fn.args) {
      if (a && a->kind == ast::ExprKind::kStar) {
        if (name == "count" && fn.args.size() == 1 && !fn.distinct) break;  // count(*)
        return Error(a->loc, "* is only allowed in count(*)");
      }
      ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(a.get(), sub));
      args.push_back(std::move(e));
    }
  }
  auto bound = Functions().BindAggregate(name, ToScalarArgs(args), fn.distinct);
  if (!bound.ok()) {
    return Error(fn.loc, bound.status().message() + " in '" + ExpressionDisplayName(fn) + "'");
  }
  // Constant trailing arguments (string_agg's separator) may be folded into options.
  ARROW_RETURN_NOT_OK(DropFoldedArgs(name, bound->arg_types.size(), &args));
  if (bound->arg_types.size() != args.size()) {
    return Status::Invalid("internal error: aggregate binding for '", name,
                           "' returned ", bound->arg_types.size(), " argument types for ",
                           args.size(), " arguments");
  }
  for (size_t i = 0; i < args.size(); ++i) args[i] = CastTo(args[i], bound->arg_types[i]);
  auto agg = std::make_shared<plan::AggregateExpr>(bound->name.empty() ? name : bound->name,
                                                   std::move(args), bound->return_type);
  agg->distinct = fn.distinct;
  agg->options = bound->options;
  agg->nullable = !(name == "count" || name == "count_star");
  if (fn.filter) {
    ARROW_ASSIGN_OR_RAISE(auto filter, BindExpr(fn.filter.get(), sub));
    if (filter->type->id() == arrow::Type::NA) filter = CastTo(filter, arrow::boolean());
    if (filter->type->id() != arrow::Type::BOOL) {
      return Error(fn.filter->loc, "FILTER condition must be boolean, not " +
                                       TypeToSql(filter->type));
    }
    agg->filter = std::move(filter);
  }
  if (!fn.order_by.empty()) {
    ARROW_ASSIGN_OR_RAISE(agg->order_by, BindSortKeys(fn.order_by, sub));
  }
  if (fn.ignore_nulls) {
    return Error(fn.loc, "IGNORE NULLS is only allowed for window functions");
  }
  return agg;
}

Result<ExprPtr> QueryBinder::BindWindowCall(const ast::FunctionExpr& fn,
                                            const std::string& name, ExprContext& ctx) {
  if (!ctx.allow_windows) {
    return Error(fn.loc, "window function '" + name + "' is not allowed in " +
                             std::string(ctx.clause));
  }
  if (ctx.in_window || ctx.in_aggregate) {
    return Error(fn.loc, "window function calls cannot be nested ('" + name + "')");
  }
  const FunctionCatalog& catalog = Functions();
  bool is_window = catalog.IsWindow(name);
  bool is_aggregate = catalog.IsAggregate(name);
  if (!is_window && !is_aggregate) {
    std::string msg = "window function '" + name + "' not found";
    if (catalog.IsScalar(name)) {
      msg = "'" + name + "' is not an aggregate or window function and cannot have OVER";
    } else {
      auto close = ClosestMatches(name, catalog.AllNames());
      if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
    }
    return Error(fn.loc, msg);
  }

  // Resolve the window specification (OVER w / OVER (w ORDER BY ...)).
  const ast::WindowSpec& spec = *fn.over;
  const ast::WindowSpec* base = nullptr;
  if (spec.name) {
    std::string wname = Fold(*spec.name);
    if (ctx.named_windows) {
      for (const auto& nw : *ctx.named_windows) {
        if (Fold(nw.name) == wname && nw.spec) base = nw.spec.get();
      }
    }
    if (!base) return Error(spec.name->loc, "window '" + spec.name->name + "' is not defined");
    if (base->name) {
      return Error(spec.name->loc, "window definitions referencing other windows are not "
                                   "supported");
    }
    if (!spec.partition_by.empty()) {
      return Error(spec.loc, "cannot override PARTITION BY of window '" + spec.name->name + "'");
    }
    if (!spec.order_by.empty() && !base->order_by.empty()) {
      return Error(spec.loc, "cannot override ORDER BY of window '" + spec.name->name + "'");
    }
  }
  const auto& partition_src = base ? base->partition_by : spec.partition_by;
  const auto& order_src = (base && spec.order_by.empty()) ? base->order_by : spec.order_by;
  const std::optional<ast::WindowFrame>& frame_src =
      spec.frame ? spec.frame : (base ? base->frame : spec.frame);

  ExprContext sub = ctx;
  sub.in_window = true;
  sub.allow_windows = false;
  std::vector<ExprPtr> args;
  if (!fn.star) {
    for (const auto& a : fn.args) {
      if (a && a->kind == ast::ExprKind::kStar && name == "count" && fn.args.size() == 1) break;
      ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(a.get(), sub));
      args.push_back(std::move(e));
    }
  }
  DataTypePtr type;
  std::vector<DataTypePtr> arg_types;
  std::shared_ptr<arrow::compute::FunctionOptions> options;
  std::string canonical = name;
  if (is_window) {
    if (fn.distinct) return Error(fn.loc, "DISTINCT is not allowed for '" + name + "'");
    auto bound = catalog.BindWindow(name, ToScalarArgs(args));
    if (!bound.ok()) {
      return Error(fn.loc, bound.status().message() + " in '" + ExpressionDisplayName(fn) + "'");
    }
    type = bound->return_type;
    arg_types = bound->arg_types;
    if (!bound->name.empty()) canonical = bound->name;
  } else {
    auto bound = catalog.BindAggregate(name, ToScalarArgs(args), fn.distinct);
    if (!bound.ok()) {
      return Error(fn.loc, bound.status().message() + " in '" + ExpressionDisplayName(fn) + "'");
    }
    type = bound->return_type;
    arg_types = bound->arg_types;
    options = bound->options;
    if (!bound->name.empty()) canonical = bound->name;
  }
  ARROW_RETURN_NOT_OK(DropFoldedArgs(name, arg_types.size(), &args));
  if (arg_types.size() != args.size()) {
    return Status::Invalid("internal error: window binding for '", name, "' returned ",
                           arg_types.size(), " argument types for ", args.size(),
                           " arguments");
  }
  for (size_t i = 0; i < args.size(); ++i) args[i] = CastTo(args[i], arg_types[i]);

  auto w = std::make_shared<plan::WindowExpr>(canonical, std::move(args), type);
  w->distinct = fn.distinct;
  w->ignore_nulls = fn.ignore_nulls;
  w->nullable = !(name == "count" || name == "row_number" || name == "rank" ||
                  name == "dense_rank" || name == "percent_rank" || name == "cume_dist" ||
                  name == "ntile");
  if (fn.filter) {
    ARROW_ASSIGN_OR_RAISE(auto filter, BindExpr(fn.filter.get(), sub));
    if (filter->type->id() != arrow::Type::BOOL) {
      return Error(fn.filter->loc, "FILTER condition must be boolean, not " +
                                       TypeToSql(filter->type));
    }
    w->filter = std::move(filter);
  }
  if (!fn.order_by.empty()) {
    return Error(fn.loc, "ORDER BY inside the arguments of window function '" + name +
                             "' is not supported; use OVER (ORDER BY ...)");
  }
  for (const auto& p : partition_src) {
    ARROW_ASSIGN_OR_RAISE(auto e, BindExpr(p.get(), sub));
    w->partition_by.push_back(std::move(e));
  }
  ARROW_ASSIGN_OR_RAISE(w->order_by, BindSortKeys(order_src, sub));

  if (frame_src) {
    const ast::WindowFrame& f = *frame_src;
    w->has_frame = true;
    w->frame.unit = f.unit == ast::FrameUnit::kRows    ? plan::FrameUnit::kRows
                    : f.unit == ast::FrameUnit::kRange ? plan::FrameUnit::kRange
                                                       : plan::FrameUnit::kGroups;
    if (f.start.kind == ast::FrameBoundKind::kUnboundedFollowing) {
      return Error(spec.loc, "frame start cannot be UNBOUNDED FOLLOWING");
    }
    if (f.end.kind == ast::FrameBoundKind::kUnboundedPreceding) {
      return Error(spec.loc, "frame end cannot be UNBOUNDED PRECEDING");
    }
    auto bind_bound = [&](const ast::FrameBound& b, plan::FrameBound* out) -> Status {
      out->kind = ToPlan(b.kind);
      out->offset = nullptr;
      if (b.kind == ast::FrameBoundKind::kPreceding ||
          b.kind == ast::FrameBoundKind::kFollowing) {
        if (!b.offset) return Error(spec.loc, "frame PRECEDING/FOLLOWING needs an offset");
        Scope empty;
        ExprContext cctx;
        cctx.scope = &empty;
        cctx.clause = "window frame offset";
        ARROW_ASSIGN_OR_RAISE(auto off, BindExpr(b.offset.get(), cctx));
        if (!plan::IsConstant(off)) {
          return Error(b.offset->loc, "window frame offset must be a constant");
        }
        if (w->frame.unit != plan::FrameUnit::kRange && !arrow::is_integer(off->type->id())) {
          return Error(b.offset->loc, "ROWS/GROUPS frame offset must be an integer, not " +
                                          TypeToSql(off->type));
        }
        if (off->kind == plan::ExprKind::kLiteral) {
          const auto& v = static_cast<const plan::LiteralExpr&>(*off).value;
          if (!v->is_valid) return Error(b.offset->loc, "window frame offset must not be NULL");
          if (arrow::is_integer(v->type->id())) {
            auto as64 = v->CastTo(arrow::int64());
            if (as64.ok() &&
                std::static_pointer_cast<arrow::Int64Scalar>(*as64)->value < 0) {
              return Error(b.offset->loc, "window frame offset must not be negative");
            }
          }
        }
        out->offset = std::move(off);
      }
      return Status::OK();
    };
    ARROW_RETURN_NOT_OK(bind_bound(f.start, &w->frame.start));
    ARROW_RETURN_NOT_OK(bind_bound(f.end, &w->frame.end));
    if (w->frame.unit == plan::FrameUnit::kRange && w->order_by.size() != 1 &&
        (w->frame.start.offset || w->frame.end.offset)) {
      return Error(spec.loc, "RANGE with an offset needs exactly one ORDER BY column");
    }
  } else {
    w->has_frame = false;
    w->frame.unit = plan::FrameUnit::kRange;
    w->frame.start = {plan::FrameBoundKind::kUnboundedPreceding, nullptr};
    w->frame.end = w->order_by.empty()
                       ? plan::FrameBound{plan::FrameBoundKind::kUnboundedFollowing, nullptr}
                       : plan::FrameBound{plan::FrameBoundKind::kCurrentRow, nullptr};
  }
  return w;
}

}  // namespace shoal::binder_internal
