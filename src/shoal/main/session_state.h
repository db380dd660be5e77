// The state behind a Session: catalog, settings and the registry of running
// queries that Session::Interrupt() cancels. Used by Session's methods and by the
// statement execution code (sql_execution.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>

#include "shoal/catalog/catalog.h"
#include "shoal/common/settings.h"
#include "shoal/main/query_result.h"

namespace shoal {

/// Session internals. Thread-safety: the catalog is thread-safe on its own;
/// `settings()` is not, so hold `statement_mutex()` while reading or changing
/// settings from a statement (Session::Sql runs statements under it); the cancel
/// registry is thread-safe and may be used from any thread.
class SessionState : public std::enable_shared_from_this<SessionState> {
 public:
  SessionState() = default;
  SessionState(const SessionState&) = delete;
  SessionState& operator=(const SessionState&) = delete;

  /// Return the session catalog.
  Catalog& catalog() { return catalog_; }
  /// Return the session settings.
  Settings& settings() { return settings_; }
  /// Return the mutex that serializes statements of this session.
  std::mutex& statement_mutex() { return statement_mutex_; }

  /// Register a hook that stops a running query; called (from any thread) by
  /// Interrupt(). Return an id for RemoveCancelHook.
  uint64_t AddCancelHook(std::function<void()> hook);
  /// Remove a hook; unknown ids are ignored.
  void RemoveCancelHook(uint64_t id);
  /// Track a streaming result's producer: Interrupt() cancels it with
  /// Cancelled("query interrupted"). The registry holds only a weak reference and
  /// forgets the producer once it is destroyed.
  void TrackQuery(const std::shared_ptr<QueryResult::Producer>& producer);
  /// Cancel every tracked query and run every cancel hook. Thread-safe.
  void Interrupt();
  /// Return how many times Interrupt() was called. A statement that cannot register
  /// a hook (e.g. while planning) can compare this before and after a step.
  uint64_t interrupt_count() const { return interrupt_count_.load(); }
  /// Return the number of tracked queries still alive and not finished (for tests).
  size_t running_queries() const;

 private:
  Catalog catalog_;
  Settings settings_;
  std::mutex statement_mutex_;

  mutable std::mutex registry_mutex_;
  uint64_t next_hook_id_ = 1;
  std::map<uint64_t, std::function<void()>> hooks_;
  std::map<uint64_t, std::weak_ptr<QueryResult::Producer>> queries_;
  std::atomic<uint64_t> interrupt_count_{0};
};

/// RAII registration of a cancel hook: removes the hook when destroyed.
class ScopedCancelHook {
 public:
  ScopedCancelHook(SessionState* state, std::function<void()> hook)
      : state_(state), id_(state->AddCancelHook(std::move(hook))) {}
  ~ScopedCancelHook() { state_->RemoveCancelHook(id_); }
  ScopedCancelHook(const ScopedCancelHook&) = delete;
  ScopedCancelHook& operator=(const ScopedCancelHook&) = delete;

 private:
  SessionState* state_;
  uint64_t id_;
};

}  // namespace shoal
