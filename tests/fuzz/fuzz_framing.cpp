// libFuzzer target for the server's one request parser (webhook/server/http_framing.hpp).
// Properties checked for every input (a failed check aborts, which libFuzzer reports):
// 1. The input as a byte stream: framing it whole and feeding it to the incremental scanner in
//    pieces (sizes taken from the input) yield the same requests and the same refusal; each
//    request frames alone to the same length whatever follows it; every request framed is one
//    the server answers, and after a refusal nothing more is framed.
// 2. The input as request bodies: requests built around arbitrary bodies (request lines,
//    chunk sizes, CRLFs and all inside them) frame back exactly, one per built request, each
//    starting where it was built: no body byte is ever read as the start of a request.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http_framing.hpp"

namespace srv = gopreflight::webhook::server;
using srv::RequestFrame;

namespace {

const srv::FrameLimits kLimits{2048, 8192};

void require(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<std::size_t> starts;  ///< offset of each request framed
  int refused = 0;                  ///< the refusal's status, 0 if none
  bool operator==(const Outcome&) const = default;
};

/// Frames `s` from the start, request after request, as the event loop consumes them.
Outcome frame_whole(std::string_view s) {
  Outcome out;
  std::size_t off = 0;
  for (;;) {
    const RequestFrame f = srv::frame_request(s.substr(off), kLimits);
    if (f.kind == RequestFrame::kIncomplete) break;
    if (f.kind == RequestFrame::kRefuse) {
      out.refused = f.status;
      break;
    }
    require(f.length > 0 && f.length <= s.size() - off);
    // The request frames alone to the same length: its end does not depend on what follows.
    const RequestFrame alone = srv::frame_request(s.substr(off, f.length), kLimits);
    require(alone.kind == RequestFrame::kComplete && alone.length == f.length);
    require(f.request.body.size() <= kLimits.max_body);
    out.starts.push_back(off);
    off += f.length;
  }
  return out;
}

/// The same stream fed to RequestScanner in pieces of the given sizes (cycled).
Outcome frame_pieces(std::string_view s, const std::vector<std::size_t>& pieces) {
  Outcome out;
  srv::RequestScanner sc;
  std::size_t off = 0, have = 0, i = 0;
  while (have < s.size()) {
    have = std::min(s.size(), have + pieces[i++ % pieces.size()]);
    for (;;) {
      const RequestFrame f = sc.next(s.substr(off, have - off), kLimits);
      if (f.kind == RequestFrame::kIncomplete) break;
      if (f.kind == RequestFrame::kRefuse) {
        out.refused = f.status;
        return out;
      }
      out.starts.push_back(off);
      off += f.length;
      sc.reset();
    }
  }
  return out;
}

void stream_property(std::string_view s, const std::uint8_t* seed, std::size_t seed_len) {
  std::vector<std::size_t> pieces;
  for (std::size_t i = 0; i < seed_len && i < 8; ++i) pieces.push_back(1 + seed[i] % 64);
  if (pieces.empty()) pieces.push_back(1);
  const Outcome whole = frame_whole(s);
  require(frame_pieces(s, pieces) == whole);
  require(frame_pieces(s, {s.size() + 1}) == whole);
}

void body_property(std::string_view data) {
  // Up to 4 bodies, split at the input's 0xff bytes; the request kind alternates.
  std::vector<std::string_view> bodies;
  while (bodies.size() < 4) {
    const std::size_t cut = data.find('\xff');
    bodies.push_back(data.substr(0, cut));
    if (cut == std::string_view::npos) break;
    data.remove_prefix(cut + 1);
  }
  std::string stream;
  std::vector<std::size_t> starts;
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    starts.push_back(stream.size());
    if (i % 2 == 1) stream += "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n", starts.push_back(stream.size());
    stream += "POST /validate?timeout=10s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(bodies[i].size()) + "\r\n\r\n";
    stream += bodies[i];
  }
  const Outcome got = frame_whole(stream);
  require(got.refused == 0);
  require(got.starts == starts);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);
  stream_property(s, data, size);
  if (size <= kLimits.max_body) body_property(s);
  return 0;
}
