// Footer rewriting for the Parquet reader: files written by Arrow-based writers
// (pyarrow, arrow-rs: DataFusion, Polars, tpchgen) store their Arrow schema under
// the "ARROW:schema" key, and the Parquet reader then produces exactly those
// types. Shoal works on plain types (utf8, binary, value types instead of
// dictionaries), so reading string_view or dictionary columns would only cost a
// cast per batch. These helpers rewrite the stored schema so the reader decodes
// straight into the plain types, keeping everything else it says (time zones,
// large types, durations, extension types, field metadata).
#pragma once

#include <memory>
#include <string>

#include <arrow/type_fwd.h>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace parquet {
class ColumnChunkMetaData;
class FileMetaData;
}  // namespace parquet

namespace shoal {

/// Return `type` with string_view / binary_view replaced by utf8 / binary and
/// dictionaries by their value type, at any nesting depth (list, large_list,
/// fixed_size_list, struct and map children). Other types are returned as is.
std::shared_ptr<arrow::DataType> PlainStoredType(const std::shared_ptr<arrow::DataType>& type);

/// Return `metadata` with its stored Arrow schema rewritten by PlainStoredType,
/// or `metadata` itself when it stores no Arrow schema, the schema has nothing
/// to rewrite, the footer is encrypted, or the rewrite cannot be verified (the
/// reader then falls back to casting, which is slower but equally correct).
std::shared_ptr<parquet::FileMetaData> WithPlainStoredSchema(
    const std::shared_ptr<parquet::FileMetaData>& metadata);

/// Return true if a BYTE_ARRAY column chunk is better read as an Arrow dictionary
/// (then cast to its value type) than decoded value by value: every data page is
/// dictionary-encoded (no fallback to plain pages) and the dictionary page is small
/// next to the data pages (few distinct values, each repeated many times).
bool PreferDictionaryRead(const parquet::ColumnChunkMetaData& chunk);

/// Return the serialized Thrift footer `footer` with the value of the key-value
/// entry `key` replaced by `new_value`, after checking that its current value is
/// `old_value`. Errors when the entry is not found exactly once.
Result<std::string> ReplaceFooterKeyValue(const std::string& footer, const std::string& key,
                                          const std::string& old_value,
                                          const std::string& new_value);

/// Merge the footer statistics of one table column over the column chunks of
/// every file and row group (ParquetTable::statistics()). Min and max are kept
/// for fixed-width types only (numbers, decimals, dates, times, timestamps; they
/// are what range estimates interpolate over), converted to `type`; a chunk
/// without statistics makes them unknown. For estimates only: bounds are
/// compared as doubles.
class ColumnStatisticsBuilder {
 public:
  /// Start with no rows for a column of table type `type`.
  explicit ColumnStatisticsBuilder(std::shared_ptr<arrow::DataType> type);
  /// Add a row group's chunk of the column.
  void AddChunk(const parquet::ColumnChunkMetaData& chunk);
  /// Add `rows` rows of a file that lacks the column (read as nulls).
  void AddMissing(int64_t rows);
  /// Forget everything (e.g. a nested column without chunk statistics).
  void Invalidate();
  /// Return what is known.
  ColumnStatistics Finish() const;

 private:
  std::shared_ptr<arrow::DataType> type_;
  bool keep_bounds_;
  bool bounds_known_ = true;
  bool nulls_known_ = true;
  bool any_values_ = false;  ///< a chunk with a non-null value was added
  int64_t chunks_ = 0;
  std::shared_ptr<arrow::Scalar> min_, max_;
  double min_d_ = 0, max_d_ = 0;
  int64_t nulls_ = 0;
  std::optional<int64_t> distinct_;  ///< from a single chunk's distinct_count
};

}  // namespace shoal
