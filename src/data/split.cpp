#include "data/split.hpp"

#include <sstream>

#include "common/atomic_file.hpp"

namespace mogo {

std::vector<std::string> read_split(const std::string& path) {
  std::istringstream in(read_file(path));
  std::vector<std::string> ids;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    size_t b = line.find_first_not_of(" \t");
    if (b != std::string::npos) ids.push_back(line.substr(b));
  }
  return ids;
}

void write_split(const std::string& path, const std::vector<std::string>& ids) {
  std::string s;
  for (const auto& id : ids) s += id + "\n";
  write_file_atomically(path, s);
}

}  // namespace mogo
