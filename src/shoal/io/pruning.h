// Pruning helpers: decide from what is known about a file, partition or row group
// (a "guarantee" expression, or per-column value ranges) whether a scan filter can
// match any of its rows.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <arrow/compute/expression.h>
#include <arrow/type_fwd.h>

namespace shoal {

/// Return `filter` bound to `schema`, or nullopt when the filter is trivially true
/// or cannot be bound (unknown function or column): then nothing is pruned.
std::optional<arrow::compute::Expression> BindPruningFilter(
    const arrow::compute::Expression& filter, const arrow::Schema& schema);

/// Return true if `bound_filter` is false (or null) for every row satisfying
/// `guarantee`. Any error while simplifying means "cannot skip". Filters and
/// guarantees made of comparisons of columns with literals are decided directly
/// (see RangePruner); anything else goes through Arrow's SimplifyWithGuarantee.
bool CanSkip(const arrow::compute::Expression& bound_filter,
             const arrow::compute::Expression& guarantee);

/// Return the guarantee "field == value" (or "field is null") for every partition
/// column of a file.
arrow::compute::Expression PartitionGuarantee(
    const std::vector<std::shared_ptr<arrow::Field>>& fields,
    const std::vector<std::shared_ptr<arrow::Scalar>>& values);

/// Return true if `expr` is the literal true.
bool IsLiteralTrue(const arrow::compute::Expression& expr);

/// What is known about one column's values in a file, partition or row group.
struct ColumnRange {
  /// Inclusive bounds of the non-null values; null when unknown. Bounds whose
  /// type cannot be compared with the filter's literals are ignored.
  std::shared_ptr<arrow::Scalar> min, max;
  /// Whether some value may be null / may be non-null.
  bool may_be_null = true;
  bool may_be_valid = true;

  /// Return a range knowing nothing.
  static ColumnRange Unknown() { return {}; }
  /// Return the range of a column holding only `value` (null or not).
  static ColumnRange Constant(const std::shared_ptr<arrow::Scalar>& value);
};

/// A bound filter compiled for skipping by column ranges without Arrow's
/// expression simplification: conjunctions and disjunctions (and NOT) of
/// column-vs-literal comparisons (=, <>, <, <=, >, >=), IN lists, IS [NOT] NULL,
/// boolean columns and literals. Columns wrapped in widening integer casts are
/// seen through. Parts it does not understand count as "may be anything".
class RangePruner {
 public:
  /// Compile `bound_filter`; nullptr when no part of it can be decided from ranges.
  static std::unique_ptr<RangePruner> Make(const arrow::compute::Expression& bound_filter);
  ~RangePruner();

  /// Return the columns the filter compares (top-level names); CanSkip takes one
  /// range per column, in this order.
  const std::vector<std::string>& columns() const;
  /// Return true when every part of the filter was understood: then "cannot skip"
  /// from CanSkip is final (no need to try Arrow's simplification).
  bool exact() const;
  /// Return true if the filter is false or null for every row whose columns lie in
  /// `ranges` (one per columns(); missing trailing entries are unknown). Columns
  /// that may be both null and not null are split into the two cases (up to 6
  /// columns), so `x > 5 AND x IS NULL` skips a file holding x <= 5 and nulls.
  bool CanSkip(const std::vector<ColumnRange>& ranges) const;

  struct Node;

 private:
  RangePruner() = default;
  std::vector<std::string> columns_;
  std::unique_ptr<Node> root_;
  bool exact_ = true;
};

/// Return per-column ranges (for `pruner.columns()`) read from `guarantee` when it
/// is a conjunction of what Parquet statistics and partition values produce:
/// `col >= lit`, `col <= lit`, `col == lit`, `col IS NULL`, `col IS NOT NULL`,
/// `(...) OR col IS NULL`, literal true. Nullopt for any other shape.
std::optional<std::vector<ColumnRange>> RangesFromGuarantee(
    const RangePruner& pruner, const arrow::compute::Expression& guarantee);

}  // namespace shoal
