// Writing files so that a crash never leaves a half-written file in place: write to a temporary
// file beside the target, flush it to disk, then rename over the target (atomic on POSIX).
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace mogo {

// Calls write(stream) on a temporary file, then renames it to path. Throws Error on failure;
// the previous content of path (if any) is untouched unless the whole write succeeded.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Convenience: the whole content at once.
void write_file_atomically(const std::string& path, const std::string& content);

// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

}  // namespace mogo
