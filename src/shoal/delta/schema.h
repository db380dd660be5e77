// Delta schemas (PROTOCOL.md "Schema Serialization Format") as Arrow schemas,
// column mapping (physical names and field ids) and typed partition values.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"

namespace shoal::delta {

/// Field metadata keys kept on the annotated Arrow schema.
inline constexpr const char* kPhysicalNameKey = "delta.columnMapping.physicalName";
inline constexpr const char* kColumnIdKey = "delta.columnMapping.id";

/// How data files name their columns (`delta.columnMapping.mode`).
enum class ColumnMappingMode { kNone, kName, kId };

/// Return the Arrow schema of a Delta schema string. Fields keep their
/// delta.columnMapping.* metadata (see StripDeltaMetadata for the user-facing
/// schema). Unknown or unsupported types are errors naming the column.
Result<std::shared_ptr<arrow::Schema>> ParseSchemaString(const std::string& schema_string);

/// Return the Arrow type of one Delta type name ("long", "decimal(10,2)", ...).
Result<std::shared_ptr<arrow::DataType>> ParsePrimitiveType(const std::string& name);

/// Return `schema` without field metadata (recursively).
std::shared_ptr<arrow::Schema> StripDeltaMetadata(const std::shared_ptr<arrow::Schema>& schema);

/// Return the column mapping mode of the table (an unknown mode is an error).
Result<ColumnMappingMode> GetColumnMappingMode(const Metadata& metadata);

/// Return the name of `field` in data files, stats and partition values.
std::string PhysicalName(const arrow::Field& field, ColumnMappingMode mode);

/// Return the column mapping id of `field`, if any.
std::optional<int32_t> ColumnMappingId(const arrow::Field& field);

/// Return the partition value `raw` (as serialized in the log; empty or nullopt
/// means null) as a scalar of `type`. Errors name the bad value.
Result<std::shared_ptr<arrow::Scalar>> ParsePartitionValue(const std::optional<std::string>& raw,
                                                           const std::shared_ptr<arrow::DataType>& type);

/// Parse "YYYY-MM-DD[ T]HH:MM:SS[.f{1,9}][Z|+HH:MM]" (also a bare date) as
/// microseconds since the epoch; the offset, when present, is applied.
std::optional<int64_t> ParseTimestampMicros(const std::string& text);

/// Parse "YYYY-MM-DD" as days since the epoch.
std::optional<int32_t> ParseDateDays(const std::string& text);

}  // namespace shoal::delta
