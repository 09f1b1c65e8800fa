// Prometheus text exposition (version 0.0.4) of the server's counters.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <sstream>

#include <openssl/crypto.h>

#include "event_loop.hpp"
#include "gopreflight/webhook/server.hpp"

namespace gopreflight::webhook::server {
namespace {

/// Label value escaping per the text format: backslash, double quote and newline.
std::string esc(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string fmt_double(double d, int digits = 6) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, d);
  return buf;
}

/// Appends `v` with a 4-byte length prefix: keys made of several label values stay unambiguous
/// whatever bytes the values hold.
void put(std::string& key, std::string_view v) {
  const auto n = static_cast<std::uint32_t>(v.size());
  key.append(reinterpret_cast<const char*>(&n), sizeof n);
  key.append(v);
}

/// The label values of a key made by put(), in order.
std::vector<std::string_view> values_of(std::string_view key) {
  std::vector<std::string_view> out;
  while (key.size() >= sizeof(std::uint32_t)) {
    std::uint32_t n = 0;
    std::memcpy(&n, key.data(), sizeof n);
    key.remove_prefix(sizeof n);
    out.push_back(key.substr(0, n));
    key.remove_prefix(std::min<std::size_t>(n, key.size()));
  }
  return out;
}

/// `name="value",...` for the label names and the values in `key`.
std::string labels(std::initializer_list<const char*> names, std::string_view key) {
  const auto values = values_of(key);
  std::string out;
  std::size_t i = 0;
  for (const char* name : names) {
    if (i) out += ",";
    out += name;
    out += "=\"";
    out += esc(i < values.size() ? values[i] : std::string_view());
    out += "\"";
    ++i;
  }
  return out;
}

}  // namespace

template <class V>
V& Metrics::slot(Table<V>& table, std::string_view key) {
  {
    std::shared_lock lock(mu_);
    auto it = table.find(key);
    if (it != table.end()) return *it->second;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = table.try_emplace(std::string(key));
  if (inserted) it->second = std::make_unique<V>();
  return *it->second;
}

void Metrics::observe_review(std::string_view endpoint, std::string_view operation,
                             std::string_view kind, std::string_view decision,
                             const std::vector<std::string>& rules, double seconds) {
  thread_local std::string key;  // keeps its capacity: no allocation per review
  key.clear();
  put(key, endpoint);
  put(key, operation);
  put(key, kind);
  put(key, decision);
  slot(reviews_, key).n.fetch_add(1, std::memory_order_relaxed);
  for (const auto& r : rules) {
    key.clear();
    put(key, endpoint);
    put(key, r);
    slot(rules_, key).n.fetch_add(1, std::memory_order_relaxed);
  }
  std::size_t bucket = kBuckets.size();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      bucket = i;
      break;
    }
  }
  key.clear();
  put(key, endpoint);
  auto& h = slot(latency_, key);
  h.buckets[bucket].fetch_add(1, std::memory_order_relaxed);
  const double ns = seconds > 0 ? seconds * 1e9 : 0.0;
  h.sum_ns.fetch_add(ns < 1.8e19 ? static_cast<unsigned long long>(ns) : 0, std::memory_order_relaxed);
}

void Metrics::observe_http(int status) {
  const std::size_t i = status >= 100 && status < 600 ? static_cast<std::size_t>(status) : 0;
  http_[i].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::policy_reload(bool ok) { ++(ok ? policy_ok_ : policy_fail_); }
void Metrics::certificate_reload(bool ok) { ++(ok ? cert_ok_ : cert_fail_); }
void Metrics::set_certificate(const CertInfo& info) { cert_not_after_.store(info.not_after); }

std::string Metrics::render() const {
  std::ostringstream o;
  o << "# HELP gopreflight_webhook_reviews_total Admission reviews answered, by endpoint, operation, kind and decision.\n"
       "# TYPE gopreflight_webhook_reviews_total counter\n";
  std::shared_lock lock(mu_);
  for (const auto& [k, v] : reviews_) {
    o << "gopreflight_webhook_reviews_total{" << labels({"endpoint", "operation", "kind", "decision"}, k)
      << "} " << v->n.load() << "\n";
  }
  o << "# HELP gopreflight_webhook_rule_hits_total Reviews in which a rule produced a violation, warning or patch.\n"
       "# TYPE gopreflight_webhook_rule_hits_total counter\n";
  for (const auto& [k, v] : rules_) {
    o << "gopreflight_webhook_rule_hits_total{" << labels({"endpoint", "rule"}, k) << "} " << v->n.load() << "\n";
  }
  o << "# HELP gopreflight_webhook_review_duration_seconds Time from request read to response ready.\n"
       "# TYPE gopreflight_webhook_review_duration_seconds histogram\n";
  for (const auto& [k, h] : latency_) {
    const std::string ep = labels({"endpoint"}, k);
    // Buckets are read one by one while reviews go on: counts can be a few apart, never negative.
    unsigned long long cum = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cum += h->buckets[i].load();
      o << "gopreflight_webhook_review_duration_seconds_bucket{" << ep << ",le=\"" << fmt_double(kBuckets[i])
        << "\"} " << cum << "\n";
    }
    cum += h->buckets[kBuckets.size()].load();
    o << "gopreflight_webhook_review_duration_seconds_bucket{" << ep << ",le=\"+Inf\"} " << cum << "\n";
    o << "gopreflight_webhook_review_duration_seconds_sum{" << ep << "} "
      << fmt_double(static_cast<double>(h->sum_ns.load()) / 1e9, 12) << "\n";
    o << "gopreflight_webhook_review_duration_seconds_count{" << ep << "} " << cum << "\n";
  }
  lock.unlock();
  o << "# HELP gopreflight_webhook_http_responses_total HTTP responses by status code (all paths).\n"
       "# TYPE gopreflight_webhook_http_responses_total counter\n";
  for (std::size_t code = 0; code < http_.size(); ++code) {
    const unsigned long long v = http_[code].load();
    if (v == 0) continue;
    o << "gopreflight_webhook_http_responses_total{code=\"";
    if (code == 0) o << "other";
    else o << code;
    o << "\"} " << v << "\n";
  }
  o << "# HELP gopreflight_webhook_policy_reloads_total Policy file reloads by result.\n"
       "# TYPE gopreflight_webhook_policy_reloads_total counter\n"
    << "gopreflight_webhook_policy_reloads_total{result=\"success\"} " << policy_ok_.load() << "\n"
    << "gopreflight_webhook_policy_reloads_total{result=\"failure\"} " << policy_fail_.load() << "\n"
    << "# HELP gopreflight_webhook_certificate_reloads_total Serving certificate reloads by result.\n"
       "# TYPE gopreflight_webhook_certificate_reloads_total counter\n"
    << "gopreflight_webhook_certificate_reloads_total{result=\"success\"} " << cert_ok_.load() << "\n"
    << "gopreflight_webhook_certificate_reloads_total{result=\"failure\"} " << cert_fail_.load() << "\n"
    << "# HELP gopreflight_webhook_certificate_not_after_seconds notAfter of the certificate in use, unix time.\n"
       "# TYPE gopreflight_webhook_certificate_not_after_seconds gauge\n"
    << "gopreflight_webhook_certificate_not_after_seconds " << cert_not_after_.load() << "\n"
    << "# HELP gopreflight_webhook_in_flight_requests Admission reviews being evaluated now.\n"
       "# TYPE gopreflight_webhook_in_flight_requests gauge\n"
    << "gopreflight_webhook_in_flight_requests " << in_flight_.load() << "\n"
    << "# HELP gopreflight_webhook_connections_active Open connections being served (idle keep-alive included).\n"
       "# TYPE gopreflight_webhook_connections_active gauge\n"
    << "gopreflight_webhook_connections_active " << conn_active_.load() << "\n"
    << "# HELP gopreflight_webhook_connections_queued Accepted connections waiting for a slot (over --max-connections).\n"
       "# TYPE gopreflight_webhook_connections_queued gauge\n"
    << "gopreflight_webhook_connections_queued " << conn_queued_.load() << "\n"
    << "# HELP gopreflight_webhook_connections_closed_total Connections the server ended itself, by reason "
       "(deadlines, queue, refused requests).\n"
       "# TYPE gopreflight_webhook_connections_closed_total counter\n";
  static_assert(static_cast<std::size_t>(CloseReason::kCount) <= std::tuple_size_v<decltype(closed_)>);
  for (int r = 0; r < static_cast<int>(CloseReason::kCount); ++r) {
    o << "gopreflight_webhook_connections_closed_total{reason=\"" << close_reason_name(static_cast<CloseReason>(r))
      << "\"} " << closed_[static_cast<std::size_t>(r)].load() << "\n";
  }
  o << "# HELP gopreflight_build_info The running build: version and the OpenSSL it uses.\n"
       "# TYPE gopreflight_build_info gauge\n"
    << "gopreflight_build_info{version=\"" << esc(GOPREFLIGHT_VERSION) << "\",openssl=\""
    << esc(OpenSSL_version(OPENSSL_VERSION)) << "\"} 1\n"
    << "# HELP gopreflight_webhook_ready 1 when a policy is loaded and a valid certificate is in use.\n"
       "# TYPE gopreflight_webhook_ready gauge\n"
    << "gopreflight_webhook_ready " << (ready_.load() ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace gopreflight::webhook::server
