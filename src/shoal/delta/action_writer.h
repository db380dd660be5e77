// The write side of the Delta log format: actions as JSON lines (PROTOCOL.md
// "Actions"), Arrow schemas as Delta schema strings, partition values as the
// protocol's strings and Hive directory names, and per-file statistics
// (PROTOCOL.md "Per-file Statistics") collected while data is written.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/json.h"

namespace shoal::delta {

/// The engineInfo written in commitInfo ("shoal/<version>").
const std::string& ShoalEngineInfo();

/// Return a random (version 4) UUID as text.
std::string NewUuid();

/// Return the `protocol` action line (without the trailing newline).
std::string ProtocolLine(const Protocol& protocol);
/// Return the `metaData` action line.
std::string MetadataLine(const Metadata& metadata);
/// Return the `add` action line.
std::string AddLine(const AddFile& add);
/// Return the `remove` action line.
std::string RemoveLine(const RemoveFile& remove);
/// Return the `cdc` action line.
std::string CdcLine(const CdcFile& cdc);
/// Return the `txn` action line.
std::string TxnLine(const Transaction& txn);

/// Return the Arrow schema as Delta sees it: utf8 for every string type, binary
/// for binary types, timestamp[us, UTC] / timestamp[us] for timestamps,
/// date32 for dates, list for list types, dictionaries decoded. Types Delta has
/// no equivalent for (unsigned integers, null, time, ...) are errors naming the
/// column and suggesting a cast.
Result<std::shared_ptr<arrow::Schema>> NormalizeSchemaForDelta(const arrow::Schema& schema);

/// Arrow field metadata key holding a generated column's SQL expression; it is
/// written to the Delta schema's field metadata under the same key.
inline constexpr const char kGenerationExpressionKey[] = "delta.generationExpression";

/// Return the Delta schema string (PROTOCOL.md "Schema Serialization Format")
/// of a normalized schema (see NormalizeSchemaForDelta). Field metadata is kept
/// only for Delta's keys (kGenerationExpressionKey).
Result<std::string> SchemaToDeltaString(const arrow::Schema& schema);

/// Return the protocol's text for one partition value (nullopt for null):
/// dates "YYYY-MM-DD", timestamps "YYYY-MM-DD HH:MM:SS.ffffff" (UTC), numbers
/// and booleans as text. Types that cannot be partition columns are errors.
Result<std::optional<std::string>> PartitionValueText(const arrow::Array& column, int64_t row);

/// Return `value` escaped for a Hive-style directory name as Spark does
/// (control characters and "#%'*/:=?\\{[]^ and DEL as %XX).
std::string EscapePartitionPathValue(const std::string& value);

/// Return `path` (relative, '/'-separated) as the URI-encoded path of an add action.
std::string EncodeActionPath(const std::string& path);

/// Statistics of one data file, collected batch by batch (PROTOCOL.md
/// "Per-file Statistics"): numRecords, and for the first `num_indexed_cols`
/// top-level data columns (-1: all) nullCount plus minValues / maxValues of
/// primitive columns. String bounds are cut to 32 characters; a cut maximum is
/// raised so that it stays an upper bound (or left out when it cannot be).
class StatsCollector {
 public:
  /// Collect statistics for `schema` (the columns written to the file).
  StatsCollector(std::shared_ptr<arrow::Schema> schema, int64_t num_indexed_cols);
  /// Add the rows of `batch` (same schema as given at construction).
  Status Update(const arrow::RecordBatch& batch);
  /// Return the statistics as the JSON text of an add action's `stats`.
  Result<std::string> ToJson() const;
  int64_t num_records() const { return num_records_; }

 private:
  struct Column {
    int index = -1;
    bool bounds = false;  ///< min/max collected for this column.
    int64_t null_count = 0;
    std::shared_ptr<arrow::Scalar> min, max;
    bool has_nan = false;
  };
  std::shared_ptr<arrow::Schema> schema_;
  std::vector<Column> columns_;
  int64_t num_records_ = 0;
};

/// Return the value of table property `key` as an integer (or `fallback` when
/// unset); a value that is not an integer is an error naming the property.
Result<int64_t> IntProperty(const std::map<std::string, std::string>& configuration,
                            const std::string& key, int64_t fallback);

}  // namespace shoal::delta
