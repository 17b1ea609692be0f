// common/: the atomic writer (never replaces what is not a regular file, disk full, stale
// temporaries), model-file integrity (zip CRC-32 checks), errors naming their file.
#include <algorithm>
#include <fstream>
#include <sys/stat.h>
#include <thread>

#include "common/archive.hpp"
#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"
#include "common/zip_check.hpp"
#include "test_util.hpp"

namespace mogo {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

std::string slurp(const std::string& p) { return read_file(p); }

TEST(AtomicFile, WritesAndReplacesRegularFiles) {
  TempDir d;
  write_file_atomically(d / "a/b.txt", "one");
  write_file_atomically(d / "a/b.txt", "two");
  EXPECT_EQ(slurp(d / "a/b.txt"), "two");
  EXPECT_EQ(test::list_dir((d.path / "a").string()), std::vector<std::string>{"b.txt"});
}

TEST(AtomicFile, FollowsSymlinksInsteadOfReplacingThem) {
  TempDir d;
  write_file_atomically(d / "real.txt", "old");
  fs::create_symlink("real.txt", d.path / "link.txt");
  write_file_atomically(d / "link.txt", "new");
  EXPECT_TRUE(fs::is_symlink(d.path / "link.txt"));
  EXPECT_EQ(slurp(d / "real.txt"), "new");
  // A dangling link: the file it names is created, the link stays.
  fs::create_symlink("later.txt", d.path / "dangling.txt");
  write_file_atomically(d / "dangling.txt", "x");
  EXPECT_TRUE(fs::is_symlink(d.path / "dangling.txt"));
  EXPECT_EQ(slurp(d / "later.txt"), "x");
}

TEST(AtomicFile, WritesDevicesAndFifosInPlace) {
  write_file_atomically("/dev/null", "discarded");
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
  TempDir d;
  const std::string fifo = d / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string received;
  std::thread reader([&] {  // (read_file refuses FIFOs: it reads regular files only)
    std::ifstream in(fifo, std::ios::binary);
    received.assign(std::istreambuf_iterator<char>(in), {});
  });
  write_file_atomically(fifo, "through the pipe");
  reader.join();
  EXPECT_EQ(received, "through the pipe");
  EXPECT_TRUE(fs::is_fifo(fifo));
}

TEST(AtomicFile, FullDeviceIsAnErrorNotAFile) {
  try {
    write_file_atomically("/dev/full", std::string(1 << 16, 'x'));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/dev/full: write failed"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_character_file("/dev/full"));
}

TEST(AtomicFile, RefusesDirectories) {
  TempDir d;
  EXPECT_THROW(write_file_atomically(d.path.string(), "x"), Error);
  EXPECT_TRUE(fs::is_directory(d.path));
}

TEST(AtomicFile, DiskFullKeepsTheOldFileAndLeavesNoTemporary) {
  TempDir d;
  write_file_atomically(d / "out.bin", "previous");
  {
    test::FileSizeLimit full(4096);
    try {
      write_file_atomically(d / "out.bin", std::string(1 << 20, 'x'));
      FAIL() << "no error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("out.bin: write failed"), std::string::npos) << e.what();
    }
  }
  EXPECT_EQ(slurp(d / "out.bin"), "previous");
  EXPECT_EQ(test::list_dir(d.path.string()), std::vector<std::string>{"out.bin"});
}

TEST(AtomicFile, RemovesOnlyStaleTemporariesMogoMadeForThatTarget) {
  TempDir d;
  const std::string me = std::to_string(::getpid());
  // pid 2^22 + 1 is above Linux's pid_max: no such process. Our own pid is alive.
  write_file_atomically(d / "a.npy.mogo-tmp.4194305", "stale");
  write_file_atomically(d / "a.npy.mogo-tmp." + me, "ours, still being written");
  write_file_atomically(d / "b.npy.mogo-tmp.4194305", "another target's");
  // Files of the user's whose names only look like temporaries: never touched.
  write_file_atomically(d / "a.npy.tmp.2024/data.csv", "a user's folder");
  write_file_atomically(d / "notes.tmp.31337", "a user's file");
  write_file_atomically(d / "a.npy.mogo-tmp.12x", "not a pid");
  EXPECT_EQ(remove_stale_temporaries(d / "a.npy"), 1);
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(test::list_dir(d.path.string()),
            sorted({"a.npy.mogo-tmp." + me, "a.npy.mogo-tmp.12x", "a.npy.tmp.2024", "b.npy.mogo-tmp.4194305", "notes.tmp.31337"}));
  // A folder mogo owns: every target's stale temporaries (and set-aside folders), nothing else.
  write_file_atomically(d / "dataset.mogo-old.4194305/x.npy", "set aside by a killed prepare");
  EXPECT_EQ(remove_stale_temporaries_in(d.path.string()), 2);
  EXPECT_EQ(test::list_dir(d.path.string()), sorted({"a.npy.mogo-tmp." + me, "a.npy.mogo-tmp.12x", "a.npy.tmp.2024", "notes.tmp.31337"}));
  // A bare relative name looks in the working folder.
  const auto cwd = fs::current_path();
  fs::current_path(d.path);
  write_file_atomically("out.glb.mogo-tmp.4194305", "stale");
  EXPECT_EQ(remove_stale_temporaries("out.glb"), 1);
  fs::current_path(cwd);
}

TEST(ReadFile, PipesDevicesAndDirectoriesAreRefusedAtOnce) {
  TempDir d;
  // A FIFO with no writer used to block forever; /dev/zero read without end.
  ASSERT_EQ(::mkfifo((d / "fifo").c_str(), 0600), 0);
  EXPECT_NE(test::error_message([&] { read_file(d / "fifo"); }).find("not a regular file"), std::string::npos);
  EXPECT_NE(test::error_message([&] { read_file("/dev/zero"); }).find("/dev/zero: not a regular file"), std::string::npos);
  EXPECT_NE(test::error_message([&] { read_file(d.path.string()); }).find("is a directory"), std::string::npos);
}

TEST(SameFile, ComparesFilesOnDiskNotNames) {
  TempDir d;
  write_file_atomically(d / "x.npy", "data");
  fs::create_symlink(d / "x.npy", d / "link.npy");
  fs::create_hard_link(d / "x.npy", d / "hard.npy");
  EXPECT_TRUE(same_file(d / "x.npy", d / "link.npy"));
  EXPECT_TRUE(same_file(d / "x.npy", d / "hard.npy"));
  EXPECT_TRUE(same_file(d / "x.npy", (d.path / "." / "x.npy").string()));
  EXPECT_FALSE(same_file(d / "x.npy", d / "new.npy"));
  EXPECT_NE(test::error_message([&] { require_not_an_input(d / "link.npy", {d / "x.npy"}); }).find("is the input file"), std::string::npos);
  EXPECT_EQ(test::error_message([&] { require_not_an_input(d / "new.npy", {d / "x.npy", ""}); }), "no error");
}

TEST(ReadFile, MissingFileNamesIt) {
  try {
    read_file("/nonexistent/x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.npy: cannot open"), std::string::npos);
  }
}

// A small archive as the trainers write them: a tensor record and a meta record.
std::string write_test_archive(const std::string& path) {
  torch::serialize::OutputArchive ar;
  ar.write("weights", torch::arange(1000, torch::kFloat));
  save_archive(path, ar, {{"note", "test"}}, "mogo-test");
  return slurp(path);
}

TEST(ModelFile, RoundTripsAndListsItsRecords) {
  TempDir d;
  std::string bytes = write_test_archive(d / "m.pt");
  auto records = read_zip_directory(bytes, "m.pt");
  EXPECT_GE(records.size(), 3u);  // data.pkl, the tensor, version, ...
  verify_zip_checksums(bytes, "m.pt");
  torch::serialize::InputArchive ar;
  auto meta = load_archive(d / "m.pt", ar, "mogo-test");
  EXPECT_EQ(meta["note"], "test");
  torch::Tensor w;
  ar.read("weights", w);
  EXPECT_EQ(w[999].item<float>(), 999.0f);
}

TEST(ModelFile, CorruptBytesAreAChecksumError) {
  TempDir d;
  std::string bytes = write_test_archive(d / "m.pt");
  // Four bytes inside the tensor's data: the record of the most bytes.
  auto records = read_zip_directory(bytes, "m.pt");
  auto big = *std::max_element(records.begin(), records.end(), [](auto& a, auto& b) { return a.size < b.size; });
  for (int i = 0; i < 4; ++i) bytes[big.data_offset + 100 + i] ^= 0x5A;
  write_file_atomically(d / "m.pt", bytes);
  torch::serialize::InputArchive ar;
  try {
    load_archive(d / "m.pt", ar, "mogo-test");
    FAIL() << "corrupt file loaded";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("checksum mismatch in record '" + big.name + "'"), std::string::npos) << e.what();
  }
}

TEST(ModelFile, TruncatedAndForeignFilesAreErrors) {
  TempDir d;
  std::string bytes = write_test_archive(d / "m.pt");
  for (size_t keep : {size_t{0}, size_t{10}, bytes.size() / 2, bytes.size() - 1}) {
    write_file_atomically(d / "t.pt", bytes.substr(0, keep));
    torch::serialize::InputArchive ar;
    EXPECT_THROW(load_archive(d / "t.pt", ar, "mogo-test"), Error) << keep;
  }
  torch::serialize::InputArchive ar;
  EXPECT_THROW(load_archive(d / "m.pt", ar, "mogo-rvqvae"), Error);
}

TEST(ModelFile, DiskFullDuringSaveIsAnErrorAndLeavesNoTemporary) {
  TempDir d;
  std::string before = write_test_archive(d / "m.pt");
  {
    test::FileSizeLimit full(1024);
    torch::serialize::OutputArchive ar;
    ar.write("weights", torch::zeros({100000}));
    EXPECT_THROW(save_archive(d / "m.pt", ar, {}, "mogo-test"), Error);
  }
  EXPECT_EQ(slurp(d / "m.pt"), before);
  EXPECT_EQ(test::list_dir(d.path.string()), std::vector<std::string>{"m.pt"});
}

// The smaps entry of the mapping that holds address a: its first line and its VmFlags line.
std::pair<std::string, std::string> mapping_of(const void* a) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line, head;
  const auto x = reinterpret_cast<uintptr_t>(a);
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long lo = 0, hi = 0;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &lo, &hi) == 2 && line.find(':') > line.find(' ')) {
      inside = lo <= x && x < hi;
      head = line;
    } else if (inside && line.rfind("VmFlags:", 0) == 0) {
      return {head, line};
    }
  }
  return {"", ""};
}

TEST(LargePages, BigBlocksComeFromAHeapMarkedForTwoMegabytePages) {
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string mode((std::istreambuf_iterator<char>(thp)), std::istreambuf_iterator<char>());
  if (mode.empty() || mode.find("[never]") != std::string::npos) GTEST_SKIP() << "transparent huge pages are off here";
  // What it checks is the state of a fresh process's heap (as at a program's start); after other
  // tests in the same process, their freed memory may serve the growth without the heap growing.
  if (::testing::UnitTest::GetInstance()->test_to_run_count() != 1)
    GTEST_SKIP() << "runs only as its process's one test (ctest runs each test alone)";
  prefer_large_pages(size_t(64) << 20, /*one_arena=*/false);  // this test's own process (ctest runs one test each)
  // 8 MB: above glibc's default mmap threshold, so without the call it would be a mapping of its own.
  std::vector<float> block(size_t(2) << 20, 1.0f);
  // Its start may lie below the first 2 MB boundary of the heap's new part: its middle does not.
  const auto [head, flags] = mapping_of(block.data() + block.size() / 2);
  EXPECT_NE(head.find("[heap]"), std::string::npos) << head;
  EXPECT_NE(flags.find(" hg"), std::string::npos) << head << "\n" << flags;
}

TEST(Require, ThrowsErrorWithTheMessage) {
  EXPECT_NO_THROW(require(true, "never"));
  try {
    require(false, "x.npy: shape [3] expected [T,263]");
    FAIL();
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "x.npy: shape [3] expected [T,263]");
  }
}

}  // namespace
}  // namespace mogo
