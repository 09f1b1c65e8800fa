// Manifest reading for `review`: files, directories and stdin -> JSON objects with their lines.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "gopreflight/webhook/review.hpp"
#include "gopreflight/webhook/yaml_input.hpp"

namespace gopreflight::webhook::review {
namespace {

namespace fs = std::filesystem;

const yaml_input::Limits& limits() {
  static const yaml_input::Limits l;
  return l;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// A List (kind "List", "PodList", ...) whose items are objects of their own.
bool is_list(const YAML::Node& n) {
  if (!n.IsMap()) return false;
  const YAML::Node kind = n["kind"];
  const YAML::Node items = n["items"];
  // A missing key yields an invalid node whose Is*() throws: test IsDefined() first.
  return kind.IsDefined() && kind.IsScalar() && ends_with(kind.Scalar(), "List") && items.IsDefined();
}

// Field path -> line of every mapping key and sequence item under `node`, in the path syntax of
// findings ("spec.containers[0].env"). Bounded by the same depth limit as the conversion.
void collect_lines(const YAML::Node& node, const std::string& path, FieldLines& lines, int depth) {
  if (depth > limits().max_depth) return;
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (!it->first.IsScalar() || it->first.Scalar() == "<<") continue;
      const std::string child = path.empty() ? it->first.Scalar() : path + "." + it->first.Scalar();
      const int line = yaml_input::position(it->first).first;
      if (line > 0) lines.emplace(child, line);
      collect_lines(it->second, child, lines, depth + 1);
    }
  } else if (node.IsSequence()) {
    std::size_t i = 0;
    for (auto it = node.begin(); it != node.end(); ++it, ++i) {
      const std::string child = path + "[" + std::to_string(i) + "]";
      const int line = yaml_input::position(*it).first;
      if (line > 0) lines.emplace(child, line);
      collect_lines(*it, child, lines, depth + 1);
    }
  }
}

void read_node(const YAML::Node& node, const std::string& file, Manifests& out, int list_depth) {
  const auto [line, col] = yaml_input::position(node);
  if (list_depth < 2 && is_list(node)) {
    const YAML::Node items = node["items"];
    if (items.IsNull()) return;
    if (!items.IsSequence()) {
      const auto [il, ic] = yaml_input::position(items);
      out.errors.push_back({file, il, ic, "items of a " + node["kind"].Scalar() + " must be a list"});
      return;
    }
    for (const auto& item : items) read_node(item, file, out, list_depth + 1);
    return;
  }
  auto converted = yaml_input::to_json(node, limits());
  if (converted.error) {
    out.errors.push_back({file, converted.error->line, converted.error->col, converted.error->message});
    return;
  }
  FieldLines lines;
  collect_lines(node, "", lines, 0);
  out.objects.push_back({file, line, std::move(converted.value), std::move(lines)});
}

// Reads a whole stream, refusing more than the byte limit.
bool slurp(std::istream& in, std::string& text, const std::string& file, Manifests& out) {
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<std::size_t>(in.gcount()));
    if (text.size() > limits().max_bytes) {
      out.errors.push_back({file, 0, 0, "larger than " + std::to_string(limits().max_bytes >> 20) +
                                            " MiB; split it or review the workloads only"});
      return false;
    }
  }
  if (in.bad()) {
    out.errors.push_back({file, 0, 0, "read error"});
    return false;
  }
  return true;
}

void append(Manifests& to, Manifests&& from) {
  for (auto& o : from.objects) to.objects.push_back(std::move(o));
  for (auto& e : from.errors) to.errors.push_back(std::move(e));
}

void read_file(const std::string& path, Manifests& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    out.errors.push_back({path, 0, 0, "cannot open"});
    return;
  }
  std::string text;
  if (!slurp(in, text, path, out)) return;
  append(out, read_text(text, path));
}

}  // namespace

std::string InputError::str() const {
  std::string s = file;
  if (line > 0) {
    s += ":" + std::to_string(line);
    if (col > 0) s += ":" + std::to_string(col);
  }
  return s + ": " + message;
}

Manifests read_text(std::string_view text, const std::string& file) {
  Manifests out;
  auto docs = yaml_input::load_all(text, limits());
  if (docs.error) {
    out.errors.push_back({file, docs.error->line, docs.error->col, docs.error->message});
    return out;
  }
  for (const auto& doc : docs.docs) {
    if (!doc.IsDefined() || doc.IsNull()) continue;  // empty documents, as kubectl skips them
    read_node(doc, file, out, 0);
  }
  return out;
}

Manifests read_inputs(const std::vector<std::string>& inputs, std::istream& stdin_stream) {
  Manifests out;
  bool stdin_used = false;
  for (const auto& input : inputs) {
    if (input == "-") {
      if (stdin_used) {
        out.errors.push_back({"<stdin>", 0, 0, "- given more than once"});
        continue;
      }
      stdin_used = true;
      std::string text;
      if (!slurp(stdin_stream, text, "<stdin>", out)) continue;
      Manifests got = read_text(text, "<stdin>");
      // Nothing on stdin is a mistake (a container run without -i, a pipe from a failed command),
      // never a pass.
      if (got.objects.empty() && got.errors.empty())
        out.errors.push_back({"<stdin>", 0, 0,
                              text.empty() ? "no input on stdin (with docker or kubectl run, pass -i)"
                                           : "no objects on stdin (only empty documents or comments)"});
      append(out, std::move(got));
      continue;
    }
    std::error_code ec;
    const auto st = fs::status(input, ec);
    if (ec || !fs::exists(st)) {
      out.errors.push_back({input, 0, 0, "no such file or directory"});
      continue;
    }
    if (fs::is_directory(st)) {
      std::vector<std::string> files;
      fs::recursive_directory_iterator it(input, fs::directory_options::skip_permission_denied, ec), end;
      for (; !ec && it != end; it.increment(ec)) {
        const auto& p = it->path();
        const auto ext = p.extension().string();
        std::error_code fec;
        if ((ext == ".yaml" || ext == ".yml" || ext == ".json") && it->is_regular_file(fec)) files.push_back(p.string());
      }
      if (ec) out.errors.push_back({input, 0, 0, "cannot list directory: " + ec.message()});
      std::sort(files.begin(), files.end());
      if (files.empty() && !ec) out.errors.push_back({input, 0, 0, "no *.yaml, *.yml or *.json files in this directory"});
      for (const auto& f : files) read_file(f, out);
      continue;
    }
    if (!fs::is_regular_file(st)) {
      out.errors.push_back({input, 0, 0, "not a regular file or directory"});
      continue;
    }
    read_file(input, out);
  }
  return out;
}

}  // namespace gopreflight::webhook::review
