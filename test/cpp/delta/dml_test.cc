// Protocol side of DELETE / UPDATE / MERGE: remove actions, FileMatcher
// (partition values + statistics), and the read-set conflict checks of
// WriteTransaction::ReadFiles against concurrent commits.
#include <arrow/compute/expression.h>
#include <arrow/type.h>

#include "delta_test_util.h"

#include "shoal/delta/action_writer.h"
#include "shoal/delta/dml.h"
#include "shoal/delta/transaction.h"

namespace shoal::delta::test {
namespace {

namespace cp = arrow::compute;

class DmlTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(arrow::compute::Initialize().ok()); }

  static AddFile File(const std::string& path, const std::string& part, int lo, int hi) {
    AddFile a;
    a.path = path;
    a.partition_values["part"] = part;
    a.size = 100;
    a.modification_time = 5;
    a.stats = "{\"numRecords\":3,\"minValues\":{\"id\":" + std::to_string(lo) +
              "},\"maxValues\":{\"id\":" + std::to_string(hi) + "},\"nullCount\":{\"id\":0}}";
    return a;
  }

  void Create() {
    Metadata m;
    m.id = NewUuid();
    auto schema = arrow::schema({arrow::field("id", arrow::int64()),
                                 arrow::field("part", arrow::utf8())});
    m.schema_string = *SchemaToDeltaString(*schema);
    m.partition_columns = {"part"};
    Protocol p;
    p.min_reader_version = 1;
    p.min_writer_version = 2;
    DELTA_ASSERT_OK_AND_ASSIGN(auto tx, WriteTransaction::ForNewTable(table_.engine(),
                                                                      MemoryTable::kRoot, p, m));
    tx->AddFiles({File("part=a/f0.parquet", "a", 1, 10), File("part=b/f1.parquet", "b", 1, 10)});
    DELTA_ASSERT_OK(tx->Commit().status());
  }

  MemoryTable table_;
};

TEST_F(DmlTest, RemoveForFileKeepsExtendedMetadata) {
  AddFile a = File("part=a/x.parquet", "a", 1, 2);
  std::string line = RemoveLine(RemoveForFile(a, 42));
  EXPECT_CONTAINS(line, "\"deletionTimestamp\":42");
  EXPECT_CONTAINS(line, "\"dataChange\":true");
  EXPECT_CONTAINS(line, "\"extendedFileMetadata\":true");
  EXPECT_CONTAINS(line, "\"partitionValues\":{\"part\":\"a\"}");
  EXPECT_CONTAINS(line, "\"size\":100");
}

TEST_F(DmlTest, FileMatcherUsesPartitionsAndStats) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  FileMatcher by_part(snap, cp::equal(cp::field_ref("part"), cp::literal("a")));
  EXPECT_TRUE(by_part.MayMatch(File("p", "a", 1, 2)));
  EXPECT_FALSE(by_part.MayMatch(File("p", "b", 1, 2)));
  FileMatcher by_stats(snap, cp::greater(cp::field_ref("id"), cp::literal(int64_t{20})));
  EXPECT_FALSE(by_stats.MayMatch(File("p", "a", 1, 10)));
  EXPECT_TRUE(by_stats.MayMatch(File("p", "a", 15, 30)));
  AddFile no_stats = File("p", "a", 1, 2);
  no_stats.stats.reset();
  EXPECT_TRUE(by_stats.MayMatch(no_stats));
  FileMatcher all(snap, cp::literal(true));
  EXPECT_TRUE(all.MayMatch(File("p", "b", 1, 2)));
}

TEST_F(DmlTest, ConcurrentRemoveOfAFileReadConflicts) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  DELTA_ASSERT_OK_AND_ASSIGN(auto winner, WriteTransaction::ForSnapshot(snap));
  DELTA_ASSERT_OK_AND_ASSIGN(auto loser, WriteTransaction::ForSnapshot(snap));
  winner->RemoveFiles({RemoveForFile(snap->files()[0], 1)});
  DELTA_ASSERT_OK(winner->Commit().status());
  // The loser read both files (but removes only the other one).
  std::vector<std::string> read;
  for (const auto& f : snap->files()) read.push_back(DecodeActionPath(f.path));
  const AddFile* other = &snap->files()[1];
  loser->RemoveFiles({RemoveForFile(*other, 2)});
  loser->ReadFiles(read, nullptr, "id > 0");
  auto r = loser->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "concurrent modification: version 1");
  EXPECT_CONTAINS(r.status().message(), "which this transaction read");
}

TEST_F(DmlTest, ConcurrentAddConflictsOnlyWhenThePredicateMayMatch) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  auto matcher = std::make_shared<FileMatcher>(
      snap, cp::equal(cp::field_ref("part"), cp::literal("a")));
  auto may_match = [matcher](const AddFile& a) { return matcher->MayMatch(a); };
  // An append to partition b does not touch what a DELETE ... WHERE part = 'a' read.
  {
    DELTA_ASSERT_OK_AND_ASSIGN(auto append, WriteTransaction::ForSnapshot(snap));
    append->AddFiles({File("part=b/new.parquet", "b", 1, 2)});
    DELTA_ASSERT_OK(append->Commit().status());
    DELTA_ASSERT_OK_AND_ASSIGN(auto del, WriteTransaction::ForSnapshot(snap));
    del->RemoveFiles({RemoveForFile(snap->files()[0], 1)});
    del->ReadFiles({DecodeActionPath(snap->files()[0].path)}, may_match, "part = 'a'");
    DELTA_ASSERT_OK_AND_ASSIGN(auto r, del->Commit());
    EXPECT_EQ(r.version, 2);
  }
  // An append to partition a does.
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap2, table_.Load());
  auto matcher2 = std::make_shared<FileMatcher>(
      snap2, cp::equal(cp::field_ref("part"), cp::literal("a")));
  DELTA_ASSERT_OK_AND_ASSIGN(auto append, WriteTransaction::ForSnapshot(snap2));
  append->AddFiles({File("part=a/new.parquet", "a", 1, 2)});
  DELTA_ASSERT_OK(append->Commit().status());
  DELTA_ASSERT_OK_AND_ASSIGN(auto upd, WriteTransaction::ForSnapshot(snap2));
  upd->RemoveFiles({RemoveForFile(snap2->files()[0], 1)});
  upd->ReadFiles({}, [matcher2](const AddFile& a) { return matcher2->MayMatch(a); },
                 "part = 'a'");
  auto r = upd->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "added file 'part=a/new.parquet'");
  EXPECT_CONTAINS(r.status().message(), "part = 'a'");
}

}  // namespace
}  // namespace shoal::delta::test
