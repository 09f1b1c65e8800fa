#pragma once
/// Parsing of the transparent huge page mode files under <sysfs>/kernel/mm/transparent_hugepage/.
#include <string>
#include <string_view>
#include <vector>

#include "gopreflight/initcheck/result.hpp"

namespace gopreflight::initcheck::checks {

/// "always [madvise] never": the bracketed word is the active mode.
struct ThpMode {
  std::string selected;              ///< e.g. "madvise"
  std::vector<std::string> choices;  ///< every word offered, brackets removed
};

/// Parses a THP mode file (enabled, defrag, shmem_enabled). Exactly one word must be bracketed;
/// words are lower-case letters and '+'. Errors name what was wrong.
Result<ThpMode> parse_thp_mode(std::string_view text);

}  // namespace gopreflight::initcheck::checks
