#include "shoal/execution/physical_operator.h"

namespace shoal::exec {

GlobalSinkState* QueryContext::sink_state(const PhysicalOperator* op) const {
  auto it = sink_states_.find(op);
  return it == sink_states_.end() ? nullptr : it->second.get();
}

void QueryContext::set_sink_state(const PhysicalOperator* op,
                                  std::unique_ptr<GlobalSinkState> state) {
  sink_states_[op] = std::move(state);
}

void QueryContext::release_sink_state(const PhysicalOperator* op) { sink_states_.erase(op); }

std::vector<const PhysicalOperator*> QueryContext::sink_state_owners() const {
  std::vector<const PhysicalOperator*> out;
  for (const auto& [op, state] : sink_states_) out.push_back(op);
  return out;
}

namespace {
Status NotRole(const PhysicalOperator& op, const char* role) {
  return Status::Invalid("internal error: operator ", op.name(), " has no ", role, " role");
}
}  // namespace

Result<std::unique_ptr<GlobalSourceState>> PhysicalOperator::MakeGlobalSourceState(
    QueryContext&) const {
  return NotRole(*this, "source");
}
Result<std::unique_ptr<LocalSourceState>> PhysicalOperator::MakeLocalSourceState(
    ThreadContext&, GlobalSourceState&) const {
  return std::make_unique<LocalSourceState>();
}
Result<bool> PhysicalOperator::GetData(ThreadContext&, GlobalSourceState&, LocalSourceState&,
                                       Chunk*) const {
  return NotRole(*this, "source");
}
Result<std::unique_ptr<OperatorState>> PhysicalOperator::MakeOperatorState(
    ThreadContext&) const {
  return std::make_unique<OperatorState>();
}
Status PhysicalOperator::Execute(ThreadContext&, Chunk&&, OperatorState*, const Emit&) const {
  return NotRole(*this, "streaming");
}
Result<std::unique_ptr<GlobalSinkState>> PhysicalOperator::MakeGlobalSinkState(
    QueryContext&) const {
  return NotRole(*this, "sink");
}
Result<std::unique_ptr<LocalSinkState>> PhysicalOperator::MakeLocalSinkState(
    ThreadContext&, GlobalSinkState&) const {
  return std::make_unique<LocalSinkState>();
}
Status PhysicalOperator::Sink(ThreadContext&, Chunk&&, GlobalSinkState&,
                              LocalSinkState&) const {
  return NotRole(*this, "sink");
}
Status PhysicalOperator::Combine(ThreadContext&, GlobalSinkState&, LocalSinkState&) const {
  return Status::OK();
}
Status PhysicalOperator::Finalize(QueryContext&, GlobalSinkState&) const {
  return Status::OK();
}

void SplitChunk(const Chunk& chunk, int64_t batch_size, std::vector<Chunk>* out) {
  if (batch_size <= 0) batch_size = 8192;
  if (chunk.length <= batch_size) {
    out->push_back(chunk);
    return;
  }
  for (int64_t off = 0; off < chunk.length; off += batch_size) {
    out->push_back(chunk.Slice(off, std::min(batch_size, chunk.length - off)));
  }
}

}  // namespace shoal::exec
