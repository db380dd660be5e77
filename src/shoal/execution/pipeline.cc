#include "shoal/execution/pipeline.h"

#include <algorithm>
#include <mutex>
#include <thread>

#include <arrow/compute/exec.h>

#include "shoal/common/memory_pool.h"

namespace shoal::exec {

namespace {

class Builder {
 public:
  std::vector<Pipeline> pipelines;

  Status Build(const PhysicalOperator* op, size_t cur) {
    switch (op->kind()) {
      case PhysicalOperator::Kind::kSource:
        pipelines[cur].source = op;
        return Status::OK();
      case PhysicalOperator::Kind::kStreaming: {
        if (op->children.size() != 1) {
          return Status::Invalid("internal error: ", op->name(), " needs one input");
        }
        auto& ops = pipelines[cur].operators;
        ops.insert(ops.begin(), op);
        return Build(op->children[0].get(), cur);
      }
      case PhysicalOperator::Kind::kBreaker: {
        pipelines[cur].source = op;
        for (size_t i = 0; i < op->children.size(); ++i) {
          Pipeline p;
          p.sink = op;
          p.sink_input = static_cast<int>(i);
          pipelines.push_back(p);
          ARROW_RETURN_NOT_OK(Build(op->children[i].get(), pipelines.size() - 1));
        }
        return Status::OK();
      }
      case PhysicalOperator::Kind::kJoin: {
        int b = op->build_child();
        if (op->children.size() != 2 || b < 0 || b > 1) {
          return Status::Invalid("internal error: join needs two inputs");
        }
        // Build side: its own pipeline into the join's sink role.
        Pipeline build;
        build.sink = op;
        pipelines.push_back(build);
        ARROW_RETURN_NOT_OK(Build(op->children[b].get(), pipelines.size() - 1));
        // Unmatched build rows (outer joins) flow through the operators above.
        if (op->has_build_output()) {
          Pipeline out;
          out.source = op;
          out.operators = pipelines[cur].operators;
          out.sink = pipelines[cur].sink;
          out.sink_input = pipelines[cur].sink_input;
          out.single_threaded = pipelines[cur].single_threaded;
          pipelines.push_back(out);
        }
        auto& ops = pipelines[cur].operators;
        ops.insert(ops.begin(), op);
        return Build(op->children[1 - b].get(), cur);
      }
      case PhysicalOperator::Kind::kUnion: {
        if (op->children.empty()) return Status::Invalid("internal error: empty union");
        // Every further child gets a copy of the pipeline above the union.
        Pipeline above = pipelines[cur];
        for (size_t i = 1; i < op->children.size(); ++i) {
          pipelines.push_back(above);
          ARROW_RETURN_NOT_OK(Build(op->children[i].get(), pipelines.size() - 1));
        }
        return Build(op->children[0].get(), cur);
      }
    }
    return Status::Invalid("internal error: unknown operator kind");
  }
};

bool Contains(const std::vector<const PhysicalOperator*>& v, const PhysicalOperator* op) {
  return std::find(v.begin(), v.end(), op) != v.end();
}

/// True when every pipeline `p` waits for is done.
bool Runnable(const std::vector<Pipeline>& ps, const std::vector<bool>& done, size_t p) {
  auto sink_done = [&](const PhysicalOperator* op) {
    for (size_t i = 0; i < ps.size(); ++i) {
      if (i != p && !done[i] && ps[i].sink == op) return false;
    }
    return true;
  };
  for (const auto* op : ps[p].operators) {
    if (op->kind() == PhysicalOperator::Kind::kJoin && !sink_done(op)) return false;
  }
  const auto* src = ps[p].source;
  if (src != nullptr && src->kind() != PhysicalOperator::Kind::kSource) {
    if (!sink_done(src)) return false;
    // A join's build output waits for every probe pipeline through the join.
    for (size_t i = 0; i < ps.size(); ++i) {
      if (i != p && !done[i] && Contains(ps[i].operators, src)) return false;
    }
  }
  return true;
}

struct WorkerShared {
  std::mutex mu;
  Status error;
  std::atomic<bool> stop_claiming{false};
  void Fail(QueryContext& q, const Status& st) {
    std::lock_guard<std::mutex> lock(mu);
    if (error.ok()) error = st;
    q.abort.store(true);
  }
};

class Worker {
 public:
  Worker(const Pipeline& p, QueryContext& q, GlobalSourceState& gsrc, GlobalSinkState& gsink,
         WorkerShared& shared, int index)
      : p_(p), q_(q), gsrc_(gsrc), gsink_(gsink), shared_(shared) {
    arrow_ctx_ = std::make_unique<arrow::compute::ExecContext>(EngineMemoryPool(),
                                                               nullptr, q.registry);
    arrow_ctx_->set_use_threads(false);
    ctx_.query = &q;
    ctx_.thread_index = index;
    ctx_.arrow_ctx = arrow_ctx_.get();
    ctx_.stop_claiming = &shared.stop_claiming;
    ctx_.sink_input = p.sink_input;
  }

  void Run() {
    Status st = RunImpl();
    if (!st.ok()) shared_.Fail(q_, st);
  }

 private:
  Status RunImpl() {
    ARROW_ASSIGN_OR_RAISE(auto lsrc, p_.source->MakeLocalSourceState(ctx_, gsrc_));
    for (const auto* op : p_.operators) {
      ARROW_ASSIGN_OR_RAISE(auto st, op->MakeOperatorState(ctx_));
      states_.push_back(std::move(st));
    }
    ARROW_ASSIGN_OR_RAISE(lsink_, p_.sink->MakeLocalSinkState(ctx_, gsink_));
    while (!q_.abort.load(std::memory_order_relaxed)) {
      ARROW_RETURN_NOT_OK(q_.CheckCancelled());
      Chunk chunk;
      bool more;
      {
        ScopedTimer t(&p_.source->metrics().time_ns);
        ARROW_ASSIGN_OR_RAISE(more, p_.source->GetData(ctx_, gsrc_, *lsrc, &chunk));
      }
      if (!more) break;
      p_.source->metrics().rows_out.fetch_add(chunk.length, std::memory_order_relaxed);
      if (chunk.length == 0) continue;
      ARROW_RETURN_NOT_OK(Push(0, std::move(chunk)));
      if (p_.sink->SinkSatisfied(gsink_)) shared_.stop_claiming.store(true);
    }
    if (q_.abort.load()) return Status::OK();
    ScopedTimer t(&p_.sink->metrics().time_ns);
    return p_.sink->Combine(ctx_, gsink_, *lsink_);
  }

  Status Push(size_t i, Chunk&& chunk) {
    if (i == p_.operators.size()) {
      p_.sink->metrics().rows_in.fetch_add(chunk.length, std::memory_order_relaxed);
      ScopedTimer t(&p_.sink->metrics().time_ns);
      return p_.sink->Sink(ctx_, std::move(chunk), gsink_, *lsink_);
    }
    const PhysicalOperator* op = p_.operators[i];
    op->metrics().rows_in.fetch_add(chunk.length, std::memory_order_relaxed);
    auto t0 = std::chrono::steady_clock::now();
    int64_t inner_ns = 0;
    Emit emit = [&](Chunk&& out) -> Status {
      if (out.length == 0) return Status::OK();
      op->metrics().rows_out.fetch_add(out.length, std::memory_order_relaxed);
      auto t1 = std::chrono::steady_clock::now();
      Status st = Push(i + 1, std::move(out));
      inner_ns += std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - t1)
                      .count();
      return st;
    };
    Status st = op->Execute(ctx_, std::move(chunk), states_[i].get(), emit);
    int64_t total = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::steady_clock::now() - t0)
                        .count();
    op->metrics().time_ns.fetch_add(total - inner_ns, std::memory_order_relaxed);
    return st;
  }

  const Pipeline& p_;
  QueryContext& q_;
  GlobalSourceState& gsrc_;
  GlobalSinkState& gsink_;
  WorkerShared& shared_;
  std::unique_ptr<arrow::compute::ExecContext> arrow_ctx_;
  ThreadContext ctx_;
  std::vector<std::unique_ptr<OperatorState>> states_;
  std::unique_ptr<LocalSinkState> lsink_;
};

Status RunOne(const Pipeline& p, QueryContext& q) {
  if (p.source == nullptr || p.sink == nullptr) {
    return Status::Invalid("internal error: incomplete pipeline");
  }
  GlobalSinkState* gsink = q.sink_state(p.sink);
  if (gsink == nullptr) {
    ARROW_ASSIGN_OR_RAISE(auto st, p.sink->MakeGlobalSinkState(q));
    gsink = st.get();
    q.set_sink_state(p.sink, std::move(st));
  }
  ARROW_ASSIGN_OR_RAISE(auto gsrc, p.source->MakeGlobalSourceState(q));
  WorkerShared shared;
  int n = p.single_threaded ? 1 : std::max(1, q.threads);
  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < n; ++i) {
    workers.push_back(std::make_unique<Worker>(p, q, *gsrc, *gsink, shared, i));
  }
  std::vector<std::thread> threads;
  for (int i = 1; i < n; ++i) threads.emplace_back([&, i] { workers[i]->Run(); });
  workers[0]->Run();
  for (auto& t : threads) t.join();
  return shared.error;
}

}  // namespace

Result<std::vector<Pipeline>> BuildPipelines(const PhysicalOperator* root,
                                             const PhysicalOperator* sink,
                                             bool ordered_output) {
  Builder b;
  Pipeline top;
  top.sink = sink;
  top.single_threaded = ordered_output;
  b.pipelines.push_back(top);
  ARROW_RETURN_NOT_OK(b.Build(root, 0));
  for (auto& p : b.pipelines) {
    if (p.sink != sink) p.single_threaded = false;
  }
  return std::move(b.pipelines);
}

Status RunPipelines(const std::vector<Pipeline>& pipelines, QueryContext& query) {
  std::vector<bool> done(pipelines.size(), false);
  size_t remaining = pipelines.size();
  while (remaining > 0) {
    size_t next = pipelines.size();
    for (size_t i = 0; i < pipelines.size(); ++i) {
      if (!done[i] && Runnable(pipelines, done, i)) {
        next = i;
        break;
      }
    }
    if (next == pipelines.size()) {
      return Status::Invalid("internal error: pipeline dependency cycle");
    }
    ARROW_RETURN_NOT_OK(query.CheckCancelled());
    ARROW_RETURN_NOT_OK(RunOne(pipelines[next], query));
    done[next] = true;
    --remaining;
    // Finalize the sink once nothing else feeds it.
    const PhysicalOperator* sink = pipelines[next].sink;
    bool last = true;
    for (size_t i = 0; i < pipelines.size(); ++i) {
      if (!done[i] && pipelines[i].sink == sink) last = false;
    }
    if (last) {
      ScopedTimer t(&sink->metrics().time_ns);
      ARROW_RETURN_NOT_OK(sink->Finalize(query, *query.sink_state(sink)));
    }
    // Free the states no remaining pipeline reads (build sides, buffered results).
    for (const PhysicalOperator* op : query.sink_state_owners()) {
      bool used = false;
      for (size_t i = 0; i < pipelines.size() && !used; ++i) {
        if (done[i]) continue;
        const auto& p = pipelines[i];
        used = p.sink == op || p.source == op || Contains(p.operators, op);
      }
      if (!used) query.release_sink_state(op);
    }
  }
  return Status::OK();
}

Status RunSubPlan(const PhysicalOperator* root, const QueryContext& parent,
                  std::vector<Chunk>* out) {
  std::mutex mu;
  CallbackSink sink(root->types(), [&](Chunk&& c) {
    std::lock_guard<std::mutex> lock(mu);
    out->push_back(std::move(c));
    return Status::OK();
  });
  ARROW_ASSIGN_OR_RAISE(auto pipelines, BuildPipelines(root, &sink, false));
  QueryContext q;
  q.threads = parent.threads;
  q.batch_size = parent.batch_size;
  q.cancel = parent.cancel;
  q.registry = parent.registry;
  q.cte_tables = parent.cte_tables;
  return RunPipelines(pipelines, q);
}

std::string PipelinesToString(const std::vector<Pipeline>& pipelines) {
  std::string s;
  for (size_t i = 0; i < pipelines.size(); ++i) {
    const auto& p = pipelines[i];
    s += "Pipeline " + std::to_string(i) + ": ";
    s += p.source ? p.source->name() : "?";
    for (const auto* op : p.operators) s += " -> " + op->name();
    s += " -> " + (p.sink ? p.sink->name() : std::string("?"));
    if (p.sink_input) s += "[" + std::to_string(p.sink_input) + "]";
    s += "\n";
  }
  return s;
}

}  // namespace shoal::exec
