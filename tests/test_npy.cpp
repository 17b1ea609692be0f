// NPY reading/writing, including fuzz-style corruption: every broken file is a clean Error.
#include <random>

#include "common/error.hpp"
#include "motion/npy.hpp"
#include "test_util.hpp"

using namespace mogo;

TEST(Npy, RoundTripFloat32AndFloat64) {
  test::TempDir dir;
  auto a = torch::randn({7, 5, 3});
  npy::save(dir / "a.npy", a);
  auto b = npy::load(dir / "a.npy");
  EXPECT_EQ(b.scalar_type(), torch::kFloat);
  EXPECT_TRUE(torch::equal(a, b));
  auto d = torch::randn({4}, torch::kDouble);
  npy::save(dir / "d.npy", d);
  auto e = npy::load(dir / "d.npy");
  EXPECT_EQ(e.scalar_type(), torch::kDouble);
  EXPECT_TRUE(torch::equal(d, e));
  auto s = torch::zeros({0, 3});
  EXPECT_EQ(npy::parse(npy::serialize(s), "empty").sizes(), s.sizes());
}

TEST(Npy, ReadsTheReferenceFiles) {
  auto f = npy::load(test::reference_dir() + "/new_joint_vecs_012314.npy");
  EXPECT_EQ(f.sizes(), torch::IntArrayRef({170, 263}));
  auto j = npy::load(test::reference_dir() + "/new_joints_012314.npy");
  EXPECT_EQ(j.sizes(), torch::IntArrayRef({170, 22, 3}));
}

TEST(Npy, HeaderIsAlignedAndVersion1) {
  auto bytes = npy::serialize(torch::ones({3, 2}));
  EXPECT_EQ(bytes.substr(1, 5), "NUMPY");
  EXPECT_EQ(bytes[6], '\x01');
  size_t header_len = static_cast<unsigned char>(bytes[8]) | (static_cast<unsigned char>(bytes[9]) << 8);
  EXPECT_EQ((10 + header_len) % 64, 0u);
  EXPECT_NE(bytes.find("'shape': (3, 2)"), std::string::npos);
}

namespace {
std::string with_header(const std::string& header_dict, size_t data_bytes, char version = 1) {
  std::string h = header_dict + "\n";
  std::string out("\x93NUMPY", 6);
  out += version;
  out += '\0';
  if (version == 1) {
    out += static_cast<char>(h.size() & 0xff);
    out += static_cast<char>(h.size() >> 8);
  } else {
    for (int i = 0; i < 4; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  }
  return out + h + std::string(data_bytes, '\0');
}

void expect_error_containing(const std::string& bytes, const std::string& needle) {
  try {
    npy::parse(bytes, "bad.npy");
    FAIL() << "expected an error containing '" << needle << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad.npy"), std::string::npos) << e.what();
  }
}
}  // namespace

TEST(Npy, VersionTwoAndThreeHeadersAreRead) {
  auto v2 = with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, 2);
  EXPECT_EQ(npy::parse(v2, "v2").numel(), 2);
  auto v3 = with_header("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", 8, 3);
  EXPECT_EQ(npy::parse(v3, "v3").numel(), 1);
}

TEST(Npy, MalformedFilesNameTheProblem) {
  expect_error_containing("hello world, not numpy", "bad magic");
  expect_error_containing(with_header("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8), "unsupported dtype");
  expect_error_containing(with_header("{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", 16), "unsupported dtype");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16), "Fortran");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", 20), "data size mismatch");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }", 4), "overflows");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': False, }", 4), "shape");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", 4), "non-negative");
  expect_error_containing(with_header("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 4, 9), "format version");
  auto good = npy::serialize(torch::ones({4, 4}));
  expect_error_containing(good.substr(0, good.size() - 1), "data size mismatch");
  expect_error_containing(good.substr(0, 12), "truncated header");
}

TEST(Npy, LoadOfMissingFileNamesIt) {
  try {
    npy::load("/nonexistent/x.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.npy"), std::string::npos);
  }
}

// Fuzz: random truncations, byte flips and insertions of a valid file never crash; they either
// parse (a flip inside the data) or raise mogo::Error.
TEST(Npy, FuzzCorruptionsGiveCleanErrors) {
  const std::string good = npy::serialize(torch::randn({6, 5}));
  std::mt19937 rng(42);
  int errors = 0, parsed = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = good;
    int kind = iter % 4;
    if (kind == 0) {
      b.resize(rng() % b.size());
    } else if (kind == 1) {
      int flips = 1 + rng() % 4;
      for (int k = 0; k < flips; ++k) b[rng() % 128] = static_cast<char>(rng());
    } else if (kind == 2) {
      b.insert(rng() % 128, std::string(1 + rng() % 8, static_cast<char>(rng())));
    } else {
      b[8] = static_cast<char>(rng());
      b[9] = static_cast<char>(rng());
    }
    try {
      auto t = npy::parse(b, "fuzz.npy");
      ++parsed;
      EXPECT_LE(t.numel(), 30);
    } catch (const Error&) {
      ++errors;
    }
  }
  EXPECT_GT(errors, 1000);
  EXPECT_GT(parsed, 0);
}
