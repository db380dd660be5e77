// Helpers shared by the main module's tests.
#pragma once

#include <utility>

#include <gtest/gtest.h>

#define SHOAL_TEST_CONCAT_INNER(a, b) a##b
#define SHOAL_TEST_CONCAT(a, b) SHOAL_TEST_CONCAT_INNER(a, b)
/// Assert that a Result is OK and move its value into `lhs` (a declaration or lvalue).
#define ASSERT_OK_AND_ASSIGN(lhs, expr)                                       \
  auto SHOAL_TEST_CONCAT(_res_, __LINE__) = (expr);                           \
  ASSERT_TRUE(SHOAL_TEST_CONCAT(_res_, __LINE__).ok())                        \
      << SHOAL_TEST_CONCAT(_res_, __LINE__).status().ToString();              \
  lhs = std::move(SHOAL_TEST_CONCAT(_res_, __LINE__)).ValueUnsafe();
