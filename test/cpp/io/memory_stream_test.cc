// In-memory and one-shot stream tables.
#include <thread>

#include "io_test_util.h"
#include "shoal/io/memory_table.h"
#include "shoal/io/stream_table.h"

namespace shoal::test {
namespace {

std::vector<std::shared_ptr<arrow::RecordBatch>> Batches(const std::shared_ptr<arrow::Table>& t,
                                                         int64_t chunk) {
  arrow::TableBatchReader reader(*t);
  reader.set_chunksize(chunk);
  return reader.ToRecordBatches().ValueOrDie();
}

TEST(MemoryTableTest, ScansSlicesAndProjects) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  auto data = SampleTable(100);
  ASSERT_OK_AND_ASSIGN(auto table,
                       MemoryTable::Make(data->schema(), {Batches(data, 40), Batches(data, 100)}));
  auto stats = table->statistics();
  EXPECT_EQ(*stats.num_rows, 200);
  EXPECT_TRUE(stats.exact);
  ScanRequest req;
  req.columns = {1, 1};
  req.batch_size = 7;
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  EXPECT_EQ(scan->morsels().size(), 4u);
  ASSERT_OK_AND_ASSIGN(auto reader, scan->morsels()[0]->Open());
  std::shared_ptr<arrow::RecordBatch> b;
  ASSERT_OK(reader->ReadNext(&b));
  EXPECT_EQ(b->num_rows(), 7);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 200);
  EXPECT_EQ(got->num_columns(), 2);
  EXPECT_EQ(scan->metrics().rows_read, 207);  // 7 read above, then everything
  req.limit = 50;
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, req));
  EXPECT_EQ(got->num_rows(), 50);
  ASSERT_OK_AND_ASSIGN(got, ScanToTable(*table, ScanRequest{}));
  EXPECT_EQ(got->num_rows(), 200);
}

TEST(MemoryTableTest, AppendIsCopyOnWriteAndChecked) {
  auto data = SampleTable(10);
  ASSERT_OK_AND_ASSIGN(auto table, MemoryTable::Make(data->schema(), {Batches(data, 10)}));
  ASSERT_OK_AND_ASSIGN(auto before, table->Scan(AllColumns(*table)));
  // Names may differ; types must match.
  auto renamed = arrow::schema({arrow::field("a", arrow::int64()),
                                arrow::field("b", arrow::float64()),
                                arrow::field("c", arrow::utf8())});
  auto batch = Batches(data, 10)[0];
  ASSERT_OK(table->Append({arrow::RecordBatch::Make(renamed, 10, batch->columns())}));
  ASSERT_OK_AND_ASSIGN(auto old_rows, Drain(*before));
  EXPECT_EQ(old_rows->num_rows(), 10);  // the running scan keeps its snapshot
  ASSERT_OK_AND_ASSIGN(auto now, ScanToTable(*table, AllColumns(*table)));
  EXPECT_EQ(now->num_rows(), 20);
  EXPECT_EQ(now->schema()->field(0)->name(), "x");

  auto wrong = arrow::RecordBatch::Make(
      arrow::schema({arrow::field("x", arrow::utf8()), arrow::field("y", arrow::float64()),
                     arrow::field("s", arrow::utf8())}),
      1, {Strings({"1"}), batch->column(1)->Slice(0, 1), batch->column(2)->Slice(0, 1)});
  auto st = table->Append({wrong});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("'x'"), std::string::npos) << st;

  // Concurrent appends and scans.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        EXPECT_TRUE(table->Append({batch}).ok());
        EXPECT_TRUE(table->Scan(AllColumns(*table)).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(*table->statistics().num_rows, 20 + 4 * 25 * 10);
}

TEST(MemoryTableTest, NotNullColumnsRejectNulls) {
  auto schema = arrow::schema({arrow::field("x", arrow::int64(), /*nullable=*/false)});
  ASSERT_OK_AND_ASSIGN(auto table, MemoryTable::Make(schema));
  arrow::Int64Builder b;
  ASSERT_OK(b.AppendNull());
  auto batch = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::int64())}), 1,
                                        {b.Finish().ValueOrDie()});
  auto st = table->Append({batch});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("NOT NULL"), std::string::npos);
}

TEST(StreamTableTest, IsOneShot) {
  auto data = SampleTable(20);
  auto reader = std::make_shared<arrow::TableBatchReader>(data);
  ASSERT_OK_AND_ASSIGN(auto table, MakeStreamTable("events", reader));
  EXPECT_TRUE(table->one_shot());
  ScanRequest req;
  req.columns = {2};
  req.batch_size = 8;
  ASSERT_OK_AND_ASSIGN(auto scan, table->Scan(req));
  ASSERT_EQ(scan->morsels().size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto got, Drain(*scan));
  EXPECT_EQ(got->num_rows(), 20);
  EXPECT_EQ(scan->metrics().rows_read, 20);
  EXPECT_EQ(got->schema()->field(0)->name(), "s");
  auto again = table->Scan(req);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().message(),
            "stream table 'events' was already consumed; register it again");
  auto reopen = scan->morsels()[0]->Open();
  ASSERT_FALSE(reopen.ok());
}

}  // namespace
}  // namespace shoal::test
