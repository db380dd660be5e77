// Conflict matrix of WriteTransaction (PROTOCOL.md "Requirements for Writers",
// Delta's write-serializable conflict rules): for every pair (winner, loser) of
// operations, both start from the same snapshot (version 1), the winner commits
// version 2, then the loser commits against its stale read version 1. The
// outcome (commit at version 3, or "concurrent modification") is checked
// against the expected rule, and so is the table left behind. Deterministic: the
// loser's read version is pinned by starting its transaction before the winner
// commits; the in-memory engine provides put-if-absent.
#include <functional>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include <arrow/type.h>

#include "delta_test_util.h"
#include "shoal/delta/action_writer.h"
#include "shoal/delta/transaction.h"

namespace shoal::delta::test {
namespace {

// Table at version 1: part=a/f0.parquet and part=b/f1.parquet.
// Every operation below touches partition 'a' only (except append_b / overwrite).
enum class Op { kAppend, kAppendB, kOverwrite, kDelete, kUpdate, kMerge, kOptimize, kSetProps };

const char* Name(Op op) {
  switch (op) {
    case Op::kAppend: return "append";
    case Op::kAppendB: return "append_b";
    case Op::kOverwrite: return "overwrite";
    case Op::kDelete: return "delete";
    case Op::kUpdate: return "update";
    case Op::kMerge: return "merge";
    case Op::kOptimize: return "optimize";
    case Op::kSetProps: return "set_properties";
  }
  return "?";
}

void PrintTo(Op op, std::ostream* os) { *os << Name(op); }

const std::vector<Op> kOps = {Op::kAppend, Op::kAppendB, Op::kOverwrite, Op::kDelete,
                              Op::kUpdate, Op::kMerge,   Op::kOptimize,  Op::kSetProps};

AddFile File(const std::string& path, const std::string& part, bool data_change = true) {
  AddFile a;
  a.path = path;
  a.partition_values["part"] = part;
  a.size = 100;
  a.modification_time = 5;
  a.data_change = data_change;
  a.stats = R"({"numRecords":3,"minValues":{"id":1},"maxValues":{"id":3},"nullCount":{"id":0}})";
  return a;
}

RemoveFile Remove(const std::string& path, bool data_change = true) {
  RemoveFile r;
  r.path = path;
  r.deletion_timestamp = 7;
  r.data_change = data_change;
  return r;
}

bool InPartA(const AddFile& a) {
  auto it = a.partition_values.find("part");
  return it == a.partition_values.end() || !it->second || *it->second == "a";
}

// Fill `tx` with `op`; `tag` makes added file names unique per side.
void Apply(Op op, WriteTransaction* tx, const std::string& tag) {
  switch (op) {
    case Op::kAppend:  // blind append into partition a
      tx->AddFiles({File("part=a/append-" + tag + ".parquet", "a")});
      break;
    case Op::kAppendB:  // blind append into partition b (disjoint from a)
      tx->AddFiles({File("part=b/append-" + tag + ".parquet", "b")});
      break;
    case Op::kOverwrite:
      tx->RemoveAllFiles(7);
      tx->AddFiles({File("part=a/overwrite-" + tag + ".parquet", "a")});
      break;
    case Op::kDelete:  // DELETE WHERE part = 'a' AND id = 2: rewrite f0
    case Op::kUpdate:  // UPDATE ... WHERE part = 'a': rewrite f0
      tx->ReadFiles({"part=a/f0.parquet"}, InPartA, "part = 'a'");
      tx->RemoveFiles({Remove("part=a/f0.parquet")});
      tx->AddFiles({File("part=a/rewrite-" + tag + ".parquet", "a")});
      break;
    case Op::kMerge:  // MERGE with an unpartitioned join condition: reads every file
      tx->ReadFiles({"part=a/f0.parquet", "part=b/f1.parquet"}, nullptr, "merge condition");
      tx->RemoveFiles({Remove("part=a/f0.parquet")});
      tx->AddFiles({File("part=a/merge-" + tag + ".parquet", "a")});
      break;
    case Op::kOptimize:  // compaction of partition a: dataChange = false
      tx->AddRemoves({Remove("part=a/f0.parquet", false)});
      tx->AddFiles({File("part=a/optimized-" + tag + ".parquet", "a", false)});
      break;
    case Op::kSetProps: {
      Metadata m = tx->metadata();
      m.configuration["delta.logRetentionDuration"] = "interval " + std::to_string(tag.size()) +
                                                      " days";
      tx->UpdateMetadata(m);
      break;
    }
  }
}

// Expected rule: does the loser fail with "concurrent modification"?
bool ExpectConflict(Op winner, Op loser) {
  if (winner == Op::kSetProps || loser == Op::kSetProps) {
    // A metadata change by the winner conflicts with everything; the loser's
    // property change only conflicts with another metadata change.
    return winner == Op::kSetProps;
  }
  auto removes_f0 = [](Op op) {
    return op == Op::kOverwrite || op == Op::kDelete || op == Op::kUpdate || op == Op::kMerge ||
           op == Op::kOptimize;
  };
  auto adds_data = [](Op op) { return op != Op::kOptimize; };
  auto adds_to_a = [](Op op) { return op != Op::kOptimize && op != Op::kAppendB; };
  switch (loser) {
    case Op::kAppend:
    case Op::kAppendB:
      return false;  // blind appends never conflict with data operations
    case Op::kOverwrite:  // read the whole table
      return adds_data(winner) || removes_f0(winner);
    case Op::kDelete:
    case Op::kUpdate:  // read partition a's files
      return adds_to_a(winner) || removes_f0(winner);
    case Op::kMerge:  // read every file
      return adds_data(winner) || removes_f0(winner);
    case Op::kOptimize:  // removes f0: conflicts when the winner removed f0 too
      return removes_f0(winner);
    case Op::kSetProps:
      return false;
  }
  return false;
}

class ConflictMatrixTest : public ::testing::TestWithParam<std::pair<Op, Op>> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(arrow::compute::Initialize().ok());
    Metadata m;
    m.id = NewUuid();
    auto schema = arrow::schema(
        {arrow::field("id", arrow::int64()), arrow::field("part", arrow::utf8())});
    m.schema_string = *SchemaToDeltaString(*schema);
    m.partition_columns = {"part"};
    m.created_time = 1;
    Protocol p;
    p.min_reader_version = 1;
    p.min_writer_version = 2;
    DELTA_ASSERT_OK_AND_ASSIGN(auto create, WriteTransaction::ForNewTable(
                                                table_.engine(), MemoryTable::kRoot, p, m));
    create->AddFiles({File("part=a/f0.parquet", "a")});
    DELTA_ASSERT_OK(create->Commit().status());
    DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
    DELTA_ASSERT_OK_AND_ASSIGN(auto second, WriteTransaction::ForSnapshot(snap));
    second->AddFiles({File("part=b/f1.parquet", "b")});
    DELTA_ASSERT_OK(second->Commit().status());
  }
  MemoryTable table_;
};

TEST_P(ConflictMatrixTest, LoserAgainstStaleSnapshot) {
  auto [winner, loser] = GetParam();
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  ASSERT_EQ(snap->version(), 1);
  DELTA_ASSERT_OK_AND_ASSIGN(auto w, WriteTransaction::ForSnapshot(snap));
  DELTA_ASSERT_OK_AND_ASSIGN(auto l, WriteTransaction::ForSnapshot(snap));
  Apply(winner, w.get(), "w");
  Apply(loser, l.get(), "loser");
  DELTA_ASSERT_OK_AND_ASSIGN(auto rw, w->Commit());
  ASSERT_EQ(rw.version, 2);
  DELTA_ASSERT_OK_AND_ASSIGN(auto after_winner, table_.Load());
  auto rl = l->Commit();
  bool expect_conflict = ExpectConflict(winner, loser);
  SCOPED_TRACE(std::string("winner ") + Name(winner) + ", loser " + Name(loser));
  DELTA_ASSERT_OK_AND_ASSIGN(auto final_snap, table_.Load());
  if (expect_conflict) {
    ASSERT_FALSE(rl.ok()) << "expected a conflict, loser committed version " << rl->version;
    EXPECT_CONTAINS(rl.status().message(), "concurrent modification: version 2");
    // The table is exactly what the winner left.
    EXPECT_EQ(final_snap->version(), 2);
    EXPECT_EQ(final_snap->files().size(), after_winner->files().size());
  } else {
    ASSERT_TRUE(rl.ok()) << rl.status().ToString();
    EXPECT_EQ(rl->version, 3);
    EXPECT_EQ(rl->attempts, 2);
    EXPECT_EQ(final_snap->version(), 3);
    // Every file the loser added is live; no file removed by either side is.
    std::set<std::string> live;
    for (const auto& f : final_snap->files()) live.insert(f.path);
    for (const auto& f : after_winner->files()) {
      bool loser_removes = (loser == Op::kOverwrite) ||
                           (f.path == "part=a/f0.parquet" &&
                            (loser == Op::kDelete || loser == Op::kUpdate ||
                             loser == Op::kMerge || loser == Op::kOptimize));
      EXPECT_EQ(live.count(f.path), loser_removes ? 0u : 1u) << f.path;
    }
  }
}

std::vector<std::pair<Op, Op>> AllPairs() {
  std::vector<std::pair<Op, Op>> out;
  for (Op w : kOps) {
    for (Op l : kOps) out.emplace_back(w, l);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(AllPairs, ConflictMatrixTest, ::testing::ValuesIn(AllPairs()),
                         [](const auto& info) {
                           return std::string(Name(info.param.first)) + "_then_" +
                                  Name(info.param.second);
                         });

}  // namespace
}  // namespace shoal::delta::test
