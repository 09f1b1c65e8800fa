#pragma once
// OpenSSL details shared by the server files: the owned certificate objects and the SSL_CTX setup.
#include <atomic>
#include <memory>
#include <optional>
#include <string>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "gopreflight/webhook/server.hpp"

namespace gopreflight::webhook::server {

struct CertPair::Impl {
  X509* cert = nullptr;
  EVP_PKEY* key = nullptr;
  STACK_OF(X509)* chain = nullptr;  ///< intermediates after the leaf (may be empty)
  ~Impl();
};

/// The certificate served to new handshakes; swapped atomically on reload so handshakes in
/// progress keep the pair they started with (SSL_use_* takes its own references).
class CertStore {
 public:
  std::shared_ptr<const CertPair> current() const { return pair_.load(); }
  void set(std::shared_ptr<const CertPair> p) { pair_.store(std::move(p)); }

 private:
  std::atomic<std::shared_ptr<const CertPair>> pair_;
};

/// TLS 1.2/1.3 only, ECDHE + AEAD ciphers, ALPN http/1.1, the certificate from `store` per
/// handshake, and (with a CA file) required client certificates. False with `error` on failure.
bool configure_ssl_ctx(SSL_CTX& ctx, CertStore& store, const std::optional<std::string>& client_ca,
                       std::string& error);

}  // namespace gopreflight::webhook::server
