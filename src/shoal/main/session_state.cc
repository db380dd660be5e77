#include "shoal/main/session_state.h"

#include <vector>

namespace shoal {

uint64_t SessionState::AddCancelHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  uint64_t id = next_hook_id_++;
  hooks_.emplace(id, std::move(hook));
  return id;
}

void SessionState::RemoveCancelHook(uint64_t id) {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  hooks_.erase(id);
}

void SessionState::TrackQuery(const std::shared_ptr<QueryResult::Producer>& producer) {
  if (!producer) return;
  std::lock_guard<std::mutex> lock(registry_mutex_);
  // Forget producers that are gone or done so the registry stays small.
  for (auto it = queries_.begin(); it != queries_.end();) {
    auto p = it->second.lock();
    if (!p || p->cancelled() || p->finished()) {
      it = queries_.erase(it);
    } else {
      ++it;
    }
  }
  queries_.emplace(next_hook_id_++, producer);
}

void SessionState::Interrupt() {
  interrupt_count_.fetch_add(1);
  std::vector<std::shared_ptr<QueryResult::Producer>> producers;
  std::vector<std::function<void()>> hooks;
  {
    std::lock_guard<std::mutex> lock(registry_mutex_);
    for (auto& [id, weak] : queries_) {
      if (auto p = weak.lock()) producers.push_back(std::move(p));
    }
    queries_.clear();
    for (auto& [id, hook] : hooks_) hooks.push_back(hook);
  }
  // Run outside the lock: a hook may unregister itself or take other locks.
  for (auto& p : producers) p->Cancel(Status::Cancelled("query interrupted"));
  for (auto& hook : hooks) {
    if (hook) hook();
  }
}

size_t SessionState::running_queries() const {
  std::lock_guard<std::mutex> lock(registry_mutex_);
  size_t n = 0;
  for (auto& [id, weak] : queries_) {
    auto p = weak.lock();
    if (p && !p->cancelled() && !p->finished()) ++n;
  }
  return n;
}

}  // namespace shoal
