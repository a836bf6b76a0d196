// Result<T>: a value or an Error, for the pure code paths that must not throw.
//
// Errors carry a stable CamelCase `reason` (used as a metric label and in tests) and a sentence for
// humans. Accessing the value of an error (or the error of a value) is a bug and aborts.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace keelson {

struct Error {
  std::string reason;   // stable token, e.g. "NotFound", "ParseError"; safe as a metric label
  std::string message;  // a sentence a user can act on; names the file/line/field where known

  friend bool operator==(const Error&, const Error&) = default;
};

// Tag so `return fail("Reason", "message")` converts into any Result<T>.
struct Failure {
  Error error;
};
inline Failure fail(std::string reason, std::string message) {
  return Failure{Error{std::move(reason), std::move(message)}};
}
inline Failure fail(Error error) {
  return Failure{std::move(error)};
}

namespace detail {
[[noreturn]] inline void resultMisuse(const char* what) {
  std::fprintf(stderr, "keelson: broken invariant: %s\n", what);
  std::abort();
}
}  // namespace detail

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit
  Result(Failure failure)                                                // NOLINT implicit
      : state_(std::in_place_index<1>, std::move(failure.error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    if (!ok()) detail::resultMisuse("value() of an error Result");
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!ok()) detail::resultMisuse("value() of an error Result");
    return std::get<0>(state_);
  }
  T&& value() && {
    if (!ok()) detail::resultMisuse("value() of an error Result");
    return std::get<0>(std::move(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) detail::resultMisuse("error() of a successful Result");
    return std::get<1>(state_);
  }

  template <typename U>
  T valueOr(U&& fallback) const& {
    return ok() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  std::variant<T, Error> state_;
};

// Result<void>: success or an Error.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Failure failure) : error_(std::move(failure.error)), ok_(false) {}  // NOLINT implicit

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    if (ok_) detail::resultMisuse("error() of a successful Result");
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace keelson
