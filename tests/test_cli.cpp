// End-to-end tests of the mogo CLI's foundation: help, errors, the feature transform.
#include <fstream>
#include "motion/npy.hpp"
#include "test_util.hpp"

using namespace mogo;

TEST(Cli, HelpListsSubcommands) {
  auto r = test::run_cli("--help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.output.find("features"), std::string::npos);
  EXPECT_NE(r.output.find("info"), std::string::npos);
  auto r2 = test::run_cli("features --help");
  EXPECT_EQ(r2.exit_code, 0);
  EXPECT_NE(r2.output.find("--skeleton"), std::string::npos);
}

TEST(Cli, UnknownFlagsAndCommandsFail) {
  auto r = test::run_cli("--no-such-flag");
  EXPECT_NE(r.exit_code, 0);
  auto r2 = test::run_cli("no-such-command");
  EXPECT_NE(r2.exit_code, 0);
  auto r3 = test::run_cli("features --bogus a b");
  EXPECT_NE(r3.exit_code, 0);
}

TEST(Cli, InfoReportsThreadsAndBlas) {
  auto r = test::run_cli("--threads 2 -v info");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("torch threads: 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("BLAS"), std::string::npos);
}

TEST(Cli, JointsThenFeaturesOnReference) {
  test::TempDir dir;
  auto in = test::reference_dir() + "/new_joint_vecs_012314.npy";
  auto r = test::run_cli("joints " + in + " " + (dir / "j.npy"));
  ASSERT_EQ(r.exit_code, 0) << r.output;
  auto j = npy::load(dir / "j.npy");
  EXPECT_EQ(j.sizes(), torch::IntArrayRef({170, 22, 3}));
  auto r2 = test::run_cli("features " + (dir / "j.npy") + " " + (dir / "f.npy") + " --target-body " +
                          test::reference_dir() + "/skeleton_example_h3d.npy");
  ASSERT_EQ(r2.exit_code, 0) << r2.output;
  EXPECT_EQ(npy::load(dir / "f.npy").sizes(), torch::IntArrayRef({169, 263}));
}

TEST(Cli, CorruptInputIsOneClearLine) {
  test::TempDir dir;
  {
    std::ofstream(dir / "bad.npy") << "garbage";
  }
  auto r = test::run_cli("joints " + (dir / "bad.npy") + " " + (dir / "out.npy"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad magic"), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.npy"));
}
