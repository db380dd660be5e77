// Write-time constraints (delta/constraints.h) with a tiny fake evaluator, and
// the retention interval parser of maintenance.h.
#include <gtest/gtest.h>

#include <arrow/api.h>
#include <arrow/compute/initialize.h>

#include <filesystem>
#include <functional>

#include "shoal/delta/action_writer.h"
#include "shoal/delta/constraints.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/maintenance.h"

namespace shoal::delta::test {
namespace {

/// Understands "<column> > <int>" and "<column> * 2" over int64 columns.
class FakeEvaluator : public ExpressionEvaluator {
 public:
  Result<std::shared_ptr<arrow::Array>> Evaluate(const std::string& expr,
                                                 const arrow::RecordBatch& batch) const override {
    auto space = expr.find(' ');
    auto col = batch.GetColumnByName(expr.substr(0, space));
    if (!col) return Status::Invalid("unknown column in '", expr, "'");
    const auto& in = static_cast<const arrow::Int64Array&>(*col);
    int64_t n = std::stoll(expr.substr(expr.rfind(' ') + 1));
    if (expr.find('>') != std::string::npos) {
      arrow::BooleanBuilder b;
      for (int64_t i = 0; i < in.length(); ++i) {
        ARROW_RETURN_NOT_OK(in.IsNull(i) ? b.AppendNull() : b.Append(in.Value(i) > n));
      }
      return b.Finish();
    }
    arrow::Int64Builder b;
    for (int64_t i = 0; i < in.length(); ++i) {
      ARROW_RETURN_NOT_OK(in.IsNull(i) ? b.AppendNull() : b.Append(in.Value(i) * n));
    }
    return b.Finish();
  }
};

std::shared_ptr<arrow::RecordBatch> Batch(std::vector<std::optional<int64_t>> a,
                                          std::vector<std::optional<int64_t>> b) {
  arrow::Int64Builder ba, bb;
  for (auto v : a) v ? (void)ba.Append(*v) : (void)ba.AppendNull();
  for (auto v : b) v ? (void)bb.Append(*v) : (void)bb.AppendNull();
  auto schema = arrow::schema({arrow::field("a", arrow::int64()), arrow::field("b", arrow::int64())});
  return arrow::RecordBatch::Make(schema, static_cast<int64_t>(a.size()),
                                  {*ba.Finish(), *bb.Finish()});
}

Metadata TableMetadata() {
  Metadata m;
  m.schema_string =
      R"({"type":"struct","fields":[{"name":"a","type":"long","nullable":true,"metadata":{"delta.invariants":"{\"expression\":{\"expression\":\"a > 0\"}}"}},)"
      R"({"name":"b","type":"long","nullable":true,"metadata":{"delta.generationExpression":"a * 2"}}]})";
  m.configuration["delta.constraints.small"] = "a > -100";
  return m;
}

TEST(ConstraintsTest, CollectsAllKinds) {
  auto c = CollectConstraints(TableMetadata());
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_EQ(c->checks.size(), 2u);
  EXPECT_EQ(c->checks[0].name, "small");
  EXPECT_FALSE(c->checks[0].invariant);
  EXPECT_EQ(c->checks[1].name, "a");
  EXPECT_EQ(c->checks[1].expression, "a > 0");
  EXPECT_TRUE(c->checks[1].invariant);
  ASSERT_EQ(c->generated.size(), 1u);
  EXPECT_EQ(c->generated[0].column, "b");
}

TEST(ConstraintsTest, ComputesVerifiesAndRejects) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  auto c = *CollectConstraints(TableMetadata());
  FakeEvaluator ev;
  auto ok = EnforceConstraints(c, ev, Batch({1, 2}, {std::nullopt, 4}), "t");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  const auto& b = static_cast<const arrow::Int64Array&>(*(*ok)->column(1));
  EXPECT_EQ(b.Value(0), 2);  // computed
  EXPECT_EQ(b.Value(1), 4);  // verified
  auto wrong = EnforceConstraints(c, ev, Batch({1, 2}, {2, 5}), "t");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("generated column 'b'"), std::string::npos);
  EXPECT_NE(wrong.status().message().find("a = 2, b = 5"), std::string::npos);
  auto inv = EnforceConstraints(c, ev, Batch({3, -1}, {6, -2}), "t");
  ASSERT_FALSE(inv.ok());
  EXPECT_NE(inv.status().message().find("invariant violated for column 'a'"), std::string::npos);
  EXPECT_NE(inv.status().message().find("a = -1"), std::string::npos);
  // A null result fails a CHECK (as in Delta).
  auto null_row = EnforceConstraints(c, ev, Batch({std::nullopt}, {std::nullopt}), "t");
  ASSERT_FALSE(null_row.ok());
  EXPECT_NE(null_row.status().message().find("CHECK constraint 'small'"), std::string::npos);
}

TEST(ConstraintsTest, ProtocolUpgrade) {
  Protocol legacy;
  legacy.min_writer_version = 2;
  EXPECT_EQ(ProtocolWithCheckConstraints(legacy).min_writer_version, 3);
  Protocol features;
  features.min_reader_version = 3;
  features.min_writer_version = 7;
  features.writer_features = std::vector<std::string>{"timestampNtz"};
  auto p = ProtocolWithCheckConstraints(features);
  ASSERT_TRUE(p.writer_features);
  EXPECT_EQ(p.writer_features->back(), "checkConstraints");
  EXPECT_EQ(ProtocolWithCheckConstraints(p).writer_features->size(), 2u);
}

/// Calls `during` once, on its first evaluation, then evaluates as FakeEvaluator.
class RacingEvaluator : public FakeEvaluator {
 public:
  explicit RacingEvaluator(std::function<void()> during) : during_(std::move(during)) {}
  Result<std::shared_ptr<arrow::Array>> Evaluate(const std::string& expr,
                                                 const arrow::RecordBatch& batch) const override {
    if (during_) std::exchange(during_, nullptr)();
    return FakeEvaluator::Evaluate(expr, batch);
  }

 private:
  mutable std::function<void()> during_;
};

TEST(MaintenanceTest, AddConstraintConflictsWithConcurrentAppend) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  auto dir = std::filesystem::temp_directory_path() / ("shoal_addcheck_" + NewUuid());
  std::string root = (dir / "t").string();
  auto rows = [](std::vector<std::optional<int64_t>> a) {
    auto batch = Batch(a, std::vector<std::optional<int64_t>>(a.size(), 1));
    return *arrow::RecordBatchReader::Make({batch}, batch->schema());
  };
  DeltaWriteOptions opts;
  ASSERT_TRUE(WriteDeltaTable(root, rows({1, 2, 3}), opts).ok());
  auto location = ResolveTableLocation(root);
  ASSERT_TRUE(location.ok()) << location.status().ToString();
  AlterTableChange change;
  change.kind = AlterTableChange::Kind::kAddConstraint;
  change.constraint_name = "positive";
  change.expression = "a > 0";
  // While ADD CONSTRAINT checks the existing rows, another writer appends a
  // violating row: the constraint must not be committed over it.
  opts.mode = SaveMode::kAppend;
  Status appended;
  RacingEvaluator racing([&] { appended = WriteDeltaTable(root, rows({-5}), opts).status(); });
  auto added = AlterTable(*location, change, &racing);
  ASSERT_TRUE(appended.ok()) << appended.ToString();
  ASSERT_FALSE(added.ok());
  EXPECT_NE(added.status().message().find("concurrent"), std::string::npos)
      << added.status().ToString();
  // Without the race the violation is found in the rows.
  FakeEvaluator plain;
  auto again = AlterTable(*location, change, &plain);
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.status().message().find("violates"), std::string::npos)
      << again.status().ToString();
  std::filesystem::remove_all(dir);
}

TEST(MaintenanceTest, ParsesRetentionIntervals) {
  EXPECT_EQ(*ParseIntervalMillis("k", "interval 1 week"), 7LL * 86400 * 1000);
  EXPECT_EQ(*ParseIntervalMillis("k", "interval 7 days"), 7LL * 86400 * 1000);
  EXPECT_EQ(*ParseIntervalMillis("k", "168 hours"), 168LL * 3600 * 1000);
  EXPECT_EQ(*ParseIntervalMillis("k", "1 day 12 hours"), 36LL * 3600 * 1000);
  auto bad = ParseIntervalMillis("delta.logRetentionDuration", "forever");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("delta.logRetentionDuration"), std::string::npos);
}

}  // namespace
}  // namespace shoal::delta::test
