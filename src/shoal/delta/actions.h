// Delta log actions (PROTOCOL.md "Actions") and their decoding from commit JSON
// lines and checkpoint Parquet rows.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/json.h"

namespace shoal::delta {

/// The `protocol` action.
struct Protocol {
  int32_t min_reader_version = 1;
  int32_t min_writer_version = 1;
  /// Present only for reader version 3 / writer version 7.
  std::optional<std::vector<std::string>> reader_features;
  std::optional<std::vector<std::string>> writer_features;
};

/// The `metaData` action.
struct Metadata {
  std::string id;
  std::optional<std::string> name;
  std::optional<std::string> description;
  std::string format_provider = "parquet";
  std::string schema_string;
  std::vector<std::string> partition_columns;
  std::optional<int64_t> created_time;
  std::map<std::string, std::string> configuration;
};

/// A deletion vector descriptor (PROTOCOL.md "Deletion Vectors").
struct DeletionVectorDescriptor {
  std::string storage_type;      ///< "u" (relative uuid), "i" (inline) or "p" (absolute path).
  std::string path_or_inline_dv;
  std::optional<int32_t> offset;
  int32_t size_in_bytes = 0;
  int64_t cardinality = 0;
  /// Return the unique id: storageType + pathOrInlineDv (+ "@" + offset).
  std::string UniqueId() const;
};

/// Statistics decoded from a checkpoint's `stats_parsed` column, keyed by the
/// '.'-joined physical column path.
struct ParsedStats {
  std::optional<int64_t> num_records;
  std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>> min_values;
  std::unordered_map<std::string, std::shared_ptr<arrow::Scalar>> max_values;
  std::unordered_map<std::string, int64_t> null_count;
  bool tight_bounds = true;
};

/// Partition values as written in the log (nullopt: null).
using PartitionValueMap = std::map<std::string, std::optional<std::string>>;

/// The `add` action.
struct AddFile {
  std::string path;  ///< As written (a URI-encoded relative path or an absolute URI).
  PartitionValueMap partition_values;
  int64_t size = 0;
  int64_t modification_time = 0;
  bool data_change = true;
  std::optional<std::string> stats;  ///< JSON statistics.
  std::shared_ptr<const ParsedStats> stats_parsed;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::map<std::string, std::string> tags;
  std::optional<int64_t> base_row_id;
  std::optional<int64_t> default_row_commit_version;
};

/// The `remove` action.
struct RemoveFile {
  std::string path;
  std::optional<int64_t> deletion_timestamp;
  bool data_change = true;
  std::optional<PartitionValueMap> partition_values;
  std::optional<int64_t> size;
  std::optional<DeletionVectorDescriptor> deletion_vector;
};

/// The `cdc` action.
struct CdcFile {
  std::string path;
  PartitionValueMap partition_values;
  int64_t size = 0;
};

/// The `txn` action.
struct Transaction {
  std::string app_id;
  int64_t version = 0;
  std::optional<int64_t> last_updated;
};

/// The `sidecar` action of v2 checkpoints.
struct Sidecar {
  std::string path;
  int64_t size_in_bytes = 0;
  int64_t modification_time = 0;
};

/// The `domainMetadata` action.
struct DomainMetadata {
  std::string domain;
  std::string configuration;
  bool removed = false;
};

/// All actions of one commit file or checkpoint, in file order per kind.
struct ActionBatch {
  std::optional<Protocol> protocol;
  std::optional<Metadata> metadata;
  std::optional<JsonValue> commit_info;  ///< The raw commitInfo object.
  std::vector<AddFile> adds;
  std::vector<RemoveFile> removes;
  std::vector<CdcFile> cdcs;
  std::vector<Transaction> txns;
  std::vector<Sidecar> sidecars;
  std::vector<DomainMetadata> domain_metadata;
  std::optional<int64_t> checkpoint_metadata_version;
};

/// Add one JSON action line (an object with one action key) to `out`. Unknown
/// action kinds are ignored (forward compatibility); malformed known actions
/// are errors naming the missing or mistyped field.
Status ParseJsonAction(const JsonValue& line, ActionBatch* out);

/// Return the number of records of `add` from its statistics (`stats_parsed`,
/// else the JSON `stats`, read only up to numRecords), or nullopt when unknown.
std::optional<int64_t> StatsNumRecords(const AddFile& add);

/// Add the actions of one JSON action line (text) to `out`, as ParseJson then
/// ParseJsonAction would, with the same errors; add lines are decoded without
/// building a JsonValue tree. A JSON syntax error leaves `out` unchanged.
Status ParseJsonActionLine(std::string_view line, ActionBatch* out);

/// Add the actions of checkpoint / sidecar rows (columns add, remove, metaData,
/// protocol, txn, sidecar, checkpointMetadata, domainMetadata) to `out`.
Status ParseCheckpointTable(const arrow::Table& table, ActionBatch* out);

/// Add the actions of one record batch of checkpoint / sidecar rows to `out`
/// (as ParseCheckpointTable), for reading a checkpoint batch by batch.
Status ParseCheckpointBatch(const arrow::RecordBatch& batch, ActionBatch* out);

/// Return the column names to read from a checkpoint Parquet file.
const std::vector<std::string>& CheckpointColumns();

/// Return `path` decoded from its URI form (%XX escapes) for use as a key and
/// for reading; absolute "file:" URIs become local paths.
std::string DecodeActionPath(const std::string& path);

}  // namespace shoal::delta
