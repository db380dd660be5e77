// Options for file-backed tables (shared by the session API, SQL OPTIONS and Python).
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <arrow/filesystem/type_fwd.h>
#include <arrow/type_fwd.h>

namespace shoal {

/// Options for registering CSV files.
struct CsvOptions {
  bool has_header = true;
  char delimiter = ',';
  char quote = '"';
  /// Explicit schema; when null the schema is inferred.
  std::shared_ptr<arrow::Schema> schema;
  /// File name extension filter for directories (".csv"); "<ext>.gz" files match too.
  std::string file_extension = ".csv";
  /// "auto" (by the ".gz" suffix), "gzip" or "uncompressed".
  std::string compression = "auto";
  /// Text read as null in addition to the empty string (empty: only "").
  std::string null_value;
  /// Hive partition columns (see ParquetOptions::partition_cols).
  std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols;
  /// File system to read from; null means the local file system (file:// URIs accepted).
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
};

/// Options for registering Parquet files.
struct ParquetOptions {
  /// Hive partition columns (name, type) when the path is a partitioned directory.
  /// Empty with a partitioned directory: partition columns are discovered and typed.
  std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols;
  std::string file_extension = ".parquet";
  /// Coalesce and pre-fetch the column chunks of a row group before decoding.
  bool pre_buffer = true;
  /// Skip row groups whose statistics cannot match the scan filter.
  bool pruning = true;
  /// Read low-cardinality, fully dictionary-encoded string column chunks as Arrow
  /// dictionaries and expand them (faster than decoding value by value).
  bool dictionary_reads = true;
  /// Expected schema (without partition columns); when null, taken from the first file.
  std::shared_ptr<arrow::Schema> schema;
  /// File system to read from; null means the local file system (file:// URIs accepted).
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
};

/// Options for registering newline-delimited JSON files.
struct JsonOptions {
  /// Explicit schema; when null the schema is inferred from the first file.
  std::shared_ptr<arrow::Schema> schema;
  /// File name extension filter for directories; "<ext>.gz" files match too.
  std::string file_extension = ".json";
  /// "auto" (by the ".gz" suffix), "gzip" or "uncompressed".
  std::string compression = "auto";
  /// Hive partition columns (see ParquetOptions::partition_cols).
  std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols;
  /// File system to read from; null means the local file system.
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
};

/// Options for registering Arrow IPC files (file or stream format).
struct IpcOptions {
  /// File name extension filter for directories.
  std::string file_extension = ".arrow";
  /// Hive partition columns (see ParquetOptions::partition_cols).
  std::vector<std::pair<std::string, std::shared_ptr<arrow::DataType>>> partition_cols;
  /// File system to read from; null means the local file system.
  std::shared_ptr<arrow::fs::FileSystem> filesystem;
};

}  // namespace shoal
