#include "shoal/main/session.h"

#include <arrow/array/builder_primitive.h>
#include <arrow/table.h>
#include <gtest/gtest.h>

#include "shoal/main/query_result.h"
#include "test_util.h"

namespace shoal {
namespace {

/// A provider that only describes itself (the session plumbing never scans).
class FakeTable : public TableProvider {
 public:
  explicit FakeTable(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "memory"; }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest&) const override {
    return Status::NotImplemented("fake table");
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
};

std::shared_ptr<arrow::Schema> Schema1() {
  return arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::utf8())});
}

TEST(SessionTest, MakeValidatesConfigKeys) {
  auto ok = Session::Make({{"shoal.execution.threads", "3"}, {"shoal.execution.batch_size", "7"}});
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->settings().threads(), 3);
  EXPECT_EQ((*ok)->settings().batch_size(), 7);

  auto bad_key = Session::Make({{"shoal.execution.thread", "3"}});
  ASSERT_FALSE(bad_key.ok());
  EXPECT_NE(bad_key.status().message().find("shoal.execution.thread'"), std::string::npos)
      << bad_key.status().message();
  EXPECT_NE(bad_key.status().message().find("did you mean"), std::string::npos);

  auto bad_value = Session::Make({{"shoal.execution.threads", "many"}});
  ASSERT_FALSE(bad_value.ok());
  EXPECT_NE(bad_value.status().message().find("shoal.execution.threads"), std::string::npos);
}

TEST(SessionTest, RegisterListDeregister) {
  ASSERT_OK_AND_ASSIGN(auto session, Session::Make());
  EXPECT_TRUE(session->TableNames().empty());
  ASSERT_TRUE(session->RegisterTable("zeta", std::make_shared<FakeTable>(Schema1())).ok());
  ASSERT_TRUE(session->RegisterTable("Alpha", std::make_shared<FakeTable>(Schema1())).ok());
  EXPECT_EQ(session->TableNames(), (std::vector<std::string>{"Alpha", "zeta"}));

  auto schema = session->TableSchema("zeta");
  ASSERT_TRUE(schema.ok());
  EXPECT_TRUE((*schema)->Equals(*Schema1()));
  // Lookups fall back to a unique case-insensitive match.
  EXPECT_TRUE(session->TableSchema("alpha").ok());

  // Registering again replaces.
  auto other = arrow::schema({arrow::field("x", arrow::float64())});
  ASSERT_TRUE(session->RegisterTable("zeta", std::make_shared<FakeTable>(other)).ok());
  EXPECT_TRUE((*session->TableSchema("zeta"))->Equals(*other));

  ASSERT_TRUE(session->DeregisterTable("zeta").ok());
  EXPECT_EQ(session->TableNames(), (std::vector<std::string>{"Alpha"}));
  Status st = session->DeregisterTable("zeta");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("zeta"), std::string::npos) << st.message();
  EXPECT_FALSE(session->TableSchema("nope").ok());

  EXPECT_FALSE(session->RegisterTable("", std::make_shared<FakeTable>(Schema1())).ok());
  EXPECT_FALSE(session->RegisterTable("t", nullptr).ok());
}

TEST(SessionTest, RegisterRecordBatchesChecksSchemas) {
  ASSERT_OK_AND_ASSIGN(auto session, Session::Make());
  arrow::Int64Builder builder;
  ASSERT_TRUE(builder.AppendValues({1, 2, 3}).ok());
  std::shared_ptr<arrow::Array> array;
  ASSERT_TRUE(builder.Finish(&array).ok());
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(schema, 3, {array});
  // Batches may use other column names (they take the table's), but not other types.
  auto renamed = arrow::RecordBatch::Make(arrow::schema({arrow::field("y", arrow::int64())}), 3,
                                          {array});
  arrow::DoubleBuilder doubles;
  ASSERT_TRUE(doubles.AppendValues({1.0, 2.0, 3.0}).ok());
  std::shared_ptr<arrow::Array> double_array;
  ASSERT_TRUE(doubles.Finish(&double_array).ok());
  auto other = arrow::RecordBatch::Make(arrow::schema({arrow::field("x", arrow::float64())}), 3,
                                        {double_array});
  Status st = session->RegisterRecordBatches("t", schema, {{batch}, {other}});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("partition 1"), std::string::npos) << st.message();
  EXPECT_FALSE(session->RegisterRecordBatches("t", nullptr, {}).ok());
  st = session->RegisterRecordBatches("t", nullptr, {{batch}, {renamed}});
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto got = session->TableSchema("t");
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE((*got)->Equals(*schema));
}

TEST(SessionTest, QuerySchemaBindsWithoutRunning) {
  ASSERT_OK_AND_ASSIGN(auto session, Session::Make());
  arrow::Int64Builder builder;
  ASSERT_TRUE(builder.AppendValues({1, 2}).ok());
  std::shared_ptr<arrow::Array> array;
  ASSERT_TRUE(builder.Finish(&array).ok());
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(schema, 2, {array});
  ASSERT_OK_AND_ASSIGN(auto reader, arrow::RecordBatchReader::Make({batch}, schema));
  // A one-shot stream: binding must not consume it.
  ASSERT_TRUE(session->RegisterStream("s", reader).ok());
  ASSERT_OK_AND_ASSIGN(auto got, session->QuerySchema("SELECT x AS y, 'a' AS z FROM s"));
  ASSERT_EQ(got->num_fields(), 2);
  EXPECT_EQ(got->field(0)->name(), "y");
  EXPECT_TRUE(got->field(0)->type()->Equals(*arrow::int64()));
  ASSERT_OK_AND_ASSIGN(auto result, session->Sql("SELECT sum(x) AS total FROM s"));
  ASSERT_OK_AND_ASSIGN(auto table, result->ToTable());
  ASSERT_EQ(table->num_rows(), 1);
  ASSERT_OK_AND_ASSIGN(auto total, table->column(0)->GetScalar(0));
  EXPECT_EQ(total->ToString(), "3");

  EXPECT_FALSE(session->QuerySchema("CREATE TABLE t (a INT)").ok());
  EXPECT_FALSE(session->QuerySchema("SELECT 1; SELECT 2").ok());
  auto missing = session->QuerySchema("SELECT * FROM nowhere");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nowhere"), std::string::npos);
}

TEST(SessionTest, MissingFilesGiveErrorsNotCrashes) {
  ASSERT_OK_AND_ASSIGN(auto session, Session::Make());
  Status st = session->RegisterParquet("p", "/nonexistent/shoal/file.parquet");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent/shoal/file.parquet"), std::string::npos)
      << st.message();
  EXPECT_FALSE(session->RegisterCsv("c", "/nonexistent/shoal/file.csv").ok());
  EXPECT_FALSE(session->TableSchema("p").ok());
}

TEST(SessionTest, InterruptCancelsStreamingQueries) {
  ASSERT_OK_AND_ASSIGN(auto session, Session::Make({{"shoal.execution.threads", "2"}}));
  // Interrupt with nothing running is a no-op.
  session->Interrupt();
  arrow::Int64Builder builder;
  for (int64_t i = 0; i < 1000; ++i) ASSERT_TRUE(builder.Append(i).ok());
  std::shared_ptr<arrow::Array> array;
  ASSERT_TRUE(builder.Finish(&array).ok());
  auto schema = arrow::schema({arrow::field("x", arrow::int64())});
  ASSERT_TRUE(session
                  ->RegisterRecordBatches("t", schema,
                                          {{arrow::RecordBatch::Make(schema, 1000, {array})}})
                  .ok());
  // 10^9 rows: far more than the test ever reads.
  ASSERT_OK_AND_ASSIGN(auto result, session->Sql("SELECT a.x, b.x, c.x FROM t a, t b, t c"));
  std::shared_ptr<arrow::RecordBatch> batch;
  Status st = result->ReadNext(&batch);
  ASSERT_TRUE(st.ok()) << st.ToString();
  ASSERT_NE(batch, nullptr);
  session->Interrupt();
  for (int i = 0; i < 1000 && st.ok(); ++i) st = result->ReadNext(&batch);
  EXPECT_TRUE(st.IsCancelled()) << st.ToString();
  EXPECT_NE(st.message().find("interrupted"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace shoal
