// WriteTransaction on the in-memory engine: commit contents, conflicts with
// concurrent commits, idempotent application transactions; action writing and
// statistics.
#include <arrow/array.h>
#include <arrow/buffer.h>
#include <arrow/builder.h>
#include <arrow/record_batch.h>
#include <arrow/type.h>

#include "delta_test_util.h"
#include <filesystem>

#include <arrow/filesystem/localfs.h>

#include "shoal/delta/action_writer.h"
#include "shoal/delta/checkpoint_writer.h"
#include "shoal/delta/delta_writer.h"
#include "shoal/delta/stats.h"
#include "shoal/delta/transaction.h"

namespace shoal::delta::test {
namespace {

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(arrow::compute::Initialize().ok()); }

  static Metadata SimpleMetadata() {
    Metadata m;
    m.id = NewUuid();
    auto schema = arrow::schema({arrow::field("id", arrow::int64()),
                                 arrow::field("part", arrow::utf8())});
    m.schema_string = *SchemaToDeltaString(*schema);
    m.partition_columns = {"part"};
    m.created_time = 1;
    return m;
  }
  static Protocol SimpleProtocol() {
    Protocol p;
    p.min_reader_version = 1;
    p.min_writer_version = 2;
    return p;
  }
  static AddFile File(const std::string& path, std::optional<std::string> part = "a") {
    AddFile a;
    a.path = path;
    a.partition_values["part"] = std::move(part);
    a.size = 100;
    a.modification_time = 5;
    a.stats = R"({"numRecords":3,"minValues":{"id":1},"maxValues":{"id":3},"nullCount":{"id":0}})";
    return a;
  }

  /// Create the table (version 0) with one file.
  void Create() {
    DELTA_ASSERT_OK_AND_ASSIGN(auto tx, WriteTransaction::ForNewTable(
                                            table_.engine(), MemoryTable::kRoot,
                                            SimpleProtocol(), SimpleMetadata()));
    tx->AddFiles({File("part=a/f0.parquet")});
    DELTA_ASSERT_OK_AND_ASSIGN(auto r, tx->Commit());
    ASSERT_EQ(r.version, 0);
  }

  Result<std::unique_ptr<WriteTransaction>> Begin() {
    ARROW_ASSIGN_OR_RAISE(auto snap, table_.Load());
    return WriteTransaction::ForSnapshot(snap);
  }

  std::string ReadLog(int64_t version) {
    auto buf = table_.storage()->ReadFile(table_.LogPath(VersionPrefix(version) + ".json"));
    return buf.ok() ? (*buf)->ToString() : std::string();
  }

  MemoryTable table_;
};

TEST_F(TransactionTest, CreateThenReadBack) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  EXPECT_EQ(snap->version(), 0);
  ASSERT_EQ(snap->files().size(), 1u);
  EXPECT_EQ(snap->files()[0].path, "part=a/f0.parquet");
  EXPECT_EQ(snap->metadata().partition_columns, std::vector<std::string>{"part"});
  EXPECT_EQ(snap->schema()->num_fields(), 2);
  std::string log = ReadLog(0);
  EXPECT_EQ(log.rfind("{\"commitInfo\":", 0), 0u) << log;
  EXPECT_CONTAINS(log, "\"operation\":\"CREATE TABLE\"");
  EXPECT_CONTAINS(log, "\"engineInfo\":\"shoal/");
  EXPECT_CONTAINS(log, "\"minWriterVersion\":2");
  // The history shows the commitInfo.
  DELTA_ASSERT_OK_AND_ASSIGN(auto hist, ReadHistory(*table_.engine(), MemoryTable::kRoot));
  ASSERT_EQ(hist.size(), 1u);
  ASSERT_TRUE(hist[0].commit_info.has_value());
  EXPECT_EQ(hist[0].commit_info->Find("operation")->text(), "CREATE TABLE");
}

TEST_F(TransactionTest, CreateTwiceFails) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, WriteTransaction::ForNewTable(
                                          table_.engine(), MemoryTable::kRoot, SimpleProtocol(),
                                          SimpleMetadata()));
  auto r = tx->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "concurrent modification: version 0");
}

TEST_F(TransactionTest, AppendAndOverwrite) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, Begin());
  tx->SetOperation("WRITE");
  tx->SetMetric("numFiles", 1);
  tx->AddFiles({File("part=b/f1.parquet", "b")});
  DELTA_ASSERT_OK_AND_ASSIGN(auto r, tx->Commit());
  EXPECT_EQ(r.version, 1);
  EXPECT_EQ(r.attempts, 1);
  std::string log = ReadLog(1);
  EXPECT_CONTAINS(log, "\"readVersion\":0");
  EXPECT_CONTAINS(log, "\"isBlindAppend\":true");
  EXPECT_CONTAINS(log, "\"numFiles\":\"1\"");

  DELTA_ASSERT_OK_AND_ASSIGN(auto ow, Begin());
  ow->RemoveAllFiles(77);
  ow->AddFiles({File("part=c/f2.parquet", std::nullopt)});
  DELTA_ASSERT_OK_AND_ASSIGN(r, ow->Commit());
  EXPECT_EQ(r.version, 2);
  EXPECT_CONTAINS(ReadLog(2), "\"isBlindAppend\":false");
  EXPECT_CONTAINS(ReadLog(2), "\"deletionTimestamp\":77");
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  EXPECT_EQ(MemoryTable::Paths(*snap), std::vector<std::string>{"part=c/f2.parquet"});
  ASSERT_EQ(snap->files()[0].partition_values.count("part"), 1u);
  EXPECT_FALSE(snap->files()[0].partition_values.at("part").has_value());
}

TEST_F(TransactionTest, BlindAppendsRetryPastEachOther) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto a, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto b, Begin());
  a->AddFiles({File("part=a/a.parquet")});
  b->AddFiles({File("part=a/b.parquet")});
  DELTA_ASSERT_OK_AND_ASSIGN(auto ra, a->Commit());
  EXPECT_EQ(ra.version, 1);
  DELTA_ASSERT_OK_AND_ASSIGN(auto rb, b->Commit());
  EXPECT_EQ(rb.version, 2);
  EXPECT_EQ(rb.attempts, 2);
  EXPECT_CONTAINS(ReadLog(2), "\"readVersion\":0");
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  EXPECT_EQ(snap->files().size(), 3u);
}

TEST_F(TransactionTest, OverwriteLosesToConcurrentAppend) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto ow, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto ap, Begin());
  ap->AddFiles({File("part=a/x.parquet")});
  DELTA_ASSERT_OK(ap->Commit().status());
  ow->RemoveAllFiles(1);
  ow->AddFiles({File("part=a/y.parquet")});
  auto r = ow->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "concurrent modification: version 1");
  EXPECT_CONTAINS(r.status().message(), "added files");
  // Nothing of the loser was written.
  EXPECT_EQ(ReadLog(2), "");
}

TEST_F(TransactionTest, AppendAfterConcurrentOverwriteIsFine) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto ap, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto ow, Begin());
  ow->RemoveAllFiles(1);
  DELTA_ASSERT_OK(ow->Commit().status());
  ap->AddFiles({File("part=a/x.parquet")});
  DELTA_ASSERT_OK_AND_ASSIGN(auto r, ap->Commit());
  EXPECT_EQ(r.version, 2);
}

TEST_F(TransactionTest, ConcurrentDeletesOfTheSameFileConflict) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto one, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto two, Begin());
  one->RemoveAllFiles(1);
  DELTA_ASSERT_OK(one->Commit().status());
  two->RemoveAllFiles(2);
  auto r = two->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "removed file 'part=a/f0.parquet'");
}

TEST_F(TransactionTest, MetadataChangeConflicts) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto ap, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto meta, Begin());
  Metadata m = meta->metadata();
  m.configuration["delta.checkpointInterval"] = "5";
  meta->UpdateMetadata(m);
  DELTA_ASSERT_OK(meta->Commit().status());
  ap->AddFiles({File("part=a/x.parquet")});
  auto r = ap->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "concurrent modification: version 1");
  EXPECT_CONTAINS(r.status().message(), "metadata");
}

TEST_F(TransactionTest, RaceWithCommitWrittenByAnotherWriter) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, Begin());
  // Another engine commits version 1 first (a blind append), then version 2 (metadata).
  table_.Commit(1, AddLine("part=a/other.parquet"));
  tx->AddFiles({File("part=a/mine.parquet")});
  DELTA_ASSERT_OK_AND_ASSIGN(auto r, tx->Commit());
  EXPECT_EQ(r.version, 2);
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx2, Begin());
  table_.Commit(3, TableHeader("part"));
  tx2->AddFiles({File("part=a/late.parquet")});
  auto r2 = tx2->Commit();
  ASSERT_FALSE(r2.ok());
  EXPECT_CONTAINS(r2.status().message(), "concurrent modification: version 3");
}

TEST_F(TransactionTest, IdempotentApplicationTransaction) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, Begin());
  tx->SetAppTransaction("stream-1", 5);
  tx->AddFiles({File("part=a/x.parquet")});
  DELTA_ASSERT_OK_AND_ASSIGN(auto r, tx->Commit());
  EXPECT_FALSE(r.noop);
  EXPECT_EQ(r.version, 1);
  // Same or older version: no-op, nothing written.
  for (int64_t v : {5, 4}) {
    DELTA_ASSERT_OK_AND_ASSIGN(auto again, Begin());
    again->SetAppTransaction("stream-1", v);
    again->AddFiles({File("part=a/y.parquet")});
    DELTA_ASSERT_OK_AND_ASSIGN(auto r2, again->Commit());
    EXPECT_TRUE(r2.noop);
    EXPECT_EQ(r2.version, 1);
  }
  EXPECT_EQ(ReadLog(2), "");
  DELTA_ASSERT_OK_AND_ASSIGN(auto next, Begin());
  next->SetAppTransaction("stream-1", 6);
  DELTA_ASSERT_OK_AND_ASSIGN(auto r3, next->Commit());
  EXPECT_FALSE(r3.noop);
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, table_.Load());
  ASSERT_EQ(snap->transactions().size(), 1u);
  EXPECT_EQ(snap->transactions()[0].version, 6);
}

TEST_F(TransactionTest, IdempotentRaceBecomesNoop) {
  Create();
  DELTA_ASSERT_OK_AND_ASSIGN(auto a, Begin());
  DELTA_ASSERT_OK_AND_ASSIGN(auto b, Begin());
  a->SetAppTransaction("app", 1);
  b->SetAppTransaction("app", 1);
  DELTA_ASSERT_OK(a->Commit().status());
  DELTA_ASSERT_OK_AND_ASSIGN(auto r, b->Commit());
  EXPECT_TRUE(r.noop);
}

TEST_F(TransactionTest, RefusesUnsupportedWriterFeatures) {
  Protocol p;
  p.min_reader_version = 3;
  p.min_writer_version = 7;
  p.reader_features = std::vector<std::string>{};
  p.writer_features = std::vector<std::string>{"rowTracking"};
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, WriteTransaction::ForNewTable(
                                          table_.engine(), MemoryTable::kRoot, p,
                                          SimpleMetadata()));
  auto r = tx->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "writer feature 'rowTracking'");
}

TEST_F(TransactionTest, AppendOnlyRefusesOverwrite) {
  Metadata m = SimpleMetadata();
  m.configuration["delta.appendOnly"] = "true";
  DELTA_ASSERT_OK_AND_ASSIGN(auto tx, WriteTransaction::ForNewTable(
                                          table_.engine(), MemoryTable::kRoot, SimpleProtocol(), m));
  tx->AddFiles({File("part=a/f0.parquet")});
  DELTA_ASSERT_OK(tx->Commit().status());
  DELTA_ASSERT_OK_AND_ASSIGN(auto ow, Begin());
  ow->RemoveAllFiles(1);
  auto r = ow->Commit();
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "append-only");
}

// --- action_writer ---

TEST(ActionWriterTest, SchemaRoundTrip) {
  auto schema = arrow::schema(
      {arrow::field("a", arrow::int32(), false), arrow::field("b", arrow::utf8()),
       arrow::field("c", arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")),
       arrow::field("d", arrow::timestamp(arrow::TimeUnit::MICRO)),
       arrow::field("e", arrow::decimal128(10, 2)), arrow::field("f", arrow::date32()),
       arrow::field("g", arrow::list(arrow::field("element", arrow::int64()))),
       arrow::field("h", arrow::struct_({arrow::field("x", arrow::float64())})),
       arrow::field("i", arrow::map(arrow::utf8(), arrow::int32()))});
  DELTA_ASSERT_OK_AND_ASSIGN(auto text, SchemaToDeltaString(*schema));
  DELTA_ASSERT_OK_AND_ASSIGN(auto back, ParseSchemaString(text));
  auto plain = StripDeltaMetadata(back);
  ASSERT_EQ(plain->num_fields(), schema->num_fields());
  for (int i = 0; i < schema->num_fields(); ++i) {
    EXPECT_EQ(plain->field(i)->name(), schema->field(i)->name());
    EXPECT_EQ(plain->field(i)->nullable(), schema->field(i)->nullable());
    EXPECT_EQ(plain->field(i)->type()->id(), schema->field(i)->type()->id()) << i;
  }
}

TEST(ActionWriterTest, NormalizeRefusesUnsigned) {
  auto r = NormalizeSchemaForDelta(*arrow::schema({arrow::field("u", arrow::uint32())}));
  ASSERT_FALSE(r.ok());
  EXPECT_CONTAINS(r.status().message(), "column 'u'");
  DELTA_ASSERT_OK_AND_ASSIGN(
      auto n, NormalizeSchemaForDelta(*arrow::schema(
                  {arrow::field("s", arrow::large_utf8()),
                   arrow::field("t", arrow::timestamp(arrow::TimeUnit::NANO, "Europe/Paris"))})));
  EXPECT_TRUE(n->field(0)->type()->Equals(*arrow::utf8()));
  EXPECT_TRUE(n->field(1)->type()->Equals(*arrow::timestamp(arrow::TimeUnit::MICRO, "UTC")));
}

TEST(ActionWriterTest, AddLineParsesBack) {
  AddFile a;
  a.path = EncodeActionPath("p=a b%/f.parquet");
  a.partition_values["p"] = "a b%";
  a.partition_values["q"] = std::nullopt;
  a.size = 12;
  a.modification_time = 34;
  a.stats = "{\"numRecords\":1}";
  std::string line = AddLine(a);
  DELTA_ASSERT_OK_AND_ASSIGN(auto json, ParseJson(line));
  ActionBatch batch;
  DELTA_ASSERT_OK(ParseJsonAction(json, &batch));
  ASSERT_EQ(batch.adds.size(), 1u);
  EXPECT_EQ(DecodeActionPath(batch.adds[0].path), "p=a b%/f.parquet");
  EXPECT_EQ(batch.adds[0].partition_values, a.partition_values);
  EXPECT_EQ(batch.adds[0].stats, a.stats);
  EXPECT_EQ(EscapePartitionPathValue("a b/c=%"), "a b%2Fc%3D%25");
}

TEST(ActionWriterTest, StatsWithTruncatedStrings) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  std::string long_a(40, 'a'), long_z = std::string(33, 'z') + "q";
  arrow::StringBuilder sb;
  ASSERT_TRUE(sb.AppendValues({long_a, long_z, "m"}).ok());
  ASSERT_TRUE(sb.AppendNull().ok());
  arrow::Int64Builder ib;
  ASSERT_TRUE(ib.AppendValues({5, -2, 9, 0}).ok());
  arrow::Int64Builder jb;
  ASSERT_TRUE(jb.AppendValues({1, 2, 3, 4}).ok());
  auto schema = arrow::schema({arrow::field("s", arrow::utf8()), arrow::field("i", arrow::int64()),
                               arrow::field("j", arrow::int64())});
  auto batch = arrow::RecordBatch::Make(schema, 4, {*sb.Finish(), *ib.Finish(), *jb.Finish()});
  StatsCollector stats(schema, /*num_indexed_cols=*/2);
  DELTA_ASSERT_OK(stats.Update(*batch));
  DELTA_ASSERT_OK(stats.Update(*batch->Slice(2)));
  DELTA_ASSERT_OK_AND_ASSIGN(auto text, stats.ToJson());
  DELTA_ASSERT_OK_AND_ASSIGN(auto json, ParseJson(text));
  EXPECT_EQ(json.Find("numRecords")->text(), "6");
  EXPECT_EQ(json.Find("minValues")->Find("s")->text(), std::string(32, 'a'));
  std::string max = json.Find("maxValues")->Find("s")->text();
  EXPECT_GT(max, long_z);  // still an upper bound after the cut
  EXPECT_EQ(max.substr(0, 32), std::string(32, 'z'));
  EXPECT_EQ(json.Find("minValues")->Find("i")->text(), "-2");
  EXPECT_EQ(json.Find("maxValues")->Find("i")->text(), "9");
  EXPECT_EQ(json.Find("nullCount")->Find("s")->text(), "2");
  EXPECT_EQ(json.Find("nullCount")->Find("j"), nullptr);  // beyond the indexed columns
  // The reader's statistics decoder accepts what we wrote.
  DELTA_ASSERT_OK_AND_ASSIGN(auto parsed,
                             ParseStatsJson(text, {{"i", arrow::int64()}, {"s", arrow::utf8()}}));
  EXPECT_EQ(parsed.num_records, 6);
  EXPECT_EQ(parsed.null_count.at("s"), 2);
}

// --- delta_writer + checkpoint_writer on the local file system ---

TEST(DeltaWriterTest, AppendsCheckpointAndReadBack) {
  ASSERT_TRUE(arrow::compute::Initialize().ok());
  auto dir = std::filesystem::temp_directory_path() / ("shoal_dwrite_" + NewUuid());
  std::string root = (dir / "t").string();
  auto batch_of = [](int64_t v, const std::string& part) {
    arrow::Int64Builder ib;
    arrow::StringBuilder sb;
    EXPECT_TRUE(ib.Append(v).ok());
    EXPECT_TRUE(sb.Append(part).ok());
    auto schema = arrow::schema({arrow::field("v", arrow::int64()),
                                 arrow::field("p", arrow::utf8())});
    auto batch = arrow::RecordBatch::Make(schema, 1, {*ib.Finish(), *sb.Finish()});
    return *arrow::RecordBatchReader::Make({batch}, schema);
  };
  DeltaWriteOptions opts;
  opts.partition_by = {"p"};
  opts.configuration["delta.checkpointInterval"] = "3";
  DELTA_ASSERT_OK_AND_ASSIGN(auto r0, WriteDeltaTable(root, batch_of(0, "a b"), opts));
  EXPECT_EQ(r0.version, 0);
  opts.mode = SaveMode::kAppend;
  for (int64_t v = 1; v <= 4; ++v) {
    DELTA_ASSERT_OK_AND_ASSIGN(auto r, WriteDeltaTable(root, batch_of(v, v % 2 ? "x" : ""), opts));
    EXPECT_EQ(r.version, v);
    EXPECT_EQ(r.checkpoint_written, v == 3) << r.checkpoint_error;
  }
  EXPECT_TRUE(std::filesystem::exists(dir / "t" / "p=a b"));
  EXPECT_TRUE(std::filesystem::exists(dir / "t" / "p=__HIVE_DEFAULT_PARTITION__"));
  EXPECT_TRUE(std::filesystem::exists(dir / "t/_delta_log/00000000000000000003.checkpoint.parquet"));
  auto engine = MakeWriteEngine(std::make_shared<arrow::fs::LocalFileSystem>());
  DELTA_ASSERT_OK_AND_ASSIGN(auto snap, Snapshot::Make(engine, root));
  EXPECT_EQ(snap->version(), 4);
  EXPECT_EQ(snap->log_segment().checkpoint_version, 3);
  EXPECT_EQ(snap->files().size(), 5u);
  // Overwrite replaces every file.
  opts.mode = SaveMode::kOverwrite;
  DELTA_ASSERT_OK_AND_ASSIGN(auto ow, WriteDeltaTable(root, batch_of(9, "z"), opts));
  EXPECT_EQ(ow.removed_files, 5);
  DELTA_ASSERT_OK_AND_ASSIGN(snap, Snapshot::Make(engine, root));
  ASSERT_EQ(snap->files().size(), 1u);
  EXPECT_EQ(snap->files()[0].partition_values.at("p"), std::optional<std::string>("z"));
  // Mode error refuses an existing table.
  opts.mode = SaveMode::kError;
  auto again = WriteDeltaTable(root, batch_of(1, "a"), opts);
  ASSERT_FALSE(again.ok());
  EXPECT_CONTAINS(again.status().message(), "already exists");
  std::filesystem::remove_all(dir);
}

TEST(DeltaWriterTest, AtomicPutIfAbsent) {
  auto dir = std::filesystem::temp_directory_path() / ("shoal_dwrite_" + NewUuid());
  auto engine = MakeWriteEngine(std::make_shared<arrow::fs::LocalFileSystem>());
  std::string path = (dir / "_delta_log" / "00000000000000000000.json").string();
  DELTA_ASSERT_OK(engine->storage->PutIfAbsent(path, arrow::Buffer::FromString("one")));
  auto st = engine->storage->PutIfAbsent(path, arrow::Buffer::FromString("two"));
  EXPECT_TRUE(st.IsAlreadyExists()) << st.ToString();
  DELTA_ASSERT_OK_AND_ASSIGN(auto buf, engine->storage->ReadFile(path));
  EXPECT_EQ(buf->ToString(), "one");
  // No temporary files are left behind.
  int entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / "_delta_log")) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace shoal::delta::test
