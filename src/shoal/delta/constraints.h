// Write-time constraints of a Delta table (PROTOCOL.md "Column Invariants",
// "CHECK Constraints", "Generated Columns"): every batch written must satisfy
// the table's CHECK constraints (delta.constraints.<name> in metaData.configuration)
// and legacy column invariants (delta.invariants in a field's metadata); generated
// columns (delta.generationExpression) are computed when the data leaves them
// null and verified when it gives them.
//
// Expressions are SQL text; the protocol logic does not evaluate them itself but
// asks an ExpressionEvaluator (the engine's, see main/delta_expression_evaluator.h),
// as delta-kernel-rs does.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/type_fwd.h>

#include "shoal/common/status.h"
#include "shoal/delta/actions.h"

namespace shoal::delta {

/// Evaluates SQL expressions over record batches (column names as in the batch).
/// Implementations must be safe to call from several threads.
class ExpressionEvaluator {
 public:
  virtual ~ExpressionEvaluator() = default;
  /// Return `sql_expr` evaluated for every row of `batch` (an array of
  /// batch.num_rows() values). Errors name the expression.
  virtual Result<std::shared_ptr<arrow::Array>> Evaluate(const std::string& sql_expr,
                                                         const arrow::RecordBatch& batch) const = 0;
};

/// The constraints a write must satisfy.
struct TableConstraints {
  struct Check {
    std::string name;        ///< Constraint name ("c1"), or the column of an invariant.
    std::string expression;  ///< SQL text.
    bool invariant = false;  ///< A legacy column invariant (delta.invariants).
  };
  struct Generated {
    std::string column;
    std::string expression;
  };
  std::vector<Check> checks;
  std::vector<Generated> generated;
  bool empty() const { return checks.empty() && generated.empty(); }
};

/// Return the constraints of a table with `metadata` (CHECK constraints from the
/// configuration, invariants and generation expressions from the top-level
/// fields of the schema string). A malformed annotation is an error naming it.
Result<TableConstraints> CollectConstraints(const Metadata& metadata);

/// Return `batch` (the table's schema, conformed) with generated columns filled
/// in, after checking every constraint. A violation is an error naming the
/// constraint, its expression and the values of one violating row; nothing is
/// changed then. `table_root` names the table in messages.
Result<std::shared_ptr<arrow::RecordBatch>> EnforceConstraints(
    const TableConstraints& constraints, const ExpressionEvaluator& evaluator,
    const std::shared_ptr<arrow::RecordBatch>& batch, const std::string& table_root);

/// Return the row `row` of `batch` as "a = 1, b = 'x'" for messages.
std::string DescribeRow(const arrow::RecordBatch& batch, int64_t row);

/// Return the protocol after adding a CHECK constraint: writer version 3 when
/// the table uses versions < 7, else the checkConstraints writer feature added.
Protocol ProtocolWithCheckConstraints(const Protocol& protocol);

}  // namespace shoal::delta
