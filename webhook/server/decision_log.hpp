#pragma once
// The JSON log line written for every admission decision, built by hand: building an
// nlohmann::json object of twelve fields and dumping it cost more per review than the TLS record.
#include <string>
#include <string_view>
#include <vector>

namespace gopreflight::webhook::server {

/// What one decision line says (issue 4: uid, kind, namespace, name, user, operation, decision,
/// rules hit, latency; plus the endpoint, the client address and, for a rejected review, why).
struct DecisionFields {
  std::string_view endpoint, uid, kind, ns, name, user, operation, decision, remote, error;
  const std::vector<std::string>* rules = nullptr;
  double latency_ms = 0;
};

/// `s` as a JSON string literal: quotes, backslashes and control characters escaped, invalid
/// UTF-8 replaced by U+FFFD (a log line must stay parseable whatever the review carried).
void append_json_string(std::string& out, std::string_view s);

/// `"msg":<msg>,"decision":..,"endpoint":..[,"error":..],"kind":..,"latency_ms":..,"name":..,
/// "namespace":..,"operation":..,"remote":..,"rules":[..],"uid":..,"user":..` (keys sorted, the
/// order the nlohmann-built line had); the logger's pattern wraps it in {"ts":..,"level":..,...}.
std::string decision_line(std::string_view msg, const DecisionFields& f);

}  // namespace gopreflight::webhook::server
