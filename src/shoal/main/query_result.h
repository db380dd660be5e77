// The producer side of a streaming QueryResult: a bounded, thread-safe queue of
// record batches between the executor's worker threads and the consumer.
//
// Concurrency rules:
// - Any number of producer threads may call Push(); Push blocks while the queue
//   is full (backpressure) and returns a non-OK status once the query has been
//   cancelled (consumer closed the result, the session was interrupted, or an
//   error was reported with Finish()). Producers must stop on a non-OK Push.
// - Producers poll cancelled() between units of work to stop early.
// - Finish(status) is called once the query is done (OK = end of stream) or failed;
//   the first error wins, later calls are ignored. Batches already queued are still
//   delivered before an OK end of stream; an error is reported at the next read.
// - The consumer (one thread at a time) pulls with QueryResult::ReadNext.
// - Close() / ~QueryResult cancel the query, wake blocked producers, then run the
//   on-close callback exactly once (the executor joins its threads there). After
//   the callback returns no producer may still be running.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "shoal/main/session.h"

namespace shoal {

/// The producer end of a QueryResult. Shared between the result and the executor.
class QueryResult::Producer {
 public:
  /// Default queue capacity in batches.
  static constexpr size_t kDefaultCapacity = 4;

  /// Create a producer whose queue holds at most `capacity` batches (at least 1).
  explicit Producer(size_t capacity = kDefaultCapacity);
  ~Producer();

  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  /// Queue a batch, blocking while the queue is full. Return the cancellation
  /// status (Cancelled or the reported error) once the query has stopped; the
  /// batch is then dropped.
  Status Push(std::shared_ptr<arrow::RecordBatch> batch);
  /// Report the end of the stream (OK) or an error. Only the first call counts.
  void Finish(Status status = Status::OK());
  /// Return true once the query should stop (consumer closed, interrupted or failed).
  bool cancelled() const { return cancelled_.load(std::memory_order_acquire); }
  /// Stop the query with `reason` (a non-OK status such as Cancelled). Wakes every
  /// blocked producer and the consumer. Thread-safe; the first reason wins.
  void Cancel(Status reason);
  /// Install a callback run once when the result is closed or destroyed, after
  /// cancellation (used to join executor threads). Must not call back into the result.
  void SetOnClose(std::function<void()> on_close);
  /// Return true once Finish() has been called.
  bool finished() const;

  // --- consumer side (used by QueryResult) ---

  /// Pop the next batch; `*out` is null at the end of the stream. Blocks until a
  /// batch, the end, an error or cancellation. `timeout` < 0 waits forever;
  /// otherwise `*timed_out` is set when nothing arrived in time.
  Status Pop(std::shared_ptr<arrow::RecordBatch>* out, std::chrono::milliseconds timeout,
             bool* timed_out);
  /// Cancel (if not finished) and run the on-close callback once.
  void Close(Status reason);

 private:
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;   // producers wait here
  std::condition_variable not_empty_;  // the consumer waits here
  std::deque<std::shared_ptr<arrow::RecordBatch>> queue_;
  std::atomic<bool> cancelled_{false};
  Status cancel_status_;       // why the query stopped (valid when cancelled_)
  bool finished_ = false;      // Finish() was called
  Status finish_status_;       // status passed to Finish()
  bool closed_ = false;        // Close() ran
  std::function<void()> on_close_;
  std::once_flag close_once_;
};

/// Create a producer/result pair. The caller pushes batches through the returned
/// producer (typically from executor threads) and hands the result to the user.
struct QueryStream {
  std::shared_ptr<QueryResult> result;
  std::shared_ptr<QueryResult::Producer> producer;
};
/// Return a new result over `schema` with an empty queue of `capacity` batches.
QueryStream MakeQueryStream(std::shared_ptr<arrow::Schema> schema, std::string statement_kind,
                            size_t capacity = QueryResult::Producer::kDefaultCapacity);

/// Return a finished result that yields the batches of an already materialized
/// table (DDL output, SHOW, EXPLAIN). A null table gives an empty result with an
/// empty schema.
std::shared_ptr<QueryResult> MakeTableResult(std::shared_ptr<arrow::Table> table,
                                             std::string statement_kind);

}  // namespace shoal
