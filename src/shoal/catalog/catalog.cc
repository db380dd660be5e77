#include "shoal/catalog/catalog.h"

#include "shoal/common/strings.h"

namespace shoal {

namespace {
std::string Dotted(const std::vector<std::string>& parts) { return Join(parts, "."); }
}  // namespace

Result<std::vector<std::string>> Catalog::Qualify(const std::vector<std::string>& name) const {
  switch (name.size()) {
    case 1:
      return std::vector<std::string>{kDefaultCatalog, kDefaultSchema, name[0]};
    case 2:
      return std::vector<std::string>{kDefaultCatalog, name[0], name[1]};
    case 3:
      return name;
    default:
      return Status::Invalid("table name '", Dotted(name),
                             "' must have one to three parts (catalog.schema.table)");
  }
}

Status Catalog::RegisterTable(const std::vector<std::string>& name,
                              std::shared_ptr<TableProvider> table, bool replace) {
  if (!table) return Status::Invalid("cannot register a null table as '", Dotted(name), "'");
  ARROW_ASSIGN_OR_RAISE(auto key, Qualify(name));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end() && !replace) {
    return Status::AlreadyExists("table '", Dotted(name), "' already exists");
  }
  CatalogEntry e{key[0], key[1], key[2], std::move(table), std::nullopt};
  entries_[key] = std::move(e);
  return Status::OK();
}

Status Catalog::RegisterView(const std::vector<std::string>& name, ViewDefinition view,
                             bool replace) {
  ARROW_ASSIGN_OR_RAISE(auto key, Qualify(name));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    if (!replace) return Status::AlreadyExists("'", Dotted(name), "' already exists");
    if (it->second.table) {
      return Status::Invalid("'", Dotted(name), "' is a table; DROP TABLE it first");
    }
  }
  CatalogEntry e{key[0], key[1], key[2], nullptr, std::move(view)};
  entries_[key] = std::move(e);
  return Status::OK();
}

Status Catalog::Drop(const std::vector<std::string>& name, bool want_view, bool if_exists) {
  ARROW_ASSIGN_OR_RAISE(auto key, Qualify(name));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (if_exists) return Status::OK();
    return Status::KeyError(want_view ? "view '" : "table '", Dotted(name), "' does not exist");
  }
  bool is_view = it->second.view.has_value();
  if (is_view != want_view) {
    return Status::Invalid("'", Dotted(name), "' is a ", is_view ? "view" : "table", "; use DROP ",
                           is_view ? "VIEW" : "TABLE");
  }
  entries_.erase(it);
  return Status::OK();
}

Result<CatalogEntry> Catalog::Lookup(const std::vector<std::string>& name) const {
  ARROW_ASSIGN_OR_RAISE(auto key, Qualify(name));
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = entries_.find(key);
  if (it != entries_.end()) return it->second;
  // Unique case-insensitive match.
  const CatalogEntry* found = nullptr;
  int matches = 0;
  for (const auto& [k, e] : entries_) {
    if (EqualsIgnoreCase(k[0], key[0]) && EqualsIgnoreCase(k[1], key[1]) &&
        EqualsIgnoreCase(k[2], key[2])) {
      found = &e;
      ++matches;
    }
  }
  if (matches == 1) return *found;
  if (matches > 1) {
    return Status::Invalid("table name '", Dotted(name),
                           "' is ambiguous: several tables differ only in case; quote it");
  }
  std::vector<std::string> names;
  for (const auto& [k, e] : entries_) {
    names.push_back(k[1] == kDefaultSchema && k[0] == kDefaultCatalog ? k[2] : Dotted(k));
  }
  std::string msg = "table '" + Dotted(name) + "' not found";
  auto close = ClosestMatches(name.back(), names, 3);
  if (!close.empty()) msg += "; did you mean " + JoinQuoted(close, " or ") + "?";
  return Status::KeyError(msg);
}

bool Catalog::Exists(const std::vector<std::string>& name) const {
  auto key = Qualify(name);
  if (!key.ok()) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.count(*key) > 0;
}

std::vector<CatalogEntry> Catalog::List() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<CatalogEntry> out;
  for (const auto& [k, e] : entries_) out.push_back(e);
  return out;
}

}  // namespace shoal
