// Selection vectors for filters: the positions of a chunk's rows that are still
// selected, refined condition by condition, and gathered once at the end.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/execution/chunk.h"
#include "shoal/execution/expression_evaluator.h"

namespace shoal::exec {

/// Ascending row positions (int32) of the rows still selected in a chunk.
using SelectionVector = std::vector<int32_t>;

/// A compiled `column <op> literal` test on the raw values of a fixed-width
/// column (integers, dates, times, timestamps, durations, floats, decimal128 of
/// the literal's scale), without Arrow kernel dispatch or a boolean mask.
class ColumnCompare {
 public:
  /// Return the test for `cmp` on a column of type `column_type`, or nullopt when
  /// the types are not supported (the caller then evaluates the expression).
  static std::optional<ColumnCompare> Make(const ExprEvaluator::ColumnComparison& cmp,
                                           const arrow::DataType& column_type);
  /// Input column position.
  int column() const { return column_; }
  /// Keep in `sel` the rows where the test is true (NULL rows are dropped).
  /// `all`: the selection holds every row 0..length-1 (sel is then ignored on
  /// input and filled).
  void Select(const arrow::Array& values, bool all, int64_t length, SelectionVector* sel) const;

 private:
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  enum class Repr { kI8, kI16, kI32, kI64, kU8, kU16, kU32, kU64, kF32, kF64, kDec128 };
  int column_ = -1;
  Op op_ = Op::kEq;
  Repr repr_ = Repr::kI64;
  std::shared_ptr<arrow::DataType> type_;  ///< the column type it was made for
  int64_t i_ = 0;
  uint64_t u_ = 0;
  double f_ = 0;
  __int128 d_ = 0;
  bool literal_null_ = false;
};

/// Keep in `sel` the rows where `mask` (a boolean array over all rows of the
/// chunk) is true; `all`: the selection holds every row (sel is then filled).
void RefineSelection(const arrow::Array& mask, bool all, SelectionVector* sel);
/// Keep in `sel` the rows where `sub_mask` (one boolean per selected row) is true.
void RefineSelectionBySubset(const arrow::Array& sub_mask, SelectionVector* sel);

/// Return a value-per-row test of `keep` over the dictionary indices of
/// `dict_column` (a dictionary array): keep[k] says whether dictionary entry k
/// passes and keep[dictionary length] whether a NULL index passes.
void SelectByDictionary(const arrow::Array& dict_column, const std::vector<uint8_t>& keep,
                        bool all, SelectionVector* sel);

/// Return the rows of dictionary array `column` at `sel` (all rows when null)
/// decoded to its value type.
Result<std::shared_ptr<arrow::Array>> DecodeDictionaryRows(
    const std::shared_ptr<arrow::Array>& column, const SelectionVector* sel,
    arrow::compute::ExecContext* ctx);
/// Return `column` decoded to its value type when it is a dictionary array.
Result<std::shared_ptr<arrow::Array>> DecodeDictionary(const std::shared_ptr<arrow::Array>& column,
                                                       arrow::compute::ExecContext* ctx);
/// Return `values` encoded as `dict_type` (a dictionary type whose value type is
/// the type of `values`, or `values`' own type: then `values` is returned).
Result<std::shared_ptr<arrow::Array>> EncodeDictionary(
    const std::shared_ptr<arrow::Array>& values,
    const std::shared_ptr<arrow::DataType>& dict_type, arrow::compute::ExecContext* ctx);
/// Return the rows of `column` at `sel` (dictionaries decoded to their value type).
Result<std::shared_ptr<arrow::Array>> GatherColumn(const std::shared_ptr<arrow::Array>& column,
                                                   const std::shared_ptr<arrow::Array>& sel,
                                                   arrow::compute::ExecContext* ctx);
/// Return `sel` as an int32 array (copies the positions).
std::shared_ptr<arrow::Array> SelectionArray(const SelectionVector& sel);
/// Return `sel` as a boolean mask over `length` rows (no nulls).
Result<std::shared_ptr<arrow::Array>> SelectionMask(const SelectionVector& sel, int64_t length);
/// Return the rows of `column` where `mask` (from SelectionMask, `count` set bits)
/// is set; dictionaries are decoded. Faster than GatherColumn for dense selections.
Result<std::shared_ptr<arrow::Array>> FilterColumn(const std::shared_ptr<arrow::Array>& column,
                                                   const std::shared_ptr<arrow::Array>& mask,
                                                   int64_t count,
                                                   arrow::compute::ExecContext* ctx);

}  // namespace shoal::exec
