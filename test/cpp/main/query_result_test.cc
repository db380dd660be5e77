#include "shoal/main/query_result.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include <arrow/array/builder_binary.h>
#include <arrow/array/builder_primitive.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "shoal/main/session_state.h"
#include "test_util.h"

namespace shoal {
namespace {

std::shared_ptr<arrow::Schema> TestSchema() {
  return arrow::schema({arrow::field("x", arrow::int64())});
}

std::shared_ptr<arrow::RecordBatch> MakeBatch(int64_t start, int64_t n,
                                              std::shared_ptr<arrow::Schema> schema = nullptr) {
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < n; ++i) EXPECT_TRUE(builder.Append(start + i).ok());
  std::shared_ptr<arrow::Array> array;
  EXPECT_TRUE(builder.Finish(&array).ok());
  return arrow::RecordBatch::Make(schema ? schema : TestSchema(), n, {array});
}

int64_t SumColumn(const arrow::RecordBatch& batch) {
  auto values = std::static_pointer_cast<arrow::Int64Array>(batch.column(0));
  int64_t sum = 0;
  for (int64_t i = 0; i < values->length(); ++i) sum += values->Value(i);
  return sum;
}

TEST(QueryResultTest, ThreadsPushWhileConsumerReadsSlowly) {
  constexpr int kThreads = 4;
  constexpr int kBatchesPerThread = 25;
  auto stream = MakeQueryStream(TestSchema(), "SELECT", /*capacity=*/2);
  std::atomic<int> done{0};
  std::atomic<int> max_in_flight{0};
  std::atomic<int> pushed{0};
  std::atomic<int> consumed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatchesPerThread; ++b) {
        ASSERT_TRUE(stream.producer->Push(MakeBatch((t * kBatchesPerThread + b) * 10, 10)).ok());
        int in_flight = ++pushed - consumed.load();
        int prev = max_in_flight.load();
        while (in_flight > prev && !max_in_flight.compare_exchange_weak(prev, in_flight)) {
        }
      }
      if (++done == kThreads) stream.producer->Finish();
    });
  }
  int64_t rows = 0, sum = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
    if (!batch) break;
    ++consumed;
    rows += batch->num_rows();
    sum += SumColumn(*batch);
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  for (auto& th : threads) th.join();
  const int64_t n = kThreads * kBatchesPerThread * 10;
  EXPECT_EQ(rows, n);
  EXPECT_EQ(sum, n * (n - 1) / 2);
  // Capacity 2 plus one batch per producer that may be between Push returning and
  // the counter update: backpressure keeps the queue bounded.
  EXPECT_LE(max_in_flight.load(), 2 + kThreads + 1);
  // Reading past the end keeps returning the end of the stream.
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  EXPECT_EQ(batch, nullptr);
}

TEST(QueryResultTest, PushBlocksUntilThereIsRoom) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT", 1);
  ASSERT_TRUE(stream.producer->Push(MakeBatch(0, 1)).ok());
  std::atomic<bool> second_pushed{false};
  std::thread producer([&] {
    ASSERT_TRUE(stream.producer->Push(MakeBatch(1, 1)).ok());
    second_pushed = true;
    stream.producer->Finish();
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(second_pushed.load());
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  ASSERT_NE(batch, nullptr);
  producer.join();
  EXPECT_TRUE(second_pushed.load());
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(SumColumn(*batch), 1);
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  EXPECT_EQ(batch, nullptr);
}

TEST(QueryResultTest, EarlyCloseUnblocksProducersAndRunsOnClose) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT", 2);
  std::atomic<int> stopped{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      // Push until the consumer goes away; never finishes on its own.
      while (true) {
        Status st = stream.producer->Push(MakeBatch(0, 5));
        if (!st.ok()) {
          EXPECT_TRUE(st.IsCancelled()) << st.ToString();
          break;
        }
      }
      ++stopped;
    });
  }
  bool joined = false;
  stream.producer->SetOnClose([&] {
    for (auto& th : threads) th.join();
    joined = true;
  });
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  ASSERT_NE(batch, nullptr);
  ASSERT_TRUE(stream.result->Close().ok());
  EXPECT_TRUE(joined);
  EXPECT_EQ(stopped.load(), 3);
  EXPECT_TRUE(stream.producer->cancelled());
  Status st = stream.result->ReadNext(&batch);
  EXPECT_TRUE(st.IsCancelled()) << st.ToString();
  // Closing twice is harmless.
  EXPECT_TRUE(stream.result->Close().ok());
}

TEST(QueryResultTest, MalformedBatchIsAnErrorNotACrash) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT", 2);
  // A batch claiming 5 rows over a 3-row column (an engine bug) is refused.
  auto column = MakeBatch(0, 3)->column(0);
  auto bad = arrow::RecordBatch::Make(TestSchema(), 5, {column});
  Status st = stream.producer->Push(bad);
  EXPECT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("invalid result batch"), std::string::npos) << st.ToString();
  EXPECT_TRUE(stream.producer->Push(MakeBatch(0, 3)).ok());
}

TEST(QueryResultTest, DestroyingTheResultCancelsAndJoins) {
  std::shared_ptr<QueryResult::Producer> producer;
  bool joined = false;
  std::thread worker;
  {
    auto stream = MakeQueryStream(TestSchema(), "SELECT", 1);
    producer = stream.producer;
    worker = std::thread([p = producer] {
      while (p->Push(MakeBatch(0, 1)).ok()) {
      }
    });
    producer->SetOnClose([&] {
      worker.join();
      joined = true;
    });
  }
  EXPECT_TRUE(joined);
  EXPECT_TRUE(producer->cancelled());
  // Pushing after the consumer is gone fails instead of blocking.
  EXPECT_TRUE(producer->Push(MakeBatch(0, 1)).IsCancelled());
}

TEST(QueryResultTest, OnCloseSetAfterCloseRunsImmediately) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT");
  ASSERT_TRUE(stream.result->Close().ok());
  bool ran = false;
  stream.producer->SetOnClose([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(QueryResultTest, ErrorReachesTheConsumer) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT", 4);
  std::thread producer([&] {
    ASSERT_TRUE(stream.producer->Push(MakeBatch(0, 3)).ok());
    stream.producer->Finish(Status::Invalid("division by zero in column x"));
    // Later pushes fail with the same error.
    Status st = stream.producer->Push(MakeBatch(0, 1));
    EXPECT_TRUE(st.IsInvalid());
  });
  producer.join();
  std::shared_ptr<arrow::RecordBatch> batch;
  Status st = stream.result->ReadNext(&batch);
  ASSERT_TRUE(st.IsInvalid()) << st.ToString();
  EXPECT_NE(st.message().find("division by zero"), std::string::npos);
  EXPECT_EQ(batch, nullptr);
  // ToTable reports the same error.
  auto table = stream.result->ToTable();
  ASSERT_FALSE(table.ok());
  EXPECT_NE(table.status().message().find("division by zero"), std::string::npos);
}

TEST(QueryResultTest, FinishOkDeliversQueuedBatchesFirst) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT", 4);
  ASSERT_TRUE(stream.producer->Push(MakeBatch(0, 2)).ok());
  ASSERT_TRUE(stream.producer->Push(MakeBatch(2, 2)).ok());
  stream.producer->Finish();
  stream.producer->Finish(Status::Invalid("ignored: the first Finish wins"));
  ASSERT_OK_AND_ASSIGN(auto table, stream.result->ToTable());
  EXPECT_EQ(table->num_rows(), 4);
  EXPECT_TRUE(table->schema()->Equals(*TestSchema()));
}

TEST(QueryResultTest, ReadNextForTimesOut) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT");
  std::shared_ptr<arrow::RecordBatch> batch;
  bool timed_out = false;
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(
      stream.result->ReadNextFor(std::chrono::milliseconds(20), &batch, &timed_out).ok());
  EXPECT_TRUE(timed_out);
  EXPECT_EQ(batch, nullptr);
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(15));
  ASSERT_TRUE(stream.producer->Push(MakeBatch(7, 1)).ok());
  ASSERT_TRUE(
      stream.result->ReadNextFor(std::chrono::milliseconds(1000), &batch, &timed_out).ok());
  EXPECT_FALSE(timed_out);
  ASSERT_NE(batch, nullptr);
  EXPECT_EQ(SumColumn(*batch), 7);
}

TEST(QueryResultTest, ResultSchemaNamesWinOverInternalNames) {
  auto stream = MakeQueryStream(TestSchema(), "SELECT");
  auto internal = arrow::schema({arrow::field("__col0", arrow::int64())});
  ASSERT_TRUE(stream.producer->Push(MakeBatch(1, 2, internal)).ok());
  auto wrong = arrow::schema({arrow::field("x", arrow::utf8())});
  arrow::StringBuilder sb;
  ASSERT_TRUE(sb.Append("a").ok());
  std::shared_ptr<arrow::Array> strings;
  ASSERT_TRUE(sb.Finish(&strings).ok());
  ASSERT_TRUE(stream.producer->Push(arrow::RecordBatch::Make(wrong, 1, {strings})).ok());
  stream.producer->Finish();
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(stream.result->ReadNext(&batch).ok());
  EXPECT_EQ(batch->schema()->field(0)->name(), "x");
  Status st = stream.result->ReadNext(&batch);
  EXPECT_TRUE(st.IsInvalid());
  EXPECT_NE(st.message().find("does not match"), std::string::npos);
}

TEST(QueryResultTest, TableResult) {
  auto b1 = MakeBatch(0, 3);
  auto b2 = MakeBatch(3, 4);
  ASSERT_OK_AND_ASSIGN(auto table, arrow::Table::FromRecordBatches({b1, b2}));
  auto result = MakeTableResult(table, "SHOW TABLES");
  EXPECT_EQ(result->statement_kind(), "SHOW TABLES");
  ASSERT_OK_AND_ASSIGN(auto out, result->ToTable());
  EXPECT_EQ(out->num_rows(), 7);
  EXPECT_TRUE(out->Equals(*table));

  auto empty = MakeTableResult(nullptr, "CREATE TABLE");
  EXPECT_EQ(empty->schema()->num_fields(), 0);
  std::shared_ptr<arrow::RecordBatch> batch;
  ASSERT_TRUE(empty->ReadNext(&batch).ok());
  EXPECT_EQ(batch, nullptr);
}

TEST(SessionStateTest, InterruptCancelsTrackedQueriesAndHooks) {
  SessionState state;
  auto running = MakeQueryStream(TestSchema(), "SELECT");
  state.TrackQuery(running.producer);
  EXPECT_EQ(state.running_queries(), 1u);
  int hook_calls = 0;
  {
    ScopedCancelHook hook(&state, [&] { ++hook_calls; });
    std::thread blocked([&] {
      // Fill the queue, then block until the interrupt arrives.
      Status st;
      while ((st = running.producer->Push(MakeBatch(0, 1))).ok()) {
      }
      EXPECT_TRUE(st.IsCancelled());
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    uint64_t before = state.interrupt_count();
    state.Interrupt();
    EXPECT_EQ(state.interrupt_count(), before + 1);
    blocked.join();
  }
  EXPECT_EQ(hook_calls, 1);
  std::shared_ptr<arrow::RecordBatch> batch;
  Status st = running.result->ReadNext(&batch);
  ASSERT_TRUE(st.IsCancelled());
  EXPECT_NE(st.message().find("interrupted"), std::string::npos);
  // The hook was removed with its scope; a new interrupt does not call it.
  state.Interrupt();
  EXPECT_EQ(hook_calls, 1);
  EXPECT_EQ(state.running_queries(), 0u);
}

}  // namespace
}  // namespace shoal
