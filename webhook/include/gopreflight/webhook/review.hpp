#pragma once
/// `gopreflight-webhook review`: manifests in (files, directories, stdin; multi-document YAML, JSON,
/// List kinds), one decision per object from the same Engine as the server, rendered as text, JSON,
/// JUnit or SARIF 2.1.0. Reading, judging and rendering are separate pure steps.
#include <istream>
#include <map>
#include <set>
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

/// Line (1-based) of each field of an object, by field path as findings name them
/// ("spec.template.spec.containers[0].securityContext"), from the YAML marks.
using FieldLines = std::map<std::string, int, std::less<>>;

/// One object read from a manifest, with the line of its document (or List item).
struct ManifestObject {
  std::string file;
  int line = 0;
  nlohmann::json object;  ///< the document (or List item) as JSON: any value, judged by run()
  FieldLines field_lines;
};

struct Manifests {
  std::vector<ManifestObject> objects;
  std::vector<InputError> errors;  ///< files or documents that could not be read at all
};

/// Reads all objects of one YAML/JSON stream; `file` names it in positions. List kinds (kind ending
/// in "List" with items) are expanded, each item keeping its own line; empty documents are skipped.
Manifests read_text(std::string_view text, const std::string& file);
/// Reads every input: a file, a directory (recursively, *.yaml *.yml *.json in sorted order) or "-"
/// (read from `stdin_stream`). Stdin that holds no object is an input error (a container run
/// without -i, an empty pipe), never "0 objects, all allowed".
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
  FieldLines field_lines;
  /// The line of `path` (or of its nearest parent present in the manifest); `line` otherwise.
  int line_of(std::string_view path) const;
};

struct Report {
  std::string policy;  ///< policy source ("built-in" or the file)
  std::vector<ReviewedObject> objects;
  std::vector<InputError> input_errors;
  bool fail_on_warning = false;  ///< warnings count as failures in exit_code()
  /// 0 all allowed (or skipped); 1 any denied (or, with fail_on_warning, any warning); 2 any input
  /// or object could not be read.
  int exit_code() const;
};

/// How run() judges: the namespace of objects without one, and rules left out.
struct RunOptions {
  std::string default_namespace = "default";
  /// Rule ids ("podSecurity") or rule/check ids ("podSecurity/runAsNonRoot") whose findings are
  /// dropped; an object whose only violations are dropped is allowed.
  std::set<std::string, std::less<>> skip_rules;
  bool fail_on_warning = false;
};

/// The rule's documentation page, relative to the repository: "docs/policy/<rule>.md".
std::string rule_doc(std::string_view rule);
/// The same page as a URL (SARIF helpUri).
std::string rule_doc_url(std::string_view rule);

/// Whether kind/apiVersion name a Pod or a workload with a Pod template that the engine judges.
bool is_workload(std::string_view api_version, std::string_view kind);

/// Judges every object with `engine` (operation CREATE, namespace from metadata or
/// options.default_namespace), leaving out the findings of options.skip_rules.
Report run(const Engine& engine, const Manifests& manifests, const RunOptions& options = {});

std::string render_text(const Report& report);
nlohmann::json render_json(const Report& report);
std::string render_junit(const Report& report);
nlohmann::json render_sarif(const Report& report);

}  // namespace gopreflight::webhook::review
