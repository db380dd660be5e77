#include "shoal/execution/expression_evaluator.h"

#include <algorithm>

#include <arrow/array/array_nested.h>
#include <arrow/array/builder_base.h>
#include <arrow/array/concatenate.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>
#include <arrow/compute/api_scalar.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/cast.h>
#include <arrow/compute/function.h>
#include <arrow/compute/registry.h>
#include <arrow/scalar.h>

#include "shoal/common/memory_pool.h"

namespace shoal::exec {

using arrow::Datum;
namespace cp = arrow::compute;

ColumnLayout MakeLayout(const std::vector<plan::OutputColumn>& columns) {
  ColumnLayout layout;
  for (size_t i = 0; i < columns.size(); ++i) layout[columns[i].id] = static_cast<int>(i);
  return layout;
}

ColumnLayout MakeLayout(const std::vector<plan::OutputColumn>& left,
                        const std::vector<plan::OutputColumn>& right) {
  ColumnLayout layout = MakeLayout(left);
  for (size_t i = 0; i < right.size(); ++i) {
    layout[right[i].id] = static_cast<int>(left.size() + i);
  }
  return layout;
}

struct ExprEvaluator::Node {
  plan::ExprKind kind = plan::ExprKind::kLiteral;
  std::shared_ptr<arrow::DataType> type;
  int column = -1;
  std::shared_ptr<arrow::Scalar> literal;
  const cp::Function* function = nullptr;
  std::string function_name;
  std::shared_ptr<cp::FunctionOptions> options;
  std::vector<int> args;  ///< child nodes (case: w1, t1, ..., else)
  bool try_cast = false;
  bool may_error = false;  ///< the subtree contains calls or casts
};

ExprEvaluator::ExprEvaluator() = default;
ExprEvaluator::~ExprEvaluator() = default;

namespace {

Status Unsupported(const plan::Expr& e, const char* what) {
  return Status::Invalid("internal error: ", what, " left in an expression at execution: ",
                         e.ToString());
}

}  // namespace

Result<int> ExprEvaluator::Compile(const plan::ExprPtr& expr, const ColumnLayout& layout,
                                   cp::FunctionRegistry* registry) {
  if (expr == nullptr) return Status::Invalid("internal error: null expression");
  // Reuse an equal sub-expression compiled before (common subexpressions).
  bool memoizable = expr->kind != plan::ExprKind::kCall ||
                    !static_cast<const plan::CallExpr&>(*expr).volatile_;
  std::string memo_key;
  if (memoizable) {
    memo_key = std::to_string(static_cast<int>(expr->kind)) + "|" + expr->ToString() + "|" +
               (expr->type ? expr->type->ToString() : "?");
    auto it = memo_.find(memo_key);
    if (it != memo_.end()) return it->second;
  }
  Node node;
  node.kind = expr->kind;
  node.type = expr->type;
  bool all_const = true;
  bool is_volatile = false;
  auto add_child = [&](const plan::ExprPtr& child) -> Status {
    ARROW_ASSIGN_OR_RAISE(int id, Compile(child, layout, registry));
    node.args.push_back(id);
    if (nodes_[id].kind != plan::ExprKind::kLiteral) all_const = false;
    if (nodes_[id].may_error) node.may_error = true;
    return Status::OK();
  };
  switch (expr->kind) {
    case plan::ExprKind::kColumnRef: {
      const auto& ref = static_cast<const plan::ColumnRefExpr&>(*expr);
      auto it = layout.find(ref.id);
      if (it == layout.end()) {
        return Status::Invalid("internal error: column ", ref.name, "@", ref.id,
                               " is not produced by the operator's input");
      }
      node.column = it->second;
      all_const = false;
      break;
    }
    case plan::ExprKind::kLiteral: {
      node.literal = static_cast<const plan::LiteralExpr&>(*expr).value;
      if (node.literal == nullptr) return Status::Invalid("internal error: null literal value");
      break;
    }
    case plan::ExprKind::kCall: {
      const auto& call = static_cast<const plan::CallExpr&>(*expr);
      ARROW_ASSIGN_OR_RAISE(auto fn, registry->GetFunction(call.function));
      node.function = fn.get();  // registry keeps functions alive
      node.function_name = call.function;
      node.options = call.options;
      node.may_error = true;
      is_volatile = call.volatile_ || !fn->is_pure();
      if (is_volatile || fn->kind() != cp::Function::SCALAR) elementwise_ = false;
      for (const auto& a : call.args) ARROW_RETURN_NOT_OK(add_child(a));
      if (call.args.empty()) all_const = false;
      break;
    }
    case plan::ExprKind::kCast: {
      const auto& cast = static_cast<const plan::CastExpr&>(*expr);
      node.try_cast = cast.try_cast;
      node.may_error = !cast.try_cast;
      ARROW_RETURN_NOT_OK(add_child(cast.arg));
      break;
    }
    case plan::ExprKind::kCase: {
      const auto& c = static_cast<const plan::CaseExpr&>(*expr);
      for (const auto& [w, t] : c.when_then) {
        ARROW_RETURN_NOT_OK(add_child(w));
        ARROW_RETURN_NOT_OK(add_child(t));
      }
      if (c.else_expr) {
        ARROW_RETURN_NOT_OK(add_child(c.else_expr));
      } else {
        ARROW_ASSIGN_OR_RAISE(int id, Compile(plan::MakeNullLiteral(expr->type), layout,
                                              registry));
        node.args.push_back(id);
      }
      break;
    }
    case plan::ExprKind::kAggregate:
      return Unsupported(*expr, "an aggregate");
    case plan::ExprKind::kWindow:
      return Unsupported(*expr, "a window function");
    case plan::ExprKind::kSubquery:
      return Unsupported(*expr, "a subquery");
  }
  nodes_.push_back(std::move(node));
  int id = static_cast<int>(nodes_.size()) - 1;
  // Fold constant sub-expressions (errors are kept for run time: the expression
  // may never be evaluated on any row).
  if (expr->kind != plan::ExprKind::kLiteral && expr->kind != plan::ExprKind::kColumnRef &&
      all_const && !is_volatile) {
    auto state = MakeState();
    cp::ExecContext ctx(EngineMemoryPool(), nullptr, registry);
    Chunk one;
    one.length = 1;
    auto r = Eval(id, one, state.get(), &ctx);
    if (r.ok()) {
      std::shared_ptr<arrow::Scalar> value;
      if (r->is_scalar()) {
        value = r->scalar();
      } else if (r->is_array() && r->length() == 1) {
        auto s = r->make_array()->GetScalar(0);
        if (s.ok()) value = *s;
      }
      if (value != nullptr && value->type->Equals(*nodes_[id].type)) {
        Node lit;
        lit.kind = plan::ExprKind::kLiteral;
        lit.type = nodes_[id].type;
        lit.literal = value;
        nodes_[id] = std::move(lit);
      }
    }
  }
  if (memoizable && nodes_[id].function != nullptr) {
    // Memoize only when the function is pure (volatile ones were excluded above).
    if (!nodes_[id].function->is_pure()) return id;
  }
  if (memoizable) memo_[memo_key] = id;
  return id;
}

Result<std::shared_ptr<const ExprEvaluator>> ExprEvaluator::Make(
    const plan::ExprPtr& expr, const ColumnLayout& layout, cp::FunctionRegistry* registry) {
  auto ev = std::make_shared<ExprEvaluator>();
  ARROW_ASSIGN_OR_RAISE(ev->root_, ev->Compile(expr, layout, registry));
  ev->roots_ = {ev->root_};
  ev->memo_.clear();
  ev->text_ = expr->ToString();
  return std::const_pointer_cast<const ExprEvaluator>(ev);
}

Result<std::shared_ptr<const ExprEvaluator>> ExprEvaluator::MakeMulti(
    const std::vector<plan::ExprPtr>& exprs, const ColumnLayout& layout,
    cp::FunctionRegistry* registry) {
  auto ev = std::make_shared<ExprEvaluator>();
  for (const auto& e : exprs) {
    ARROW_ASSIGN_OR_RAISE(int id, ev->Compile(e, layout, registry));
    ev->roots_.push_back(id);
    ev->text_ += (ev->text_.empty() ? "" : ", ") + e->ToString();
  }
  ev->root_ = ev->roots_.empty() ? -1 : ev->roots_[0];
  ev->memo_.clear();
  return std::const_pointer_cast<const ExprEvaluator>(ev);
}

Result<Datum> ExprEvaluator::EvaluateRoot(size_t i, const Chunk& chunk, State* state,
                                          cp::ExecContext* ctx) const {
  return Eval(roots_[i], chunk, state, ctx);
}

std::unique_ptr<ExprEvaluator::State> ExprEvaluator::MakeState() const {
  auto st = std::make_unique<State>();
  st->executors.resize(nodes_.size());
  st->executor_types.resize(nodes_.size());
  st->executor_failed.resize(nodes_.size(), false);
  st->case_selective.resize(nodes_.size(), false);
  st->cache.resize(nodes_.size());
  st->cache_epoch.resize(nodes_.size(), 0);
  return st;
}

const std::shared_ptr<arrow::DataType>& ExprEvaluator::type() const {
  return nodes_[root_].type;
}

int ExprEvaluator::column_index() const {
  return nodes_[root_].kind == plan::ExprKind::kColumnRef ? nodes_[root_].column : -1;
}

std::shared_ptr<arrow::Scalar> ExprEvaluator::constant() const {
  return nodes_[root_].kind == plan::ExprKind::kLiteral ? nodes_[root_].literal : nullptr;
}

std::optional<ExprEvaluator::ColumnComparison> ExprEvaluator::AsColumnComparison() const {
  if (root_ < 0) return std::nullopt;
  const Node& n = nodes_[root_];
  if (n.kind != plan::ExprKind::kCall || n.args.size() != 2) return std::nullopt;
  static const char* kOps[][2] = {{"equal", "equal"},         {"not_equal", "not_equal"},
                                  {"less", "greater"},        {"less_equal", "greater_equal"},
                                  {"greater", "less"},        {"greater_equal", "less_equal"}};
  const char* flipped = nullptr;
  const char* op = nullptr;
  for (const auto& o : kOps) {
    if (n.function_name == o[0]) {
      op = o[0];
      flipped = o[1];
    }
  }
  if (op == nullptr) return std::nullopt;
  const Node& a = nodes_[n.args[0]];
  const Node& b = nodes_[n.args[1]];
  ColumnComparison c;
  if (a.kind == plan::ExprKind::kColumnRef && b.kind == plan::ExprKind::kLiteral) {
    c.op = op;
    c.column = a.column;
    c.literal = b.literal;
  } else if (b.kind == plan::ExprKind::kColumnRef && a.kind == plan::ExprKind::kLiteral) {
    c.op = flipped;
    c.column = b.column;
    c.literal = a.literal;
  } else {
    return std::nullopt;
  }
  if (c.literal == nullptr) return std::nullopt;
  return c;
}

std::vector<int> ExprEvaluator::InputColumns() const {
  std::vector<int> cols;
  std::vector<int> stack(roots_.begin(), roots_.end());
  std::vector<bool> seen(nodes_.size(), false);
  while (!stack.empty()) {
    int id = stack.back();
    stack.pop_back();
    if (id < 0 || seen[id]) continue;
    seen[id] = true;
    const Node& n = nodes_[id];
    if (n.kind == plan::ExprKind::kColumnRef) cols.push_back(n.column);
    for (int a : n.args) stack.push_back(a);
  }
  std::sort(cols.begin(), cols.end());
  cols.erase(std::unique(cols.begin(), cols.end()), cols.end());
  return cols;
}

bool ExprEvaluator::elementwise() const { return elementwise_; }

Result<Datum> ExprEvaluator::Evaluate(const Chunk& chunk, State* state,
                                      cp::ExecContext* ctx) const {
  state->NewChunk();
  return Eval(root_, chunk, state, ctx);
}

Result<std::shared_ptr<arrow::Array>> ExprEvaluator::EvaluateToArray(
    const Chunk& chunk, State* state, cp::ExecContext* ctx) const {
  state->NewChunk();
  ARROW_ASSIGN_OR_RAISE(Datum d, Eval(root_, chunk, state, ctx));
  if (d.is_array()) return d.make_array();
  if (d.is_scalar()) {
    return arrow::MakeArrayFromScalar(*d.scalar(), chunk.length, ctx->memory_pool());
  }
  if (d.is_chunked_array()) {
    const auto& ca = d.chunked_array();
    if (ca->num_chunks() == 1) return ca->chunk(0);
    return arrow::Concatenate(ca->chunks(), ctx->memory_pool());
  }
  return Status::Invalid("internal error: expression ", text_, " produced ", d.ToString());
}

Result<Datum> ExprEvaluator::Eval(int id, const Chunk& chunk, State* state,
                                  cp::ExecContext* ctx) const {
  const Node& n = nodes_[id];
  switch (n.kind) {
    case plan::ExprKind::kColumnRef:
      if (n.column >= chunk.num_columns()) {
        return Status::Invalid("internal error: column index ", n.column, " out of range");
      }
      return Datum(chunk.columns[n.column]);
    case plan::ExprKind::kLiteral:
      return Datum(n.literal);
    case plan::ExprKind::kCall:
    case plan::ExprKind::kCast:
    case plan::ExprKind::kCase: {
      if (state->caching && state->cache_epoch[id] == state->epoch) return state->cache[id];
      Result<Datum> r = n.kind == plan::ExprKind::kCall   ? EvalCall(id, chunk, state, ctx)
                        : n.kind == plan::ExprKind::kCast ? EvalCast(id, chunk, state, ctx)
                                                          : EvalCase(id, chunk, state, ctx);
      if (r.ok() && state->caching) {
        state->cache[id] = *r;
        state->cache_epoch[id] = state->epoch;
      }
      return r;
    }
    default:
      return Status::Invalid("internal error: cannot evaluate expression kind");
  }
}

Result<Datum> ExprEvaluator::EvalCall(int id, const Chunk& chunk, State* state,
                                      cp::ExecContext* ctx) const {
  const Node& n = nodes_[id];
  std::vector<Datum> args(n.args.size());
  for (size_t i = 0; i < n.args.size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(args[i], Eval(n.args[i], chunk, state, ctx));
  }
  const cp::FunctionOptions* options =
      n.options ? n.options.get() : n.function->default_options();
  if (n.function->kind() == cp::Function::SCALAR && !state->executor_failed[id]) {
    auto& ex = state->executors[id];
    auto& types = state->executor_types[id];
    bool same = ex != nullptr && types.size() == args.size();
    for (size_t i = 0; same && i < args.size(); ++i) {
      same = types[i].type->Equals(*args[i].type());
    }
    if (!same) {
      ex.reset();
      types.clear();
      for (const auto& a : args) types.emplace_back(a.type());
      auto r = n.function->GetBestExecutor(types);
      if (r.ok() && (*r)->Init(options, ctx).ok()) {
        ex = *r;
      } else {
        state->executor_failed[id] = true;
      }
    }
    if (ex != nullptr) {
      return ex->Execute(args, args.empty() ? chunk.length : -1);
    }
  }
  if (args.empty()) {
    return n.function->Execute(cp::ExecBatch({}, chunk.length), options, ctx);
  }
  return n.function->Execute(args, options, ctx);
}

Result<Datum> CastDatum(const Datum& value, const std::shared_ptr<arrow::DataType>& type,
                        bool try_cast, cp::ExecContext* ctx) {
  if (value.type()->Equals(*type)) return value;
  const auto& from = *value.type();
  if (from.id() == arrow::Type::DECIMAL128 && type->id() == arrow::Type::DECIMAL128) {
    // Widening decimal casts cannot lose data: skip Arrow's per-value checks.
    const auto& f = static_cast<const arrow::Decimal128Type&>(from);
    const auto& t = static_cast<const arrow::Decimal128Type&>(*type);
    if (t.scale() >= f.scale() && t.precision() - t.scale() >= f.precision() - f.scale()) {
      return cp::Cast(value, cp::CastOptions::Unsafe(type), ctx);
    }
  }
  auto r = cp::Cast(value, cp::CastOptions::Safe(type), ctx);
  if (r.ok() || !try_cast) return r;
  // TRY_CAST: convert value by value, nulls for failures.
  if (value.is_scalar()) {
    auto s = value.scalar()->CastTo(type);
    if (s.ok()) return Datum(*s);
    return Datum(arrow::MakeNullScalar(type));
  }
  ARROW_ASSIGN_OR_RAISE(auto arr, [&]() -> Result<std::shared_ptr<arrow::Array>> {
    if (value.is_array()) return value.make_array();
    return arrow::Concatenate(value.chunked_array()->chunks(), ctx->memory_pool());
  }());
  std::unique_ptr<arrow::ArrayBuilder> builder;
  ARROW_RETURN_NOT_OK(arrow::MakeBuilder(ctx->memory_pool(), type, &builder));
  ARROW_RETURN_NOT_OK(builder->Reserve(arr->length()));
  for (int64_t i = 0; i < arr->length(); ++i) {
    if (arr->IsNull(i)) {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
      continue;
    }
    auto one = cp::Cast(*arr->Slice(i, 1), type, cp::CastOptions::Safe(type), ctx);
    if (one.ok()) {
      ARROW_ASSIGN_OR_RAISE(auto s, (*one)->GetScalar(0));
      ARROW_RETURN_NOT_OK(builder->AppendScalar(*s));
    } else {
      ARROW_RETURN_NOT_OK(builder->AppendNull());
    }
  }
  std::shared_ptr<arrow::Array> out;
  ARROW_RETURN_NOT_OK(builder->Finish(&out));
  return Datum(out);
}

Result<Datum> ExprEvaluator::EvalCast(int id, const Chunk& chunk, State* state,
                                      cp::ExecContext* ctx) const {
  const Node& n = nodes_[id];
  ARROW_ASSIGN_OR_RAISE(Datum v, Eval(n.args[0], chunk, state, ctx));
  return CastDatum(v, n.type, n.try_cast, ctx);
}

namespace {

Result<std::shared_ptr<arrow::Array>> ToArray(const Datum& d, int64_t length,
                                              cp::ExecContext* ctx) {
  if (d.is_array()) return d.make_array();
  if (d.is_scalar()) return arrow::MakeArrayFromScalar(*d.scalar(), length, ctx->memory_pool());
  return arrow::Concatenate(d.chunked_array()->chunks(), ctx->memory_pool());
}

}  // namespace

Result<Datum> ExprEvaluator::EvalCase(int id, const Chunk& chunk, State* state,
                                      cp::ExecContext* ctx) const {
  const Node& n = nodes_[id];
  if (!state->case_selective[id]) {
    // Fast path: evaluate every branch on every row and pick with case_when.
    // A branch that fails (e.g. division by zero on rows its condition excludes)
    // switches this node to the selective path for the rest of the run.
    size_t num_when = (n.args.size() - 1) / 2;
    std::vector<std::shared_ptr<arrow::Array>> conds;
    std::vector<Datum> values;
    arrow::FieldVector fields;
    bool failed = false;
    for (size_t i = 0; i < num_when && !failed; ++i) {
      auto c = Eval(n.args[2 * i], chunk, state, ctx);
      if (!c.ok()) return c.status();
      ARROW_ASSIGN_OR_RAISE(auto arr, ToArray(*c, chunk.length, ctx));
      ARROW_ASSIGN_OR_RAISE(arr, AsBooleanMask(arr, "CASE condition"));
      conds.push_back(arr);
      fields.push_back(arrow::field("c" + std::to_string(i), arrow::boolean()));
      auto v = Eval(n.args[2 * i + 1], chunk, state, ctx);
      if (!v.ok()) {
        failed = true;
        break;
      }
      values.push_back(*v);
    }
    if (!failed) {
      auto e = Eval(n.args.back(), chunk, state, ctx);
      if (!e.ok()) {
        failed = true;
      } else {
        values.push_back(*e);
      }
    }
    if (!failed) {
      // Branch values must have the node's type.
      for (auto& v : values) {
        if (!v.type()->Equals(*n.type)) {
          ARROW_ASSIGN_OR_RAISE(v, CastDatum(v, n.type, false, ctx));
        }
      }
      if (num_when == 0) return values.back();
      auto st = arrow::StructArray::Make(conds, fields);
      if (!st.ok()) return st.status();
      std::vector<Datum> args;
      args.emplace_back(*st);
      for (auto& v : values) args.push_back(std::move(v));
      auto r = cp::CallFunction("case_when", args, ctx);
      if (r.ok()) return r;
    }
    state->case_selective[id] = true;
  }
  return EvalCaseSelective(id, chunk, state, ctx);
}

Result<Datum> ExprEvaluator::EvalCaseSelective(int id, const Chunk& chunk, State* state,
                                               cp::ExecContext* ctx) const {
  // Sub-chunks hold other rows: cached results must be neither used nor stored.
  bool saved = state->caching;
  state->caching = false;
  auto r = EvalCaseSelectiveImpl(id, chunk, state, ctx);
  state->caching = saved;
  return r;
}

Result<Datum> ExprEvaluator::EvalCaseSelectiveImpl(int id, const Chunk& chunk, State* state,
                                                   cp::ExecContext* ctx) const {
  const Node& n = nodes_[id];
  const int64_t len = chunk.length;
  size_t num_when = (n.args.size() - 1) / 2;
  // assign[r] = index of the first branch whose condition is true (num_when: else).
  std::vector<int32_t> assign(len, static_cast<int32_t>(num_when));
  std::vector<int64_t> undecided(len);
  for (int64_t i = 0; i < len; ++i) undecided[i] = i;
  for (size_t b = 0; b < num_when && !undecided.empty(); ++b) {
    // Evaluate the condition only on rows no earlier branch took.
    Chunk sub;
    std::shared_ptr<arrow::Array> idx_arr;
    if (static_cast<int64_t>(undecided.size()) == len) {
      sub = chunk;
    } else {
      arrow::Int64Builder ib;
      ARROW_RETURN_NOT_OK(ib.AppendValues(undecided));
      ARROW_RETURN_NOT_OK(ib.Finish(&idx_arr));
      ARROW_ASSIGN_OR_RAISE(sub, TakeChunk(chunk, *idx_arr));
      sub.length = static_cast<int64_t>(undecided.size());
    }
    ARROW_ASSIGN_OR_RAISE(Datum c, Eval(n.args[2 * b], sub, state, ctx));
    ARROW_ASSIGN_OR_RAISE(auto carr, ToArray(c, sub.length, ctx));
    ARROW_ASSIGN_OR_RAISE(carr, AsBooleanMask(carr, "CASE condition"));
    const auto& bools = static_cast<const arrow::BooleanArray&>(*carr);
    std::vector<int64_t> still;
    for (int64_t k = 0; k < sub.length; ++k) {
      if (bools.IsValid(k) && bools.Value(k)) {
        assign[undecided[k]] = static_cast<int32_t>(b);
      } else {
        still.push_back(undecided[k]);
      }
    }
    undecided.swap(still);
  }
  // Evaluate each branch value on its own rows, then scatter with one take.
  std::vector<std::vector<int64_t>> rows(num_when + 1);
  for (int64_t i = 0; i < len; ++i) rows[assign[i]].push_back(i);
  arrow::ArrayVector parts;
  std::vector<int64_t> base(num_when + 1, 0);
  int64_t total = 0;
  for (size_t b = 0; b <= num_when; ++b) {
    base[b] = total;
    if (rows[b].empty()) continue;
    int value_node = b < num_when ? n.args[2 * b + 1] : n.args.back();
    std::shared_ptr<arrow::Array> idx_arr;
    arrow::Int64Builder ib;
    ARROW_RETURN_NOT_OK(ib.AppendValues(rows[b]));
    ARROW_RETURN_NOT_OK(ib.Finish(&idx_arr));
    ARROW_ASSIGN_OR_RAISE(Chunk sub, TakeChunk(chunk, *idx_arr));
    sub.length = static_cast<int64_t>(rows[b].size());
    ARROW_ASSIGN_OR_RAISE(Datum v, Eval(value_node, sub, state, ctx));
    ARROW_ASSIGN_OR_RAISE(v, CastDatum(v, n.type, false, ctx));
    ARROW_ASSIGN_OR_RAISE(auto arr, ToArray(v, sub.length, ctx));
    parts.push_back(arr);
    total += sub.length;
  }
  if (parts.empty()) return arrow::MakeArrayOfNull(n.type, len, ctx->memory_pool());
  std::vector<int64_t> rank(num_when + 1, 0);
  arrow::Int64Builder ib;
  ARROW_RETURN_NOT_OK(ib.Reserve(len));
  for (int64_t i = 0; i < len; ++i) ib.UnsafeAppend(base[assign[i]] + rank[assign[i]]++);
  std::shared_ptr<arrow::Array> take_idx;
  ARROW_RETURN_NOT_OK(ib.Finish(&take_idx));
  ARROW_ASSIGN_OR_RAISE(auto all, arrow::Concatenate(parts, ctx->memory_pool()));
  return cp::Take(all, take_idx, cp::TakeOptions::NoBoundsCheck(), ctx);
}

// ---------------------------------------------------------------------------

Result<ExprList> ExprList::Make(const std::vector<plan::ExprPtr>& exprs,
                                const ColumnLayout& layout, cp::FunctionRegistry* registry) {
  ExprList list;
  for (const auto& e : exprs) {
    ARROW_ASSIGN_OR_RAISE(auto ev, ExprEvaluator::Make(e, layout, registry));
    list.evaluators_.push_back(std::move(ev));
  }
  ARROW_ASSIGN_OR_RAISE(list.program_, ExprEvaluator::MakeMulti(exprs, layout, registry));
  return list;
}

std::vector<std::shared_ptr<arrow::DataType>> ExprList::types() const {
  std::vector<std::shared_ptr<arrow::DataType>> out;
  for (const auto& e : evaluators_) out.push_back(e->type());
  return out;
}

ExprListState::ExprListState(const ExprList* list) : list_(list) {
  if (list->program_) state_ = list->program_->MakeState();
}
ExprListState::~ExprListState() = default;

Result<std::shared_ptr<arrow::Array>> ExprListState::EvaluateArray(size_t i, const Chunk& chunk,
                                                                   cp::ExecContext* ctx) {
  state_->NewChunk();
  return ArrayOf(i, chunk, ctx);
}

Result<std::shared_ptr<arrow::Array>> ExprListState::ArrayOf(size_t i, const Chunk& chunk,
                                                             cp::ExecContext* ctx) {
  const auto& ev = (*list_)[i];
  ARROW_ASSIGN_OR_RAISE(Datum d, list_->program_->EvaluateRoot(i, chunk, state_.get(), ctx));
  ARROW_ASSIGN_OR_RAISE(auto arr, ToArray(d, chunk.length, ctx));
  if (!arr->type()->Equals(*ev->type())) {
    ARROW_ASSIGN_OR_RAISE(Datum d, CastDatum(Datum(arr), ev->type(), false, ctx));
    return d.make_array();
  }
  return arr;
}

Result<Chunk> ExprListState::EvaluateAll(const Chunk& chunk, cp::ExecContext* ctx) {
  Chunk out;
  out.length = chunk.length;
  out.order = chunk.order;
  out.columns.resize(list_->size());
  state_->NewChunk();
  for (size_t i = 0; i < list_->size(); ++i) {
    ARROW_ASSIGN_OR_RAISE(out.columns[i], ArrayOf(i, chunk, ctx));
  }
  return out;
}

// ---------------------------------------------------------------------------

std::optional<cp::Expression> ToArrowPredicate(
    const plan::ExprPtr& expr, const std::unordered_map<plan::ColumnId, std::string>& names) {
  if (expr == nullptr) return std::nullopt;
  switch (expr->kind) {
    case plan::ExprKind::kColumnRef: {
      auto it = names.find(static_cast<const plan::ColumnRefExpr&>(*expr).id);
      if (it == names.end()) return std::nullopt;
      return cp::field_ref(it->second);
    }
    case plan::ExprKind::kLiteral:
      return cp::literal(Datum(static_cast<const plan::LiteralExpr&>(*expr).value));
    case plan::ExprKind::kCall: {
      const auto& call = static_cast<const plan::CallExpr&>(*expr);
      static const char* kAllowed[] = {"equal", "not_equal", "less", "less_equal",
                                       "greater", "greater_equal", "and_kleene", "or_kleene",
                                       "and", "or", "invert", "is_null", "is_valid", "is_in"};
      bool ok = false;
      for (const char* f : kAllowed) ok = ok || call.function == f;
      if (!ok) return std::nullopt;
      std::vector<cp::Expression> args;
      for (const auto& a : call.args) {
        auto c = ToArrowPredicate(a, names);
        if (!c.has_value()) {
          // A conjunction can drop terms it cannot convert (still a superset).
          if (call.function == "and_kleene" || call.function == "and") continue;
          return std::nullopt;
        }
        args.push_back(std::move(*c));
      }
      if (args.empty()) return std::nullopt;
      if ((call.function == "and_kleene" || call.function == "and") && args.size() == 1) {
        return args[0];
      }
      // Comparisons must involve at least one column and otherwise literals.
      return cp::call(call.function, std::move(args), call.options);
    }
    default:
      return std::nullopt;
  }
}

}  // namespace shoal::exec
