// Writing files so that a crash never leaves a half-written file in place: write to a temporary
// file beside the target, flush it to disk, then rename over the target (atomic on POSIX).
// Outputs that are not regular files are never replaced: a symlink is followed (the file it points
// to is written), a character device or FIFO (/dev/stdout, /dev/null, a pipe) is written in place,
// anything else (a directory, a block device, a socket) is refused.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace mogo {

// Calls write(stream) on a temporary file, then renames it to path. Throws Error on failure (disk
// full included); the previous content of path is untouched and no temporary file is left behind
// unless the whole write succeeded.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Convenience: the whole content at once.
void write_file_atomically(const std::string& path, const std::string& content);

// Reads a whole file; throws Error naming the path when it cannot be read.
std::string read_file(const std::string& path);

// Removes the temporary files and folders (`*.tmp.<pid>`) that writers killed mid-write left in
// `dir`: those whose process is gone. Returns how many were removed.
int remove_stale_temporaries(const std::string& dir);

}  // namespace mogo
