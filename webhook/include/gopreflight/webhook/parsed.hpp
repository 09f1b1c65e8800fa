#pragma once
/// A value or the reason it could not be produced: the engine's errors are values, never throws.
#include <optional>
#include <string>

namespace gopreflight::webhook {

template <class T>
struct Parsed {
  std::optional<T> value;
  std::string error;  ///< set when value is empty: what was wrong and where
  explicit operator bool() const { return value.has_value(); }
  const T& operator*() const { return *value; }
  const T* operator->() const { return &*value; }
};

}  // namespace gopreflight::webhook
