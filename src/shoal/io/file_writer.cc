#include "shoal/io/file_writer.h"

#include <charconv>

#include <arrow/array.h>
#include <arrow/compute/api_vector.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/compute/row/grouper.h>
#include <arrow/csv/options.h>
#include <arrow/csv/writer.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/filesystem/path_util.h>
#include <arrow/io/compressed.h>
#include <arrow/io/interfaces.h>
#include <arrow/ipc/writer.h>
#include <arrow/scalar.h>
#include <arrow/type.h>
#include <arrow/util/compression.h>
#include <parquet/arrow/writer.h>
#include <parquet/properties.h>

#include "shoal/common/strings.h"
#include "shoal/io/file_listing.h"
#include "shoal/io/json_format_internal.h"
#include "shoal/io/option_parsing_internal.h"

namespace shoal {

namespace {

using internal::OptionMap;

enum class Format { kParquet, kCsv, kJson, kIpc };

struct WriterConfig {
  Format format = Format::kParquet;
  std::string extension;
  std::shared_ptr<parquet::WriterProperties> parquet_props;
  std::shared_ptr<parquet::ArrowWriterProperties> arrow_props;
  arrow::csv::WriteOptions csv = arrow::csv::WriteOptions::Defaults();
  arrow::ipc::IpcWriteOptions ipc = arrow::ipc::IpcWriteOptions::Defaults();
  bool gzip = false;
};

// "zstd", "zstd(3)", "gzip(6)" -> type and optional level.
Status ParseCompression(const std::string& text, const std::string& context,
                        arrow::Compression::type* type, std::optional<int>* level) {
  std::string s = ToLower(Trim(text));
  size_t paren = s.find('(');
  if (paren != std::string::npos && s.back() == ')') {
    std::string lvl = Trim(s.substr(paren + 1, s.size() - paren - 2));
    int value = 0;
    auto [end, ec] = std::from_chars(lvl.data(), lvl.data() + lvl.size(), value);
    if (ec != std::errc() || end != lvl.data() + lvl.size()) {
      return Status::Invalid("invalid compression level in '", text, "' for ", context);
    }
    *level = value;
    s = s.substr(0, paren);
  }
  if (s == "none" || s == "uncompressed" || s.empty()) {
    *type = arrow::Compression::UNCOMPRESSED;
    return Status::OK();
  }
  auto t = arrow::util::Codec::GetCompressionType(s);
  if (!t.ok()) {
    return Status::Invalid("unknown compression '", text, "' for ", context,
                           "; valid: uncompressed, snappy, gzip, zstd, lz4, brotli");
  }
  *type = *t;
  return Status::OK();
}

// Text formats (CSV, JSON) support gzip or no compression; gzip adds ".gz".
Status ApplyTextCompression(const OptionMap& opts, const std::string& ctx, WriterConfig* cfg) {
  auto c = opts.Get({"compression"});
  if (!c) return Status::OK();
  arrow::Compression::type t;
  std::optional<int> level;
  ARROW_RETURN_NOT_OK(ParseCompression(*c, ctx, &t, &level));
  if (t == arrow::Compression::GZIP) {
    cfg->gzip = true;
    cfg->extension += ".gz";
  } else if (t != arrow::Compression::UNCOMPRESSED) {
    return Status::NotImplemented("compression '", *c, "' for ", ctx,
                                  "; valid: uncompressed, gzip");
  }
  return Status::OK();
}

Result<WriterConfig> ParseWriterConfig(Format format, const OptionList& options) {
  WriterConfig cfg;
  cfg.format = format;
  switch (format) {
    case Format::kParquet: {
      const std::string ctx = "COPY TO parquet";
      ARROW_ASSIGN_OR_RAISE(
          auto opts, OptionMap::Make(options,
                                     {"compression", "compression_level", "row_group_size",
                                      "max_row_group_size", "data_page_size",
                                      "data_pagesize_limit", "dictionary_enabled",
                                      "statistics_enabled", "writer_version"},
                                     ctx));
      parquet::WriterProperties::Builder b;
      arrow::Compression::type codec = arrow::Compression::ZSTD;
      std::optional<int> level;
      if (auto c = opts.Get({"compression"})) {
        ARROW_RETURN_NOT_OK(ParseCompression(*c, ctx, &codec, &level));
      }
      ARROW_ASSIGN_OR_RAISE(auto lvl, opts.GetInt({"compression_level"}));
      if (lvl) level = static_cast<int>(*lvl);
      b.compression(codec);
      if (level) b.compression_level(*level);
      ARROW_ASSIGN_OR_RAISE(auto rg, opts.GetInt({"row_group_size", "max_row_group_size"}));
      if (rg) {
        if (*rg <= 0) return Status::Invalid("option 'row_group_size' must be positive");
        b.max_row_group_length(*rg);
      }
      ARROW_ASSIGN_OR_RAISE(auto page, opts.GetInt({"data_page_size", "data_pagesize_limit"}));
      if (page) b.data_pagesize(*page);
      ARROW_ASSIGN_OR_RAISE(auto dict, opts.GetBool({"dictionary_enabled"}));
      if (dict && !*dict) b.disable_dictionary();
      if (auto st = opts.Get({"statistics_enabled"})) {
        std::string v = ToLower(*st);
        if (v == "false" || v == "none") {
          b.disable_statistics();
        } else if (v != "true" && v != "chunk" && v != "page") {
          return Status::Invalid("option 'statistics_enabled' for ", ctx,
                                 " takes true, false, none, chunk or page, got '", *st, "'");
        }
      }
      if (auto v = opts.Get({"writer_version"})) {
        if (*v == "1.0") {
          b.version(parquet::ParquetVersion::PARQUET_1_0);
        } else if (*v == "2.4") {
          b.version(parquet::ParquetVersion::PARQUET_2_4);
        } else if (*v == "2.6" || *v == "2.0") {
          b.version(parquet::ParquetVersion::PARQUET_2_6);
        } else {
          return Status::Invalid("option 'writer_version' for ", ctx,
                                 " takes 1.0, 2.4 or 2.6, got '", *v, "'");
        }
      }
      cfg.parquet_props = b.build();
      cfg.arrow_props = parquet::ArrowWriterProperties::Builder().store_schema()->build();
      cfg.extension = ".parquet";
      break;
    }
    case Format::kCsv: {
      const std::string ctx = "COPY TO csv";
      ARROW_ASSIGN_OR_RAISE(auto opts,
                            OptionMap::Make(options,
                                            {"has_header", "header", "delimiter", "quote",
                                             "null_value", "compression"},
                                            ctx));
      ARROW_ASSIGN_OR_RAISE(auto header, opts.GetBool({"has_header", "header"}));
      if (header) cfg.csv.include_header = *header;
      ARROW_ASSIGN_OR_RAISE(auto delim, opts.GetChar({"delimiter"}));
      if (delim) cfg.csv.delimiter = *delim;
      ARROW_ASSIGN_OR_RAISE(auto quote, opts.GetChar({"quote"}));
      if (quote && *quote != '"') {
        return Status::NotImplemented("option 'quote' for ", ctx,
                                      ": only '\"' is supported when writing CSV");
      }
      if (auto nv = opts.Get({"null_value"})) cfg.csv.null_string = *nv;
      cfg.extension = ".csv";
      ARROW_RETURN_NOT_OK(ApplyTextCompression(opts, ctx, &cfg));
      break;
    }
    case Format::kJson: {
      const std::string ctx = "COPY TO json";
      ARROW_ASSIGN_OR_RAISE(auto opts, OptionMap::Make(options, {"compression"}, ctx));
      cfg.extension = ".json";
      ARROW_RETURN_NOT_OK(ApplyTextCompression(opts, ctx, &cfg));
      break;
    }
    case Format::kIpc: {
      const std::string ctx = "COPY TO arrow";
      ARROW_ASSIGN_OR_RAISE(auto opts, OptionMap::Make(options, {"compression"}, ctx));
      cfg.extension = ".arrow";
      if (auto c = opts.Get({"compression"})) {
        arrow::Compression::type t;
        std::optional<int> level;
        ARROW_RETURN_NOT_OK(ParseCompression(*c, ctx, &t, &level));
        if (t == arrow::Compression::LZ4 || t == arrow::Compression::LZ4_HADOOP ||
            t == arrow::Compression::LZ4_FRAME) {
          t = arrow::Compression::LZ4_FRAME;
        }
        if (t != arrow::Compression::UNCOMPRESSED && t != arrow::Compression::ZSTD &&
            t != arrow::Compression::LZ4_FRAME) {
          return Status::NotImplemented("compression '", *c, "' for ", ctx,
                                        "; valid: uncompressed, zstd, lz4");
        }
        if (t != arrow::Compression::UNCOMPRESSED) {
          ARROW_ASSIGN_OR_RAISE(auto codec, arrow::util::Codec::Create(t));
          cfg.ipc.codec = std::move(codec);
        }
      }
      break;
    }
  }
  return cfg;
}

/// One output file of some format.
class FileSink {
 public:
  virtual ~FileSink() = default;
  virtual Status Write(const arrow::RecordBatch& batch) = 0;
  Status Close() {
    Status st = CloseWriter();
    if (compressed_) {
      Status s2 = compressed_->Close();
      if (st.ok()) st = s2;
    }
    if (raw_ && !raw_->closed()) {
      Status s3 = raw_->Close();
      if (st.ok()) st = s3;
    }
    return st;
  }

 protected:
  virtual Status CloseWriter() = 0;
  std::shared_ptr<arrow::io::OutputStream> stream() const {
    return compressed_ ? compressed_ : raw_;
  }

 public:
  std::shared_ptr<arrow::io::OutputStream> raw_;
  std::unique_ptr<arrow::util::Codec> codec_;
  std::shared_ptr<arrow::io::OutputStream> compressed_;
};

class ParquetSink : public FileSink {
 public:
  std::unique_ptr<parquet::arrow::FileWriter> writer;
  Status Write(const arrow::RecordBatch& batch) override { return writer->WriteRecordBatch(batch); }
  Status CloseWriter() override { return writer->Close(); }
};

class BatchWriterSink : public FileSink {
 public:
  std::shared_ptr<arrow::ipc::RecordBatchWriter> writer;
  Status Write(const arrow::RecordBatch& batch) override { return writer->WriteRecordBatch(batch); }
  Status CloseWriter() override { return writer->Close(); }
};

class JsonSink : public FileSink {
 public:
  Status Write(const arrow::RecordBatch& batch) override {
    buffer_.clear();
    ARROW_RETURN_NOT_OK(internal::AppendJsonLines(batch, &buffer_));
    return stream()->Write(buffer_.data(), static_cast<int64_t>(buffer_.size()));
  }
  Status CloseWriter() override { return Status::OK(); }

 private:
  std::string buffer_;
};

Result<std::unique_ptr<FileSink>> OpenSink(const WriterConfig& cfg,
                                           const std::shared_ptr<arrow::fs::FileSystem>& fs,
                                           const std::string& path,
                                           const std::shared_ptr<arrow::Schema>& schema) {
  auto parent = arrow::fs::internal::GetAbstractPathParent(path).first;
  if (!parent.empty()) {
    auto st = fs->CreateDir(parent, /*recursive=*/true);
    if (!st.ok()) return Status::IOError("cannot create directory '", parent, "': ", st.message());
  }
  auto raw = fs->OpenOutputStream(path);
  if (!raw.ok()) {
    return Status::IOError("cannot create file '", path, "': ", raw.status().message());
  }
  std::unique_ptr<FileSink> sink;
  std::unique_ptr<arrow::util::Codec> codec;
  std::shared_ptr<arrow::io::OutputStream> compressed;
  if (cfg.gzip) {
    ARROW_ASSIGN_OR_RAISE(codec, arrow::util::Codec::Create(arrow::Compression::GZIP));
    ARROW_ASSIGN_OR_RAISE(compressed, arrow::io::CompressedOutputStream::Make(codec.get(), *raw));
  }
  auto out = compressed ? compressed : *raw;
  Status st;
  switch (cfg.format) {
    case Format::kParquet: {
      auto s = std::make_unique<ParquetSink>();
      auto w = parquet::arrow::FileWriter::Open(*schema, arrow::default_memory_pool(), out,
                                                cfg.parquet_props, cfg.arrow_props);
      if (!w.ok()) st = w.status(); else s->writer = std::move(*w);
      sink = std::move(s);
      break;
    }
    case Format::kCsv: {
      auto s = std::make_unique<BatchWriterSink>();
      auto w = arrow::csv::MakeCSVWriter(out, schema, cfg.csv);
      if (!w.ok()) st = w.status(); else s->writer = *w;
      sink = std::move(s);
      break;
    }
    case Format::kIpc: {
      auto s = std::make_unique<BatchWriterSink>();
      auto w = arrow::ipc::MakeFileWriter(out, schema, cfg.ipc);
      if (!w.ok()) st = w.status(); else s->writer = *w;
      sink = std::move(s);
      break;
    }
    case Format::kJson:
      sink = std::make_unique<JsonSink>();
      break;
  }
  sink->raw_ = *raw;
  sink->codec_ = std::move(codec);
  sink->compressed_ = std::move(compressed);
  if (!st.ok()) {
    (void)(*raw)->Close();
    return Status::FromArgs(st.code(), "cannot write '", path, "': ", st.message());
  }
  return sink;
}

std::string PartitionDirName(const std::string& key, const arrow::Scalar& value) {
  std::string text;
  if (!value.is_valid) {
    text = "__HIVE_DEFAULT_PARTITION__";
  } else if (value.type->id() == arrow::Type::STRING ||
             value.type->id() == arrow::Type::LARGE_STRING) {
    text = UrlEscapePartitionValue(
        std::string(static_cast<const arrow::BaseBinaryScalar&>(value).view()));
  } else {
    text = UrlEscapePartitionValue(value.ToString());
  }
  return UrlEscapePartitionValue(key) + "=" + text;
}

Result<int64_t> WritePartitioned(const WriterConfig& cfg, arrow::RecordBatchReader* reader,
                                 const FileLocation& loc,
                                 const std::vector<std::string>& partition_by) {
  ARROW_RETURN_NOT_OK(arrow::compute::Initialize());
  auto schema = reader->schema();
  std::vector<int> key_idx, data_idx;
  std::vector<arrow::TypeHolder> key_types;
  for (const auto& name : partition_by) {
    int idx = schema->GetFieldIndex(name);
    if (idx < 0) {
      std::vector<std::string> names;
      for (const auto& f : schema->fields()) names.push_back(f->name());
      return Status::Invalid("partition column '", name, "' is not in the data; columns: ",
                             Join(names, ", "));
    }
    key_idx.push_back(idx);
    key_types.emplace_back(schema->field(idx)->type());
  }
  for (int i = 0; i < schema->num_fields(); ++i) {
    if (std::find(key_idx.begin(), key_idx.end(), i) == key_idx.end()) data_idx.push_back(i);
  }
  if (data_idx.empty()) {
    return Status::Invalid("cannot write a partitioned table whose columns are all partition columns");
  }
  arrow::FieldVector data_fields;
  for (int i : data_idx) data_fields.push_back(schema->field(i));
  auto data_schema = arrow::schema(data_fields);

  auto st = loc.fs->CreateDir(loc.path, /*recursive=*/true);
  if (!st.ok()) return Status::IOError("cannot create directory '", loc.original, "': ", st.message());
  ARROW_ASSIGN_OR_RAISE(auto grouper, arrow::compute::Grouper::Make(key_types));
  std::vector<std::unique_ptr<FileSink>> sinks;
  int64_t rows = 0;
  auto close_all = [&]() {
    Status result;
    for (auto& s : sinks) {
      if (!s) continue;
      Status c = s->Close();
      if (result.ok()) result = c;
    }
    return result;
  };
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    Status rs = reader->ReadNext(&batch);
    if (!rs.ok()) {
      (void)close_all();
      return rs;
    }
    if (!batch) break;
    if (batch->num_rows() == 0) continue;
    std::vector<arrow::Datum> keys;
    for (int i : key_idx) keys.emplace_back(batch->column(i));
    arrow::compute::ExecBatch key_batch(std::move(keys), batch->num_rows());
    ARROW_ASSIGN_OR_RAISE(auto ids_datum, grouper->Consume(arrow::compute::ExecSpan(key_batch)));
    uint32_t num_groups = grouper->num_groups();
    if (num_groups > sinks.size()) {
      ARROW_ASSIGN_OR_RAISE(auto uniques, grouper->GetUniques());
      for (uint32_t g = static_cast<uint32_t>(sinks.size()); g < num_groups; ++g) {
        std::string dir = loc.path;
        for (size_t k = 0; k < key_idx.size(); ++k) {
          ARROW_ASSIGN_OR_RAISE(auto value, uniques.values[k].make_array()->GetScalar(g));
          dir += "/" + PartitionDirName(partition_by[k], *value);
        }
        auto sink = OpenSink(cfg, loc.fs, dir + "/part-0" + cfg.extension, data_schema);
        if (!sink.ok()) {
          (void)close_all();
          return sink.status();
        }
        sinks.push_back(std::move(*sink));
      }
    }
    auto ids = std::static_pointer_cast<arrow::UInt32Array>(ids_datum.make_array());
    ARROW_ASSIGN_OR_RAISE(auto groupings,
                          arrow::compute::Grouper::MakeGroupings(*ids, num_groups));
    ARROW_ASSIGN_OR_RAISE(auto data, batch->SelectColumns(data_idx));
    data = arrow::RecordBatch::Make(data_schema, data->num_rows(), data->columns());
    for (uint32_t g = 0; g < num_groups; ++g) {
      auto indices = groupings->value_slice(g);
      if (indices->length() == 0) continue;
      ARROW_ASSIGN_OR_RAISE(auto taken, arrow::compute::Take(data, indices));
      Status ws = sinks[g]->Write(*taken.record_batch());
      if (!ws.ok()) {
        (void)close_all();
        return ws;
      }
    }
    rows += batch->num_rows();
  }
  ARROW_RETURN_NOT_OK(close_all());
  return rows;
}

Result<int64_t> WriteImpl(Format format, std::shared_ptr<arrow::RecordBatchReader> reader,
                          const std::string& path, const OptionList& options,
                          const std::vector<std::string>& partition_by) {
  if (!reader) return Status::Invalid("nothing to write");
  ARROW_ASSIGN_OR_RAISE(auto cfg, ParseWriterConfig(format, options));
  ARROW_ASSIGN_OR_RAISE(auto loc, ResolveLocation(path));
  if (!partition_by.empty()) return WritePartitioned(cfg, reader.get(), loc, partition_by);
  std::string file = loc.path;
  bool is_dir = !path.empty() && path.back() == '/';
  if (!is_dir) {
    auto info = loc.fs->GetFileInfo(loc.path);
    is_dir = info.ok() && info->type() == arrow::fs::FileType::Directory;
  }
  if (is_dir) file = loc.path + "/part-0" + cfg.extension;
  ARROW_ASSIGN_OR_RAISE(auto sink, OpenSink(cfg, loc.fs, file, reader->schema()));
  int64_t rows = 0;
  while (true) {
    std::shared_ptr<arrow::RecordBatch> batch;
    Status st = reader->ReadNext(&batch);
    if (st.ok() && batch) st = sink->Write(*batch);
    if (!st.ok()) {
      (void)sink->Close();
      return st.WithMessage("cannot write '", file, "': ", st.message());
    }
    if (!batch) break;
    rows += batch->num_rows();
  }
  Status st = sink->Close();
  if (!st.ok()) return st.WithMessage("cannot write '", file, "': ", st.message());
  return rows;
}

}  // namespace

Result<int64_t> WriteParquet(std::shared_ptr<arrow::RecordBatchReader> reader,
                             const std::string& path, const OptionList& options,
                             const std::vector<std::string>& partition_by) {
  return WriteImpl(Format::kParquet, std::move(reader), path, options, partition_by);
}

Result<int64_t> WriteCsv(std::shared_ptr<arrow::RecordBatchReader> reader,
                         const std::string& path, const OptionList& options,
                         const std::vector<std::string>& partition_by) {
  return WriteImpl(Format::kCsv, std::move(reader), path, options, partition_by);
}

Result<int64_t> WriteJson(std::shared_ptr<arrow::RecordBatchReader> reader,
                          const std::string& path, const OptionList& options,
                          const std::vector<std::string>& partition_by) {
  return WriteImpl(Format::kJson, std::move(reader), path, options, partition_by);
}

Result<int64_t> WriteArrowIpc(std::shared_ptr<arrow::RecordBatchReader> reader,
                              const std::string& path, const OptionList& options,
                              const std::vector<std::string>& partition_by) {
  return WriteImpl(Format::kIpc, std::move(reader), path, options, partition_by);
}

Result<int64_t> WriteFileFormat(const std::string& format,
                                std::shared_ptr<arrow::RecordBatchReader> reader,
                                const std::string& path, const OptionList& options,
                                const std::vector<std::string>& partition_by) {
  std::string f = ToLower(Trim(format));
  if (f == "parquet") return WriteParquet(std::move(reader), path, options, partition_by);
  if (f == "csv") return WriteCsv(std::move(reader), path, options, partition_by);
  if (f == "json" || f == "ndjson") return WriteJson(std::move(reader), path, options, partition_by);
  if (f == "arrow" || f == "ipc" || f == "feather") {
    return WriteArrowIpc(std::move(reader), path, options, partition_by);
  }
  return Status::Invalid("unknown file format '", format,
                         "' for COPY TO; valid formats: parquet, csv, json, arrow");
}

std::string FormatFromExtension(const std::string& path) {
  std::string p = ToLower(path);
  auto ends = [&](const std::string& ext) {
    return p.size() >= ext.size() && p.compare(p.size() - ext.size(), ext.size(), ext) == 0;
  };
  if (ends(".gz")) p = p.substr(0, p.size() - 3);
  if (ends(".parquet")) return "parquet";
  if (ends(".csv")) return "csv";
  if (ends(".json") || ends(".ndjson") || ends(".jsonl")) return "json";
  if (ends(".arrow") || ends(".feather") || ends(".ipc") || ends(".arrows")) return "arrow";
  return "";
}

}  // namespace shoal
