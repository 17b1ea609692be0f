// Writing files so that a crash never leaves a half-written file in place: write to a temporary
// file beside the target, flush it to disk, then rename over the target (atomic on POSIX).
// Outputs that are not regular files are never replaced: a symlink is followed (the file it points
// to is written), a character device or FIFO (/dev/stdout, /dev/null, a pipe) is written in place,
// anything else (a directory, a block device, a socket) is refused.
#pragma once
#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace mogo {

// Calls write(stream) on a temporary file, then renames it to path. Throws Error on failure (disk
// full included); the previous content of path is untouched and no temporary file is left behind
// unless the whole write succeeded.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

// Convenience: the whole content at once.
void write_file_atomically(const std::string& path, const std::string& content);

// Reads a whole regular file; throws Error naming the path when it cannot be read, or when it is
// a pipe, FIFO, device or directory (which could block or never end).
std::string read_file(const std::string& path);

// Where the writer of `target` puts its data before the rename: "<target>.mogo-tmp.<pid>"; and
// where a folder being replaced is set aside: "<target>.mogo-old.<pid>".
std::string temporary_path(const std::string& target);
std::string set_aside_path(const std::string& target);

// Removes what writers of `target` that were killed mid-way left beside it: the files and folders
// named "<target>.mogo-tmp.<pid>" or "<target>.mogo-old.<pid>" whose process is gone. Nothing
// else, whatever its name. Returns how many were removed. (Writers of user-facing outputs and
// trainers call it; write_file_atomically does not, as a scan per file would make writing a folder
// of n files cost n^2.)
int remove_stale_temporaries(const std::string& target);
// The same for every target in `dir`, a folder mogo owns (a training run's output folder).
int remove_stale_temporaries_in(const std::string& dir);

// Whether two paths name the same file on disk (device and inode: links, "./x" and "x" alike).
bool same_file(const std::string& a, const std::string& b);
// Throws Error when `output` is one of `inputs` on disk: a command never overwrites what it reads.
void require_not_an_input(const std::string& output, const std::vector<std::string>& inputs);

}  // namespace mogo
