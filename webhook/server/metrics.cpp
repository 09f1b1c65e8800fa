// Prometheus text exposition (version 0.0.4) of the server's counters.
#include <cstdio>
#include <sstream>

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

}  // namespace

void Metrics::observe_review(std::string_view endpoint, std::string_view operation,
                             std::string_view kind, std::string_view decision,
                             const std::vector<std::string>& rules, double seconds) {
  std::string key = "endpoint=\"" + esc(endpoint) + "\",operation=\"" + esc(operation) +
                    "\",kind=\"" + esc(kind) + "\",decision=\"" + esc(decision) + "\"";
  std::size_t bucket = kBuckets.size();
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) {
      bucket = i;
      break;
    }
  }
  std::lock_guard lock(mu_);
  ++reviews_[key];
  for (const auto& r : rules) ++rules_["endpoint=\"" + esc(endpoint) + "\",rule=\"" + esc(r) + "\""];
  auto& h = latency_[std::string(endpoint)];
  ++h[bucket];
  latency_sum_[std::string(endpoint)] += seconds;
}

void Metrics::observe_http(int status) {
  std::lock_guard lock(mu_);
  ++http_[status];
}

void Metrics::policy_reload(bool ok) { ++(ok ? policy_ok_ : policy_fail_); }
void Metrics::certificate_reload(bool ok) { ++(ok ? cert_ok_ : cert_fail_); }
void Metrics::set_certificate(const CertInfo& info) { cert_not_after_.store(info.not_after); }

std::string Metrics::render() const {
  std::ostringstream o;
  o << "# HELP gopreflight_webhook_reviews_total Admission reviews answered, by endpoint, operation, kind and decision.\n"
       "# TYPE gopreflight_webhook_reviews_total counter\n";
  std::lock_guard lock(mu_);
  for (const auto& [k, v] : reviews_) o << "gopreflight_webhook_reviews_total{" << k << "} " << v << "\n";
  o << "# HELP gopreflight_webhook_rule_hits_total Reviews in which a rule produced a violation, warning or patch.\n"
       "# TYPE gopreflight_webhook_rule_hits_total counter\n";
  for (const auto& [k, v] : rules_) o << "gopreflight_webhook_rule_hits_total{" << k << "} " << v << "\n";
  o << "# HELP gopreflight_webhook_review_duration_seconds Time from request read to response ready.\n"
       "# TYPE gopreflight_webhook_review_duration_seconds histogram\n";
  for (const auto& [ep, h] : latency_) {
    unsigned long long cum = 0;
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      cum += h[i];
      o << "gopreflight_webhook_review_duration_seconds_bucket{endpoint=\"" << esc(ep) << "\",le=\""
        << fmt_double(kBuckets[i]) << "\"} " << cum << "\n";
    }
    cum += h[kBuckets.size()];
    o << "gopreflight_webhook_review_duration_seconds_bucket{endpoint=\"" << esc(ep)
      << "\",le=\"+Inf\"} " << cum << "\n";
    o << "gopreflight_webhook_review_duration_seconds_sum{endpoint=\"" << esc(ep) << "\"} "
      << fmt_double(latency_sum_.at(ep), 12) << "\n";
    o << "gopreflight_webhook_review_duration_seconds_count{endpoint=\"" << esc(ep) << "\"} " << cum << "\n";
  }
  o << "# HELP gopreflight_webhook_http_responses_total HTTP responses by status code (all paths).\n"
       "# TYPE gopreflight_webhook_http_responses_total counter\n";
  for (const auto& [code, v] : http_) o << "gopreflight_webhook_http_responses_total{code=\"" << code << "\"} " << v << "\n";
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
    << "# HELP gopreflight_webhook_connections_active Connections held by a worker thread (idle keep-alive included).\n"
       "# TYPE gopreflight_webhook_connections_active gauge\n"
    << "gopreflight_webhook_connections_active " << conn_active_.load() << "\n"
    << "# HELP gopreflight_webhook_connections_queued Accepted connections waiting for a free worker thread.\n"
       "# TYPE gopreflight_webhook_connections_queued gauge\n"
    << "gopreflight_webhook_connections_queued " << conn_queued_.load() << "\n"
    << "# HELP gopreflight_webhook_ready 1 when a policy is loaded and a valid certificate is in use.\n"
       "# TYPE gopreflight_webhook_ready gauge\n"
    << "gopreflight_webhook_ready " << (ready_.load() ? 1 : 0) << "\n";
  return o.str();
}

}  // namespace gopreflight::webhook::server
