// `mogo generate` end to end with the shipped default model: outputs by extension, lengths,
// numbered samples, a BVH that three.js loads, and every kind of bad input.
#include <filesystem>
#include <fstream>

#include "motion/npy.hpp"
#include "test_util.hpp"

using namespace mogo;

namespace {
const std::string kPrompt = "\"a person walks forward happily\"";
bool exists(const std::string& p) { return std::filesystem::exists(p); }
}  // namespace

TEST(Generate, ShippedModelWritesABvhThatThreeJsLoads) {
  test::TempDir dir;
  auto r = test::run_cli("--threads 2 generate " + kPrompt + " -o " + (dir / "walk.bvh"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(exists(dir / "walk.bvh"));
  if (!test::threejs_available()) GTEST_SKIP() << "three.js not installed (scripts/setup.sh)";
  auto j = test::check_bvh_with_threejs(dir / "walk.bvh");
  ASSERT_FALSE(j.contains("error")) << j["error"];
  EXPECT_EQ(j["bones"].get<int>(), 21 + 5);
  EXPECT_GE(j["frames"].get<int64_t>(), 8);
}

TEST(Generate, NpyJsonSecondsSamplesAndSeed) {
  test::TempDir dir;
  auto r = test::run_cli("generate " + kPrompt + " --seconds 3 --seed 5 -o " + (dir / "f.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto f = npy::load(dir / "f.npy");
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({60, 251}));
  EXPECT_TRUE(torch::isfinite(f).all().item<bool>());
  // Same seed, same motion; joints on request.
  ASSERT_EQ(test::run_cli("generate " + kPrompt + " --seconds 3 --seed 5 --joints -o " + (dir / "j.npy")).exit_code, 0);
  auto j = npy::load(dir / "j.npy");
  EXPECT_EQ(j.sizes(), torch::IntArrayRef({60, 21, 3}));
  ASSERT_EQ(test::run_cli("generate " + kPrompt + " --seconds 3 --seed 5 -o " + (dir / "again.npy")).exit_code, 0);
  EXPECT_TRUE(torch::equal(npy::load(dir / "again.npy"), f));
  // JSON: frames of joint positions plus the skeleton.
  ASSERT_EQ(test::run_cli("generate " + kPrompt + " --seconds 2 -o " + (dir / "m.json")).exit_code, 0);
  std::ifstream in(dir / "m.json");
  auto js = nlohmann::json::parse(in);
  EXPECT_EQ(js["frames"].size(), 40u);
  EXPECT_EQ(js["frames"][0].size(), 21u);
  EXPECT_EQ(js["joints"].size(), 21u);
  EXPECT_EQ(js["fps"].get<double>(), 20.0);
  // Numbered samples, guidance, top-k and temperature flags.
  auto s = test::run_cli("generate " + kPrompt + " --samples 2 --top-k 10 --temperature 0.8 --guidance 2 -o " + (dir / "s.bvh"));
  ASSERT_EQ(s.exit_code, 0) << s.output;
  EXPECT_TRUE(exists(dir / "s_0.bvh"));
  EXPECT_TRUE(exists(dir / "s_1.bvh"));
}

TEST(Generate, BadPromptsAndLengths) {
  test::TempDir dir;
  for (const std::string& p : {std::string("\"\""), std::string("\"   \"")}) {
    auto r = test::run_cli("generate " + p + " -o " + (dir / "x.bvh"));
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("prompt is empty"), std::string::npos) << r.output;
    EXPECT_FALSE(exists(dir / "x.bvh"));
  }
  // A prompt far beyond the encoder's 77 tokens: aligned on its first 60 words, or (as typed) cut,
  // with a warning either way.
  std::string huge = "\"a person walks";
  for (int i = 0; i < 400; ++i) huge += " and walks";
  huge += "\"";
  auto h = test::run_cli("generate " + huge + " --seconds 1 -o " + (dir / "h.npy"));
  EXPECT_EQ(h.exit_code, 0) << h.output;
  EXPECT_NE(h.output.find("aligning the first 60"), std::string::npos) << h.output;
  h = test::run_cli("generate " + huge + " --no-align --seconds 1 -o " + (dir / "h.npy"));
  EXPECT_EQ(h.exit_code, 0) << h.output;
  EXPECT_NE(h.output.find("cut to 77 tokens"), std::string::npos) << h.output;
  // Absurd durations are clamped with a message.
  auto tiny = test::run_cli("generate " + kPrompt + " --seconds 0.001 -o " + (dir / "t.npy"));
  EXPECT_EQ(tiny.exit_code, 0) << tiny.output;
  EXPECT_NE(tiny.output.find("outside"), std::string::npos) << tiny.output;
  EXPECT_EQ(npy::load(dir / "t.npy").size(0), 4);
  auto nan = test::run_cli("generate " + kPrompt + " --seconds nan -o " + (dir / "n.npy"));
  EXPECT_NE(nan.exit_code, 0);
  EXPECT_FALSE(exists(dir / "n.npy"));
  auto ext = test::run_cli("generate " + kPrompt + " -o " + (dir / "x.txt"));
  EXPECT_EQ(ext.exit_code, 1);
  EXPECT_NE(ext.output.find("unknown output format"), std::string::npos) << ext.output;
}

TEST(Generate, MissingTruncatedAndWrongModelFiles) {
  test::TempDir dir;
  auto missing = test::run_cli("generate " + kPrompt + " -m " + (dir / "none.pt") + " -o " + (dir / "x.bvh"));
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.output.find("none.pt: no such file"), std::string::npos) << missing.output;
  // Half of the shipped model.
  std::ifstream in(test::source_dir() + "/models/t2m-tiny.pt", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  ASSERT_GT(bytes.size(), 1000u);
  std::ofstream(dir / "half.pt", std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  auto trunc = test::run_cli("generate " + kPrompt + " -m " + (dir / "half.pt") + " -o " + (dir / "x.bvh"));
  EXPECT_EQ(trunc.exit_code, 1);
  EXPECT_NE(trunc.output.find("half.pt: not a mogo"), std::string::npos) << trunc.output;
  EXPECT_EQ(std::count(trunc.output.begin(), trunc.output.end(), '\n'), 1) << trunc.output;
  // An RVQ-VAE file where a text-to-motion model is expected.
  auto vq = test::run_cli("generate " + kPrompt + " -m " + test::source_dir() + "/models/vq-tiny.pt -o " + (dir / "x.bvh"));
  EXPECT_EQ(vq.exit_code, 1);
  EXPECT_NE(vq.output.find("expected 'mogo-t2m'"), std::string::npos) << vq.output;
  EXPECT_FALSE(exists(dir / "x.bvh"));
}
