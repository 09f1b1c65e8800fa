#pragma once
/// A small value-or-error type, the one both programs use: errors are values with a message
/// naming what was being done.
#include <string>
#include <utility>
#include <variant>

namespace gopreflight {

/// An error message that names what was being read or parsed and why it failed.
struct Error {
  std::string message;
};

/// Holds either a T or an Error. No exceptions cross module boundaries.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}              // NOLINT(implicit)
  Result(Error error) : v_(std::move(error)) {}          // NOLINT(implicit)
  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  [[nodiscard]] const std::string& error() const { return std::get<1>(v_).message; }

 private:
  std::variant<T, Error> v_;
};

/// Shorthand: `return fail("reading " + path + ": no such file");`
inline Error fail(std::string message) { return Error{std::move(message)}; }

}  // namespace gopreflight
