// mogo's one exception type: messages name the file, the field, and expected vs found.
#pragma once
#include <stdexcept>
#include <string>

namespace mogo {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws Error(what) when cond is false. Used for input validation, never for internal logic.
inline void require(bool cond, const std::string& what) {
  if (!cond) throw Error(what);
}

}  // namespace mogo
