#include "data/text_file.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo {

namespace {
double parse_time(const std::string& s, const std::string& where) {
  if (s.empty()) return 0.0;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  require(end != s.c_str() && *end == '\0' && std::isfinite(v) && v >= 0, where + ": time '" + s + "' is not a non-negative number");
  return v;
}
}  // namespace

std::vector<Caption> parse_captions(const std::string& content, const std::string& source) {
  std::vector<Caption> out;
  std::istringstream in(content);
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::vector<std::string> parts;
    size_t pos = 0;
    while (true) {
      size_t h = line.find('#', pos);
      parts.push_back(line.substr(pos, h == std::string::npos ? std::string::npos : h - pos));
      if (h == std::string::npos) break;
      pos = h + 1;
    }
    std::string where = source + ":" + std::to_string(n);
    Caption c;
    c.text = parts[0];
    if (parts.size() > 1) c.tokens = parts[1];
    if (parts.size() > 2) c.start = parse_time(parts[2], where);
    if (parts.size() > 3) c.end = parse_time(parts[3], where);
    require(parts.size() <= 4, where + ": expected caption#tokens#start#end, found " + std::to_string(parts.size()) + " fields");
    require(c.end >= c.start || c.end == 0.0, where + ": end time before start time");
    require(!c.text.empty(), where + ": empty caption");
    out.push_back(c);
  }
  return out;
}

std::vector<Caption> load_captions(const std::string& path) { return parse_captions(read_file(path), path); }

std::string format_captions(const std::vector<Caption>& captions) {
  std::ostringstream out;
  for (const auto& c : captions) {
    char buf[64];
    // %.1f as HumanML3D writes whole-second times, more digits only where a time has them.
    std::snprintf(buf, sizeof buf, c.start == std::round(c.start * 10) / 10 && c.end == std::round(c.end * 10) / 10 ? "#%.1f#%.1f" : "#%.17g#%.17g",
                  c.start, c.end);
    out << c.text << "#" << c.tokens << buf << "\n";
  }
  return out.str();
}

std::string swap_left_right(const std::string& text) {
  auto is_word = [](char ch) { return std::isalpha(static_cast<unsigned char>(ch)) != 0; };
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    if (is_word(text[i])) {
      size_t j = i;
      while (j < text.size() && is_word(text[j])) ++j;
      std::string w = text.substr(i, j - i), lower;
      for (char ch : w) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string rep = lower == "left" ? "right" : lower == "right" ? "left" : "";
      if (!rep.empty() && std::isupper(static_cast<unsigned char>(w[0]))) rep[0] = static_cast<char>(std::toupper(rep[0]));
      out += rep.empty() ? w : rep;
      i = j;
    } else {
      out += text[i++];
    }
  }
  return out;
}

}  // namespace mogo
