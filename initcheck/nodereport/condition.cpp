// node-report's pure parts: results -> GoReady condition, and the apiserver bodies (see condition.hpp).
#include "nodereport/condition.hpp"

#include <cstdio>
#include <ctime>

#include "gopreflight/initcheck/report.hpp"

namespace gopreflight::initcheck::nodereport {

namespace {

using nlohmann::json;

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
char upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

/// Cuts `s` to at most `max` bytes without splitting a UTF-8 sequence.
std::string utf8_cut(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n));
}

std::string entry_text(const CheckResult& r) {
  if (r.status == Status::error) {
    return r.id + ": could not be read: " + (r.message.empty() ? std::string("no reason given") : r.message);
  }
  std::string e = r.id + ": observed " + (r.observed.empty() ? std::string("(nothing)") : r.observed);
  if (!r.expected.empty()) e += ", expected " + r.expected;
  return e;
}

/// head + entries joined by "; ", at most kMaxMessage bytes: whole entries while they fit with
/// room left to name the rest, then "; and N more (id, id)" ("; and N more" when even the ids
/// do not fit). Every failing check is named as long as the ids fit.
std::string join_capped(const std::string& head, const std::vector<const CheckResult*>& entries) {
  auto tail_from = [&](std::size_t k, bool with_ids) {
    if (k >= entries.size()) return std::string();
    std::string t = "; and " + std::to_string(entries.size() - k) + " more";
    if (!with_ids) return t;
    t += " (";
    for (std::size_t j = k; j < entries.size(); ++j) t += (j == k ? "" : ", ") + entries[j]->id;
    return t + ")";
  };
  std::string out = head;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const std::string sep = i == 0 ? ": " : "; ";
    const std::string e = entry_text(*entries[i]);
    const std::string rest_ids = tail_from(i + 1, true);
    const std::string rest_short = tail_from(i + 1, false);
    if (out.size() + sep.size() + e.size() + rest_ids.size() <= kMaxMessage ||
        (out.size() + sep.size() + e.size() + rest_short.size() <= kMaxMessage &&
         out.size() + tail_from(i, true).size() > kMaxMessage)) {
      out += sep + e;  // fits with the rest named (or naming the rest is impossible anyway)
      continue;
    }
    if (i == 0) {
      // Not even the first entry fits whole: show as much of it as there is room for.
      const std::size_t used = out.size() + sep.size() + rest_short.size() + 3;  // 3: "..."
      if (used + 40 <= kMaxMessage) return out + sep + utf8_cut(e, kMaxMessage - used) + "..." + rest_short;
    }
    std::string tail = tail_from(i, true);
    if (out.size() + tail.size() > kMaxMessage) tail = tail_from(i, false);
    return utf8_cut(out + tail, kMaxMessage);
  }
  return utf8_cut(out, kMaxMessage);
}

/// Readings may hold any bytes (a garbage sysctl file): invalid UTF-8 becomes U+FFFD instead of
/// an exception that would keep the condition from being written.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

const json* find_path(const json& j, std::initializer_list<const char*> path) {
  const json* cur = &j;
  for (const char* key : path) {
    if (!cur->is_object()) return nullptr;
    auto it = cur->find(key);
    if (it == cur->end()) return nullptr;
    cur = &*it;
  }
  return cur;
}

std::string string_at(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string camel_case(std::string_view id) {
  std::string out;
  bool up = true;
  for (char c : id) {
    if (c == '.' || c == '_' || c == '-') {
      up = true;
    } else if (is_alnum(c)) {
      if (out.empty() && !(upper(c) >= 'A' && upper(c) <= 'Z')) out += "Check";  // starts with a letter
      out += up ? upper(c) : c;
      up = false;
    }
  }
  return out.empty() ? std::string("Check") : out;
}

std::vector<std::string> node_wide_ids(const std::vector<CheckDef>& catalog) {
  std::vector<std::string> ids;
  for (const auto& d : catalog) {
    if (d.scope == "node") ids.push_back(d.id);
  }
  return ids;
}

NodeCondition build_condition(const std::vector<CheckResult>& results, bool strict,
                              const std::optional<NodeCondition>& previous,
                              std::chrono::system_clock::time_point now) {
  std::vector<const CheckResult*> failing, unreadable, warnings;
  std::size_t passing = 0;
  for (const auto& r : results) {
    if (counts_as_failure(r, strict) && r.status != Status::error) failing.push_back(&r);
    else if (r.status == Status::error) unreadable.push_back(&r);
    else if (r.status == Status::warn) warnings.push_back(&r);
    else if (r.status == Status::pass) ++passing;
  }
  NodeCondition c;
  const std::string total = plural(results.size(), "node-wide check", "node-wide checks");
  if (!failing.empty()) {
    c.status = "False";
    c.reason = camel_case(failing.front()->id);
    std::vector<const CheckResult*> listed = failing;
    listed.insert(listed.end(), unreadable.begin(), unreadable.end());
    c.message = join_capped(std::to_string(failing.size()) + " of " + total + " failed", listed);
  } else if (!unreadable.empty()) {
    c.status = "Unknown";
    c.reason = camel_case(unreadable.front()->id) + "Unreadable";
    c.message = join_capped(std::to_string(unreadable.size()) + " of " + total + " could not be read",
                            unreadable);
  } else {
    c.status = "True";
    c.reason = "NodeChecksPassed";
    std::string head = std::to_string(passing) + " of " + total + " passed";
    if (!warnings.empty()) head += ", " + plural(warnings.size(), "warning", "warnings");
    c.message = join_capped(head, warnings);
  }
  c.last_heartbeat_time = rfc3339(now);
  c.last_transition_time = previous && previous->status == c.status && !previous->last_transition_time.empty()
                               ? previous->last_transition_time
                               : c.last_heartbeat_time;
  return c;
}

bool differs(const NodeCondition& a, const NodeCondition& b) {
  return a.status != b.status || a.reason != b.reason || a.message != b.message;
}

Result<NodeView> parse_node(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return fail("Node object: the reply is not a JSON object");
  if (string_at(j, "kind") != "Node") {
    return fail("Node object: kind is \"" + string_at(j, "kind") + "\", expected \"Node\"");
  }
  NodeView v;
  const json* meta = find_path(j, {"metadata"});
  if (meta == nullptr || !meta->is_object()) return fail("Node object: no metadata");
  v.name = string_at(*meta, "name");
  v.uid = string_at(*meta, "uid");
  v.resource_version = string_at(*meta, "resourceVersion");
  if (v.name.empty()) return fail("Node object: metadata.name is missing");
  if (v.resource_version.empty()) return fail("Node object: metadata.resourceVersion is missing");
  if (const json* t = find_path(j, {"spec", "taints"})) {
    if (!t->is_array()) return fail("Node object: spec.taints is not a list");
    v.taints = *t;
  }
  if (const json* conds = find_path(j, {"status", "conditions"})) {
    if (!conds->is_array()) return fail("Node object: status.conditions is not a list");
    for (const auto& c : *conds) {
      if (!c.is_object() || string_at(c, "type") != kConditionType) continue;
      NodeCondition nc;
      nc.status = string_at(c, "status");
      nc.reason = string_at(c, "reason");
      nc.message = string_at(c, "message");
      nc.last_heartbeat_time = string_at(c, "lastHeartbeatTime");
      nc.last_transition_time = string_at(c, "lastTransitionTime");
      v.condition = nc;
    }
  }
  return v;
}

std::string status_patch_body(const NodeCondition& c) {
  json cond = {{"type", c.type},
               {"status", c.status},
               {"reason", c.reason},
               {"message", c.message},
               {"lastHeartbeatTime", c.last_heartbeat_time},
               {"lastTransitionTime", c.last_transition_time}};
  return dump(json{{"status", {{"conditions", json::array({cond})}}}});
}

bool has_taint(const json& taints) {
  if (!taints.is_array()) return false;
  for (const auto& t : taints) {
    if (t.is_object() && string_at(t, "key") == kTaintKey && string_at(t, "effect") == kTaintEffect) return true;
  }
  return false;
}

std::optional<std::string> taint_patch_body(const NodeView& node, bool want) {
  if (has_taint(node.taints) == want) return std::nullopt;
  json taints = json::array();
  for (const auto& t : node.taints) {
    const bool ours = t.is_object() && string_at(t, "key") == kTaintKey && string_at(t, "effect") == kTaintEffect;
    if (!ours) taints.push_back(t);
  }
  if (want) taints.push_back({{"key", kTaintKey}, {"effect", kTaintEffect}});
  return dump(json{{"metadata", {{"resourceVersion", node.resource_version}}}, {"spec", {{"taints", taints}}}});
}

std::string event_body(const NodeView& node, const NodeCondition& c, std::string_view previous_status,
                       std::chrono::system_clock::time_point now) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  char hex[32];
  std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(ns));
  const std::string ts = rfc3339(now);
  const std::string reason = c.status == "True" ? "GoReady" : c.status == "False" ? "GoNotReady" : "GoReadyUnknown";
  std::string msg = std::string(kConditionType) + " " +
                    (previous_status.empty() ? std::string("set to ") : std::string(previous_status) + " -> ") +
                    c.status + " (" + c.reason + "): " + c.message;
  json involved = {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node.name}};
  if (!node.uid.empty()) involved["uid"] = node.uid;
  return dump(json{{"apiVersion", "v1"},
              {"kind", "Event"},
              {"metadata", {{"name", node.name + ".gopreflight-" + hex}}},
              {"involvedObject", involved},
              {"reason", reason},
              {"message", utf8_cut(msg, kMaxMessage)},
              {"type", c.status == "True" ? "Normal" : "Warning"},
              {"source", {{"component", "gopreflight-node-report"}, {"host", node.name}}},
              {"firstTimestamp", ts},
              {"lastTimestamp", ts},
              {"count", 1},
              {"reportingComponent", "gopreflight.io/node-report"},
              {"reportingInstance", node.name}});
}

std::string api_status_message(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_discarded() && j.is_object() && string_at(j, "kind") == "Status") {
    std::string m = string_at(j, "message");
    if (!m.empty()) return m;
    if (auto r = string_at(j, "reason"); !r.empty()) return r;
  }
  std::string out;
  for (char ch : body.substr(0, 200)) out += (ch == '\n' || ch == '\r') ? ' ' : ch;
  return out.empty() ? std::string("(empty body)") : out;
}

}  // namespace gopreflight::initcheck::nodereport
