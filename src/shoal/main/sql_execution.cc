// Session::Sql: parse a script, then run each statement. Queries are bound,
// optimized and executed on a background thread that streams batches into the
// QueryResult; DDL, DML and utility statements run eagerly here.
#include <arrow/builder.h>
#include <arrow/compute/api.h>
#include <arrow/table.h>

#include <chrono>
#include <thread>

#include "shoal/common/source_error.h"
#include "shoal/common/strings.h"
#include "shoal/execution/executor.h"
#include "shoal/function/function_catalog.h"
#include "shoal/main/query_result.h"
#include "shoal/main/session.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/optimizer/optimizer.h"
#include "shoal/parser/parser.h"
#include "shoal/planner/binder.h"

namespace shoal {

using exec::ExecutionOptions;
using exec::QueryExecution;

namespace {

/// Everything a statement needs while it runs.
struct StatementContext {
  SessionState* state;
  std::string_view sql;  // the whole script (for error positions)
};

BinderContext MakeBinderContext(const StatementContext& sc) {
  BinderContext bc;
  bc.catalog = &sc.state->catalog();
  bc.settings = &sc.state->settings();
  bc.sql = sc.sql;
  if (sc.state->settings().GetBool("shoal.runtime.allow_url_tables")) {
    bc.open_path = [](const std::string& path) { return OpenPathAsTable(path); };
  }
  const Catalog* catalog = &sc.state->catalog();
  bc.table_function = [catalog](const std::string& name,
                                const std::vector<std::shared_ptr<arrow::Scalar>>& args) {
    return CallTableFunction(name, args, catalog);
  };
  return bc;
}

/// A query planned down to an optimized logical plan.
struct PlannedQuery {
  plan::LogicalOpPtr logical;
  plan::LogicalOpPtr optimized;
  opt::OptimizerReport report;
};

Result<PlannedQuery> PlanQuery(const StatementContext& sc, const ast::Query& query) {
  Binder binder(MakeBinderContext(sc));
  PlannedQuery out;
  ARROW_ASSIGN_OR_RAISE(out.logical, binder.BindQuery(query));
  ARROW_ASSIGN_OR_RAISE(out.optimized, opt::Optimizer::Default().Optimize(
                                           out.logical, sc.state->settings(), &out.report));
  return out;
}

ExecutionOptions MakeExecutionOptions(const Settings& settings, const std::atomic<bool>* cancel) {
  ExecutionOptions opts;
  opts.threads = settings.threads();
  opts.batch_size = settings.batch_size();
  opts.runtime_filters = settings.GetBool("shoal.execution.runtime_filters");
  opts.cancel = cancel;
  return opts;
}

/// State shared between a streaming query's consumer and its execution thread.
struct RunningQuery {
  std::atomic<bool> cancel{false};
  std::unique_ptr<QueryExecution> execution;
  std::thread thread;
  uint64_t hook_id = 0;
};

/// Start executing an optimized plan on a background thread; batches stream to the
/// returned result.
Result<std::shared_ptr<QueryResult>> StartQuery(SessionState* state,
                                                const plan::LogicalOpPtr& optimized,
                                                const std::string& kind) {
  auto running = std::make_shared<RunningQuery>();
  ARROW_ASSIGN_OR_RAISE(
      running->execution,
      QueryExecution::Make(optimized, MakeExecutionOptions(state->settings(), &running->cancel)));
  auto stream = MakeQueryStream(running->execution->schema(), kind);
  auto producer = stream.producer;
  state->TrackQuery(producer);
  running->hook_id = state->AddCancelHook([running] { running->cancel.store(true); });
  // The result may outlive the session: hold the session state only weakly.
  std::weak_ptr<SessionState> weak_state = state->shared_from_this();
  producer->SetOnClose([running, weak_state] {
    running->cancel.store(true);
    if (running->thread.joinable()) running->thread.join();
    if (auto alive = weak_state.lock()) alive->RemoveCancelHook(running->hook_id);
  });
  QueryExecution* exec = running->execution.get();
  running->thread = std::thread([exec, producer] {
    Status st = exec->Run([&producer](std::shared_ptr<arrow::RecordBatch> batch) {
      return producer->Push(std::move(batch));
    });
    producer->Finish(st);
  });
  return stream.result;
}

/// Run a plan to completion and return all of its rows.
Result<std::shared_ptr<arrow::Table>> RunToTable(SessionState* state,
                                                 const plan::LogicalOpPtr& optimized,
                                                 std::unique_ptr<QueryExecution>* keep = nullptr) {
  std::atomic<bool> cancel{false};
  ScopedCancelHook hook(state, [&cancel] { cancel.store(true); });
  ARROW_ASSIGN_OR_RAISE(auto exec, QueryExecution::Make(
                                       optimized, MakeExecutionOptions(state->settings(), &cancel)));
  std::mutex mu;
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  ARROW_RETURN_NOT_OK(exec->Run([&](std::shared_ptr<arrow::RecordBatch> b) {
    std::lock_guard<std::mutex> lock(mu);
    batches.push_back(std::move(b));
    return Status::OK();
  }));
  auto schema = exec->schema();
  if (keep) *keep = std::move(exec);
  return arrow::Table::FromRecordBatches(schema, batches);
}

Result<std::shared_ptr<QueryResult>> ExecuteStatement(const StatementContext& sc,
                                                      const ast::Statement& stmt);

Result<std::shared_ptr<QueryResult>> ExecuteExplain(const StatementContext& sc,
                                                    const ast::ExplainStatement& ex) {
  if (!ex.statement || ex.statement->kind != ast::StatementKind::kSelect) {
    return Status::NotImplemented("EXPLAIN supports queries only");
  }
  const auto& query = *static_cast<const ast::SelectStatement&>(*ex.statement).query;
  ARROW_ASSIGN_OR_RAISE(auto planned, PlanQuery(sc, query));
  std::vector<std::pair<std::string, std::string>> rows;
  if (ex.verbose) {
    rows.emplace_back("initial_logical_plan", plan::PlanToString(planned.logical));
    rows.emplace_back("optimizer_rules", planned.report.ToString());
    rows.emplace_back("optimizer_fingerprint",
                      opt::Optimizer::Default().Fingerprint(sc.state->settings()));
  }
  rows.emplace_back("logical_plan", plan::PlanToString(planned.optimized));
  if (ex.analyze) {
    std::unique_ptr<QueryExecution> exec;
    auto t0 = std::chrono::steady_clock::now();
    ARROW_ASSIGN_OR_RAISE(auto table, RunToTable(sc.state, planned.optimized, &exec));
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count();
    rows.emplace_back("physical_plan_with_metrics",
                      exec->ExplainAnalyze() + "\ntotal: " + std::to_string(table->num_rows()) +
                          " rows in " + FormatMillis(ms));
  } else {
    std::atomic<bool> cancel{false};
    ARROW_ASSIGN_OR_RAISE(auto exec, QueryExecution::Make(planned.optimized,
                                                          MakeExecutionOptions(
                                                              sc.state->settings(), &cancel)));
    rows.emplace_back("physical_plan", exec->ExplainPhysical());
  }
  return MakeTableResult(TwoColumnTable("plan_type", "plan", rows), "EXPLAIN");
}

}  // namespace

// Defined here so that the helpers above can be reused by the statement handlers
// in statement_ddl.cc.
Result<std::shared_ptr<QueryResult>> RunQueryStatement(SessionState* state, std::string_view sql,
                                                       const ast::Query& query, bool stream) {
  StatementContext sc{state, sql};
  ARROW_ASSIGN_OR_RAISE(auto planned, PlanQuery(sc, query));
  if (stream) return StartQuery(state, planned.optimized, "SELECT");
  ARROW_ASSIGN_OR_RAISE(auto table, RunToTable(state, planned.optimized));
  return MakeTableResult(table, "SELECT");
}

Result<std::shared_ptr<arrow::Table>> RunQueryToTable(SessionState* state, std::string_view sql,
                                                      const ast::Query& query) {
  StatementContext sc{state, sql};
  ARROW_ASSIGN_OR_RAISE(auto planned, PlanQuery(sc, query));
  return RunToTable(state, planned.optimized);
}

namespace {

Result<std::shared_ptr<QueryResult>> ExecuteStatement(const StatementContext& sc,
                                                      const ast::Statement& stmt) {
  switch (stmt.kind) {
    case ast::StatementKind::kSelect:
      return RunQueryStatement(sc.state, sc.sql,
                               *static_cast<const ast::SelectStatement&>(stmt).query, true);
    case ast::StatementKind::kExplain:
      return ExecuteExplain(sc, static_cast<const ast::ExplainStatement&>(stmt));
    default:
      return ExecuteUtilityStatement(sc.state, sc.sql, stmt);
  }
}

}  // namespace

Result<std::shared_ptr<QueryResult>> Session::Sql(std::string_view sql) {
  ARROW_ASSIGN_OR_RAISE(auto statements, ParseSql(sql));
  if (statements.empty()) {
    return Status::Invalid("no SQL statement to run (the input is empty or only comments)");
  }
  std::shared_ptr<QueryResult> last;
  for (size_t i = 0; i < statements.size(); ++i) {
    std::unique_lock<std::mutex> lock(state_->statement_mutex());
    StatementContext sc{state_.get(), sql};
    ARROW_ASSIGN_OR_RAISE(last, ExecuteStatement(sc, *statements[i]));
    lock.unlock();
    if (i + 1 < statements.size()) {
      // Earlier statements of a script run to completion before the next starts.
      ARROW_RETURN_NOT_OK(last->ToTable().status());
    }
  }
  return last;
}

}  // namespace shoal
