// Helpers for binder tests: schema-only tables, a catalog, parse+bind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <arrow/type.h>
#include <gtest/gtest.h>

#include "shoal/catalog/catalog.h"
#include "shoal/common/settings.h"
#include "shoal/parser/parser.h"
#include "shoal/planner/binder.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::testing {

/// A table with a schema and no data (binding never scans).
class SchemaTable : public TableProvider {
 public:
  explicit SchemaTable(std::shared_ptr<arrow::Schema> schema) : schema_(std::move(schema)) {}
  std::shared_ptr<arrow::Schema> schema() const override { return schema_; }
  std::string kind() const override { return "memory"; }
  Result<std::shared_ptr<TableScan>> Scan(const ScanRequest&) const override {
    return Status::NotImplemented("schema-only test table");
  }

 private:
  std::shared_ptr<arrow::Schema> schema_;
};

inline std::shared_ptr<TableProvider> MakeTable(arrow::FieldVector fields) {
  return std::make_shared<SchemaTable>(arrow::schema(std::move(fields)));
}

/// Parses and binds SQL against a catalog the test fills.
class BinderFixture : public ::testing::Test {
 protected:
  Catalog catalog_;
  Settings settings_;
  bool allow_paths_ = false;

  /// Bind the first statement (a SELECT) of `sql`.
  Result<plan::LogicalOpPtr> Bind(const std::string& sql) {
    sql_ = sql;
    ARROW_ASSIGN_OR_RAISE(auto stmts, ParseSql(sql_));
    if (stmts.empty() || stmts[0]->kind != ast::StatementKind::kSelect) {
      return Status::Invalid("test: not a SELECT");
    }
    BinderContext ctx;
    ctx.catalog = &catalog_;
    ctx.settings = &settings_;
    ctx.sql = sql_;
    if (allow_paths_) {
      ctx.open_path = [this](const std::string& path) -> Result<std::shared_ptr<TableProvider>> {
        if (path.find("missing") != std::string::npos) {
          return Status::IOError("file not found: ", path);
        }
        return MakeTable({arrow::field("x", arrow::int64()), arrow::field("y", arrow::utf8())});
      };
    }
    ctx.table_function =
        [](const std::string& name, const std::vector<std::shared_ptr<arrow::Scalar>>& args)
        -> Result<std::shared_ptr<TableProvider>> {
      if (name != "read_test") return Status::Invalid("table function '", name, "' not found");
      return MakeTable({arrow::field("n", arrow::int32())});
    };
    Binder binder(ctx);
    return binder.BindQuery(*static_cast<const ast::SelectStatement&>(*stmts[0]).query);
  }

  /// Return the printed plan, or "ERROR: message".
  std::string Plan(const std::string& sql) {
    auto r = Bind(sql);
    if (!r.ok()) return "ERROR: " + r.status().message();
    return plan::PlanToString(*r);
  }

  /// Return the error message of binding `sql` ("" when it binds).
  std::string Error(const std::string& sql) {
    auto r = Bind(sql);
    if (r.ok()) return "";
    return r.status().message();
  }

  /// Return "name:TYPE" of every result column, comma separated.
  std::string Columns(const std::string& sql) {
    auto r = Bind(sql);
    if (!r.ok()) return "ERROR: " + r.status().message();
    std::string out;
    for (const auto& col : (*r)->output) {
      if (!out.empty()) out += ", ";
      out += col.name + ":" + col.type->ToString();
    }
    return out;
  }

 private:
  std::string sql_;
};

}  // namespace shoal::testing
