// Split lists (train.txt / val.txt / test.txt): one clip id per line.
#pragma once
#include <string>
#include <vector>

namespace mogo {

std::vector<std::string> read_split(const std::string& path);
void write_split(const std::string& path, const std::vector<std::string>& ids);

}  // namespace mogo
