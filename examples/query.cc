// A minimal program embedding Shoal: register an in-memory table, run an
// aggregate query and print the result.
#include <iostream>

#include <arrow/api.h>

#include "shoal/main/session.h"

namespace {

arrow::Status Run() {
  ARROW_ASSIGN_OR_RAISE(auto session, shoal::Session::Make({{"shoal.execution.threads", "2"}}));

  // A small table of (team, points), split into two partitions.
  auto schema = arrow::schema({arrow::field("team", arrow::utf8()),
                               arrow::field("points", arrow::int64())});
  arrow::StringBuilder teams;
  arrow::Int64Builder points;
  ARROW_RETURN_NOT_OK(teams.AppendValues({"red", "blue", "red", "green", "blue", "red"}));
  ARROW_RETURN_NOT_OK(points.AppendValues({10, 4, 12, 7, 3, 20}));
  ARROW_ASSIGN_OR_RAISE(auto team_array, teams.Finish());
  ARROW_ASSIGN_OR_RAISE(auto points_array, points.Finish());
  auto batch = arrow::RecordBatch::Make(schema, 6, {team_array, points_array});
  ARROW_RETURN_NOT_OK(session->RegisterRecordBatches(
      "scores", schema, {{batch->Slice(0, 3)}, {batch->Slice(3)}}));

  ARROW_ASSIGN_OR_RAISE(auto result, session->Sql(
      "SELECT team, SUM(points) AS total, COUNT(*) AS games "
      "FROM scores GROUP BY team ORDER BY total DESC"));
  ARROW_ASSIGN_OR_RAISE(auto table, result->ToTable());
  std::cout << table->ToString() << std::endl;

  // The winner's total: 10 + 12 + 20 = 42.
  if (table->num_rows() != 3) return arrow::Status::Invalid("expected 3 teams, got ", table->num_rows());
  ARROW_ASSIGN_OR_RAISE(auto team, table->column(0)->GetScalar(0));
  ARROW_ASSIGN_OR_RAISE(auto total, table->column(1)->GetScalar(0));
  std::cout << "The answer: team " << team->ToString() << " scored " << total->ToString()
            << " points" << std::endl;
  if (total->ToString() != "42") return arrow::Status::Invalid("expected 42, got ", total->ToString());
  return arrow::Status::OK();
}

}  // namespace

int main() {
  arrow::Status st = Run();
  if (!st.ok()) {
    std::cerr << "Error: " << st.message() << std::endl;
    return 1;
  }
  return 0;
}
