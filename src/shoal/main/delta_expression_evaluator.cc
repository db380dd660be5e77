#include "shoal/main/delta_expression_evaluator.h"

#include <mutex>

#include <arrow/array/concatenate.h>
#include <arrow/record_batch.h>
#include <arrow/table.h>

#include "shoal/main/session.h"

namespace shoal {

namespace {

constexpr const char* kRowsTable = "__shoal_delta_rows";

class SessionExpressionEvaluator : public delta::ExpressionEvaluator {
 public:
  Result<std::shared_ptr<arrow::Array>> Evaluate(const std::string& sql_expr,
                                                 const arrow::RecordBatch& batch) const override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!session_) {
      ARROW_ASSIGN_OR_RAISE(session_,
                            Session::Make({{"shoal.execution.threads", "1"},
                                           {"shoal.sql.enable_ident_normalization", "false"}}));
    }
    auto copy = arrow::RecordBatch::Make(batch.schema(), batch.num_rows(), batch.columns());
    ARROW_RETURN_NOT_OK(session_->RegisterRecordBatches(kRowsTable, batch.schema(), {{copy}}));
    auto result = Run(sql_expr, batch.num_rows());
    (void)session_->DeregisterTable(kRowsTable);
    return result;
  }

 private:
  Result<std::shared_ptr<arrow::Array>> Run(const std::string& sql_expr, int64_t rows) const {
    std::string sql = "SELECT (" + sql_expr + ") AS v FROM \"" + std::string(kRowsTable) + "\"";
    ARROW_ASSIGN_OR_RAISE(auto result, session_->Sql(sql));
    ARROW_ASSIGN_OR_RAISE(auto table, result->ToTable());
    if (table->num_rows() != rows) {
      return Status::Invalid("expression '", sql_expr, "' gave ", table->num_rows(),
                             " values for ", rows, " rows");
    }
    const auto& chunks = table->column(0)->chunks();
    if (chunks.size() == 1) return chunks[0];
    return arrow::Concatenate(chunks);
  }

  mutable std::mutex mu_;
  mutable std::shared_ptr<Session> session_;
};

}  // namespace

std::shared_ptr<const delta::ExpressionEvaluator> MakeDeltaExpressionEvaluator() {
  return std::make_shared<SessionExpressionEvaluator>();
}

}  // namespace shoal
