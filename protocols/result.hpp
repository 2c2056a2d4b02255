// A value or an error, for pure code below the actor layer (C++20 has no std::expected).
#pragma once

#include <utility>
#include <variant>

namespace switchyard::protocols {

/// Holds either a `T` or an `E`. No exceptions: callers test `ok()` before `value()`.
template <class T, class E>
class result {
 public:
  /// Wraps a value.
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  /// Wraps an error.
  result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  /// True when a value is held.
  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  /// The value; only valid when `ok()`.
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// The error; only valid when `!ok()`.
  const E& error() const& { return std::get<1>(v_); }
  E&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, E> v_;
};

}  // namespace switchyard::protocols
