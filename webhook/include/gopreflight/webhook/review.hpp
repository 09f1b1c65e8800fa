#pragma once
/// `gopreflight-webhook review`: manifests in (files, directories, stdin; multi-document YAML, JSON,
/// List kinds), one decision per object from the same Engine as the server, rendered as text, JSON,
/// JUnit or SARIF 2.1.0. Reading, judging and rendering are separate pure steps.
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "gopreflight/webhook/engine.hpp"

namespace gopreflight::webhook::review {

/// An input problem: the file (or "-" for stdin) and a 1-based position when known (0 otherwise).
struct InputError {
  std::string file;
  int line = 0;
  int col = 0;
  std::string message;
  std::string str() const;  ///< "file:line:col: message"
};

/// One object read from a manifest, with the line of its document (or List item).
struct ManifestObject {
  std::string file;
  int line = 0;
  nlohmann::json object;  ///< the document (or List item) as JSON: any value, judged by run()
};

struct Manifests {
  std::vector<ManifestObject> objects;
  std::vector<InputError> errors;  ///< files or documents that could not be read at all
};

/// Reads all objects of one YAML/JSON stream; `file` names it in positions. List kinds (kind ending
/// in "List" with items) are expanded, each item keeping its own line; empty documents are skipped.
Manifests read_text(std::string_view text, const std::string& file);
/// Reads every input: a file, a directory (recursively, *.yaml *.yml *.json in sorted order) or "-"
/// (read from `stdin_stream`).
Manifests read_inputs(const std::vector<std::string>& inputs, std::istream& stdin_stream);

enum class Status { allowed, denied, skipped, error };
std::string_view to_string(Status s);

/// The verdict on one object.
struct ReviewedObject {
  std::string file;
  int line = 0;
  std::string api_version, kind, name, ns;
  Status status = Status::error;
  std::string reason;       ///< why skipped, or why it could not be read
  ObjectDecision decision;  ///< set when evaluated (allowed or denied)
};

struct Report {
  std::string policy;  ///< policy source ("built-in" or the file)
  std::vector<ReviewedObject> objects;
  std::vector<InputError> input_errors;
  /// 0 all allowed (or skipped); 1 any denied; 2 any input or object could not be read.
  int exit_code() const;
};

/// Whether kind/apiVersion name a Pod or a workload with a Pod template that the engine judges.
bool is_workload(std::string_view api_version, std::string_view kind);

/// Judges every object with `engine` (operation CREATE, namespace from metadata or "default").
Report run(const Engine& engine, const Manifests& manifests);

std::string render_text(const Report& report);
nlohmann::json render_json(const Report& report);
std::string render_junit(const Report& report);
nlohmann::json render_sarif(const Report& report);

}  // namespace gopreflight::webhook::review
