// HumanML3D caption files ("caption#tokens#start#end" per line): parsing, errors naming file and
// line, writing them back, and the left/right swap of mirrored clips.
#include "common/error.hpp"
#include "data/text_file.hpp"
#include "test_util.hpp"

namespace mogo {
namespace {

std::string error_of(const std::string& content) {
  try {
    parse_captions(content, "clip.txt");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Captions, ParsesEveryFieldAndSkipsBlankLines) {
  auto c = parse_captions("a person walks.#a/DET person/NOUN#0.0#0.0\r\n\n   \nsomeone waves#someone/PRON#1.5#3.25\njumps\n", "clip.txt");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].text, "a person walks.");
  EXPECT_EQ(c[0].tokens, "a/DET person/NOUN");
  EXPECT_EQ(c[0].end, 0.0);  // the \r of Windows line ends is not part of the time
  EXPECT_EQ(c[1].start, 1.5);
  EXPECT_EQ(c[1].end, 3.25);
  EXPECT_EQ(c[2].text, "jumps");
  EXPECT_TRUE(c[2].tokens.empty());
  EXPECT_TRUE(parse_captions("", "empty.txt").empty());
}

TEST(Captions, MalformedLinesNameTheFileAndLine) {
  EXPECT_EQ(error_of("ok##0#0\nbad#t#abc#0\n"), "clip.txt:2: time 'abc' is not a non-negative number");
  EXPECT_EQ(error_of("x#t#-1#0"), "clip.txt:1: time '-1' is not a non-negative number");
  EXPECT_EQ(error_of("x#t#inf#0"), "clip.txt:1: time 'inf' is not a non-negative number");
  EXPECT_EQ(error_of("x#t#nan#0"), "clip.txt:1: time 'nan' is not a non-negative number");
  EXPECT_EQ(error_of("x#t#3#1"), "clip.txt:1: end time before start time");
  EXPECT_EQ(error_of("#t#0#0"), "clip.txt:1: empty caption");
  EXPECT_EQ(error_of("a#b#0#0#extra"), "clip.txt:1: expected caption#tokens#start#end, found 5 fields");
}

TEST(Captions, WriteThenReadGivesTheSameCaptions) {
  std::vector<Caption> in = {{"a person walks", "a/DET person/NOUN walk/VERB", 0, 0}, {"turns left", "", 1.25, 2.5}};
  auto back = parse_captions(format_captions(in), "round.txt");
  ASSERT_EQ(back.size(), 2u);
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(back[i].text, in[i].text);
    EXPECT_EQ(back[i].tokens, in[i].tokens);
    EXPECT_EQ(back[i].start, in[i].start);
    EXPECT_EQ(back[i].end, in[i].end);
  }
  EXPECT_EQ(format_captions({in[0]}), "a person walks#a/DET person/NOUN walk/VERB#0.0#0.0\n");  // HumanML3D's own form
}

TEST(Captions, MirroringSwapsLeftAndRightAsWholeWords) {
  EXPECT_EQ(swap_left_right("Left hand up, then the right FOOT; leftover rightly"), "Right hand up, then the left FOOT; leftover rightly");
}

TEST(Captions, LoadNamesAMissingFile) {
  try {
    load_captions("/nonexistent/clip.txt");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/clip.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace mogo
