#include "shoal/main/query_result.h"

#include <algorithm>
#include <utility>

#include <arrow/table.h>

namespace shoal {

// ---------------------------------------------------------------------------
// Producer
// ---------------------------------------------------------------------------

QueryResult::Producer::Producer(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {}

QueryResult::Producer::~Producer() = default;

Status QueryResult::Producer::Push(std::shared_ptr<arrow::RecordBatch> batch) {
  if (batch == nullptr) return Status::Invalid("internal error: null batch pushed to a query result");
  // Cheap structural check (lengths, buffer counts; O(columns)): an engine bug must
  // surface as an error, never as a crash in the caller that reads the batch.
  if (Status st = batch->Validate(); !st.ok()) {
    return Status::Invalid("internal error: invalid result batch: ", st.message());
  }
  std::unique_lock<std::mutex> lock(mutex_);
  not_full_.wait(lock, [&] { return queue_.size() < capacity_ || cancelled_.load(); });
  if (cancelled_.load()) return cancel_status_;
  if (finished_) {
    return Status::Invalid("internal error: batch pushed to a query result after Finish()");
  }
  queue_.push_back(std::move(batch));
  lock.unlock();
  not_empty_.notify_one();
  return Status::OK();
}

void QueryResult::Producer::Finish(Status status) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (finished_) return;
    finished_ = true;
    finish_status_ = status;
    if (!status.ok() && !cancelled_.load()) {
      cancel_status_ = std::move(status);
      cancelled_.store(true, std::memory_order_release);
    }
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

void QueryResult::Producer::Cancel(Status reason) {
  if (reason.ok()) reason = Status::Cancelled("query cancelled");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cancelled_.load()) return;
    cancel_status_ = std::move(reason);
    cancelled_.store(true, std::memory_order_release);
  }
  not_empty_.notify_all();
  not_full_.notify_all();
}

void QueryResult::Producer::SetOnClose(std::function<void()> on_close) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (closed_) {
    // The consumer already closed the result: run the callback right away so the
    // executor's threads are still joined.
    lock.unlock();
    if (on_close) on_close();
    return;
  }
  on_close_ = std::move(on_close);
}

bool QueryResult::Producer::finished() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return finished_;
}

Status QueryResult::Producer::Pop(std::shared_ptr<arrow::RecordBatch>* out,
                                  std::chrono::milliseconds timeout, bool* timed_out) {
  *out = nullptr;
  if (timed_out) *timed_out = false;
  std::unique_lock<std::mutex> lock(mutex_);
  auto ready = [&] { return !queue_.empty() || finished_ || cancelled_.load(); };
  if (timeout.count() < 0) {
    not_empty_.wait(lock, ready);
  } else if (!not_empty_.wait_for(lock, timeout, ready)) {
    if (timed_out) *timed_out = true;
    return Status::OK();
  }
  if (cancelled_.load()) return cancel_status_;
  if (!queue_.empty()) {
    *out = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    not_full_.notify_one();
    return Status::OK();
  }
  // finished_ with an empty queue: the end of the stream (errors cancel, above).
  return finish_status_;
}

void QueryResult::Producer::Close(Status reason) {
  std::function<void()> on_close;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return;
    closed_ = true;
    if (!cancelled_.load()) {
      cancel_status_ = std::move(reason);
      cancelled_.store(true, std::memory_order_release);
    }
    queue_.clear();
    on_close = std::move(on_close_);
    on_close_ = nullptr;
  }
  not_empty_.notify_all();
  not_full_.notify_all();
  if (on_close) on_close();
}

// ---------------------------------------------------------------------------
// QueryResult
// ---------------------------------------------------------------------------

QueryResult::QueryResult(std::shared_ptr<arrow::Schema> schema, std::shared_ptr<Producer> producer,
                         std::string statement_kind)
    : schema_(schema ? std::move(schema) : arrow::schema({})),
      producer_(producer ? std::move(producer) : std::make_shared<Producer>()),
      statement_kind_(std::move(statement_kind)) {}

QueryResult::~QueryResult() {
  producer_->Close(Status::Cancelled("query result was closed"));
}

std::shared_ptr<arrow::Schema> QueryResult::schema() const { return schema_; }

Status QueryResult::ReadNext(std::shared_ptr<arrow::RecordBatch>* out) {
  bool timed_out = false;
  return ReadNextFor(std::chrono::milliseconds(-1), out, &timed_out);
}

Status QueryResult::ReadNextFor(std::chrono::milliseconds timeout,
                                std::shared_ptr<arrow::RecordBatch>* out, bool* timed_out) {
  ARROW_RETURN_NOT_OK(producer_->Pop(out, timeout, timed_out));
  if (*out == nullptr) return Status::OK();
  std::shared_ptr<arrow::RecordBatch> batch = *out;
  if (batch->schema().get() == schema_.get() || batch->schema()->Equals(*schema_, false)) {
    return Status::OK();
  }
  // The executor may produce internal field names; the result's names win as long
  // as the column types agree.
  bool types_match = batch->num_columns() == schema_->num_fields();
  for (int i = 0; types_match && i < batch->num_columns(); ++i) {
    types_match = batch->column(i)->type()->Equals(*schema_->field(i)->type());
  }
  if (!types_match) {
    *out = nullptr;
    return Status::Invalid("internal error: result batch schema ", batch->schema()->ToString(),
                           " does not match the result schema ", schema_->ToString());
  }
  *out = arrow::RecordBatch::Make(schema_, batch->num_rows(), batch->columns());
  return Status::OK();
}

Status QueryResult::Close() {
  producer_->Close(Status::Cancelled("query result was closed"));
  return Status::OK();
}

Result<std::shared_ptr<arrow::Table>> QueryResult::ToTable() {
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ARROW_RETURN_NOT_OK(ReadNext(&batch));
    if (!batch) break;
    batches.push_back(std::move(batch));
  }
  return arrow::Table::FromRecordBatches(schema_, batches);
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

QueryStream MakeQueryStream(std::shared_ptr<arrow::Schema> schema, std::string statement_kind,
                            size_t capacity) {
  auto producer = std::make_shared<QueryResult::Producer>(capacity);
  auto result = std::make_shared<QueryResult>(std::move(schema), producer, std::move(statement_kind));
  return {std::move(result), std::move(producer)};
}

std::shared_ptr<QueryResult> MakeTableResult(std::shared_ptr<arrow::Table> table,
                                             std::string statement_kind) {
  if (table == nullptr) {
    auto stream = MakeQueryStream(arrow::schema({}), std::move(statement_kind), 1);
    stream.producer->Finish();
    return stream.result;
  }
  std::vector<std::shared_ptr<arrow::RecordBatch>> batches;
  arrow::TableBatchReader reader(*table);
  std::shared_ptr<arrow::RecordBatch> batch;
  Status st;
  while ((st = reader.ReadNext(&batch)).ok() && batch) batches.push_back(std::move(batch));
  auto stream = MakeQueryStream(table->schema(), std::move(statement_kind),
                                std::max<size_t>(batches.size(), 1));
  if (st.ok()) {
    for (auto& b : batches) {
      st = stream.producer->Push(std::move(b));
      if (!st.ok()) break;
    }
  }
  stream.producer->Finish(st);
  return stream.result;
}

}  // namespace shoal
