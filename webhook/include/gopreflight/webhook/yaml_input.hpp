#pragma once
/// Safe reading of YAML (and JSON, which is YAML) text from untrusted files: size, nesting, node
/// count and UTF-8 are checked before and during parsing, and scalars resolve the way kubectl's
/// YAML reader resolves them. Used by the policy loader and `review`. Never throws.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace gopreflight::webhook::yaml_input {

/// Bounds on what we accept; the defaults suit manifests (kube-apiserver caps objects near 3 MB).
struct Limits {
  std::size_t max_bytes = 16u << 20;     ///< per file / stdin
  std::size_t max_nodes = 250'000;       ///< estimated before parsing, counted while converting
  int max_depth = 400;                   ///< below yaml-cpp's own recursion guard (500)
};

/// A problem with the text, 1-based position (0 when it concerns the whole text).
struct TextError {
  int line = 0;
  int col = 0;
  std::string message;
};

/// Checks UTF-8, control characters, size and a cheap over-estimate of the node count, before
/// yaml-cpp spends memory on the text (it needs ~1.5 KB per flow element).
std::optional<TextError> precheck(std::string_view text, const Limits& limits);

/// All documents of a YAML stream, each a root node (null for empty documents).
struct Documents {
  std::vector<YAML::Node> docs;
  std::optional<TextError> error;
};
/// precheck + YAML::LoadAll, with yaml-cpp's exceptions turned into positioned errors.
Documents load_all(std::string_view text, const Limits& limits);

/// Resolves a scalar as kubectl's YAML reader (YAML 1.1 core types) does: quoted or !!str = string;
/// plain null/~/empty = null; true/false/yes/no/on/off (any case variant kubectl knows) = bool;
/// decimal, 0x, 0o, 0b and leading-0 octal integers; floats; everything else a string.
nlohmann::json resolve_scalar(const YAML::Node& scalar);

/// The result of converting a node to JSON.
struct Converted {
  nlohmann::json value;
  std::optional<TextError> error;
};
/// Converts a node tree to JSON: keys must be scalars and unique, `<<` merge keys are applied,
/// depth and node count are bounded (alias cycles and alias bombs stop with an error).
Converted to_json(const YAML::Node& node, const Limits& limits);

/// 1-based line and column of a node (yaml-cpp marks are 0-based; -1 when unknown).
std::pair<int, int> position(const YAML::Node& node);

/// "the JSON type" of a value for messages: "a string", "an integer", "a mapping", ...
std::string describe(const nlohmann::json& v);

}  // namespace gopreflight::webhook::yaml_input
