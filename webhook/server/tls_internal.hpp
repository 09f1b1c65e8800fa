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

/// The CA certificates client certificates are verified against (--client-ca-file), and the
/// names sent in the CertificateRequest.
struct ClientCa {
  X509_STORE* store = nullptr;
  STACK_OF(X509_NAME)* names = nullptr;
  ClientCa() = default;
  ClientCa(const ClientCa&) = delete;
  ClientCa& operator=(const ClientCa&) = delete;
  ~ClientCa();
};

/// Reads a PEM bundle of CA certificates; null with `error` naming the file when it holds none
/// or cannot be read.
std::shared_ptr<const ClientCa> load_client_ca(const std::string& path, std::string& error);

/// The certificate served to new handshakes and the client CA they verify against; each swapped
/// atomically on reload so handshakes in progress keep what they started with (SSL_use_* and
/// SSL_set1_verify_cert_store take their own references).
class CertStore {
 public:
  std::shared_ptr<const CertPair> current() const { return pair_.load(); }
  void set(std::shared_ptr<const CertPair> p) { pair_.store(std::move(p)); }
  std::shared_ptr<const ClientCa> client_ca() const { return ca_.load(); }
  void set_client_ca(std::shared_ptr<const ClientCa> ca) { ca_.store(std::move(ca)); }

 private:
  std::atomic<std::shared_ptr<const CertPair>> pair_;
  std::atomic<std::shared_ptr<const ClientCa>> ca_;
};

/// TLS 1.2/1.3 only, ECDHE + AEAD ciphers, ALPN http/1.1, the certificate from `store` per
/// handshake, and (with a CA file) required client certificates. False with `error` on failure.
bool configure_ssl_ctx(SSL_CTX& ctx, CertStore& store, const std::optional<std::string>& client_ca,
                       std::string& error);

}  // namespace gopreflight::webhook::server
