#include "shoal/io/pruning.h"

#include <arrow/compute/initialize.h>
#include <arrow/scalar.h>
#include <arrow/type.h>

namespace shoal {

namespace cp = arrow::compute;

namespace {

bool EnsureCompute() {
  static bool ok = arrow::compute::Initialize().ok();
  return ok;
}

}  // namespace

bool IsLiteralTrue(const cp::Expression& expr) {
  const arrow::Datum* lit = expr.literal();
  if (!lit || !lit->is_scalar()) return false;
  const auto& s = *lit->scalar();
  return s.type->id() == arrow::Type::BOOL && s.is_valid &&
         static_cast<const arrow::BooleanScalar&>(s).value;
}

std::optional<cp::Expression> BindPruningFilter(const cp::Expression& filter,
                                                const arrow::Schema& schema) {
  if (IsLiteralTrue(filter) || !EnsureCompute()) return std::nullopt;
  auto bound = filter.Bind(schema);
  if (!bound.ok()) return std::nullopt;
  if (!bound->type() || bound->type()->id() != arrow::Type::BOOL) return std::nullopt;
  return *bound;
}

bool CanSkip(const cp::Expression& bound_filter, const cp::Expression& guarantee) {
  if (IsLiteralTrue(guarantee)) return false;
  auto simplified = cp::SimplifyWithGuarantee(bound_filter, guarantee);
  if (!simplified.ok()) return false;
  const arrow::Datum* lit = simplified->literal();
  if (!lit || !lit->is_scalar()) return false;
  const auto& s = *lit->scalar();
  if (!s.is_valid) return true;
  return s.type->id() == arrow::Type::BOOL && !static_cast<const arrow::BooleanScalar&>(s).value;
}

cp::Expression PartitionGuarantee(const std::vector<std::shared_ptr<arrow::Field>>& fields,
                                  const std::vector<std::shared_ptr<arrow::Scalar>>& values) {
  std::vector<cp::Expression> parts;
  for (size_t i = 0; i < fields.size() && i < values.size(); ++i) {
    auto ref = cp::field_ref(fields[i]->name());
    if (!values[i] || !values[i]->is_valid) {
      parts.push_back(cp::is_null(ref));
    } else {
      parts.push_back(cp::equal(ref, cp::literal(values[i])));
    }
  }
  if (parts.empty()) return cp::literal(true);
  return cp::and_(parts);
}

}  // namespace shoal
