// The fast paths of reading the log: add lines decoded without a JSON tree
// (must agree with the general decoder, errors included), streamed checkpoint
// batches with child-column selection, parallel commit reading (same result and
// same first error as a sequential replay), and row counts from statistics.
#include <atomic>

#include <arrow/api.h>
#include <arrow/io/memory.h>
#include <arrow/json/from_string.h>
#include <parquet/arrow/writer.h>

#include "delta_test_util.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/json.h"

namespace shoal::delta::test {
namespace {

/// Return every field of the adds of `batch` as text (for comparing decoders).
std::string Describe(const ActionBatch& batch) {
  std::string out;
  for (const auto& a : batch.adds) {
    out += "path=" + a.path + " size=" + std::to_string(a.size) +
           " mtime=" + std::to_string(a.modification_time) + " dc=" + std::to_string(a.data_change);
    out += " stats=" + (a.stats ? *a.stats : std::string("<none>"));
    for (const auto& [k, v] : a.partition_values) out += " pv:" + k + "=" + v.value_or("<null>");
    for (const auto& [k, v] : a.tags) out += " tag:" + k + "=" + v;
    if (a.deletion_vector) out += " dv=" + a.deletion_vector->UniqueId() + "/" +
                                  std::to_string(a.deletion_vector->cardinality);
    if (a.base_row_id) out += " brid=" + std::to_string(*a.base_row_id);
    if (a.default_row_commit_version) out += " drcv=" + std::to_string(*a.default_row_commit_version);
    out += "\n";
  }
  out += "removes=" + std::to_string(batch.removes.size());
  out += " protocol=" + std::to_string(batch.protocol.has_value());
  return out;
}

/// Decode `line` through JsonValue (the general path).
Status GeneralParse(const std::string& line, ActionBatch* out) {
  ARROW_ASSIGN_OR_RAISE(auto v, ParseJson(line));
  return ParseJsonAction(v, out);
}

TEST(FastAddLineTest, AgreesWithTheGeneralDecoder) {
  const std::vector<std::string> lines = {
      // Every field, escapes, an unknown nested field.
      R"({"add":{"path":"a%20b/c.parquet","partitionValues":{"p":"x","q":null,"n":12,"b":true},)"
      R"("size":1234,"modificationTime":-5,"dataChange":false,)"
      R"("stats":"{\"numRecords\":3,\"minValues\":{\"s\":\"\\u00e9\"}}","tags":{"t":"1","u":null},)"
      R"("deletionVector":{"storageType":"u","pathOrInlineDv":"ab","offset":1,"sizeInBytes":4,"cardinality":2},)"
      R"("baseRowId":7,"defaultRowCommitVersion":8,"clusteringProvider":{"x":[1,{"y":2}]}}})",
      R"( { "add" : { "pa\u0074h" : "p" , "size" : 1.0e1 } } )",
      R"({"add":{"path":"first","path":"second","size":1}})",     // duplicates: the first wins
      R"({"add":{"path":"p","partitionValues":{"k":"1","k":"2"}}})",  // last wins in a map
      R"({"add":{"path":"p","dataChange":"yes","stats":5}})",         // ignored when mistyped
      R"({"add":{"path":"p","size":null,"baseRowId":null,"deletionVector":null,"tags":null}})",
      R"({"add":{"path":"p","size":-0,"modificationTime":123456789012345678}})",
      R"({"add":{"path":"p"},"remove":{"path":"q"}})",  // two actions on one line
      R"({"protocol":{"minReaderVersion":1},"add":{"path":"p"}})",
      R"({"add":{"path":"p","size":9223372036854775807}})",
      // Errors: each must give the general decoder's message.
      R"({"add":{"path":"p","size":"1"}})",
      R"({"add":{"path":"p","size":1.5}})",
      R"({"add":{"path":"p","size":NaN}})",
      R"({"add":{"path":"p","size":99999999999999999999}})",
      R"({"add":{"size":1}})",
      R"({"add":{"path":7}})",
      R"({"add":null})",
      R"({"add":{"path":"p","partitionValues":{"k":[1]}}})",
      R"({"add":{"path":"p","partitionValues":"k"}})",
      R"({"add":{"path":"p","deletionVector":{"storageType":"u"}}})",
      R"({"add":{"path":"p","tags":{"t":{}}}})",
      R"({"add":{"path":"p",}})",
      R"({"add":{"path":"p"}} x)",
      R"({"add":{"path":"p")",
      R"([1])",
  };
  for (const auto& line : lines) {
    ActionBatch fast, general;
    Status fs = ParseJsonActionLine(line, &fast);
    Status gs = GeneralParse(line, &general);
    EXPECT_EQ(fs.ToString(), gs.ToString()) << line;
    if (fs.ok() && gs.ok()) EXPECT_EQ(Describe(fast), Describe(general)) << line;
  }
}

TEST(FastAddLineTest, HandlerNamesTheLineOfAnError) {
  auto handler = MakeDefaultJsonHandler();
  ActionBatch batch;
  std::string text = std::string(R"({"add":{"path":"a"}})") + "\n\n" + R"({"add":{"path":)" + "\n";
  Status st = handler->ParseActionLines(arrow::Buffer(text), "v.json", &batch);
  EXPECT_CONTAINS(st.message(), "cannot parse 'v.json' line 3: invalid JSON");
  text = std::string(R"({"add":{"path":"a"}})") + "\r\n" + R"({"add":{"path":1}})";
  ActionBatch batch2;
  st = handler->ParseActionLines(arrow::Buffer(text), "v.json", &batch2);
  EXPECT_CONTAINS(st.message(), "line 2: invalid 'add' action: field 'path' must be a string");
  // The default (JsonValue) implementation of the interface gives the same errors.
  ActionBatch batch3;
  Status general = handler->JsonHandler::ParseActionLines(arrow::Buffer(text), "v.json", &batch3);
  EXPECT_EQ(st.ToString(), general.ToString());
}

TEST(StatsNumRecordsTest, ReadsOnlyWhatItNeeds) {
  AddFile a;
  EXPECT_FALSE(StatsNumRecords(a));
  a.stats = R"({"numRecords":42,"minValues":{"x":1}})";
  EXPECT_EQ(StatsNumRecords(a), 42);
  a.stats = R"({"minValues":{"x":[1,{"y":"}"}]},"numRecords":7})";
  EXPECT_EQ(StatsNumRecords(a), 7);
  a.stats = R"({"minValues":{"x":1}})";
  EXPECT_FALSE(StatsNumRecords(a));
  a.stats = R"({"numRecords":"7"})";
  EXPECT_FALSE(StatsNumRecords(a));
  a.stats = "not json";
  EXPECT_FALSE(StatsNumRecords(a));
  auto parsed = std::make_shared<ParsedStats>();
  parsed->num_records = 5;
  a.stats_parsed = parsed;
  EXPECT_EQ(StatsNumRecords(a), 5);
}

TEST(TaskRunnerTest, RunsEveryTaskOnceAndReportsTheLowestFailure) {
  for (int threads : {1, 2, 8}) {
    auto runner = MakeThreadTaskRunner(threads);
    std::vector<std::atomic<int>> calls(300);
    DELTA_ASSERT_OK(runner->ParallelFor(300, [&](int64_t i) {
      calls[i].fetch_add(1);
      return Status::OK();
    }));
    for (const auto& c : calls) EXPECT_EQ(c.load(), 1);
    for (int round = 0; round < 20; ++round) {
      Status st = runner->ParallelFor(200, [&](int64_t i) {
        if (i == 150 || i == 40 || i == 41) return Status::Invalid("task ", i);
        return Status::OK();
      });
      EXPECT_EQ(st.message(), "task 40") << threads;
    }
  }
  DELTA_ASSERT_OK(RunTasks(nullptr, 0, [](int64_t) { return Status::Invalid("never"); }));
}

TEST(ParallelReplayTest, SameFilesOrderAndErrorsAsSequential) {
  MemoryTable t;
  // More commits than one read window, with removes and re-adds across windows.
  t.Commit(0, TableHeader() + AddLine("f0"));
  for (int v = 1; v < 300; ++v) {
    std::string lines = AddLine("f" + std::to_string(v));
    if (v % 7 == 0) lines += RemoveLine("f" + std::to_string(v - 5));
    if (v == 200) lines += AddLine("f2");                  // removed at 7, re-added
    if (v % 50 == 0) lines += AddLine("f" + std::to_string(v - 40));  // added again: newest wins
    t.Commit(v, lines);
  }
  auto sequential = std::make_shared<Engine>(*t.engine());
  sequential->tasks = nullptr;
  auto parallel = std::make_shared<Engine>(*t.engine());
  parallel->tasks = MakeThreadTaskRunner(4);
  DELTA_ASSERT_OK_AND_ASSIGN(auto a, Snapshot::Make(sequential, MemoryTable::kRoot));
  DELTA_ASSERT_OK_AND_ASSIGN(auto b, Snapshot::Make(parallel, MemoryTable::kRoot));
  ASSERT_EQ(a->files().size(), b->files().size());
  for (size_t i = 0; i < a->files().size(); ++i) EXPECT_EQ(a->files()[i].path, b->files()[i].path);
  EXPECT_EQ(MemoryTable::Paths(*a).size(), 300u - 42u + 1u);  // 42 removed, 1 re-added

  // Two broken commits: both replays report the newest one.
  t.Commit(120, "{not json\n");
  t.Commit(20, R"({"add":{"path":1}})" "\n");
  auto ea = Snapshot::Make(sequential, MemoryTable::kRoot);
  auto eb = Snapshot::Make(parallel, MemoryTable::kRoot);
  ASSERT_FALSE(ea.ok());
  EXPECT_EQ(ea.status().ToString(), eb.status().ToString());
  EXPECT_CONTAINS(eb.status().message(), "version 120");
}

/// Return Parquet bytes of a table with an `add` struct and a `remove` struct.
std::string TwoColumnParquet(int rows) {
  auto add_type = arrow::struct_({arrow::field("path", arrow::utf8()),
                                  arrow::field("size", arrow::int64()),
                                  arrow::field("stats", arrow::utf8())});
  auto remove_type = arrow::struct_({arrow::field("path", arrow::utf8())});
  std::string adds = "[", removes = "[";
  for (int i = 0; i < rows; ++i) {
    if (i) adds += ",", removes += ",";
    adds += R"({"path":"p)" + std::to_string(i) + R"(","size":)" + std::to_string(i) +
            R"(,"stats":"s"})";
    removes += i % 2 ? "null" : R"({"path":"r"})";
  }
  adds += "]", removes += "]";
  auto table = arrow::Table::Make(
      arrow::schema({arrow::field("add", add_type), arrow::field("remove", remove_type)}),
      {arrow::json::ArrayFromJSONString(add_type, adds).ValueOrDie(),
       arrow::json::ArrayFromJSONString(remove_type, removes).ValueOrDie()});
  auto sink = arrow::io::BufferOutputStream::Create().ValueOrDie();
  EXPECT_TRUE(parquet::arrow::WriteTable(*table, arrow::default_memory_pool(), sink, 3).ok());
  return sink->Finish().ValueOrDie()->ToString();
}

TEST(ParquetBatchesTest, StreamsSelectedChildColumns) {
  auto storage = std::make_shared<InMemoryStorage>();
  const std::string bytes = TwoColumnParquet(7);
  storage->Put("t/cp.parquet", bytes, 0);
  auto handler = MakeStorageParquetHandler(storage);
  for (int64_t size : {static_cast<int64_t>(bytes.size()), int64_t{-1}}) {
    FileMeta file{"t/cp.parquet", size, 0};
    std::vector<int64_t> lengths;
    std::vector<std::string> paths;
    DELTA_ASSERT_OK(handler->ReadParquetBatches(
        file, {"add.path", "remove", "missing"}, 2, [&](const arrow::RecordBatch& b) {
          lengths.push_back(b.num_rows());
          EXPECT_EQ(b.schema()->ToString(), "add: struct<path: string>\nremove: struct<path: string>");
          auto add = std::static_pointer_cast<arrow::StructArray>(b.column(0));
          auto path = std::static_pointer_cast<arrow::StringArray>(add->field(0));
          for (int64_t i = 0; i < b.num_rows(); ++i) paths.push_back(path->GetString(i));
          return Status::OK();
        }));
    int64_t total = 0;
    for (auto n : lengths) {
      EXPECT_LE(n, 2);
      total += n;
    }
    EXPECT_EQ(total, 7);
    EXPECT_EQ(paths.front(), "p0");
    EXPECT_EQ(paths.back(), "p6");
    // Whole-table reads select top-level columns.
    DELTA_ASSERT_OK_AND_ASSIGN(auto table, handler->ReadParquetFile(file, {"remove"}));
    EXPECT_EQ(table->num_columns(), 1);
    EXPECT_EQ(table->num_rows(), 7);
  }
  // A wrong size or a missing file is an error naming the file.
  FileMeta wrong{"t/cp.parquet", 10, 0};
  Status st = handler->ReadParquetBatches(wrong, {}, 2, [](const arrow::RecordBatch&) {
    return Status::OK();
  });
  EXPECT_CONTAINS(st.message(), "t/cp.parquet");
  FileMeta missing{"t/none.parquet", 100, 0};
  st = handler->ReadParquetBatches(missing, {}, 2, [](const arrow::RecordBatch&) {
    return Status::OK();
  });
  EXPECT_CONTAINS(st.message(), "does not exist");
}

}  // namespace
}  // namespace shoal::delta::test
