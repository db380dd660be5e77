#include "shoal/execution/executor.h"

#include <arrow/compute/cast.h>

#include "shoal/common/memory_pool.h"
#include "shoal/execution/physical_operator.h"
#include "shoal/execution/physical_planner.h"
#include "shoal/execution/pipeline.h"
#include "shoal/execution/runtime_filter.h"
#include "shoal/function/function_catalog.h"

namespace shoal::exec {

QueryExecution::~QueryExecution() = default;

Result<std::unique_ptr<QueryExecution>> QueryExecution::Make(plan::LogicalOpPtr optimized_plan,
                                                             ExecutionOptions options) {
  if (optimized_plan == nullptr) return Status::Invalid("QueryExecution: null plan");
  if (options.threads < 1) options.threads = 1;
  if (options.batch_size < 1) options.batch_size = 8192;
  std::unique_ptr<QueryExecution> q(new QueryExecution());
  q->options_ = options;
  PhysicalPlannerOptions popts;
  ARROW_ASSIGN_OR_RAISE(q->root_, CreatePhysicalPlan(optimized_plan, popts));
  if (options.runtime_filters) AttachRuntimeFilters(*q->root_);
  arrow::FieldVector fields;
  for (const auto& c : optimized_plan->output) {
    fields.push_back(arrow::field(c.name, c.type, c.nullable));
  }
  q->schema_ = arrow::schema(fields);
  q->ordered_ = PlanOutputIsOrdered(optimized_plan);
  q->plan_ = std::move(optimized_plan);
  return q;
}

namespace {

void ResetMetrics(const PhysicalOperator& op) {
  op.metrics().Reset();
  for (const auto& c : op.children) ResetMetrics(*c);
}

}  // namespace

Status QueryExecution::Run(std::function<Status(std::shared_ptr<arrow::RecordBatch>)> on_batch) {
  ResetMetrics(*root_);
  auto schema = schema_;
  auto* registry = FunctionCatalog::Get().registry();
  TypeVector types;
  for (const auto& f : schema->fields()) types.push_back(f->type());
  CallbackSink sink(types, [&](Chunk&& chunk) -> Status {
    if (chunk.num_columns() != schema->num_fields()) {
      return Status::Invalid("internal error: result has ", chunk.num_columns(),
                             " columns, expected ", schema->num_fields());
    }
    for (int i = 0; i < schema->num_fields(); ++i) {
      const auto& want = schema->field(i)->type();
      if (!chunk.columns[i]->type()->Equals(*want)) {
        arrow::compute::ExecContext ctx(EngineMemoryPool(), nullptr, registry);
        ARROW_ASSIGN_OR_RAISE(chunk.columns[i],
                              arrow::compute::Cast(*chunk.columns[i], want,
                                                   arrow::compute::CastOptions::Safe(), &ctx));
      }
    }
    return on_batch(chunk.ToRecordBatch(schema));
  });
  ARROW_ASSIGN_OR_RAISE(auto pipelines, BuildPipelines(root_.get(), &sink, ordered_));
  QueryContext query;
  query.threads = options_.threads;
  query.batch_size = options_.batch_size;
  query.cancel = options_.cancel;
  query.registry = registry;
  return RunPipelines(pipelines, query);
}

std::string QueryExecution::ExplainPhysical() const {
  return PhysicalPlanToString(*root_, false);
}

std::string QueryExecution::ExplainAnalyze() const { return PhysicalPlanToString(*root_, true); }

}  // namespace shoal::exec
