// TLS for the server: loading and checking certificate pairs, the SSL_CTX policy (versions,
// ciphers, per-handshake certificate for reload without restart) and throwaway dev certificates.
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "gopreflight/webhook/mutate.hpp"
#include "tls_internal.hpp"

namespace gopreflight::webhook::server {
namespace {

std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

std::time_t asn1_to_time(const ASN1_TIME* t) {
  struct tm tm {};
  if (ASN1_TIME_to_tm(t, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string subject_of(X509* cert) {
  char buf[512];
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

int cert_cb(SSL* ssl, void* arg) {
  auto* store = static_cast<CertStore*>(arg);
  const auto pair = store->current();
  if (!pair) return 0;
  const auto& impl = pair->impl();
  if (SSL_use_certificate(ssl, impl.cert) != 1 || SSL_use_PrivateKey(ssl, impl.key) != 1) return 0;
  if (SSL_set1_chain(ssl, impl.chain) != 1) return 0;
  // The client CA in force now: the handshake verifies the client's chain against it later, and
  // its names go into this handshake's CertificateRequest.
  if (const auto ca = store->client_ca()) {
    if (SSL_set1_verify_cert_store(ssl, ca->store) != 1) return 0;
    STACK_OF(X509_NAME)* names = SSL_dup_CA_list(ca->names);
    if (names == nullptr) return 0;
    SSL_set_client_CA_list(ssl, names);  // takes ownership
  }
  return 1;
}

int alpn_cb(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
            unsigned int inlen, void*) {
  // Only HTTP/1.1: the apiserver forces it for webhooks, and clients offering h2 fall back.
  static const unsigned char http11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, outlen, http11, sizeof http11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;  // no common protocol: carry on without ALPN
}

bool write_file(const std::string& path, const std::string& data, std::filesystem::perms perms) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return false;
  f << data;
  f.close();
  std::error_code ec;
  std::filesystem::permissions(path, perms, ec);
  return f.good() && !ec;
}

std::string pem_of_cert(X509* cert) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(b, cert);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

std::string pem_of_key(EVP_PKEY* key) {
  BIO* b = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(b, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  std::string out(data, static_cast<std::size_t>(n));
  BIO_free(b);
  return out;
}

bool add_ext(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

X509* new_cert(EVP_PKEY* key, const char* cn, long serial, X509* issuer, EVP_PKEY* issuer_key,
               const std::string& san, bool ca) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -300);
  X509_gmtime_adj(X509_getm_notAfter(cert), 7L * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn),
                             -1, -1, 0);
  X509* iss = issuer ? issuer : cert;
  X509_set_issuer_name(cert, X509_get_subject_name(iss));
  bool ok = true;
  if (ca) {
    ok = ok && add_ext(cert, iss, NID_basic_constraints, "critical,CA:TRUE");
    ok = ok && add_ext(cert, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    ok = ok && add_ext(cert, iss, NID_basic_constraints, "critical,CA:FALSE");
    ok = ok && add_ext(cert, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    ok = ok && add_ext(cert, iss, NID_ext_key_usage, "serverAuth");
    ok = ok && add_ext(cert, iss, NID_subject_alt_name, san.c_str());
  }
  ok = ok && add_ext(cert, iss, NID_subject_key_identifier, "hash");
  if (!ok || X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()) == 0) {
    X509_free(cert);
    return nullptr;
  }
  return cert;
}

}  // namespace

CertPair::Impl::~Impl() {
  if (cert) X509_free(cert);
  if (key) EVP_PKEY_free(key);
  if (chain) sk_X509_pop_free(chain, X509_free);
}

CertPair::CertPair(std::unique_ptr<Impl> impl, CertInfo info)
    : impl_(std::move(impl)), info_(std::move(info)) {}
CertPair::~CertPair() = default;

std::shared_ptr<const CertPair> load_cert_pair(const std::string& cert_file,
                                               const std::string& key_file, std::time_t now,
                                               std::string& error) {
  ERR_clear_error();
  auto impl = std::make_unique<CertPair::Impl>();
  BIO* cb = BIO_new_file(cert_file.c_str(), "r");
  if (!cb) {
    error = cert_file + ": cannot open certificate file: " + std::strerror(errno);
    return nullptr;
  }
  impl->cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  if (!impl->cert) {
    BIO_free(cb);
    error = cert_file + ": no PEM certificate found (" + openssl_error() + ")";
    return nullptr;
  }
  impl->chain = sk_X509_new_null();
  while (X509* extra = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr)) sk_X509_push(impl->chain, extra);
  ERR_clear_error();  // the loop ends on "no start line", which is not an error
  BIO_free(cb);

  BIO* kb = BIO_new_file(key_file.c_str(), "r");
  if (!kb) {
    error = key_file + ": cannot open private key file: " + std::strerror(errno);
    return nullptr;
  }
  impl->key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  BIO_free(kb);
  if (!impl->key) {
    error = key_file + ": no PEM private key found (" + openssl_error() + ")";
    return nullptr;
  }
  if (X509_check_private_key(impl->cert, impl->key) != 1) {
    ERR_clear_error();
    error = key_file + ": private key does not match the certificate in " + cert_file;
    return nullptr;
  }
  CertInfo info;
  info.subject = subject_of(impl->cert);
  info.not_before = asn1_to_time(X509_get0_notBefore(impl->cert));
  info.not_after = asn1_to_time(X509_get0_notAfter(impl->cert));
  if (info.not_after <= now) {
    error = cert_file + ": certificate " + info.subject + " expired (notAfter " +
            std::to_string(info.not_after) + ")";
    return nullptr;
  }
  if (info.not_before > now) {
    error = cert_file + ": certificate " + info.subject + " is not valid yet (notBefore " +
            std::to_string(info.not_before) + ")";
    return nullptr;
  }
  return std::make_shared<const CertPair>(std::move(impl), std::move(info));
}

bool configure_ssl_ctx(SSL_CTX& ctx, CertStore& store, const std::optional<std::string>& client_ca,
                       std::string& error) {
  SSL_CTX* c = &ctx;
  if (SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION) != 1) {
    error = "TLS: cannot restrict protocol versions to 1.2-1.3: " + openssl_error();
    return false;
  }
  SSL_CTX_set_options(c, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION |
                             SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_ECDH_USE);
  const char* tls12 =
      "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
      "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
  const char* tls13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
  if (SSL_CTX_set_cipher_list(c, tls12) != 1 || SSL_CTX_set_ciphersuites(c, tls13) != 1) {
    error = "TLS: cannot set cipher suites: " + openssl_error();
    return false;
  }
  // Read ahead: one read() per TLS record instead of two (5-byte header, then the rest), and
  // several records per read() when they are queued. Buffers are kept between requests
  // (no SSL_MODE_RELEASE_BUFFERS: it would free and allocate 2 x 16 KiB on every keep-alive request).
  SSL_CTX_set_read_ahead(c, 1);
  SSL_CTX_set_cert_cb(c, cert_cb, &store);
  SSL_CTX_set_alpn_select_cb(c, alpn_cb, nullptr);
  // No server-side session cache: the apiserver's Go client does not resume sessions, and the
  // cache kept every handshake's session (about 1 KiB) for 300 s, so a wave of new connections
  // grew the server's memory by megabytes (issue 10). TLS 1.3 resumption still works with
  // stateless tickets.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  static const unsigned char sid[] = "gopreflight-webhook";
  SSL_CTX_set_session_id_context(c, sid, sizeof sid - 1);
  if (client_ca) {
    // Loaded into the store, not the context: cert_cb hands each handshake the CA in force, so a
    // changed --client-ca-file takes effect on new connections without a restart.
    auto ca = load_client_ca(*client_ca, error);
    if (!ca) return false;
    store.set_client_ca(std::move(ca));
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  }
  return true;
}

ClientCa::~ClientCa() {
  if (store != nullptr) X509_STORE_free(store);
  if (names != nullptr) sk_X509_NAME_pop_free(names, X509_NAME_free);
}

std::shared_ptr<const ClientCa> load_client_ca(const std::string& path, std::string& error) {
  auto ca = std::make_shared<ClientCa>();
  ca->store = X509_STORE_new();
  ca->names = sk_X509_NAME_new_null();
  BIO* in = BIO_new_file(path.c_str(), "r");
  if (ca->store == nullptr || ca->names == nullptr || in == nullptr) {
    if (in != nullptr) BIO_free(in);
    error = path + ": cannot read the client CA file: " + openssl_error();
    return nullptr;
  }
  int count = 0;
  while (X509* cert = PEM_read_bio_X509(in, nullptr, nullptr, nullptr)) {
    const bool added = X509_STORE_add_cert(ca->store, cert) == 1;
    X509_NAME* name = X509_NAME_dup(X509_get_subject_name(cert));
    X509_free(cert);
    if (!added || name == nullptr || sk_X509_NAME_push(ca->names, name) == 0) {
      if (name != nullptr) X509_NAME_free(name);
      BIO_free(in);
      error = path + ": cannot use CA certificate " + std::to_string(count + 1) + ": " + openssl_error();
      return nullptr;
    }
    ++count;
  }
  BIO_free(in);
  // The loop ends on end of file (PEM_R_NO_START_LINE) or on a broken block.
  const unsigned long last = ERR_peek_last_error();
  if (count == 0 || (last != 0 && !(ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE))) {
    const std::string why = count == 0 ? "no PEM CA certificate found" : "a PEM block after certificate " + std::to_string(count) + " is broken";
    ERR_clear_error();
    error = path + ": " + why;
    return nullptr;
  }
  ERR_clear_error();
  return ca;
}

std::optional<DevCertificates> make_dev_certificates(const std::string& dir,
                                                     const std::vector<std::string>& dns_names,
                                                     const std::vector<std::string>& ips,
                                                     std::string& error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    error = dir + ": cannot create directory: " + ec.message();
    return std::nullopt;
  }
  EVP_PKEY* ca_key = EVP_EC_gen("P-256");
  EVP_PKEY* key = EVP_EC_gen("P-256");
  std::string san;
  for (const auto& d : dns_names) san += (san.empty() ? "" : ",") + std::string("DNS:") + d;
  for (const auto& ip : ips) san += (san.empty() ? "" : ",") + std::string("IP:") + ip;
  X509* ca = ca_key ? new_cert(ca_key, "gopreflight-dev-ca", 1, nullptr, nullptr, "", true) : nullptr;
  const std::string cn = dns_names.empty() ? std::string("gopreflight-webhook") : dns_names.front();
  X509* cert = (ca && key) ? new_cert(key, cn.c_str(), 2, ca, ca_key, san, false) : nullptr;
  std::optional<DevCertificates> out;
  if (!cert) {
    error = "dev certificates: generation failed: " + openssl_error();
  } else {
    DevCertificates d;
    d.dir = dir;
    d.ca_file = dir + "/ca.crt";
    d.cert_file = dir + "/tls.crt";
    d.key_file = dir + "/tls.key";
    const std::string ca_pem = pem_of_cert(ca);
    using std::filesystem::perms;
    if (!write_file(d.ca_file, ca_pem, perms::owner_read | perms::owner_write | perms::group_read | perms::others_read) ||
        !write_file(d.cert_file, pem_of_cert(cert), perms::owner_read | perms::owner_write | perms::group_read | perms::others_read) ||
        !write_file(d.key_file, pem_of_key(key), perms::owner_read | perms::owner_write)) {
      error = dir + ": cannot write the dev certificate files";
    } else {
      d.ca_bundle_base64 = mutate::base64_encode(ca_pem);
      out = std::move(d);
    }
  }
  if (cert) X509_free(cert);
  if (ca) X509_free(ca);
  if (key) EVP_PKEY_free(key);
  if (ca_key) EVP_PKEY_free(ca_key);
  return out;
}

}  // namespace gopreflight::webhook::server
