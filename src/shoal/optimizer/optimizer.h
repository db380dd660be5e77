// The logical optimizer: a fixed list of named rewrite rules run over a bound
// logical plan (planner/logical_plan.h).
//
// Every rule is a const object with a name; it rewrites the plan in place through
// a pointer to the root and says whether it changed anything. Mutable state (the
// column-id counter, settings) lives in the OptimizerContext. The driver
// (Optimizer::Optimize):
//   - deep-copies the input plan, so callers keep their plan untouched;
//   - skips rules named in `shoal.optimizer.disabled_rules`, or every rule when
//     `shoal.optimizer.enabled` is false;
//   - times each rule run and records (name, changed, microseconds) in the
//     OptimizerReport (EXPLAIN VERBOSE shows it);
//   - verifies after each rule that the root's output columns (count, names,
//     types) are unchanged and that the plan is well formed (plan_validator.h),
//     failing with an error that names the rule otherwise;
//   - finally annotates estimated row counts (cardinality.h).
//
// Rules (in pipeline order, some repeated until nothing changes):
//   simplify_expressions, decorrelate_subqueries, push_down_filters,
//   eliminate_redundant, push_down_projections (so join_reorder knows the
//   columns each join input carries), join_reorder, push_down_limits,
//   push_down_projections, eliminate_redundant, materialize_common_subplans.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "shoal/common/settings.h"
#include "shoal/common/status.h"
#include "shoal/planner/logical_plan.h"

namespace shoal::opt {

/// Per-run state shared by the rules of one Optimize call.
class OptimizerContext {
 public:
  /// Create a context whose fresh column ids start above every id used in `plan`.
  OptimizerContext(const Settings& settings, const plan::LogicalOpPtr& plan);
  /// Create a context handing out ids from `next_id` (for tests).
  OptimizerContext(const Settings& settings, plan::ColumnId next_id)
      : settings_(settings), next_id_(next_id) {}

  /// Return a column id not used anywhere in the plan yet.
  plan::ColumnId NextColumnId() { return next_id_++; }
  /// Return the id the next NextColumnId() call will return.
  plan::ColumnId peek_next_id() const { return next_id_; }
  /// The settings the optimizer runs with.
  const Settings& settings() const { return settings_; }

 private:
  const Settings& settings_;
  plan::ColumnId next_id_ = 0;
};

/// A named plan rewrite. Rules are stateless (const); state lives in the context.
class OptimizerRule {
 public:
  virtual ~OptimizerRule() = default;
  /// Return the rule's name as used in settings and reports ("push_down_filters").
  virtual std::string name() const = 0;
  /// Rewrite `*plan` in place (replacing the root if needed); return whether the
  /// plan changed. The root's output columns must stay the same.
  virtual Result<bool> Apply(plan::LogicalOpPtr* plan, OptimizerContext& ctx) const = 0;
};

/// One rule run as recorded by the driver.
struct RuleRun {
  std::string name;
  bool changed = false;
  int64_t micros = 0;
  int iteration = 0;  ///< pass number inside a fixed-point phase (0-based)
};

/// What the optimizer did, for EXPLAIN VERBOSE.
struct OptimizerReport {
  std::vector<RuleRun> runs;
  bool enabled = true;                   ///< false when shoal.optimizer.enabled = false
  std::vector<std::string> skipped;      ///< rules disabled by settings
  std::string fingerprint;               ///< Optimizer::Fingerprint of the run
  int64_t total_micros = 0;
  /// Return one line per rule run ("push_down_filters: changed (12 us)").
  std::string ToString() const;
};

/// The optimizer: an ordered list of phases, each a list of rules run once or
/// repeatedly until none of them changes the plan.
class Optimizer {
 public:
  /// A group of rules run in order, repeated up to `max_iterations` times while
  /// some rule changes the plan.
  struct Phase {
    std::vector<std::shared_ptr<const OptimizerRule>> rules;
    int max_iterations = 1;
  };

  /// Return the standard pipeline (every rule of this module).
  static Optimizer Default();
  /// Build an optimizer from explicit phases (tests, custom pipelines).
  explicit Optimizer(std::vector<Phase> phases) : phases_(std::move(phases)) {}

  /// Optimize `plan` (not modified; a rewritten copy is returned). `report` may be null.
  /// Errors: unknown rule names in shoal.optimizer.disabled_rules, a rule failing, or
  /// a rule producing an invalid plan (the message names the rule).
  Result<plan::LogicalOpPtr> Optimize(plan::LogicalOpPtr plan, const Settings& settings,
                                      OptimizerReport* report) const;

  /// Return the distinct rule names in pipeline order.
  std::vector<std::string> RuleNames() const;

  /// Return a stable hash of the rule pipeline and the optimizer settings, e.g.
  /// "opt1-3f2a9c0d11b2e4f7"; equal fingerprints mean the same rewrites.
  std::string Fingerprint(const Settings& settings) const;

 private:
  /// Parse shoal.optimizer.disabled_rules into names, checking each is known.
  Result<std::vector<std::string>> DisabledRules(const Settings& settings) const;

  std::vector<Phase> phases_;
};

}  // namespace shoal::opt
