#include "shoal/optimizer/optimizer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <set>

#include "shoal/common/strings.h"
#include "shoal/optimizer/cardinality.h"
#include "shoal/optimizer/decorrelate_subqueries.h"
#include "shoal/optimizer/eliminate_redundant.h"
#include "shoal/optimizer/join_reorder.h"
#include "shoal/optimizer/materialize_common_subplans.h"
#include "shoal/optimizer/plan_util.h"
#include "shoal/optimizer/plan_validator.h"
#include "shoal/optimizer/push_down_filters.h"
#include "shoal/optimizer/push_down_limits.h"
#include "shoal/optimizer/push_down_projections.h"
#include "shoal/optimizer/simplify_expressions.h"

namespace shoal::opt {

using plan::LogicalOpPtr;

namespace {

constexpr const char* kEnabledKey = "shoal.optimizer.enabled";
constexpr const char* kDisabledKey = "shoal.optimizer.disabled_rules";
constexpr const char* kColumnStatisticsKey = "shoal.optimizer.column_statistics";
/// Bump when a rule's behaviour changes so fingerprints of old results differ.
constexpr const char* kPipelineVersion = "shoal-optimizer-v3";

/// Return whether estimating `op` can use column statistics: it filters, joins,
/// groups or combines rows somewhere.
bool UsesColumnStatistics(const plan::LogicalOp& op) {
  using plan::LogicalOpKind;
  switch (op.kind) {
    case LogicalOpKind::kFilter:
    case LogicalOpKind::kJoin:
    case LogicalOpKind::kSetOperation:
    case LogicalOpKind::kWindow:
      return true;
    case LogicalOpKind::kGet:
      if (!op.As<plan::LogicalGet>().filters.empty()) return true;
      break;
    case LogicalOpKind::kAggregate:
      if (!op.As<plan::LogicalAggregate>().groups.empty()) return true;
      break;
    default:
      break;
  }
  for (const auto& c : op.children) {
    if (c && UsesColumnStatistics(*c)) return true;
  }
  return false;
}

std::string DescribeColumns(const std::vector<plan::OutputColumn>& cols) {
  std::string out = "[";
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ", ";
    out += cols[i].name + " " + (cols[i].type ? cols[i].type->ToString() : "?");
  }
  return out + "]";
}

bool SameRootColumns(const std::vector<plan::OutputColumn>& a,
                     const std::vector<plan::OutputColumn>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name) return false;
    if (!a[i].type || !b[i].type || !a[i].type->Equals(*b[i].type, false)) return false;
  }
  return true;
}

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

}  // namespace

OptimizerContext::OptimizerContext(const Settings& settings, const plan::LogicalOpPtr& plan)
    : settings_(settings), next_id_(MaxColumnId(plan) + 1) {}

std::string OptimizerReport::ToString() const {
  std::string out;
  if (!enabled) out += "optimizer disabled (shoal.optimizer.enabled = false)\n";
  for (const auto& r : runs) {
    out += r.name;
    if (r.iteration > 0) out += " (pass " + std::to_string(r.iteration + 1) + ")";
    out += r.changed ? ": changed" : ": unchanged";
    out += " (" + std::to_string(r.micros) + " us)\n";
  }
  for (const auto& s : skipped) out += s + ": skipped (disabled by settings)\n";
  if (!fingerprint.empty()) out += "fingerprint: " + fingerprint + "\n";
  return out;
}

Optimizer Optimizer::Default() {
  auto simplify = std::make_shared<SimplifyExpressions>();
  auto decorrelate = std::make_shared<DecorrelateSubqueries>();
  auto filters = std::make_shared<PushDownFilters>();
  auto reorder = std::make_shared<JoinReorder>();
  auto limits = std::make_shared<PushDownLimits>();
  auto projections = std::make_shared<PushDownProjections>();
  auto redundant = std::make_shared<EliminateRedundant>();
  auto materialize = std::make_shared<MaterializeCommonSubplans>();
  std::vector<Phase> phases;
  phases.push_back({{simplify}, 1});
  phases.push_back({{decorrelate}, 1});
  phases.push_back({{simplify, filters, redundant}, 4});
  // Prune columns first so join_reorder sees how wide each input really is.
  phases.push_back({{projections}, 1});
  phases.push_back({{reorder}, 1});
  phases.push_back({{limits}, 1});
  phases.push_back({{projections, redundant}, 3});
  // Last: repeated subplans are only equal once every other rule has run on both.
  phases.push_back({{materialize}, 1});
  return Optimizer(std::move(phases));
}

std::vector<std::string> Optimizer::RuleNames() const {
  std::vector<std::string> names;
  for (const auto& phase : phases_) {
    for (const auto& rule : phase.rules) {
      if (std::find(names.begin(), names.end(), rule->name()) == names.end()) {
        names.push_back(rule->name());
      }
    }
  }
  return names;
}

Result<std::vector<std::string>> Optimizer::DisabledRules(const Settings& settings) const {
  std::vector<std::string> out;
  std::string raw = settings.GetString(kDisabledKey);
  auto names = RuleNames();
  size_t start = 0;
  while (start <= raw.size()) {
    size_t comma = raw.find(',', start);
    if (comma == std::string::npos) comma = raw.size();
    std::string name = ToLower(Trim(raw.substr(start, comma - start)));
    start = comma + 1;
    if (name.empty()) continue;
    if (std::find(names.begin(), names.end(), name) == names.end()) {
      std::string msg = "unknown optimizer rule '" + name + "' in " + kDisabledKey;
      auto close = ClosestMatches(name, names, 1);
      if (!close.empty()) msg += "; did you mean '" + close[0] + "'?";
      msg += " Valid rules: " + Join(names, ", ");
      return Status::Invalid(msg);
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  return out;
}

std::string Optimizer::Fingerprint(const Settings& settings) const {
  std::string text = kPipelineVersion;
  for (const auto& phase : phases_) {
    text += "|" + std::to_string(phase.max_iterations) + ":";
    for (const auto& rule : phase.rules) text += rule->name() + ",";
  }
  bool enabled = settings.GetBool(kEnabledKey);
  text += enabled ? "|enabled" : "|disabled";
  auto disabled = DisabledRules(settings);
  std::vector<std::string> names;
  if (disabled.ok()) {
    names = *disabled;
  } else {
    names.push_back("!" + settings.GetString(kDisabledKey));
  }
  std::sort(names.begin(), names.end());
  text += "|skip:" + Join(names, ",");
  // Estimates without column statistics give other plans (appended only then, so
  // the default fingerprint is unchanged).
  if (!settings.GetBool(kColumnStatisticsKey)) text += "|no-column-statistics";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(Fnv1a(text)));
  return std::string("opt1-") + buf;
}

Result<LogicalOpPtr> Optimizer::Optimize(LogicalOpPtr input, const Settings& settings,
                                         OptimizerReport* report) const {
  using Clock = std::chrono::steady_clock;
  auto start_all = Clock::now();
  OptimizerReport local;
  if (!report) report = &local;
  *report = OptimizerReport();
  report->fingerprint = Fingerprint(settings);
  if (!input) return Status::Invalid("optimizer: no plan to optimize");
  ARROW_ASSIGN_OR_RAISE(auto disabled, DisabledRules(settings));
  report->enabled = settings.GetBool(kEnabledKey);

  {
    Status st = ValidatePlan(input);
    if (!st.ok()) return Status::Invalid("optimizer input: ", st.message());
  }
  LogicalOpPtr plan = DeepCopyPlan(input);
  const std::vector<plan::OutputColumn> root_columns = plan->output;
  // Column statistics only sharpen estimates of filters, joins and groupings; a
  // plan without any (SELECT count(*) FROM t) does not make providers compute them.
  ColumnStatisticsScope column_stats(settings.GetBool(kColumnStatisticsKey) &&
                                     UsesColumnStatistics(*plan));

  if (!report->enabled) {
    for (const auto& name : RuleNames()) report->skipped.push_back(name);
  } else {
    for (const auto& name : disabled) report->skipped.push_back(name);
    OptimizerContext ctx(settings, plan);
    for (const auto& phase : phases_) {
      for (int iter = 0; iter < std::max(1, phase.max_iterations); ++iter) {
        bool any_changed = false;
        for (const auto& rule : phase.rules) {
          std::string name = rule->name();
          if (std::find(disabled.begin(), disabled.end(), name) != disabled.end()) continue;
          auto t0 = Clock::now();
          auto changed = rule->Apply(&plan, ctx);
          auto micros =
              std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
          if (!changed.ok()) {
            return changed.status().WithMessage("optimizer rule '", name,
                                                "' failed: ", changed.status().message());
          }
          report->runs.push_back({name, *changed, static_cast<int64_t>(micros), iter});
          any_changed = any_changed || *changed;
          if (!plan || !SameRootColumns(root_columns, plan->output)) {
            return Status::Invalid("optimizer rule '", name,
                                   "' changed the query's output columns from ",
                                   DescribeColumns(root_columns), " to ",
                                   plan ? DescribeColumns(plan->output) : "<no plan>");
          }
          Status st = ValidatePlan(plan);
          if (!st.ok()) {
            return Status::Invalid("optimizer rule '", name, "' produced an invalid plan: ",
                                   st.message());
          }
        }
        if (!any_changed) break;
      }
    }
  }
  AnnotateCardinality(plan);
  report->total_micros = static_cast<int64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start_all).count());
  return plan;
}

}  // namespace shoal::opt
