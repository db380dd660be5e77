// Internal: SQL LIKE pattern matching and translation to Arrow's match_like.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "shoal/common/status.h"

namespace shoal::function_internal {

/// Rewrite a SQL LIKE pattern whose escape character is `escape` ("" = no
/// escape character) into Arrow's match_like syntax (backslash escapes).
/// Errors when the pattern ends with the escape character or `escape` is longer
/// than one character.
Result<std::string> TranslateLikePattern(std::string_view pattern, std::string_view escape);

/// Match `s` against a SQL LIKE pattern (`%` any sequence, `_` one character,
/// `escape` quotes the next character). `ignore_case` folds ASCII letters only.
Result<bool> LikeMatch(std::string_view s, std::string_view pattern, std::string_view escape,
                       bool ignore_case);

/// Split a LIKE pattern without `_` wildcards at its `%` wildcards: the literal
/// text before the first `%`, between each pair, and after the last (escapes
/// resolved; consecutive `%` count once). "PROMO%" -> {"PROMO", ""};
/// "%special%requests%" -> {"", "special", "requests", ""}; "abc" -> {"abc"}.
/// Returns nullopt when the pattern has a `_` wildcard.
Result<std::optional<std::vector<std::string>>> SplitLikePattern(std::string_view pattern,
                                                                 std::string_view escape);

}  // namespace shoal::function_internal
