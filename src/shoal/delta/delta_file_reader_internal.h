// Private to delta/: reading one data file of a Delta scan (a morsel): column
// mapping to logical names (nested too), row-group pruning, deletion vectors,
// then the io layer's adapter for projection, constants, casts and limits.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/filesystem/type_fwd.h>
#include <arrow/record_batch.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"
#include "shoal/delta/engine.h"
#include "shoal/delta/schema.h"
#include "shoal/io/scan_util.h"

namespace shoal::delta::internal {

/// Everything a morsel needs to read one data file (immutable, shared).
struct DataFileRead {
  std::shared_ptr<arrow::fs::FileSystem> fs;
  std::string path;   ///< Path inside `fs`.
  int64_t size = -1;  ///< Size from the add action (-1: unknown).
  /// Logical fields to read from the file (annotated with column mapping metadata).
  std::vector<std::shared_ptr<arrow::Field>> columns;
  ColumnMappingMode mode = ColumnMappingMode::kNone;
  /// Scan filter bound to the table schema, for row-group pruning.
  std::optional<arrow::compute::Expression> filter;
  std::optional<DeletionVectorDescriptor> deletion_vector;
  std::shared_ptr<Engine> engine;  ///< For loading deletion vectors.
  std::string table_root;
  MorselOutput out;
};

/// Open a reader producing `read.out` from the data file.
Result<std::shared_ptr<arrow::RecordBatchReader>> OpenDataFile(const DataFileRead& read);

/// Return `array` (read from a data file with field `file_field`) renamed and
/// reshaped to `logical` (physical names or field ids to logical names, missing
/// nested fields as nulls).
Result<std::shared_ptr<arrow::Array>> ToLogical(const std::shared_ptr<arrow::Array>& array,
                                                const arrow::Field& logical,
                                                ColumnMappingMode mode);

}  // namespace shoal::delta::internal
