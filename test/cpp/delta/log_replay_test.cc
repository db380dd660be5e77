// Log segments and log replay against the in-memory engine (no file system).
#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/json/from_string.h>
#include <parquet/arrow/writer.h>

#include "delta_test_util.h"

namespace shoal::delta::test {
namespace {

TEST(LogFileNameTest, DecodesEveryKind) {
  auto parse = [](const std::string& name) { return ParseLogFileName(FileMeta{"x/_delta_log/" + name, 1, 0}); };
  auto c = parse("00000000000000000007.json");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, 7);
  EXPECT_EQ(c->kind, LogFileKind::kCommit);
  auto cp = parse("00000000000000000010.checkpoint.parquet");
  ASSERT_TRUE(cp);
  EXPECT_EQ(cp->kind, LogFileKind::kClassicCheckpoint);
  auto mp = parse("00000000000000000010.checkpoint.0000000002.0000000003.parquet");
  ASSERT_TRUE(mp);
  EXPECT_EQ(mp->kind, LogFileKind::kMultiPartCheckpoint);
  EXPECT_EQ(mp->part, 2);
  EXPECT_EQ(mp->num_parts, 3);
  auto v2 = parse("00000000000000000002.checkpoint.6374b053-df23-479b-b2cf-c9c550132b49.json");
  ASSERT_TRUE(v2);
  EXPECT_EQ(v2->kind, LogFileKind::kUuidCheckpoint);
  EXPECT_TRUE(v2->is_json);
  auto compacted = parse("00000000000000000003.00000000000000000005.compacted.json");
  ASSERT_TRUE(compacted);
  EXPECT_EQ(compacted->kind, LogFileKind::kCompaction);
  EXPECT_FALSE(parse("_last_checkpoint"));
  EXPECT_FALSE(parse("0000000000000000007.json"));  // 19 digits
  EXPECT_FALSE(parse("00000000000000000007.txt"));
  EXPECT_FALSE(parse("00000000000000000010.checkpoint.0000000004.0000000003.parquet"));
}

TEST(LogReplayTest, AddRemoveReconciliationAndTimeTravel) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a") + AddLine("b"));
  t.Commit(1, RemoveLine("a") + AddLine("c"));
  t.Commit(2, AddLine("a"));  // re-added after removal
  DELTA_ASSERT_OK_AND_ASSIGN(auto latest, t.Load());
  EXPECT_EQ(latest->version(), 2);
  EXPECT_EQ(MemoryTable::Paths(*latest), (std::vector<std::string>{"a", "b", "c"}));
  DELTA_ASSERT_OK_AND_ASSIGN(auto v0, t.Load({0, std::nullopt}));
  EXPECT_EQ(MemoryTable::Paths(*v0), (std::vector<std::string>{"a", "b"}));
  DELTA_ASSERT_OK_AND_ASSIGN(auto v1, t.Load({1, std::nullopt}));
  EXPECT_EQ(MemoryTable::Paths(*v1), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(v1->schema()->ToString(), "id: int64\npart: string");
}

TEST(LogReplayTest, NewestAddWinsAndPathsAreDecoded) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("x%20y", R"(,"stats":"{\"numRecords\":1}")"));
  t.Commit(1, AddLine("x y", R"(,"stats":"{\"numRecords\":2}")"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  ASSERT_EQ(snap->files().size(), 1u);
  EXPECT_EQ(*snap->files()[0].stats, R"({"numRecords":2})");
}

TEST(LogReplayTest, DeletionVectorIdIsPartOfTheFileKey) {
  const std::string dv1 =
      R"(,"deletionVector":{"storageType":"i","pathOrInlineDv":"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L","sizeInBytes":40,"cardinality":6})";
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("p"));
  // Replace (p, none) by (p, dv1): a remove of the old key and an add of the new one.
  t.Commit(1, RemoveLine("p") + AddLine("p", dv1));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  ASSERT_EQ(snap->files().size(), 1u);
  ASSERT_TRUE(snap->files()[0].deletion_vector);
  EXPECT_EQ(snap->files()[0].deletion_vector->cardinality, 6);
  // Removing (p, dv1) later removes the logical file.
  t.Commit(2, RemoveLine("p", dv1));
  DELTA_ASSERT_OK_AND_ASSIGN(auto after, t.Load());
  EXPECT_TRUE(after->files().empty());
}

TEST(LogReplayTest, NewestProtocolAndMetadataApply) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a"));
  t.Commit(1, TableHeader("part") + AddLine("b"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  EXPECT_EQ(snap->metadata().partition_columns, (std::vector<std::string>{"part"}));
  DELTA_ASSERT_OK_AND_ASSIGN(auto v0, t.Load({0, std::nullopt}));
  EXPECT_TRUE(v0->metadata().partition_columns.empty());
}

TEST(LogReplayTest, GapInTheLogNamesTableVersionAndFile) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a"));
  t.Commit(2, AddLine("b"));
  auto snap = t.Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_CONTAINS(snap.status().message(), "mem/t");
  EXPECT_CONTAINS(snap.status().message(), "missing version 1");
  EXPECT_CONTAINS(snap.status().message(), "00000000000000000002.json");
  // Version 0 alone is still readable.
  DELTA_ASSERT_OK_AND_ASSIGN(auto v0, t.Load({0, std::nullopt}));
  EXPECT_EQ(v0->files().size(), 1u);
}

TEST(LogReplayTest, BadInputGivesClearErrors) {
  {
    MemoryTable t;
    t.Commit(0, TableHeader() + "{\"add\":{\"path\":\"a\",");  // truncated line
    auto snap = t.Load();
    ASSERT_FALSE(snap.ok());
    EXPECT_CONTAINS(snap.status().message(), "version 0");
    EXPECT_CONTAINS(snap.status().message(), "00000000000000000000.json");
    EXPECT_CONTAINS(snap.status().message(), "line 3");
  }
  {
    MemoryTable t;
    t.Commit(0, TableHeader() + R"({"add":{"partitionValues":{}}})" "\n");
    auto snap = t.Load();
    ASSERT_FALSE(snap.ok());
    EXPECT_CONTAINS(snap.status().message(), "'path'");
  }
  {
    MemoryTable t;
    t.storage()->Put("mem/t/data.parquet", "x");
    auto snap = t.Load();
    ASSERT_FALSE(snap.ok());
    EXPECT_CONTAINS(snap.status().message(), "not a Delta table");
  }
  {
    MemoryTable t;
    t.Commit(0, TableHeader() + AddLine("a"));
    auto snap = t.Load({5, std::nullopt});
    ASSERT_FALSE(snap.ok());
    EXPECT_CONTAINS(snap.status().message(), "latest version is 0");
  }
  {
    MemoryTable t;
    t.Commit(0, AddLine("a"));
    auto snap = t.Load();
    ASSERT_FALSE(snap.ok());
    EXPECT_CONTAINS(snap.status().message(), "no protocol action");
  }
}

TEST(LogReplayTest, UnsupportedReaderFeatureIsNamed) {
  MemoryTable t;
  t.Commit(0, TableHeader("", R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["futureFeature"],"writerFeatures":["futureFeature"]}})") +
                  AddLine("a"));
  auto snap = t.Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_TRUE(snap.status().IsNotImplemented());
  EXPECT_CONTAINS(snap.status().message(), "'futureFeature'");

  MemoryTable old;
  old.Commit(0, TableHeader("", R"({"protocol":{"minReaderVersion":4,"minWriterVersion":7}})"));
  auto snap2 = old.Load();
  ASSERT_FALSE(snap2.ok());
  EXPECT_CONTAINS(snap2.status().message(), "reader version 4");

  MemoryTable ok;
  ok.Commit(0, TableHeader("", R"({"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["deletionVectors","columnMapping"],"writerFeatures":[]}})"));
  DELTA_ASSERT_OK(ok.Load().status());
}

TEST(LogReplayTest, TimestampTimeTravelUsesCommitTimes) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a"), 1000);
  t.Commit(1, AddLine("b"), 2000);
  t.Commit(2, AddLine("c"), 3000);
  DELTA_ASSERT_OK_AND_ASSIGN(auto at, t.Load({std::nullopt, 2500}));
  EXPECT_EQ(at->version(), 1);
  DELTA_ASSERT_OK_AND_ASSIGN(auto exact, t.Load({std::nullopt, 3000}));
  EXPECT_EQ(exact->version(), 2);
  auto before = t.Load({std::nullopt, 10});
  ASSERT_FALSE(before.ok());
  EXPECT_CONTAINS(before.status().message(), "no version at or before");
  DELTA_ASSERT_OK_AND_ASSIGN(auto history, ReadHistory(*t.engine(), MemoryTable::kRoot));
  ASSERT_EQ(history.size(), 3u);
  EXPECT_EQ(history[0].version, 2);
}

// --- checkpoints -------------------------------------------------------------

/// Return a Parquet checkpoint holding protocol, metadata and adds of `paths`.
std::string CheckpointBytes(const std::vector<std::string>& paths, bool with_header = true) {
  auto add_type = arrow::struct_({arrow::field("path", arrow::utf8()),
                                  arrow::field("partitionValues", arrow::map(arrow::utf8(), arrow::utf8())),
                                  arrow::field("size", arrow::int64()),
                                  arrow::field("modificationTime", arrow::int64()),
                                  arrow::field("dataChange", arrow::boolean()),
                                  arrow::field("stats", arrow::utf8())});
  auto protocol_type = arrow::struct_({arrow::field("minReaderVersion", arrow::int32()),
                                       arrow::field("minWriterVersion", arrow::int32())});
  auto meta_type = arrow::struct_({arrow::field("id", arrow::utf8()),
                                   arrow::field("schemaString", arrow::utf8()),
                                   arrow::field("partitionColumns", arrow::list(arrow::utf8())),
                                   arrow::field("configuration", arrow::map(arrow::utf8(), arrow::utf8()))});
  std::string adds = "[", protos = "[", metas = "[";
  const std::string schema =
      R"({\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]})";
  auto sep = [](std::string* s) {
    if (s->size() > 1) *s += ",";
  };
  if (with_header) {
    sep(&adds), sep(&protos), sep(&metas);
    adds += "null";
    protos += R"({"minReaderVersion":1,"minWriterVersion":2})";
    metas += R"({"id":"t","schemaString":")" + schema + R"(","partitionColumns":[],"configuration":[]})";
  }
  for (const auto& p : paths) {
    sep(&adds), sep(&protos), sep(&metas);
    adds += R"({"path":")" + p + R"(","partitionValues":[],"size":1,"modificationTime":1,"dataChange":false,"stats":"{\"numRecords\":3}"})";
    protos += "null";
    metas += "null";
  }
  adds += "]", protos += "]", metas += "]";
  auto a = arrow::json::ArrayFromJSONString(add_type, adds).ValueOrDie();
  auto p = arrow::json::ArrayFromJSONString(protocol_type, protos).ValueOrDie();
  auto m = arrow::json::ArrayFromJSONString(meta_type, metas).ValueOrDie();
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("add", add_type), arrow::field("protocol", protocol_type),
                     arrow::field("metaData", meta_type)}),
      {a, p, m});
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  EXPECT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 1024).ok());
  return sink->Finish().ValueOrDie()->ToString();
}

TEST(CheckpointTest, ReplayStartsFromTheCheckpoint) {
  MemoryTable t;
  // Commits 0 and 1 were cleaned up; the checkpoint at 1 holds the state.
  t.PutLog(VersionPrefix(1) + ".checkpoint.parquet", CheckpointBytes({"a", "b"}));
  t.PutLog("_last_checkpoint", R"({"version":1,"size":4})");
  t.Commit(2, RemoveLine("a") + AddLine("c"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  EXPECT_EQ(snap->version(), 2);
  EXPECT_EQ(snap->log_segment().checkpoint_version, 1);
  EXPECT_EQ(MemoryTable::Paths(*snap), (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(snap->schema()->ToString(), "id: int64");
  // Version 0 is gone: a clear error, not an empty table.
  auto v0 = t.Load({0, std::nullopt});
  ASSERT_FALSE(v0.ok());
  EXPECT_CONTAINS(v0.status().message(), "version 0");
}

TEST(CheckpointTest, StaleOrCorruptLastCheckpointIsRecovered) {
  for (std::string hint : {std::string(R"({"version":7,"size":4})"), std::string("{not json"),
                           std::string(R"({"version":0})")}) {
    MemoryTable t;
    t.Commit(0, TableHeader() + AddLine("a"));
    t.Commit(1, AddLine("b"));
    t.PutLog(VersionPrefix(1) + ".checkpoint.parquet", CheckpointBytes({"a", "b"}));
    t.Commit(2, AddLine("c"));
    t.PutLog("_last_checkpoint", hint);
    DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
    EXPECT_EQ(snap->version(), 2) << hint;
    EXPECT_EQ(snap->log_segment().checkpoint_version, 1) << hint;
    EXPECT_EQ(MemoryTable::Paths(*snap), (std::vector<std::string>{"a", "b", "c"})) << hint;
  }
}

TEST(CheckpointTest, IncompleteMultiPartCheckpointIsIgnored) {
  MemoryTable t;
  t.Commit(0, TableHeader() + AddLine("a"));
  t.Commit(1, AddLine("b"));
  // Only part 1 of 2 was written: replay must use the commits.
  t.PutLog(VersionPrefix(1) + ".checkpoint.0000000001.0000000002.parquet", CheckpointBytes({"zzz"}));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  EXPECT_FALSE(snap->log_segment().checkpoint_version);
  EXPECT_EQ(MemoryTable::Paths(*snap), (std::vector<std::string>{"a", "b"}));
  // With both parts present the checkpoint is used.
  t.PutLog(VersionPrefix(1) + ".checkpoint.0000000002.0000000002.parquet",
           CheckpointBytes({"b"}, /*with_header=*/false));
  t.PutLog(VersionPrefix(1) + ".checkpoint.0000000001.0000000002.parquet", CheckpointBytes({"a"}));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap2, t.Load());
  EXPECT_EQ(snap2->log_segment().checkpoint_version, 1);
  EXPECT_EQ(snap2->log_segment().checkpoint_parts.size(), 2u);
  EXPECT_EQ(MemoryTable::Paths(*snap2), (std::vector<std::string>{"a", "b"}));
}

TEST(CheckpointTest, V2JsonCheckpointWithSidecar) {
  MemoryTable t;
  std::string v2 = TableHeader() + R"({"checkpointMetadata":{"version":1}})" "\n" +
                   R"({"sidecar":{"path":"s1.parquet","sizeInBytes":10,"modificationTime":1}})" "\n" +
                   AddLine("inline");
  t.PutLog(VersionPrefix(1) + ".checkpoint.3a0d65cd-4056-49b8-937b-95f9e3ee90e5.json", v2);
  t.PutLog("_sidecars/s1.parquet", CheckpointBytes({"from_sidecar"}, /*with_header=*/false));
  t.Commit(2, AddLine("c"));
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, t.Load());
  EXPECT_EQ(MemoryTable::Paths(*snap), (std::vector<std::string>{"c", "from_sidecar", "inline"}));
}

TEST(CheckpointTest, DamagedCheckpointNamesTheFile) {
  MemoryTable t;
  t.PutLog(VersionPrefix(0) + ".checkpoint.parquet", "not parquet at all");
  t.Commit(0, TableHeader());
  auto snap = t.Load();
  ASSERT_FALSE(snap.ok());
  EXPECT_CONTAINS(snap.status().message(), "00000000000000000000.checkpoint.parquet");
}

}  // namespace
}  // namespace shoal::delta::test
