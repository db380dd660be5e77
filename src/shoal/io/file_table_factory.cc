#include "shoal/io/file_table_factory.h"

#include <arrow/type.h>

#include "shoal/common/strings.h"
#include "shoal/io/csv_table.h"
#include "shoal/io/ipc_table.h"
#include "shoal/io/json_table.h"
#include "shoal/io/option_parsing_internal.h"
#include "shoal/io/parquet_table.h"
#include "shoal/io/scan_util.h"

namespace shoal {

namespace {

using internal::OptionMap;

std::string CompressionOption(const std::string& value, const std::string& ctx,
                              Status* st) {
  std::string v = ToLower(Trim(value));
  if (v == "gzip" || v == "gz") return "gzip";
  if (v == "uncompressed" || v == "none" || v == "") return "uncompressed";
  if (v == "auto") return "auto";
  *st = Status::NotImplemented("compression '", value, "' for ", ctx,
                               "; valid: uncompressed, gzip, auto");
  return "";
}

}  // namespace

Result<std::shared_ptr<TableProvider>> MakeFileTable(
    const std::string& format, const std::string& location, const OptionList& options,
    std::shared_ptr<arrow::Schema> declared_schema,
    std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols) {
  std::string f = ToLower(Trim(format));
  if (declared_schema && declared_schema->num_fields() == 0) declared_schema = nullptr;
  if (f == "parquet") {
    const std::string ctx = "parquet tables";
    ARROW_ASSIGN_OR_RAISE(auto opts, OptionMap::Make(options,
                                                     {"pruning", "pre_buffer", "file_extension"},
                                                     ctx));
    ParquetOptions po;
    ARROW_ASSIGN_OR_RAISE(auto pruning, opts.GetBool({"pruning"}));
    if (pruning) po.pruning = *pruning;
    ARROW_ASSIGN_OR_RAISE(auto pre_buffer, opts.GetBool({"pre_buffer"}));
    if (pre_buffer) po.pre_buffer = *pre_buffer;
    if (auto ext = opts.Get({"file_extension"})) po.file_extension = *ext;
    po.schema = declared_schema;
    po.partition_cols = std::move(partition_cols);
    return MakeParquetTable(location, po);
  }
  if (f == "csv") {
    const std::string ctx = "csv tables";
    ARROW_ASSIGN_OR_RAISE(auto opts,
                          OptionMap::Make(options,
                                          {"has_header", "header", "delimiter", "quote",
                                           "null_value", "compression", "file_extension"},
                                          ctx));
    CsvOptions co;
    ARROW_ASSIGN_OR_RAISE(auto header, opts.GetBool({"has_header", "header"}));
    if (header) co.has_header = *header;
    ARROW_ASSIGN_OR_RAISE(auto delim, opts.GetChar({"delimiter"}));
    if (delim) co.delimiter = *delim;
    ARROW_ASSIGN_OR_RAISE(auto quote, opts.GetChar({"quote"}));
    if (quote) co.quote = *quote;
    if (auto nv = opts.Get({"null_value"})) co.null_value = *nv;
    if (auto c = opts.Get({"compression"})) {
      Status st;
      co.compression = CompressionOption(*c, ctx, &st);
      ARROW_RETURN_NOT_OK(st);
    }
    if (auto ext = opts.Get({"file_extension"})) co.file_extension = *ext;
    co.schema = declared_schema;
    co.partition_cols = std::move(partition_cols);
    return MakeCsvTable(location, co);
  }
  if (f == "json" || f == "ndjson") {
    const std::string ctx = "json tables";
    ARROW_ASSIGN_OR_RAISE(auto opts,
                          OptionMap::Make(options, {"compression", "file_extension"}, ctx));
    JsonOptions jo;
    if (auto c = opts.Get({"compression"})) {
      Status st;
      jo.compression = CompressionOption(*c, ctx, &st);
      ARROW_RETURN_NOT_OK(st);
    }
    if (auto ext = opts.Get({"file_extension"})) jo.file_extension = *ext;
    jo.schema = declared_schema;
    jo.partition_cols = std::move(partition_cols);
    return MakeJsonTable(location, jo);
  }
  if (f == "arrow" || f == "ipc" || f == "feather") {
    const std::string ctx = "arrow tables";
    ARROW_ASSIGN_OR_RAISE(auto opts, OptionMap::Make(options, {"file_extension"}, ctx));
    IpcOptions io;
    if (auto ext = opts.Get({"file_extension"})) io.file_extension = *ext;
    io.partition_cols = std::move(partition_cols);
    ARROW_ASSIGN_OR_RAISE(auto table, MakeIpcTable(location, io));
    if (declared_schema) {
      auto actual = table->schema();
      for (const auto& field : declared_schema->fields()) {
        auto found = actual->GetFieldByName(field->name());
        if (!found || !IsCompatibleType(found->type(), field->type())) {
          return Status::TypeError("declared column '", field->name(), "' ",
                                   field->type()->ToString(),
                                   found ? " does not match the file's type " +
                                               found->type()->ToString()
                                         : std::string(" is not in the Arrow file"),
                                   " at '", location, "'");
        }
      }
    }
    return table;
  }
  return Status::Invalid("unknown file format '", format,
                         "'; valid formats: parquet, csv, json, arrow");
}

}  // namespace shoal
