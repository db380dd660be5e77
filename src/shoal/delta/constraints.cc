#include "shoal/delta/constraints.h"

#include <algorithm>

#include <arrow/array.h>
#include <arrow/compute/api.h>
#include <arrow/record_batch.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

#include "shoal/delta/json.h"

namespace shoal::delta {

namespace cp = arrow::compute;

namespace {

constexpr const char* kConstraintPrefix = "delta.constraints.";

/// Return the index of the first row of the boolean `mask` that is true, or -1.
int64_t FirstTrue(const arrow::Array& mask) {
  const auto& b = static_cast<const arrow::BooleanArray&>(mask);
  for (int64_t i = 0; i < b.length(); ++i) {
    if (b.IsValid(i) && b.Value(i)) return i;
  }
  return -1;
}

/// Return the index of the first row of the boolean `result` that is not true
/// (false or null), or -1.
int64_t FirstNotTrue(const arrow::Array& result) {
  const auto& b = static_cast<const arrow::BooleanArray&>(result);
  for (int64_t i = 0; i < b.length(); ++i) {
    if (b.IsNull(i) || !b.Value(i)) return i;
  }
  return -1;
}

std::string ValueText(const arrow::Array& column, int64_t row) {
  if (column.IsNull(row)) return "NULL";
  auto scalar = column.GetScalar(row);
  if (!scalar.ok()) return "?";
  std::string text = (*scalar)->ToString();
  auto id = column.type_id();
  if (id == arrow::Type::STRING || id == arrow::Type::LARGE_STRING ||
      id == arrow::Type::STRING_VIEW) {
    return "'" + text + "'";
  }
  return text;
}

}  // namespace

std::string DescribeRow(const arrow::RecordBatch& batch, int64_t row) {
  std::string out;
  for (int i = 0; i < batch.num_columns(); ++i) {
    if (i) out += ", ";
    out += batch.schema()->field(i)->name() + " = " + ValueText(*batch.column(i), row);
  }
  return out;
}

Result<TableConstraints> CollectConstraints(const Metadata& metadata) {
  TableConstraints out;
  for (const auto& [k, v] : metadata.configuration) {
    if (k.rfind(kConstraintPrefix, 0) == 0) {
      out.checks.push_back({k.substr(std::string(kConstraintPrefix).size()), v, false});
    }
  }
  const std::string& text = metadata.schema_string;
  if (text.find("delta.invariants") == std::string::npos &&
      text.find("delta.generationExpression") == std::string::npos) {
    return out;
  }
  auto parsed = ParseJson(text);
  if (!parsed.ok()) {
    return Status::Invalid("cannot read the table schema: ", parsed.status().message());
  }
  const JsonValue* fields = parsed->Find("fields");
  if (!fields || !fields->is_array()) return out;
  for (const auto& f : fields->elements()) {
    const JsonValue* name = f.Find("name");
    const JsonValue* meta = f.Find("metadata");
    if (!name || !name->is_string() || !meta || !meta->is_object()) continue;
    if (const JsonValue* inv = meta->Find("delta.invariants")) {
      // A JSON string holding {"expression": {"expression": "<sql>"}}.
      std::string sql;
      if (inv->is_string()) {
        auto doc = ParseJson(inv->text());
        if (doc.ok()) {
          const JsonValue* e1 = doc->Find("expression");
          const JsonValue* e2 = e1 ? e1->Find("expression") : nullptr;
          if (e2 && e2->is_string()) sql = e2->text();
        }
      }
      if (sql.empty()) {
        return Status::Invalid("malformed delta.invariants on column '", name->text(),
                               "': expected {\"expression\": {\"expression\": \"...\"}}");
      }
      out.checks.push_back({name->text(), sql, true});
    }
    if (const JsonValue* gen = meta->Find("delta.generationExpression")) {
      if (!gen->is_string() || gen->text().empty()) {
        return Status::Invalid("malformed delta.generationExpression on column '", name->text(),
                               "'");
      }
      out.generated.push_back({name->text(), gen->text()});
    }
  }
  return out;
}

Result<std::shared_ptr<arrow::RecordBatch>> EnforceConstraints(
    const TableConstraints& constraints, const ExpressionEvaluator& evaluator,
    const std::shared_ptr<arrow::RecordBatch>& input, const std::string& table_root) {
  std::shared_ptr<arrow::RecordBatch> batch = input;
  if (batch->num_rows() == 0 || constraints.empty()) return batch;
  for (const auto& g : constraints.generated) {
    int idx = batch->schema()->GetFieldIndex(g.column);
    if (idx < 0) {
      return Status::Invalid("generated column '", g.column, "' of Delta table '", table_root,
                             "' is not in the table schema");
    }
    const auto& field = batch->schema()->field(idx);
    auto computed = evaluator.Evaluate(g.expression, *batch);
    if (!computed.ok()) {
      return computed.status().WithMessage("cannot compute generated column '", g.column,
                                           "' (", g.expression, "): ",
                                           computed.status().message());
    }
    std::shared_ptr<arrow::Array> value = *computed;
    if (!value->type()->Equals(*field->type())) {
      auto casted = cp::Cast(*value, field->type(), cp::CastOptions::Safe());
      if (!casted.ok()) {
        return Status::Invalid("generated column '", g.column, "' (", g.expression,
                               ") yields ", value->type()->ToString(),
                               ", which does not convert to the column's type ",
                               field->type()->ToString(), ": ", casted.status().message());
      }
      value = *casted;
    }
    auto given = batch->column(idx);
    if (given->null_count() < given->length()) {
      // Given values must equal the generated ones (null-safe).
      ARROW_ASSIGN_OR_RAISE(auto eq, cp::CallFunction("equal", {given, value}));
      ARROW_ASSIGN_OR_RAISE(auto eq_filled,
                            cp::CallFunction("coalesce", {eq, arrow::Datum(false)}));
      ARROW_ASSIGN_OR_RAISE(auto differs, cp::CallFunction("invert", {eq_filled}));
      ARROW_ASSIGN_OR_RAISE(auto given_valid, cp::CallFunction("is_valid", {given}));
      ARROW_ASSIGN_OR_RAISE(auto bad, cp::CallFunction("and_kleene", {differs, given_valid}));
      int64_t row = FirstTrue(*bad.make_array());
      if (row >= 0) {
        return Status::Invalid("generated column '", g.column, "' (GENERATED ALWAYS AS ",
                               g.expression, ") of Delta table '", table_root,
                               "' violated by row with values: ", DescribeRow(*batch, row),
                               " (expected ", g.column, " = ", ValueText(*value, row), ")");
      }
      ARROW_ASSIGN_OR_RAISE(auto filled, cp::CallFunction("coalesce", {given, value}));
      value = filled.make_array();
    }
    ARROW_ASSIGN_OR_RAISE(batch, batch->SetColumn(idx, field, value));
  }
  for (const auto& c : constraints.checks) {
    auto result = evaluator.Evaluate(c.expression, *batch);
    if (!result.ok()) {
      return result.status().WithMessage("cannot evaluate ",
                                         c.invariant ? "invariant on column '" : "CHECK constraint '",
                                         c.name, "' (", c.expression, "): ",
                                         result.status().message());
    }
    if ((*result)->type_id() != arrow::Type::BOOL) {
      return Status::Invalid(c.invariant ? "invariant on column '" : "CHECK constraint '", c.name,
                             "' (", c.expression, ") is not a boolean expression");
    }
    int64_t row = FirstNotTrue(**result);
    if (row >= 0) {
      if (c.invariant) {
        return Status::Invalid("invariant violated for column '", c.name, "' (", c.expression,
                               ") of Delta table '", table_root,
                               "' by row with values: ", DescribeRow(*batch, row));
      }
      return Status::Invalid("CHECK constraint '", c.name, "' (", c.expression,
                             ") of Delta table '", table_root,
                             "' violated by row with values: ", DescribeRow(*batch, row));
    }
  }
  return batch;
}

Protocol ProtocolWithCheckConstraints(const Protocol& protocol) {
  Protocol p = protocol;
  if (p.min_writer_version < 7) {
    p.min_writer_version = std::max(p.min_writer_version, 3);
    return p;
  }
  std::vector<std::string> features = p.writer_features.value_or(std::vector<std::string>{});
  if (std::find(features.begin(), features.end(), "checkConstraints") == features.end()) {
    features.push_back("checkConstraints");
  }
  p.writer_features = features;
  return p;
}

}  // namespace shoal::delta
