// MERGE INTO a Delta table, copy-on-write, computed by Shoal's own executor:
//   0. the source's row count and, when the ON condition has equalities
//      `target.k = source.c` (and no WHEN NOT MATCHED BY SOURCE clause), the
//      min / max of the source keys: `target.k BETWEEN min AND max` plus the ON
//      condition's comparisons of target columns with literals filter the
//      target, so the Delta scan skips files by partition values and statistics;
//   1. scan: target (with a file column and a per-scan row id) joined with the
//      source; each joined row gets the number of the first WHEN clause that
//      applies (per kind: matched, not matched, not matched by source; 0 for
//      none). Target rows an UPDATE / DELETE clause applies to name the touched
//      files; a target row matched by more than one source row is an error
//      (except with a single unconditional WHEN MATCHED THEN DELETE);
//   2. rewrite: the same join over the files read, keeping the rows of touched
//      files (updated or copied, deleted ones dropped) and the inserted source
//      rows, written as new files;
//   3. commit: removes of the touched files + adds, operation MERGE.
#include <arrow/array.h>
#include <arrow/filesystem/filesystem.h>
#include <arrow/scalar.h>
#include <arrow/table.h>

#include <cmath>
#include <map>

#include "shoal/common/strings.h"
#include "shoal/function/function_catalog.h"
#include "shoal/main/delta_dml_internal.h"
#include "shoal/main/session_state.h"
#include "shoal/main/statement_util.h"
#include "shoal/parser/printer.h"

namespace shoal {
namespace dml {

namespace {

using Clause = ast::MergeClause;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

/// Return the SQL literal for a key bound, or "" when it cannot be written.
std::string BoundLiteral(const arrow::Scalar& s) {
  if (!s.is_valid) return "";
  switch (s.type->id()) {
    case arrow::Type::INT8:
    case arrow::Type::INT16:
    case arrow::Type::INT32:
    case arrow::Type::INT64:
    case arrow::Type::UINT8:
    case arrow::Type::UINT16:
    case arrow::Type::UINT32:
      return s.ToString();
    case arrow::Type::STRING:
    case arrow::Type::LARGE_STRING:
      return QuoteString(s.ToString());
    case arrow::Type::DATE32:
      return "DATE " + QuoteString(s.ToString());
    default:
      return "";
  }
}

struct Side {
  std::string alias;
  std::vector<std::string> columns;
};

/// Which side a column reference belongs to: 0 target, 1 source, -1 unknown.
int SideOf(const ast::ColumnRefExpr& ref, bool fold, const Side& target, const Side& source,
           std::string* column) {
  auto folded = [&](const ast::Identifier& id) {
    return fold && !id.quoted ? ToLower(id.name) : id.name;
  };
  const auto& parts = ref.name.parts;
  *column = folded(parts.back());
  auto has = [&](const Side& s) {
    for (const auto& c : s.columns) {
      if (c == *column) return true;
    }
    return false;
  };
  if (parts.size() >= 2) {
    std::string q = folded(parts[parts.size() - 2]);
    if (q == target.alias && has(target)) return 0;
    if (q == source.alias && has(source)) return 1;
    return -1;
  }
  bool t = has(target), s = has(source);
  if (t && !s) return 0;
  if (s && !t) return 1;
  return -1;
}

void Conjuncts(const ast::Expr& e, std::vector<const ast::Expr*>* out) {
  if (e.kind == ast::ExprKind::kBinary) {
    const auto& b = static_cast<const ast::BinaryExpr&>(e);
    if (b.op == ast::BinaryOp::kAnd) {
      Conjuncts(*b.left, out);
      Conjuncts(*b.right, out);
      return;
    }
  }
  out->push_back(&e);
}

bool IsComparison(ast::BinaryOp op) {
  using B = ast::BinaryOp;
  return op == B::kEq || op == B::kNotEq || op == B::kLt || op == B::kLtEq || op == B::kGt ||
         op == B::kGtEq;
}

std::string JoinCodes(const std::vector<int>& v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + std::to_string(v[i]);
  return out;
}

std::string ClausesJson(const ast::MergeStatement& st, Clause::Match match) {
  delta::JsonValue arr = delta::JsonValue::Array();
  for (const auto& c : st.clauses) {
    if (c.match != match) continue;
    delta::JsonValue o = delta::JsonValue::Object();
    const char* type = c.action == Clause::kDelete ? "delete"
                       : (c.action == Clause::kInsert || c.action == Clause::kInsertAll)
                           ? "insert"
                           : "update";
    o.Add("actionType", delta::JsonValue::String(type));
    if (c.condition) o.Add("predicate", delta::JsonValue::String(ToSql(*c.condition)));
    arr.Append(std::move(o));
  }
  return arr.ToJson();
}

}  // namespace

Result<std::shared_ptr<QueryResult>> ExecuteMerge(SessionState* state, std::string_view sql,
                                                  const ast::MergeStatement& st) {
  (void)sql;
  auto start = std::chrono::steady_clock::now();
  ARROW_ASSIGN_OR_RAISE(auto target, ResolveTarget(state, st.target, "MERGE"));
  std::string context = "MERGE INTO " + target.qualified;
  bool fold = state->settings().GetBool("shoal.sql.enable_ident_normalization");
  auto folded = [&](const ast::Identifier& id) {
    return fold && !id.quoted ? ToLower(id.name) : id.name;
  };
  const auto& schema = *target.snapshot->schema();
  Side tside{st.target_alias ? folded(*st.target_alias) : target.name.back(),
             schema.field_names()};

  // The source, its alias and columns.
  std::string src_sql = ToSql(*st.source);
  Side sside;
  if (st.source->alias) {
    sside.alias = folded(*st.source->alias);
  } else if (st.source->kind == ast::TableRefKind::kBaseTable &&
             !static_cast<const ast::BaseTableRef&>(*st.source).is_path) {
    sside.alias = folded(static_cast<const ast::BaseTableRef&>(*st.source).name.parts.back());
  } else {
    sside.alias = "source";
    src_sql += " AS " + QuoteIdent(sside.alias);
  }
  if (sside.alias == tside.alias) {
    return Status::Invalid(context, ": the target and the source are both called '",
                           tside.alias, "'; give one of them an alias (MERGE INTO t AS x ...)");
  }
  ARROW_ASSIGN_OR_RAISE(auto src_empty,
                        RunQuery(state, "SELECT * FROM " + src_sql + " LIMIT 0", context));
  sside.columns = src_empty->schema()->field_names();

  // Clause numbers by kind and action.
  std::vector<int> matched, not_matched, by_source, deletes, updates, inserts;
  for (size_t i = 0; i < st.clauses.size(); ++i) {
    const auto& c = st.clauses[i];
    int code = static_cast<int>(i) + 1;
    (c.match == Clause::kMatched      ? matched
     : c.match == Clause::kNotMatched ? not_matched
                                      : by_source)
        .push_back(code);
    if (c.action == Clause::kDelete) deletes.push_back(code);
    if (c.action == Clause::kUpdate || c.action == Clause::kUpdateAll) updates.push_back(code);
    if (c.action == Clause::kInsert || c.action == Clause::kInsertAll) inserts.push_back(code);
  }
  std::string T = QuoteIdent(tside.alias), S = QuoteIdent(sside.alias);
  auto group = [&](const std::vector<int>& codes) {
    if (codes.empty()) return std::string("0");
    std::string out = "CASE";
    for (int code : codes) {
      const auto& c = st.clauses[code - 1];
      out += " WHEN " + (c.condition ? "(" + ToSql(*c.condition) + ")" : std::string("TRUE")) +
             " THEN " + std::to_string(code);
    }
    return out + " ELSE 0 END";
  };
  std::string tmark = T + "." + QuoteIdent("__shoal_t");
  std::string smark = S + "." + QuoteIdent("__shoal_s");
  std::string act = "(CASE WHEN " + tmark + " AND " + smark + " THEN " + group(matched) +
                    " WHEN " + smark + " THEN " + group(not_matched) + " ELSE " +
                    group(by_source) + " END)";

  // Values of the target columns per clause.
  std::vector<std::map<int, std::string>> values(schema.num_fields());
  auto column_index = [&](const std::string& name) {
    int idx = schema.GetFieldIndex(name);
    if (idx < 0) {
      for (int i = 0; i < schema.num_fields(); ++i) {
        if (ToLower(schema.field(i)->name()) == ToLower(name)) idx = i;
      }
    }
    return idx;
  };
  auto source_column = [&](const std::string& name) -> Result<std::string> {
    for (const auto& c : sside.columns) {
      if (c == name) return S + "." + QuoteIdent(c);
    }
    for (const auto& c : sside.columns) {
      if (ToLower(c) == ToLower(name)) return S + "." + QuoteIdent(c);
    }
    return Status::Invalid(context, ": UPDATE SET * / INSERT * needs column '", name,
                           "' in the source (source columns: ", Join(sside.columns, ", "), ")");
  };
  for (size_t i = 0; i < st.clauses.size(); ++i) {
    const auto& c = st.clauses[i];
    int code = static_cast<int>(i) + 1;
    switch (c.action) {
      case Clause::kDelete:
        break;
      case Clause::kUpdateAll:
      case Clause::kInsertAll:
        for (int k = 0; k < schema.num_fields(); ++k) {
          const std::string& name = schema.field(k)->name();
          auto value = source_column(name);
          if (!value.ok() && IsGenerated(target, name)) {
            values[k][code] = "NULL";  // computed from the other columns
            continue;
          }
          ARROW_ASSIGN_OR_RAISE(values[k][code], std::move(value));
        }
        break;
      case Clause::kUpdate:
        for (const auto& [id, e] : c.assignments) {
          int idx = column_index(folded(id));
          if (idx < 0) {
            return Status::Invalid(context, ": column '", folded(id),
                                   "' does not exist in the target (columns: ",
                                   Join(schema.field_names(), ", "), ")");
          }
          if (values[idx].count(code)) {
            return Status::Invalid(context, ": column '", folded(id),
                                   "' is assigned twice in one UPDATE clause");
          }
          values[idx][code] = ToSql(*e);
        }
        // Generated columns not assigned are computed again from the new values.
        for (int k = 0; k < schema.num_fields(); ++k) {
          if (!values[k].count(code) && IsGenerated(target, schema.field(k)->name())) {
            values[k][code] = "NULL";
          }
        }
        break;
      case Clause::kInsert: {
        if (c.insert_columns.empty() &&
            c.insert_values.size() != static_cast<size_t>(schema.num_fields())) {
          return Status::Invalid(context, ": INSERT VALUES gives ", c.insert_values.size(),
                                 " values but the target has ", schema.num_fields(),
                                 " columns; name the columns: INSERT (a, b) VALUES (...)");
        }
        for (size_t k = 0; k < c.insert_values.size(); ++k) {
          int idx = static_cast<int>(k);
          if (!c.insert_columns.empty()) {
            idx = column_index(folded(c.insert_columns[k]));
            if (idx < 0) {
              return Status::Invalid(context, ": column '", folded(c.insert_columns[k]),
                                     "' does not exist in the target");
            }
          }
          values[idx][code] = ToSql(*c.insert_values[k]);
        }
        // Columns not named are null (the ELSE of the CASE: the absent target row's nulls).
        break;
      }
    }
  }

  // 0. Source statistics and target pruning.
  std::vector<const ast::Expr*> conjuncts;
  Conjuncts(*st.on, &conjuncts);
  std::vector<std::pair<std::string, std::string>> keys;  // target column, source column
  std::vector<std::string> target_filters;
  if (by_source.empty()) {
    for (const ast::Expr* e : conjuncts) {
      if (e->kind != ast::ExprKind::kBinary) continue;
      const auto& b = static_cast<const ast::BinaryExpr&>(*e);
      if (!IsComparison(b.op)) continue;
      const ast::Expr* l = b.left.get();
      const ast::Expr* r = b.right.get();
      if (l->kind == ast::ExprKind::kColumnRef && r->kind == ast::ExprKind::kColumnRef &&
          b.op == ast::BinaryOp::kEq) {
        std::string lc, rc;
        int ls = SideOf(static_cast<const ast::ColumnRefExpr&>(*l), fold, tside, sside, &lc);
        int rs = SideOf(static_cast<const ast::ColumnRefExpr&>(*r), fold, tside, sside, &rc);
        if (ls == 0 && rs == 1) keys.emplace_back(lc, rc);
        if (ls == 1 && rs == 0) keys.emplace_back(rc, lc);
        continue;
      }
      const ast::Expr* col = l->kind == ast::ExprKind::kColumnRef ? l : r;
      const ast::Expr* lit = col == l ? r : l;
      if (col->kind != ast::ExprKind::kColumnRef || lit->kind != ast::ExprKind::kLiteral) continue;
      std::string c;
      if (SideOf(static_cast<const ast::ColumnRefExpr&>(*col), fold, tside, sside, &c) == 0) {
        target_filters.push_back("(" + ToSql(*e) + ")");
      }
    }
  }
  std::string stats_sql = "SELECT count(*) AS n";
  for (const auto& [tc, sc] : keys) {
    stats_sql += ", min(" + S + "." + QuoteIdent(sc) + "), max(" + S + "." + QuoteIdent(sc) + ")";
  }
  stats_sql += " FROM " + src_sql;
  ARROW_ASSIGN_OR_RAISE(auto stats_table, RunQuery(state, stats_sql, context));
  ARROW_ASSIGN_OR_RAISE(auto stats, stats_table->CombineChunksToBatch());
  int64_t num_source_rows = 0;
  if (stats->num_rows() == 1) {
    ARROW_ASSIGN_OR_RAISE(auto n, Int64Column(*stats, "n", 0));
    num_source_rows = n[0];
    for (size_t k = 0; k < keys.size(); ++k) {
      ARROW_ASSIGN_OR_RAISE(auto lo, stats->column(1 + 2 * k)->GetScalar(0));
      ARROW_ASSIGN_OR_RAISE(auto hi, stats->column(2 + 2 * k)->GetScalar(0));
      std::string col = T + "." + QuoteIdent(keys[k].first);
      if (!lo->is_valid) {
        target_filters.push_back("FALSE");  // no source key: no target row can match
        continue;
      }
      std::string a = BoundLiteral(*lo), z = BoundLiteral(*hi);
      if (a.empty() || z.empty()) continue;
      target_filters.push_back("(" + col + " BETWEEN " + a + " AND " + z + ")");
    }
  }
  std::string prune = target_filters.empty() ? "" : " WHERE " + Join(target_filters, " AND ");
  std::string on = "(" + ToSql(*st.on) + ")";
  std::string source_side =
      "(SELECT *, TRUE AS " + QuoteIdent("__shoal_s") + " FROM " + src_sql + ") AS " + S;
  auto target_side = [&](const TempTable& tmp, const std::string& where) {
    return "(SELECT *, TRUE AS " + QuoteIdent("__shoal_t") + " FROM " + tmp.sql_name() +
           " AS " + T + where + ") AS " + T;
  };

  // 1. Scan: touched files, deleted rows, multiple matches.
  auto scan_start = std::chrono::steady_clock::now();
  std::set<std::string> touched;
  std::vector<std::string> read_files;
  std::shared_ptr<const delta::FileMatcher> matcher;
  std::unordered_set<int64_t> deleted_rows;
  bool modifies = !matched.empty() || !by_source.empty();
  bool check_multi = !matched.empty() &&
                     !(matched.size() == 1 && st.clauses[matched[0] - 1].action ==
                                                  Clause::kDelete &&
                       !st.clauses[matched[0] - 1].condition);
  {
    ARROW_ASSIGN_OR_RAISE(auto scan, TargetScan(target, /*row_id=*/true));
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    if (modifies) {
      std::string q = "SELECT " + T + "." + QuoteIdent(kFileCol) + " AS f, " + T + "." +
                      QuoteIdent(kRowIdCol) + " AS " + QuoteIdent(kRowIdCol) + ", (" + smark +
                      " IS NOT NULL) AS m, " + act + " AS " + QuoteIdent(kActCol) + " FROM " +
                      target_side(*tmp, prune) + (by_source.empty() ? " JOIN " : " LEFT JOIN ") +
                      source_side + " ON " + on + " WHERE " + smark + " IS NOT NULL OR " + act +
                      " <> 0";
      ARROW_ASSIGN_OR_RAISE(auto query, StartQuery(state, q, context));
      std::unordered_map<int64_t, int32_t> match_count;
      std::set<int64_t> modifying(deletes.begin(), deletes.end());
      for (int u : updates) modifying.insert(u);
      std::set<int64_t> delete_codes(deletes.begin(), deletes.end());
      while (true) {
        std::shared_ptr<arrow::RecordBatch> batch;
        ARROW_RETURN_NOT_OK(query->reader->ReadNext(&batch));
        if (!batch) break;
        ARROW_ASSIGN_OR_RAISE(auto acts, Int64Column(*batch, kActCol, 0));
        ARROW_ASSIGN_OR_RAISE(auto rids, Int64Column(*batch, kRowIdCol, -1));
        const auto& files = static_cast<const arrow::StringArray&>(*batch->GetColumnByName("f"));
        const auto& m = static_cast<const arrow::BooleanArray&>(*batch->GetColumnByName("m"));
        for (int64_t i = 0; i < batch->num_rows(); ++i) {
          if (check_multi && m.Value(i) && ++match_count[rids[i]] > 1) {
            (void)query->reader->Close();
            return Status::Invalid(
                context,
                ": MERGE: multiple source rows matched the same target row (a target row may "
                "be updated or deleted by one source row only; deduplicate the source on the "
                "ON condition's keys)");
          }
          if (modifying.count(acts[i])) touched.insert(files.GetString(i));
          if (delete_codes.count(acts[i])) deleted_rows.insert(rids[i]);
        }
      }
      matcher = std::make_shared<delta::FileMatcher>(target.snapshot, scan->last_filter());
    }
  }
  int64_t scan_ms = MillisSince(scan_start);

  // 2. Rewrite: rows of touched files and inserted rows.
  auto rewrite_start = std::chrono::steady_clock::now();
  CommitRequest req;
  int64_t inserted = 0, updated = 0, copied = 0, output_rows = 0;
  int64_t files_scanned = 0;
  if (touched.empty() && inserts.empty()) {
    if (matcher) {
      for (const auto& f : target.snapshot->files()) files_scanned += matcher->MayMatch(f);
    }
  } else {
    std::shared_ptr<delta::DmlScanProvider> scan;
    std::string where;
    if (matcher) {
      // Only the files read by the scan; no row filter (touched files are copied whole).
      auto only = std::make_shared<std::set<std::string>>();
      for (const auto& f : target.snapshot->files()) {
        if (matcher->MayMatch(f)) only->insert(delta::DecodeActionPath(f.path));
      }
      for (const auto& t : touched) only->insert(t);
      ARROW_ASSIGN_OR_RAISE(scan, TargetScan(target, /*row_id=*/true, only));
    } else {
      // Inserts only: no target row is written, so the target may be filtered by rows.
      ARROW_ASSIGN_OR_RAISE(scan, TargetScan(target, /*row_id=*/true));
      where = prune;
    }
    ARROW_ASSIGN_OR_RAISE(auto tmp, TempTable::Register(state, scan));
    std::string q = "SELECT ";
    std::string old_cols;  // the target row as it was (change data pre-images)
    for (int k = 0; k < schema.num_fields(); ++k) {
      const auto& f = schema.field(k);
      std::string col = T + "." + QuoteIdent(f->name());
      old_cols += col + " AS " + QuoteIdent(f->name()) + ", ";
      if (values[k].empty()) {
        q += col;
      } else {
        q += "CASE " + act;
        for (const auto& [code, v] : values[k]) {
          std::string value = "(" + v + ")";
          if (!arrow::is_nested(f->type()->id())) {
            value = "CAST(" + value + " AS " + ArrowTypeToSql(*f->type()) + ")";
          }
          q += " WHEN " + std::to_string(code) + " THEN " + value;
        }
        q += " ELSE " + col + " END";
      }
      q += " AS " + QuoteIdent(f->name()) + ", ";
    }
    std::string keep_target = "FALSE";
    if (!touched.empty()) {
      keep_target = "(" + tmark + " AND " + T + "." + QuoteIdent(kFileCol) + " IN (";
      bool first = true;
      for (const auto& t : touched) {
        keep_target += (first ? "" : ", ") + QuoteString(t);
        first = false;
      }
      keep_target += ")";
      if (!deletes.empty()) keep_target += " AND " + act + " NOT IN (" + JoinCodes(deletes) + ")";
      keep_target += ")";
    }
    std::string keep_insert =
        inserts.empty() ? "FALSE"
                        : "(" + tmark + " IS NULL AND " + act + " IN (" + JoinCodes(inserts) + "))";
    std::string new_cols = q.substr(7);  // after "SELECT "
    std::string from = " FROM " + target_side(*tmp, where) +
                       (inserts.empty() ? " LEFT JOIN " : " FULL JOIN ") + source_side + " ON " +
                       on;
    q += T + "." + QuoteIdent(kRowIdCol) + " AS " + QuoteIdent(kRowIdCol) + ", (" + tmark +
         " IS NOT NULL AND " + smark + " IS NOT NULL) AS " + QuoteIdent(kMatchedCol) + ", " +
         act + " AS " + QuoteIdent(kActCol) + from + " WHERE " + keep_target + " OR " +
         keep_insert;
    if (ChangeDataFeedEnabled(target)) {
      std::vector<std::string> parts;
      auto branch = [&](const std::string& cols, const char* type, const std::string& where) {
        parts.push_back("SELECT " + cols + "'" + type + "' AS _change_type" + from + " WHERE " +
                        where);
      };
      if (!updates.empty()) {
        std::string w = tmark + " AND " + act + " IN (" + JoinCodes(updates) + ")";
        branch(old_cols, "update_preimage", w);
        branch(new_cols, "update_postimage", w);
      }
      if (!deletes.empty()) {
        branch(old_cols, "delete", tmark + " AND " + act + " IN (" + JoinCodes(deletes) + ")");
      }
      if (!inserts.empty()) {
        branch(new_cols, "insert",
               tmark + " IS NULL AND " + act + " IN (" + JoinCodes(inserts) + ")");
      }
      ARROW_ASSIGN_OR_RAISE(req.cdcs,
                            WriteChanges(state, target, Join(parts, " UNION ALL "), context));
    }
    auto query = StartQuery(state, q, context);
    std::unique_ptr<TallyReader> tally;
    Result<Written> written = Status::Invalid("not run");
    if (query.ok()) {
      tally = std::make_unique<TallyReader>((*query)->reader);
      written = WriteRows(target, tally.get());
    } else {
      written = query.status();
    }
    if (!written.ok()) {
      for (const auto& c : req.cdcs) {
        (void)target.fs->DeleteFile(delta::JoinPath(target.root, delta::DecodeActionPath(c.path)));
      }
      return written.status().WithMessage(context, ": ", written.status().message());
    }
    req.adds = std::move(written->adds);
    output_rows = tally->rows();
    for (const auto& [code, n] : tally->actions()) {
      if (code == 0) copied += n;
      for (int u : updates) updated += code == u ? n : 0;
      for (int i : inserts) inserted += code == i ? n : 0;
    }
    if (!matcher) matcher = std::make_shared<delta::FileMatcher>(target.snapshot,
                                                                 scan->last_filter());
    for (const auto& f : target.snapshot->files()) files_scanned += matcher->MayMatch(f);
  }
  int64_t rewrite_ms = MillisSince(rewrite_start);

  auto by_path = FilesByPath(*target.snapshot);
  int64_t now = NowMs();
  for (const auto& t : touched) {
    auto it = by_path.find(t);
    if (it == by_path.end()) return Status::Invalid("internal: unknown file '", t, "'");
    req.removes.push_back(delta::RemoveForFile(*it->second, now));
  }
  if (matcher) {
    for (const auto& f : target.snapshot->files()) {
      if (matcher->MayMatch(f)) read_files.push_back(delta::DecodeActionPath(f.path));
    }
  }
  int64_t deleted = static_cast<int64_t>(deleted_rows.size());
  int64_t num_files = static_cast<int64_t>(target.snapshot->files().size());
  std::vector<std::pair<std::string, int64_t>> metrics = {
      {"num_source_rows", num_source_rows},
      {"num_target_rows_inserted", inserted},
      {"num_target_rows_updated", updated},
      {"num_target_rows_deleted", deleted},
      {"num_target_rows_copied", copied},
      {"num_output_rows", output_rows},
      {"num_target_files_scanned", files_scanned},
      {"num_target_files_skipped_during_scan", num_files - files_scanned},
      {"num_target_files_added", static_cast<int64_t>(req.adds.size())},
      {"num_target_files_removed", static_cast<int64_t>(req.removes.size())},
  };
  if (!req.removes.empty() || !req.adds.empty()) {
    req.operation = "MERGE";
    std::string on_text = ToSql(*st.on);
    req.parameters.Add("predicate", delta::JsonValue::String(on_text));
    req.parameters.Add("matchedPredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kMatched)));
    req.parameters.Add("notMatchedPredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kNotMatched)));
    req.parameters.Add("notMatchedBySourcePredicates",
                       delta::JsonValue::String(ClausesJson(st, Clause::kNotMatchedBySource)));
    req.read_files = read_files;
    req.matcher = matcher;
    req.predicate = on_text;
    req.metrics = {{"numSourceRows", num_source_rows},
                   {"numTargetRowsInserted", inserted},
                   {"numTargetRowsUpdated", updated},
                   {"numTargetRowsDeleted", deleted},
                   {"numTargetRowsCopied", copied},
                   {"numOutputRows", output_rows},
                   {"numTargetFilesAdded", static_cast<int64_t>(req.adds.size())},
                   {"numTargetFilesRemoved", static_cast<int64_t>(req.removes.size())},
                   {"scanTimeMs", scan_ms},
                   {"rewriteTimeMs", rewrite_ms},
                   {"executionTimeMs", MillisSince(start)}};
    ARROW_RETURN_NOT_OK(CommitDml(state, target, std::move(req)).status());
  }
  metrics.push_back({"execution_time_ms", MillisSince(start)});
  metrics.push_back({"scan_time_ms", scan_ms});
  metrics.push_back({"rewrite_time_ms", rewrite_ms});
  return MetricsResult(metrics, "MERGE");
}

}  // namespace dml
}  // namespace shoal
