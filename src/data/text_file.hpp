// HumanML3D caption files: one caption per line, "caption#tokens#start#end" (seconds; 0/0 = whole clip).
#pragma once
#include <string>
#include <vector>

namespace mogo {

struct Caption {
  std::string text;
  std::string tokens;    // part-of-speech tokens; may be empty
  double start = 0.0;    // seconds
  double end = 0.0;      // seconds; start == end == 0 means the whole clip
};

// Parses a caption file's content; malformed lines raise Error naming the source and line.
std::vector<Caption> parse_captions(const std::string& content, const std::string& source);
std::vector<Caption> load_captions(const std::string& path);
std::string format_captions(const std::vector<Caption>& captions);

// Swaps the words "left" and "right" (any case), as HumanML3D does for mirrored clips.
std::string swap_left_right(const std::string& text);

}  // namespace mogo
