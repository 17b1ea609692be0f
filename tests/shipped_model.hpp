// The shipped default model, loaded once per test process (one LibTorch thread: tests run two
// processes at a time).
#pragma once
#include "engine/generator.hpp"
#include "test_util.hpp"

namespace mogo::test {

inline Generator& shipped_generator() {
  static Generator g = [] {
    torch::set_num_threads(1);
    return Generator::load(source_dir() + "/models/t2m-tiny.pt");
  }();
  return g;
}

}  // namespace mogo::test
