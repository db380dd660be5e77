#include "shoal/execution/physical_planner.h"

#include <algorithm>
#include <unordered_set>

#include <arrow/array/builder_base.h>
#include <arrow/array/util.h>
#include <arrow/builder.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/basic_operators.h"
#include "shoal/execution/cte_materialize.h"
#include "shoal/execution/hash_aggregate.h"
#include "shoal/execution/hash_join.h"
#include "shoal/execution/recursive_cte.h"
#include "shoal/execution/set_operation.h"
#include "shoal/execution/sort.h"
#include "shoal/execution/window.h"
#include "shoal/function/function_catalog.h"

namespace shoal::exec {

using plan::ExprPtr;
using plan::LogicalOp;
using plan::LogicalOpKind;
using plan::LogicalOpPtr;

namespace {

TypeVector TypesOf(const std::vector<plan::OutputColumn>& cols) {
  TypeVector t;
  for (const auto& c : cols) t.push_back(c.type);
  return t;
}

ExprPtr MaybeCast(const ExprPtr& e, const std::shared_ptr<arrow::DataType>& type) {
  if (type == nullptr || e->type->Equals(*type)) return e;
  return std::make_shared<plan::CastExpr>(e, type, false);
}

bool IsHashableKeyType(const arrow::DataType& t) {
  switch (t.id()) {
    case arrow::Type::BOOL:
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
    case arrow::Type::UINT64:
    case arrow::Type::FLOAT:
    case arrow::Type::DOUBLE:
    case arrow::Type::DECIMAL128:
    case arrow::Type::DECIMAL256:
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
    case arrow::Type::STRING_VIEW:
    case arrow::Type::BINARY:
    case arrow::Type::LARGE_BINARY:
    case arrow::Type::FIXED_SIZE_BINARY:
    case arrow::Type::DATE32:
    case arrow::Type::DATE64:
    case arrow::Type::TIMESTAMP:
    case arrow::Type::TIME32:
    case arrow::Type::TIME64:
    case arrow::Type::DURATION:
    case arrow::Type::INTERVAL_MONTH_DAY_NANO:
      return true;
    default:
      return false;
  }
}

/// Rough relative cost of evaluating `e` once per row.
int EvaluationCost(const ExprPtr& e) {
  int cost = 1;
  if (e->kind == plan::ExprKind::kCall) {
    const auto& fn = static_cast<const plan::CallExpr&>(*e).function;
    if (fn == "or" || fn == "or_kleene") cost += 4;
    if (fn.find("like") != std::string::npos || fn.find("match") != std::string::npos ||
        fn.find("regex") != std::string::npos) {
      cost += 20;
    }
  } else if (e->kind == plan::ExprKind::kCase) {
    cost += 4;
  }
  if (e->type && e->type->id() == arrow::Type::DECIMAL128) cost += 2;
  for (const auto& c : e->children()) {
    cost += EvaluationCost(c);
    if (c->type && (c->type->id() == arrow::Type::DECIMAL128 ||
                    c->type->id() == arrow::Type::STRING)) {
      cost += 1;
    }
  }
  return cost;
}

bool HasColumns(const ExprPtr& e) {
  std::vector<plan::ColumnId> ids;
  plan::CollectColumnIds(e, &ids);
  return !ids.empty();
}

// Column usage: the planner passes down, for every operator, the set of its
// output column ids that some operator above reads (nullptr: all of them).
// Pass-through operators (Filter, Sort, joins) replace the columns nobody reads
// with placeholders, so that they are neither copied nor buffered.
using IdSet = std::unordered_set<plan::ColumnId>;

/// Return the ids of `op`'s input columns read by the operators above it (`required`,
/// nullptr for all of `op`'s output) or by `exprs`.
IdSet ChildNeeds(const IdSet* required, const LogicalOp& op, const std::vector<ExprPtr>& exprs) {
  IdSet s;
  if (required == nullptr) {
    for (const auto& c : op.output) s.insert(c.id);
  } else {
    s = *required;
  }
  std::vector<plan::ColumnId> ids;
  for (const auto& e : exprs) plan::CollectColumnIds(e, &ids);
  s.insert(ids.begin(), ids.end());
  return s;
}

/// Return keep[i] = output column i of `cols` is in `required` (all when null).
std::vector<bool> KeepMask(const IdSet* required, const std::vector<plan::OutputColumn>& cols) {
  std::vector<bool> keep(cols.size(), true);
  if (required == nullptr) return keep;
  for (size_t i = 0; i < cols.size(); ++i) keep[i] = required->count(cols[i].id) > 0;
  return keep;
}

/// Return used[i] = column i of `cols` is referenced by `exprs`.
std::vector<bool> UsedBy(const std::vector<ExprPtr>& exprs,
                         const std::vector<plan::OutputColumn>& cols) {
  std::vector<plan::ColumnId> ids;
  for (const auto& e : exprs) plan::CollectColumnIds(e, &ids);
  IdSet set(ids.begin(), ids.end());
  std::vector<bool> used(cols.size(), false);
  for (size_t i = 0; i < cols.size(); ++i) used[i] = set.count(cols[i].id) > 0;
  return used;
}

std::string JoinTexts(const std::vector<ExprPtr>& es, const char* sep) {
  std::string s;
  for (size_t i = 0; i < es.size(); ++i) s += (i ? sep : "") + es[i]->ToString();
  return s;
}

class Planner {
 public:
  explicit Planner(arrow::compute::FunctionRegistry* registry) : registry_(registry) {}

  /// Plan `op`; `required` lists the output ids the operators above read (null: all).
  Result<PhysicalOperatorPtr> Plan(const LogicalOpPtr& op, const IdSet* required = nullptr) {
    if (op == nullptr) return Status::Invalid("internal error: null logical operator");
    switch (op->kind) {
      case LogicalOpKind::kGet:
        return PlanGet(op->As<plan::LogicalGet>());
      case LogicalOpKind::kFilter:
        return PlanFilter(op->As<plan::LogicalFilter>(), required);
      case LogicalOpKind::kProjection:
        return PlanProjection(op->As<plan::LogicalProjection>());
      case LogicalOpKind::kAggregate:
        return PlanAggregate(op->As<plan::LogicalAggregate>());
      case LogicalOpKind::kJoin:
        return PlanJoin(op->As<plan::LogicalJoin>(), required);
      case LogicalOpKind::kSort: {
        const auto& s = op->As<plan::LogicalSort>();
        return PlanSort(s, s.keys, std::nullopt, 0, required);
      }
      case LogicalOpKind::kTopN: {
        const auto& t = op->As<plan::LogicalTopN>();
        return PlanSort(t, t.keys, t.limit, t.offset, required);
      }
      case LogicalOpKind::kLimit:
        return PlanLimit(op->As<plan::LogicalLimit>(), required);
      case LogicalOpKind::kSetOperation:
        return PlanSetOperation(op->As<plan::LogicalSetOperation>());
      case LogicalOpKind::kValues:
        return PlanValues(op->As<plan::LogicalValues>());
      case LogicalOpKind::kWindow:
        return PlanWindow(op->As<plan::LogicalWindow>());
      case LogicalOpKind::kEmpty:
        return std::make_shared<EmptyOp>(TypesOf(op->output));
      case LogicalOpKind::kCteRef: {
        const auto& r = op->As<plan::LogicalCteRef>();
        if (r.materialized) {
          auto it = materialized_.find(r.cte_index);
          if (it == materialized_.end()) {
            return Status::Invalid("internal error: no definition for materialized CTE #",
                                   r.cte_index);
          }
          return std::make_shared<MaterializedCteScanOp>(TypesOf(op->output), r.cte_index,
                                                         r.name, it->second);
        }
        return std::make_shared<CteScanOp>(TypesOf(op->output), r.cte_index, r.name);
      }
      case LogicalOpKind::kRecursiveCte:
        return PlanRecursiveCte(op->As<plan::LogicalRecursiveCte>());
      case LogicalOpKind::kMaterializedCte: {
        // The definition is planned once and shared by every reader; the operator
        // itself leaves no trace in the physical plan.
        const auto& m = op->As<plan::LogicalMaterializedCte>();
        ARROW_ASSIGN_OR_RAISE(materialized_[m.cte_index], Child(m, 0));
        return Child(m, 1, required);
      }
    }
    return Status::NotImplemented("physical planning of ", plan::LogicalOpKindName(op->kind));
  }

 private:
  Result<PhysicalOperatorPtr> Child(const LogicalOp& op, size_t i,
                                    const IdSet* required = nullptr) {
    if (op.children.size() <= i) {
      return Status::Invalid("internal error: ", plan::LogicalOpKindName(op.kind),
                             " is missing input ", i);
    }
    return Plan(op.children[i], required);
  }

  Result<PhysicalOperatorPtr> PlanGet(const plan::LogicalGet& get) {
    if (get.table == nullptr) return Status::Invalid("internal error: scan without a table");
    auto schema = get.table->schema();
    ScanRequest req;
    std::unordered_map<plan::ColumnId, std::string> names;
    for (size_t i = 0; i < get.projection.size(); ++i) {
      int idx = get.projection[i];
      if (idx < 0 || idx >= schema->num_fields()) {
        return Status::Invalid("internal error: scan of '", get.table_name, "' projects column ",
                               idx, " of ", schema->num_fields());
      }
      req.columns.push_back(idx);
      if (i < get.output.size()) names[get.output[i].id] = schema->field(idx)->name();
    }
    std::vector<arrow::compute::Expression> conv;
    std::vector<ExprPtr> used;
    for (const auto& f : get.filters) {
      auto e = ToArrowPredicate(f, names);
      if (e.has_value()) {
        conv.push_back(std::move(*e));
        used.push_back(f);
      }
    }
    if (!conv.empty()) req.filter = arrow::compute::and_(conv);
    req.limit = get.limit;
    // A filter right above decodes dictionary columns itself (rows it keeps only).
    req.keep_dictionaries = scan_under_filter_ == &get;
    return std::make_shared<TableScanOp>(get.table_name, get.table, std::move(req),
                                         TypesOf(get.output), JoinTexts(used, " AND "));
  }

  Result<PhysicalOperatorPtr> PlanFilter(const plan::LogicalFilter& f, const IdSet* required) {
    IdSet needs = ChildNeeds(required, f, f.conditions);
    std::vector<ExprPtr> terms;
    for (const auto& c : f.conditions) plan::SplitConjunction(c, &terms);
    if (!terms.empty() && !f.children.empty() && f.children[0]->kind == LogicalOpKind::kGet) {
      scan_under_filter_ = &f.children[0]->As<plan::LogicalGet>();
    }
    ARROW_ASSIGN_OR_RAISE(auto child, Child(f, 0, &needs));
    scan_under_filter_ = nullptr;
    if (terms.empty()) return child;
    // Cheap conditions first: later ones only see the rows earlier ones kept.
    std::stable_sort(terms.begin(), terms.end(), [](const ExprPtr& a, const ExprPtr& b) {
      return EvaluationCost(a) < EvaluationCost(b);
    });
    const auto& in = f.children[0]->output;
    ARROW_ASSIGN_OR_RAISE(auto list, ExprList::Make(terms, MakeLayout(in), registry_));
    // Columns still read after condition i: the output's and later conditions'.
    std::vector<std::vector<bool>> needed_after(terms.size());
    std::vector<bool> keep = KeepMask(required, f.output);
    for (size_t i = terms.size(); i-- > 0;) {
      needed_after[i] = keep;
      if (i + 1 < terms.size()) {
        auto later = UsedBy({terms[i + 1]}, in);
        for (size_t c = 0; c < later.size() && c < keep.size(); ++c) {
          needed_after[i][c] = needed_after[i + 1][c] || later[c];
        }
      }
    }
    auto op = std::make_shared<FilterOp>(TypesOf(f.output), std::move(list),
                                         std::move(needed_after));
    op->children.push_back(child);
    return op;
  }

  Result<PhysicalOperatorPtr> PlanProjection(const plan::LogicalProjection& p) {
    IdSet needs;
    {
      std::vector<plan::ColumnId> ids;
      for (const auto& e : p.exprs) plan::CollectColumnIds(e, &ids);
      needs.insert(ids.begin(), ids.end());
    }
    ARROW_ASSIGN_OR_RAISE(auto child, Child(p, 0, &needs));
    std::vector<ExprPtr> exprs;
    for (size_t i = 0; i < p.exprs.size(); ++i) {
      exprs.push_back(i < p.output.size() ? MaybeCast(p.exprs[i], p.output[i].type)
                                          : p.exprs[i]);
    }
    ARROW_ASSIGN_OR_RAISE(auto list,
                          ExprList::Make(exprs, MakeLayout(p.children[0]->output), registry_));
    auto op = std::make_shared<ProjectionOp>(TypesOf(p.output), std::move(list));
    op->children.push_back(child);
    return op;
  }

  Result<PhysicalOperatorPtr> PlanAggregate(const plan::LogicalAggregate& agg) {
    IdSet needs;
    {
      std::vector<plan::ColumnId> ids;
      for (const auto& e : agg.Expressions()) plan::CollectColumnIds(e, &ids);
      needs.insert(ids.begin(), ids.end());
    }
    ARROW_ASSIGN_OR_RAISE(auto child, Child(agg, 0, &needs));
    std::vector<ExprPtr> inputs = agg.groups;
    std::vector<AggregateSpec> specs;
    const auto& catalog = FunctionCatalog::Get();
    for (const auto& e : agg.aggregates) {
      if (e->kind != plan::ExprKind::kAggregate) {
        return Status::Invalid("internal error: aggregate list holds ", e->ToString());
      }
      const auto& a = static_cast<const plan::AggregateExpr&>(*e);
      std::vector<ScalarArg> sargs;
      for (const auto& arg : a.args) {
        ScalarArg sa;
        sa.type = arg->type;
        if (arg->kind == plan::ExprKind::kLiteral) {
          sa.literal = static_cast<const plan::LiteralExpr&>(*arg).value;
        }
        sargs.push_back(sa);
      }
      AggregateSpec spec;
      ARROW_ASSIGN_OR_RAISE(spec.bound, catalog.BindAggregate(a.function, sargs, a.distinct));
      if (a.options != nullptr && spec.bound.options == nullptr) spec.bound.options = a.options;
      std::vector<int> indices = spec.bound.arg_indices;
      if (indices.empty() && !spec.bound.arg_types.empty()) {
        for (size_t i = 0; i < spec.bound.arg_types.size(); ++i) indices.push_back(i);
      }
      for (size_t k = 0; k < indices.size(); ++k) {
        if (indices[k] < 0 || indices[k] >= static_cast<int>(a.args.size())) {
          return Status::Invalid("internal error: aggregate argument index out of range");
        }
        auto type = k < spec.bound.arg_types.size() ? spec.bound.arg_types[k] : nullptr;
        spec.args.push_back(static_cast<int>(inputs.size()));
        inputs.push_back(MaybeCast(a.args[indices[k]], type));
      }
      if (a.filter) {
        spec.filter = static_cast<int>(inputs.size());
        inputs.push_back(a.filter);
      }
      for (const auto& k : a.order_by) {
        spec.order.push_back(static_cast<int>(inputs.size()));
        spec.order_ascending.push_back(k.ascending);
        spec.order_nulls_first.push_back(k.nulls_first);
        inputs.push_back(k.expr);
      }
      spec.display = a.ToString();
      specs.push_back(std::move(spec));
    }
    ARROW_ASSIGN_OR_RAISE(auto list,
                          ExprList::Make(inputs, MakeLayout(agg.children[0]->output), registry_));
    std::vector<std::vector<int>> sets = agg.grouping_sets;
    if (sets.empty()) {
      std::vector<int> all;
      for (size_t i = 0; i < agg.groups.size(); ++i) all.push_back(static_cast<int>(i));
      sets.push_back(all);
    }
    ARROW_ASSIGN_OR_RAISE(
        auto op, HashAggregateOp::Make(TypesOf(agg.output), std::move(list),
                                       static_cast<int>(agg.groups.size()), std::move(sets),
                                       !agg.grouping_sets.empty(), std::move(specs), registry_));
    op->children.push_back(child);
    return op;
  }

  Result<PhysicalOperatorPtr> PlanJoin(const plan::LogicalJoin& join, const IdSet* required) {
    IdSet needs = ChildNeeds(required, join, join.conditions);
    ARROW_ASSIGN_OR_RAISE(auto left, Child(join, 0, &needs));
    ARROW_ASSIGN_OR_RAISE(auto right, Child(join, 1, &needs));
    const auto& lop = *join.children[0];
    const auto& rop = *join.children[1];
    auto left_ids = lop.OutputIds();
    auto right_ids = rop.OutputIds();
    std::vector<ExprPtr> terms, residual, lkeys, rkeys;
    for (const auto& c : join.conditions) plan::SplitConjunction(c, &terms);
    const auto& catalog = FunctionCatalog::Get();
    for (const auto& t : terms) {
      bool is_key = false;
      if (t->kind == plan::ExprKind::kCall) {
        const auto& call = static_cast<const plan::CallExpr&>(*t);
        if (call.function == "equal" && call.args.size() == 2 && HasColumns(call.args[0]) &&
            HasColumns(call.args[1])) {
          ExprPtr a = call.args[0], b = call.args[1];
          bool ok = plan::ReferencesOnly(a, left_ids) && plan::ReferencesOnly(b, right_ids);
          if (!ok && plan::ReferencesOnly(b, left_ids) && plan::ReferencesOnly(a, right_ids)) {
            std::swap(a, b);
            ok = true;
          }
          if (ok && !a->type->Equals(*b->type)) {
            auto common = catalog.CommonType(a->type, b->type);
            if (common.ok()) {
              a = MaybeCast(a, *common);
              b = MaybeCast(b, *common);
            } else {
              ok = false;
            }
          }
          if (ok && IsHashableKeyType(*a->type)) {
            lkeys.push_back(a);
            rkeys.push_back(b);
            is_key = true;
          }
        }
      }
      if (!is_key && !(t->kind == plan::ExprKind::kLiteral &&
                       static_cast<const plan::LiteralExpr&>(*t).value->is_valid &&
                       static_cast<const plan::LiteralExpr&>(*t).value->Equals(
                           arrow::BooleanScalar(true)))) {
        residual.push_back(t);
      }
    }
    HashJoinOp::Config cfg;
    cfg.type = join.join_type;
    cfg.build_right = join.build_right;
    cfg.mark_null_aware = join.mark_null_aware;
    cfg.left_types = TypesOf(lop.output);
    cfg.right_types = TypesOf(rop.output);
    auto llayout = MakeLayout(lop.output);
    auto rlayout = MakeLayout(rop.output);
    ARROW_ASSIGN_OR_RAISE(auto lk, ExprList::Make(lkeys, llayout, registry_));
    ARROW_ASSIGN_OR_RAISE(auto rk, ExprList::Make(rkeys, rlayout, registry_));
    cfg.probe_keys = join.build_right ? std::move(lk) : std::move(rk);
    cfg.build_keys = join.build_right ? std::move(rk) : std::move(lk);
    if (!residual.empty()) {
      ARROW_ASSIGN_OR_RAISE(cfg.residual,
                            ExprEvaluator::Make(plan::MakeConjunction(residual),
                                                MakeLayout(lop.output, rop.output), registry_));
      cfg.left_residual = UsedBy(residual, lop.output);
      cfg.right_residual = UsedBy(residual, rop.output);
    }
    cfg.left_keep = KeepMask(required, lop.output);
    cfg.right_keep = KeepMask(required, rop.output);
    std::string d = plan::JoinTypeName(join.join_type);
    if (!lkeys.empty()) {
      d += " keys=[";
      for (size_t i = 0; i < lkeys.size(); ++i) {
        d += (i ? ", " : "") + lkeys[i]->ToString() + " = " + rkeys[i]->ToString();
      }
      d += "]";
    }
    if (!residual.empty()) d += " residual=[" + JoinTexts(residual, " AND ") + "]";
    d += join.build_right ? " build=right" : " build=left";
    cfg.details = d;
    auto op = std::make_shared<HashJoinOp>(TypesOf(join.output), std::move(cfg));
    op->children = {left, right};
    return op;
  }

  Result<PhysicalOperatorPtr> PlanSort(const LogicalOp& op, const std::vector<plan::SortKey>& keys,
                                       std::optional<int64_t> limit, int64_t offset,
                                       const IdSet* required) {
    IdSet needs = ChildNeeds(required, op, op.Expressions());
    ARROW_ASSIGN_OR_RAISE(auto child, Child(op, 0, &needs));
    std::vector<ExprPtr> exprs;
    std::vector<SortSpec> specs;
    std::string d;
    for (const auto& k : keys) {
      exprs.push_back(k.expr);
      specs.push_back({k.ascending, k.nulls_first});
      d += (d.empty() ? "" : ", ") + k.ToString();
    }
    if (limit) d += " limit=" + std::to_string(*limit);
    if (offset) d += " offset=" + std::to_string(offset);
    ARROW_ASSIGN_OR_RAISE(auto list,
                          ExprList::Make(exprs, MakeLayout(op.children[0]->output), registry_));
    auto sort = std::make_shared<SortOp>(TypesOf(op.output), std::move(list), std::move(specs),
                                         limit, offset, d, KeepMask(required, op.output));
    sort->children.push_back(child);
    return sort;
  }

  Result<PhysicalOperatorPtr> PlanLimit(const plan::LogicalLimit& l, const IdSet* required) {
    IdSet needs = ChildNeeds(required, l, {});
    ARROW_ASSIGN_OR_RAISE(auto child, Child(l, 0, &needs));
    if (l.limit && *l.limit < 0) return Status::Invalid("LIMIT must not be negative");
    if (l.offset < 0) return Status::Invalid("OFFSET must not be negative");
    auto op = std::make_shared<LimitOp>(TypesOf(l.output), l.limit, l.offset);
    op->children.push_back(child);
    return op;
  }

  Result<PhysicalOperatorPtr> PlanSetOperation(const plan::LogicalSetOperation& s) {
    ARROW_ASSIGN_OR_RAISE(auto left, Child(s, 0));
    ARROW_ASSIGN_OR_RAISE(auto right, Child(s, 1));
    auto types = TypesOf(s.output);
    // Inputs must produce the output types; cast through a projection if not.
    auto conform = [&](PhysicalOperatorPtr in, const LogicalOp& child) -> Result<PhysicalOperatorPtr> {
      bool same = child.output.size() == types.size();
      for (size_t i = 0; same && i < types.size(); ++i) {
        same = child.output[i].type->Equals(*types[i]);
      }
      if (same) return in;
      if (child.output.size() != types.size()) {
        return Status::Invalid("set operation inputs have ", child.output.size(), " and ",
                               types.size(), " columns");
      }
      std::vector<ExprPtr> exprs;
      for (size_t i = 0; i < types.size(); ++i) {
        const auto& c = child.output[i];
        exprs.push_back(MaybeCast(plan::MakeColumnRef(c.id, c.name, c.type), types[i]));
      }
      ARROW_ASSIGN_OR_RAISE(auto list, ExprList::Make(exprs, MakeLayout(child.output), registry_));
      auto p = std::make_shared<ProjectionOp>(types, std::move(list));
      p->children.push_back(in);
      return PhysicalOperatorPtr(p);
    };
    ARROW_ASSIGN_OR_RAISE(left, conform(left, *s.children[0]));
    ARROW_ASSIGN_OR_RAISE(right, conform(right, *s.children[1]));
    std::shared_ptr<PhysicalOperator> op;
    if (s.op == plan::SetOpKind::kUnion && s.all) {
      op = std::make_shared<UnionAllOp>(types);
    } else {
      op = std::make_shared<SetOperationOp>(types, s.op, s.all);
    }
    op->children = {left, right};
    return PhysicalOperatorPtr(op);
  }

  Result<PhysicalOperatorPtr> PlanValues(const plan::LogicalValues& v) {
    auto types = TypesOf(v.output);
    Chunk chunk;
    chunk.length = static_cast<int64_t>(v.rows.size());
    arrow::compute::ExecContext ctx(EngineMemoryPool(), nullptr, registry_);
    Chunk one;
    one.length = 1;
    for (const auto& row : v.rows) {
      if (row.size() != types.size()) {
        return Status::Invalid("VALUES row has ", row.size(), " values, expected ",
                               types.size());
      }
    }
    for (size_t c = 0; c < types.size(); ++c) {
      if (types[c]->id() == arrow::Type::NA) {  // a column of only NULLs
        chunk.columns.push_back(std::make_shared<arrow::NullArray>(chunk.length));
        continue;
      }
      std::unique_ptr<arrow::ArrayBuilder> builder;
      ARROW_RETURN_NOT_OK(arrow::MakeBuilder(EngineMemoryPool(), types[c], &builder));
      for (const auto& row : v.rows) {
        ARROW_ASSIGN_OR_RAISE(auto ev, ExprEvaluator::Make(MaybeCast(row[c], types[c]), {},
                                                           registry_));
        auto st = ev->MakeState();
        ARROW_ASSIGN_OR_RAISE(auto arr, ev->EvaluateToArray(one, st.get(), &ctx));
        ARROW_ASSIGN_OR_RAISE(auto scalar, arr->GetScalar(0));
        ARROW_RETURN_NOT_OK(builder->AppendScalar(*scalar));
      }
      std::shared_ptr<arrow::Array> col;
      ARROW_RETURN_NOT_OK(builder->Finish(&col));
      chunk.columns.push_back(col);
    }
    std::vector<Chunk> chunks;
    if (chunk.length > 0) chunks.push_back(chunk);
    return std::make_shared<ValuesOp>(types, std::move(chunks));
  }

  Result<PhysicalOperatorPtr> PlanWindow(const plan::LogicalWindow& w) {
    ARROW_ASSIGN_OR_RAISE(auto child, Child(w, 0));
    ARROW_ASSIGN_OR_RAISE(auto op, WindowOp::Make(w, registry_));
    op->children.push_back(child);
    return PhysicalOperatorPtr(op);
  }

  Result<PhysicalOperatorPtr> PlanRecursiveCte(const plan::LogicalRecursiveCte& r) {
    ARROW_ASSIGN_OR_RAISE(auto anchor, Child(r, 0));
    ARROW_ASSIGN_OR_RAISE(auto recursive, Child(r, 1));
    auto types = TypesOf(r.output);
    auto op = std::make_shared<RecursiveCteOp>(types, r.cte_index, r.name, r.union_all,
                                               recursive);
    op->children.push_back(anchor);
    return PhysicalOperatorPtr(op);
  }

  arrow::compute::FunctionRegistry* registry_;
  /// The scan whose parent filter is being planned (it may keep dictionaries).
  const plan::LogicalGet* scan_under_filter_ = nullptr;
  /// Planned definitions of materialized CTEs by index.
  std::unordered_map<int, PhysicalOperatorPtr> materialized_;
};

/// Append `op` and its inputs to `out`; a materialized CTE's definition is shown
/// under its first reader (`shown` remembers which were).
void Render(const PhysicalOperator& op, bool analyze, int depth, std::string* out,
            std::unordered_set<const PhysicalOperator*>* shown) {
  out->append(static_cast<size_t>(depth) * 2, ' ');
  *out += op.name();
  std::string d = op.Details();
  if (!d.empty()) *out += ": " + d;
  if (analyze) {
    const auto& m = op.metrics();
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.3f", m.time_ns.load() / 1e6);
    *out += "  [rows_in=" + std::to_string(m.rows_in.load()) +
            " rows_out=" + std::to_string(m.rows_out.load()) + " time=" + buf + "ms";
    std::string extra = m.GetExtra();
    if (!extra.empty()) *out += " " + extra;
    *out += "]";
  }
  *out += "\n";
  for (const auto& c : op.children) Render(*c, analyze, depth + 1, out, shown);
  if (const auto* rc = dynamic_cast<const RecursiveCteOp*>(&op)) {
    out->append(static_cast<size_t>(depth + 1) * 2, ' ');
    *out += "(recursive part)\n";
    Render(*rc->recursive(), analyze, depth + 2, out, shown);
  }
  if (const auto* mc = dynamic_cast<const MaterializedCteScanOp*>(&op)) {
    if (mc->definition() != nullptr && shown->insert(mc->definition().get()).second) {
      out->append(static_cast<size_t>(depth + 1) * 2, ' ');
      *out += "(materialized once, read by every CteScan #" + std::to_string(mc->cte_index()) +
              ")\n";
      Render(*mc->definition(), analyze, depth + 2, out, shown);
    }
  }
}

}  // namespace

Result<PhysicalOperatorPtr> CreatePhysicalPlan(const LogicalOpPtr& plan,
                                               const PhysicalPlannerOptions& options) {
  auto* registry = options.registry ? options.registry : FunctionCatalog::Get().registry();
  Planner planner(registry);
  return planner.Plan(plan);
}

bool PlanOutputIsOrdered(const LogicalOpPtr& plan) {
  const LogicalOp* op = plan.get();
  while (op != nullptr) {
    switch (op->kind) {
      case LogicalOpKind::kSort:
      case LogicalOpKind::kTopN:
      case LogicalOpKind::kLimit:
        return true;
      case LogicalOpKind::kProjection:
      case LogicalOpKind::kFilter:
        op = op->children.empty() ? nullptr : op->children[0].get();
        break;
      case LogicalOpKind::kMaterializedCte:
        op = op->children.size() < 2 ? nullptr : op->children[1].get();
        break;
      default:
        return false;
    }
  }
  return false;
}

std::string PhysicalPlanToString(const PhysicalOperator& root, bool analyze) {
  std::string out;
  std::unordered_set<const PhysicalOperator*> shown;
  Render(root, analyze, 0, &out, &shown);
  return out;
}

}  // namespace shoal::exec
