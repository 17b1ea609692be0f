// mogo's one exception type: messages name the file, the field, and expected vs found.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace mogo {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A file that cannot be opened, read, written or moved into place (disk full, permissions, a
// directory where a file belongs): the same contract, told apart by the C API (MOGO_ERR_IO).
struct IoError : Error {
  using Error::Error;
};

// A number as messages show it: up to 12 significant digits, no trailing zeros ("0.2",
// "4294967295", "1e+308").
inline std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

// Throws Error(what) when cond is false. Used for input validation, never for internal logic.
inline void require(bool cond, const std::string& what) {
  if (!cond) throw Error(what);
}

}  // namespace mogo
