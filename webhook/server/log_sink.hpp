#pragma once
// stdout sink for the JSON log lines that writes in batches. spdlog's stdout_sink_mt calls
// fflush() after every line: one write() system call (under the sink's mutex) per admission
// decision, more than the review's own TLS record. This one appends to a buffer and writes it
// when spdlog flushes (every second, at once for warnings and errors, see make_logger) or when
// 64 KiB have gathered.
#include <spdlog/sinks/base_sink.h>

#include <cstdio>
#include <mutex>
#include <string>

namespace gopreflight::webhook::server {

class BatchedStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  static constexpr std::size_t kFlushAt = 64 * 1024;
  BatchedStdoutSink() = default;
  BatchedStdoutSink(const BatchedStdoutSink&) = delete;
  BatchedStdoutSink& operator=(const BatchedStdoutSink&) = delete;
  ~BatchedStdoutSink() override {
    std::lock_guard lock(mutex_);
    write_out();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    buf_.append(formatted.data(), formatted.size());
    if (buf_.size() >= kFlushAt) write_out();
  }
  void flush_() override { write_out(); }

 private:
  void write_out() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), stdout);
    std::fflush(stdout);
    buf_.clear();
  }
  std::string buf_;
};

}  // namespace gopreflight::webhook::server
