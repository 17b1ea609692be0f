// mogo's one exception type: messages name the file, the field, and expected vs found.
#pragma once
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

// Throws Error(what) when cond is false. Used for input validation, never for internal logic.
inline void require(bool cond, const std::string& what) {
  if (!cond) throw Error(what);
}

}  // namespace mogo
