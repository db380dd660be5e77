// Change data feed planning (delta/change_feed.h) on the in-memory engine.
#include <string>
#include <vector>

#include "delta_test_util.h"
#include "shoal/delta/change_feed.h"

namespace shoal::delta::test {
namespace {

/// Protocol + metadata with delta.enableChangeDataFeed = `cdf` (no key when empty).
std::string CdfHeader(const std::string& cdf) {
  std::string header = TableHeader();
  if (cdf.empty()) return header;
  const std::string from = R"("configuration":{})";
  header.replace(header.find(from), from.size(),
                 R"("configuration":{"delta.enableChangeDataFeed":")" + cdf + R"("})");
  return header;
}

std::string CommitInfo(int64_t ts) {
  return R"({"commitInfo":{"timestamp":)" + std::to_string(ts) + R"(,"operation":"WRITE"}})" + "\n";
}

std::string CdcLine(const std::string& path) {
  return R"({"cdc":{"path":")" + path + R"(","partitionValues":{},"size":7,"dataChange":false}})" +
         "\n";
}

/// Return an action line with dataChange=false.
std::string NoDataChange(std::string line) {
  const std::string from = R"("dataChange":true)";
  line.replace(line.find(from), from.size(), R"("dataChange":false)");
  return line;
}

const std::string kDv =
    R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L","sizeInBytes":40,"cardinality":6})";

/// "v<version>:<kind>:<path>[:sel][:excl]" per change file, in plan order.
std::vector<std::string> Describe(const ChangeFeedPlan& plan) {
  std::vector<std::string> out;
  for (const auto& f : plan.files) {
    std::string s = "v" + std::to_string(f.version) + ":" + (f.is_cdc ? "cdc" : f.change_type) +
                    ":" + f.path;
    if (f.selected_rows) s += ":sel";
    if (f.excluded_rows) s += ":excl";
    out.push_back(s);
  }
  return out;
}

class ChangeFeedTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // v0 create (CDF on) + 2 files; v1 append; v2 DELETE with a cdc file;
    // v3 OPTIMIZE (dataChange=false); v4 DELETE by deletion vector;
    // v5 remove without cdc; v6 append with an in-commit timestamp.
    t_.Commit(0, CommitInfo(1000) + CdfHeader("true") + AddLine("a.parquet") + AddLine("b.parquet"));
    t_.Commit(1, CommitInfo(2000) + AddLine("c.parquet"));
    t_.Commit(2, CommitInfo(3000) + RemoveLine("a.parquet") + AddLine("a2.parquet") +
                     CdcLine("_change_data/cdc-2.parquet"));
    t_.Commit(3, CommitInfo(4000) + NoDataChange(RemoveLine("b.parquet")) +
                     NoDataChange(RemoveLine("c.parquet")) + NoDataChange(AddLine("bc.parquet")));
    t_.Commit(4, CommitInfo(5000) + RemoveLine("a2.parquet") + AddLine("a2.parquet", kDv));
    t_.Commit(5, CommitInfo(6000) + RemoveLine("bc.parquet"));
    t_.Commit(6, R"({"commitInfo":{"timestamp":9999,"inCommitTimestamp":7000}})" "\n" +
                     AddLine("d.parquet"));
  }

  Result<ChangeFeedPlan> Plan(ChangeFeedRange range) {
    return PlanChangeFeed(t_.engine(), MemoryTable::kRoot, range);
  }

  MemoryTable t_;
};

TEST_F(ChangeFeedTest, WholeRange) {
  ChangeFeedRange range;
  range.start_version = 0;
  DELTA_ASSERT_OK_AND_ASSIGN(auto plan, Plan(range));
  EXPECT_EQ(plan.start_version, 0);
  EXPECT_EQ(plan.end_version, 6);
  EXPECT_EQ(plan.snapshot->version(), 6);
  std::vector<std::string> want = {
      "v0:insert:a.parquet",        "v0:insert:b.parquet",
      "v1:insert:c.parquet",        "v2:cdc:_change_data/cdc-2.parquet",
      "v4:delete:a2.parquet:sel",   "v5:delete:bc.parquet",
      "v6:insert:d.parquet"};
  EXPECT_EQ(Describe(plan), want);
  // Timestamps: commitInfo.timestamp, and the in-commit timestamp when present.
  EXPECT_EQ(plan.files[0].timestamp_ms, 1000);
  EXPECT_EQ(plan.files[3].timestamp_ms, 3000);
  EXPECT_EQ(plan.files.back().timestamp_ms, 7000);
  // The deletion vector delete selects the newly deleted rows.
  ASSERT_TRUE(plan.files[4].selected_rows.has_value());
  EXPECT_EQ(plan.files[4].selected_rows->cardinality, 6);
}

TEST_F(ChangeFeedTest, VersionRanges) {
  ChangeFeedRange range;
  range.start_version = 2;
  range.end_version = 3;
  DELTA_ASSERT_OK_AND_ASSIGN(auto plan, Plan(range));
  EXPECT_EQ(Describe(plan), std::vector<std::string>{"v2:cdc:_change_data/cdc-2.parquet"});
  // OPTIMIZE alone changes nothing.
  range.start_version = 3;
  DELTA_ASSERT_OK_AND_ASSIGN(auto optimize, Plan(range));
  EXPECT_TRUE(optimize.files.empty());
  // An end after the latest version reads up to the latest (as delta-rs).
  range.start_version = 5;
  range.end_version = 100;
  DELTA_ASSERT_OK_AND_ASSIGN(auto tail, Plan(range));
  EXPECT_EQ(tail.end_version, 6);
  EXPECT_EQ(tail.files.size(), 2u);
}

TEST_F(ChangeFeedTest, TimestampRanges) {
  ChangeFeedRange range;
  range.start_timestamp_ms = 2500;  // first commit at or after: version 2
  range.end_timestamp_ms = 5000;
  DELTA_ASSERT_OK_AND_ASSIGN(auto plan, Plan(range));
  EXPECT_EQ(plan.start_version, 2);
  EXPECT_EQ(Describe(plan), (std::vector<std::string>{"v2:cdc:_change_data/cdc-2.parquet",
                                                      "v4:delete:a2.parquet:sel"}));
  // Both a version and timestamps: commits outside the times are left out.
  range.start_version = 0;
  range.start_timestamp_ms = 2000;
  range.end_timestamp_ms = 2000;
  DELTA_ASSERT_OK_AND_ASSIGN(auto one, Plan(range));
  EXPECT_EQ(Describe(one), std::vector<std::string>{"v1:insert:c.parquet"});
  // The in-commit timestamp (7000) is used, not commitInfo.timestamp (9999).
  ChangeFeedRange ict;
  ict.start_timestamp_ms = 7000;
  DELTA_ASSERT_OK_AND_ASSIGN(auto last, Plan(ict));
  EXPECT_EQ(Describe(last), std::vector<std::string>{"v6:insert:d.parquet"});
}

TEST_F(ChangeFeedTest, RangeErrors) {
  ChangeFeedRange none;
  auto r = Plan(none);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "needs a starting version or a starting timestamp");

  ChangeFeedRange backwards;
  backwards.start_version = 4;
  backwards.end_version = 2;
  r = Plan(backwards);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "starting version 4");
  EXPECT_CONTAINS(r.status().message(), "after the ending version 2");

  ChangeFeedRange beyond;
  beyond.start_version = 7;
  r = Plan(beyond);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "after its latest version 6");

  ChangeFeedRange negative;
  negative.start_version = -1;
  r = Plan(negative);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "must not be negative");

  ChangeFeedRange late;
  late.start_timestamp_ms = 8000;
  r = Plan(late);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "after its latest commit");
}

TEST(ChangeFeedEnabled, NotEnabledAtStart) {
  MemoryTable t;
  t.Commit(0, CommitInfo(1000) + CdfHeader("") + AddLine("a.parquet"));
  t.Commit(1, CommitInfo(2000) + AddLine("b.parquet"));
  ChangeFeedRange range;
  range.start_version = 0;
  auto r = PlanChangeFeed(t.engine(), MemoryTable::kRoot, range);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "change data feed is not enabled");
  EXPECT_CONTAINS(r.status().message(), "version 0");
  // As in delta-rs, a range whose first version has no metaData is read from adds/removes.
  range.start_version = 1;
  DELTA_ASSERT_OK_AND_ASSIGN(auto plan, PlanChangeFeed(t.engine(), MemoryTable::kRoot, range));
  EXPECT_EQ(Describe(plan), std::vector<std::string>{"v1:insert:b.parquet"});
}

TEST(ChangeFeedEnabled, DisabledInsideRange) {
  MemoryTable t;
  t.Commit(0, CommitInfo(1000) + CdfHeader("true") + AddLine("a.parquet"));
  t.Commit(1, CommitInfo(2000) + CdfHeader("false"));
  t.Commit(2, CommitInfo(3000) + AddLine("b.parquet"));
  ChangeFeedRange range;
  range.start_version = 0;
  auto r = PlanChangeFeed(t.engine(), MemoryTable::kRoot, range);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "not recorded for version 1");
  range.start_version = 2;
  DELTA_ASSERT_OK(PlanChangeFeed(t.engine(), MemoryTable::kRoot, range).status());
}

TEST(ChangeFeedEnabled, VersionNoLongerInLog) {
  MemoryTable t;
  // Commits 0 and 1 were cleaned up after the checkpoint-less log was rewritten.
  t.Commit(2, CommitInfo(3000) + CdfHeader("true") + AddLine("a.parquet"));
  t.Commit(3, CommitInfo(4000) + AddLine("b.parquet"));
  ChangeFeedRange range;
  range.start_version = 1;
  auto r = PlanChangeFeed(t.engine(), MemoryTable::kRoot, range);
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "version 1");
  EXPECT_CONTAINS(r.status().message(), "oldest commit kept is version 2");
}

TEST(ChangeFilesOfCommitTest, DeletionVectorPairs) {
  // A remove with an old DV and an add with a new DV of the same path: deletes
  // are rows in the new DV minus the old; inserts (restores) the reverse.
  ActionBatch batch;
  DeletionVectorDescriptor old_dv{"i", "old", std::nullopt, 10, 1};
  DeletionVectorDescriptor new_dv{"i", "new", std::nullopt, 10, 3};
  RemoveFile r;
  r.path = "x%20y.parquet";
  r.deletion_vector = old_dv;
  AddFile a;
  a.path = "x y.parquet";  // the same file once decoded
  a.deletion_vector = new_dv;
  batch.removes.push_back(r);
  batch.adds.push_back(a);
  DELTA_ASSERT_OK_AND_ASSIGN(auto files, ChangeFilesOfCommit(batch, 3, 42));
  ASSERT_EQ(files.size(), 2u);
  EXPECT_EQ(files[0].change_type, kChangeDelete);
  EXPECT_EQ(files[0].selected_rows->path_or_inline_dv, "new");
  EXPECT_EQ(files[0].excluded_rows->path_or_inline_dv, "old");
  EXPECT_EQ(files[1].change_type, kChangeInsert);
  EXPECT_EQ(files[1].selected_rows->path_or_inline_dv, "old");
  EXPECT_EQ(files[1].excluded_rows->path_or_inline_dv, "new");
  EXPECT_EQ(files[0].version, 3);
  EXPECT_EQ(files[0].timestamp_ms, 42);

  // A plain add with a DV inserts its live rows; a plain remove deletes its live rows.
  ActionBatch plain;
  AddFile b;
  b.path = "b.parquet";
  b.deletion_vector = new_dv;
  RemoveFile c;
  c.path = "c.parquet";
  c.deletion_vector = old_dv;
  c.size = 99;
  plain.adds.push_back(b);
  plain.removes.push_back(c);
  DELTA_ASSERT_OK_AND_ASSIGN(auto more, ChangeFilesOfCommit(plain, 1, 0));
  ASSERT_EQ(more.size(), 2u);
  EXPECT_EQ(more[0].change_type, kChangeInsert);
  EXPECT_FALSE(more[0].selected_rows.has_value());
  EXPECT_EQ(more[0].excluded_rows->path_or_inline_dv, "new");
  EXPECT_EQ(more[1].change_type, kChangeDelete);
  EXPECT_EQ(more[1].size, 99);
  EXPECT_EQ(more[1].excluded_rows->path_or_inline_dv, "old");
}

TEST(ChangeFilesOfCommitTest, CommitTimestamp) {
  ActionBatch batch;
  EXPECT_EQ(CommitTimestampOf(batch, 77), 77);  // file modification time
  DELTA_ASSERT_OK_AND_ASSIGN(auto info, ParseJson(R"({"timestamp":5})"));
  batch.commit_info = info;
  EXPECT_EQ(CommitTimestampOf(batch, 77), 5);
  DELTA_ASSERT_OK_AND_ASSIGN(auto info2, ParseJson(R"({"timestamp":5,"inCommitTimestamp":6})"));
  batch.commit_info = info2;
  EXPECT_EQ(CommitTimestampOf(batch, 77), 6);
}

}  // namespace
}  // namespace shoal::delta::test
