// Time travel by timestamp on tables with in-commit timestamps (shared testdata).
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "delta_test_util.h"
#include "shoal/delta/delta_table.h"

namespace shoal::delta::test {
namespace {

std::string IctTable() {
  const char* env = std::getenv("SHOAL_TESTDATA");
  std::string root = env ? env : "/work/shared/testdata";
  return root + "/delta/delta-rs/cdc_ict_table";
}

Result<int64_t> VersionAt(int64_t timestamp_ms) {
  DeltaTableOptions options;
  options.spec.timestamp_ms = timestamp_ms;
  ARROW_ASSIGN_OR_RAISE(auto table, DeltaTableProvider::Make(IctTable(), options));
  return table->snapshot()->version();
}

TEST(InCommitTimestampTest, TimeTravelUsesInCommitTimestamps) {
  if (!std::filesystem::exists(IctTable())) GTEST_SKIP() << "no shared testdata at " << IctTable();
  // inCommitTimestamp per version: 1783874203271, 1683874206883 (earlier than
  // version 0's: counts as 1783874203271), 1783874212175, 1783874213881. The
  // files' modification times are all later, so file times would find nothing.
  DELTA_ASSERT_OK_AND_ASSIGN(int64_t v, VersionAt(1783874212175));
  EXPECT_EQ(v, 2);
  DELTA_ASSERT_OK_AND_ASSIGN(v, VersionAt(1783874212174));
  EXPECT_EQ(v, 1);
  DELTA_ASSERT_OK_AND_ASSIGN(v, VersionAt(1783874203271));
  EXPECT_EQ(v, 1);
  DELTA_ASSERT_OK_AND_ASSIGN(v, VersionAt(1783874213881 + 1000000));
  EXPECT_EQ(v, 3);
  auto early = VersionAt(1783874203270);
  ASSERT_FALSE(early.ok());
  EXPECT_CONTAINS(early.status().message(), "no version at or before");
}

// In-commit timestamps enabled at version 3 of a table: versions 0-2 are timed by
// their files' modification times, 3 on by commitInfo.inCommitTimestamp (which
// here are far from the file times, so using the wrong source gives another
// version).
TEST(InCommitTimestampTest, EnabledPartwayUsesFileTimesBeforeEnablement) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a"), /*mtime_ms=*/1000);
  t.Commit(1, AddLine("b"), 2000);
  t.Commit(2, AddLine("c"), 3000);
  const std::string protocol =
      R"({"protocol":{"minReaderVersion":1,"minWriterVersion":7,"writerFeatures":["inCommitTimestamp"]}})";
  std::string metadata = TableHeader("", protocol);
  // Enable: configuration with the enablement version and timestamp.
  auto pos = metadata.find(R"("configuration":{})");
  metadata.replace(pos, std::string(R"("configuration":{})").size(),
                   R"("configuration":{"delta.enableInCommitTimestamps":"true",)"
                   R"("delta.inCommitTimestampEnablementVersion":"3",)"
                   R"("delta.inCommitTimestampEnablementTimestamp":"50000"})");
  t.Commit(3, R"({"commitInfo":{"inCommitTimestamp":50000,"operation":"SET TBLPROPERTIES"}})"
                  "\n" + metadata, /*mtime_ms=*/900000);
  t.Commit(4, R"({"commitInfo":{"inCommitTimestamp":60000,"operation":"WRITE"}})"
                  "\n" + AddLine("d"), 900001);
  t.Commit(5, R"({"commitInfo":{"inCommitTimestamp":70000,"operation":"WRITE"}})"
                  "\n" + AddLine("e"), 900002);
  auto at = [&](int64_t ts) { return VersionAtTimestamp(*t.engine(), MemoryTable::kRoot, ts); };
  struct Case {
    int64_t ts, version;
  } cases[] = {{1000, 0}, {2500, 1}, {3000, 2}, {49999, 2}, {50000, 3},
               {65000, 4}, {70000, 5}, {900001, 5}};
  for (const auto& c : cases) {
    DELTA_ASSERT_OK_AND_ASSIGN(int64_t v, at(c.ts));
    EXPECT_EQ(v, c.version) << "timestamp " << c.ts;
  }
  auto early = at(999);
  ASSERT_FALSE(early.ok());
  EXPECT_CONTAINS(early.status().message(), "no version at or before");
  // A commit between enablement and the latest one without its timestamp is an
  // error naming the version.
  t.Commit(4, AddLine("d"), 900001);
  auto missing = at(65000);
  ASSERT_FALSE(missing.ok());
  EXPECT_CONTAINS(missing.status().message(), "version 4 has no commitInfo.inCommitTimestamp");
}

}  // namespace
}  // namespace shoal::delta::test
