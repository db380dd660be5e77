// Helpers for the function module's tests: build arguments, bind a call with
// the catalog and run it with arrow::compute on the catalog's registry.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/api.h>
#include <arrow/compute/exec.h>
#include <arrow/compute/initialize.h>
#include <arrow/json/from_string.h>
#include <gtest/gtest.h>

#include "shoal/function/function_catalog.h"

#define SHOAL_FN_CONCAT_INNER(a, b) a##b
#define SHOAL_FN_CONCAT(a, b) SHOAL_FN_CONCAT_INNER(a, b)
/// Assert that a Result is OK and move its value into `lhs`.
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                  \
  auto SHOAL_FN_CONCAT(_res_, __LINE__) = (expr);                        \
  ASSERT_TRUE(SHOAL_FN_CONCAT(_res_, __LINE__).ok())                     \
      << SHOAL_FN_CONCAT(_res_, __LINE__).status().ToString();           \
  lhs = std::move(SHOAL_FN_CONCAT(_res_, __LINE__)).ValueUnsafe();
#define ASSERT_OK(expr)                                                  \
  do {                                                                   \
    auto _st = (expr);                                                   \
    ASSERT_TRUE(_st.ok()) << _st.ToString();                             \
  } while (0)

namespace shoal::testing {

using TypePtr = std::shared_ptr<arrow::DataType>;

/// An array from JSON (aborts on malformed test data).
inline std::shared_ptr<arrow::Array> Arr(const TypePtr& type, const std::string& json) {
  return arrow::json::ArrayFromJSONString(type, json).ValueOrDie();
}

/// A scalar from JSON ("null" for NULL).
inline std::shared_ptr<arrow::Scalar> Sc(const TypePtr& type, const std::string& json) {
  return arrow::json::ScalarFromJSONString(type, json).ValueOrDie();
}

/// One argument of a test call: a column (array) or a constant (scalar).
struct In {
  In(std::shared_ptr<arrow::Array> a) : array(std::move(a)) {}  // NOLINT
  In(std::shared_ptr<arrow::Scalar> s) : scalar(std::move(s)) {}  // NOLINT
  std::shared_ptr<arrow::Array> array;
  std::shared_ptr<arrow::Scalar> scalar;
  ScalarArg arg() const {
    return array ? ScalarArg{array->type(), nullptr} : ScalarArg{scalar->type, scalar};
  }
  arrow::Datum datum() const { return array ? arrow::Datum(array) : arrow::Datum(scalar); }
};

inline std::vector<ScalarArg> Args(const std::vector<In>& in) {
  std::vector<ScalarArg> out;
  for (const auto& i : in) out.push_back(i.arg());
  return out;
}

/// Bind `name` on `in` and run it through arrow::compute::CallFunction with an
/// ExecContext using the catalog's registry.
inline Result<arrow::Datum> Eval(const std::string& name, const std::vector<In>& in) {
  const auto& catalog = FunctionCatalog::Get();
  ARROW_ASSIGN_OR_RAISE(auto bound, catalog.BindScalar(name, Args(in)));
  arrow::compute::ExecContext ctx(arrow::default_memory_pool(), nullptr, catalog.registry());
  std::vector<arrow::Datum> datums;
  int64_t rows = 1;
  for (const auto& i : in) {
    datums.push_back(i.datum());
    if (i.array) rows = i.array->length();
  }
  ARROW_ASSIGN_OR_RAISE(auto result, ExecuteScalar(bound, datums, rows, &ctx));
  if (!result.type()->Equals(*bound.return_type)) {
    return Status::Invalid("result type ", result.type()->ToString(), " differs from bound type ",
                           bound.return_type->ToString());
  }
  return result;
}

/// Eval and compare with the expected array (JSON of `type`).
inline void ExpectEval(const std::string& name, const std::vector<In>& in, const TypePtr& type,
                       const std::string& expected_json) {
  auto r = Eval(name, in);
  ASSERT_TRUE(r.ok()) << name << ": " << r.status().ToString();
  auto expected = Arr(type, expected_json);
  std::shared_ptr<arrow::Array> got;
  if (r->is_scalar()) {
    got = arrow::MakeArrayFromScalar(*r->scalar(), 1).ValueOrDie();
  } else {
    got = r->make_array();
  }
  EXPECT_TRUE(got->Equals(*expected)) << name << ": got " << got->ToString() << " ("
                                       << got->type()->ToString() << ") expected "
                                       << expected->ToString() << " ("
                                       << expected->type()->ToString() << ")";
}

/// Eval and expect an error whose message contains `fragment`.
inline void ExpectError(const std::string& name, const std::vector<In>& in,
                        const std::string& fragment) {
  auto r = Eval(name, in);
  ASSERT_FALSE(r.ok()) << name << " unexpectedly gave " << r->ToString();
  EXPECT_NE(r.status().message().find(fragment), std::string::npos)
      << name << ": message '" << r.status().message() << "' lacks '" << fragment << "'";
}

/// Return the bound return type of `name` on `in`.
inline TypePtr ReturnType(const std::string& name, const std::vector<In>& in) {
  auto b = FunctionCatalog::Get().BindScalar(name, Args(in));
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? b->return_type : nullptr;
}

class FunctionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { ASSERT_TRUE(arrow::compute::Initialize().ok()); }
};

}  // namespace shoal::testing
