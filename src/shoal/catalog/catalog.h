// The session catalog: catalog.schema.name -> table provider or view.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "shoal/catalog/table_provider.h"
#include "shoal/common/status.h"

namespace shoal {

/// A view: its SQL text (re-parsed and bound where it is used) and optional
/// column names from CREATE VIEW v(a, b).
struct ViewDefinition {
  std::string sql;
  std::vector<std::string> column_names;
};

/// What a name resolves to.
struct CatalogEntry {
  std::string catalog, schema, name;         ///< resolved, as stored
  std::shared_ptr<TableProvider> table;      ///< set for tables
  std::optional<ViewDefinition> view;        ///< set for views
};

/// A three-level catalog (catalog.schema.name). The default catalog is "shoal"
/// and the default schema "public"; unqualified names resolve there. Names are
/// stored as given (the binder folds unquoted identifiers before lookup); lookups
/// first try an exact match, then a unique case-insensitive match.
/// Thread-safe.
class Catalog {
 public:
  static constexpr const char* kDefaultCatalog = "shoal";
  static constexpr const char* kDefaultSchema = "public";

  /// Register a table; `replace` allows overwriting an existing table or view.
  Status RegisterTable(const std::vector<std::string>& name,
                       std::shared_ptr<TableProvider> table, bool replace = true);
  /// Register a view; `replace` allows overwriting an existing entry.
  Status RegisterView(const std::vector<std::string>& name, ViewDefinition view,
                      bool replace = false);
  /// Remove a table or view. `want_view` selects which kind must be there; a
  /// mismatch is an error ("'x' is a view, use DROP VIEW").
  Status Drop(const std::vector<std::string>& name, bool want_view, bool if_exists);
  /// Look up a name with 1 to 3 parts. Not found: NotFound with close matches.
  Result<CatalogEntry> Lookup(const std::vector<std::string>& name) const;
  /// Return true when the name exists.
  bool Exists(const std::vector<std::string>& name) const;
  /// Return every entry, sorted by (catalog, schema, name).
  std::vector<CatalogEntry> List() const;

 private:
  Result<std::vector<std::string>> Qualify(const std::vector<std::string>& name) const;
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, CatalogEntry> entries_;
};

}  // namespace shoal
