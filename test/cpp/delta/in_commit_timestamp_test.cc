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

}  // namespace
}  // namespace shoal::delta::test
