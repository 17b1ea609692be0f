// SamplingParams' ranges (sampler.hpp), apart from the sampler so that the server's request
// parsing and its fuzz harness can use them without the transformer.
#include <cmath>
#include <cstdio>
#include <string>

#include "common/error.hpp"
#include "transformer/sampler.hpp"

namespace mogo {

SamplingParams::Problem SamplingParams::check() const {
  if (top_k < 0) return {"top_k", "must be >= 0 (0: all codes), got " + std::to_string(top_k)};
  if (!(std::isfinite(temperature) && temperature >= 0 && temperature <= 100))
    return {"temperature", "must be in [0, 100] (0: greedy), got " + number_text(temperature)};
  if (!(std::isfinite(guidance) && guidance >= 0 && guidance <= 100)) return {"guidance", "must be in [0, 100] (1: off), got " + number_text(guidance)};
  // LibTorch's CPU generator seeds its Mersenne Twister with 32 bits: a larger seed would silently
  // give the motion of another one.
  if (seed > kMaxSeed) return {"seed", "must be in [0, 4294967295], got " + std::to_string(seed)};
  return {};
}

void SamplingParams::validate() const {
  const auto p = check();
  if (p.field.empty()) return;
  std::string flag = "--" + p.field;
  for (auto& c : flag) c = c == '_' ? '-' : c;
  throw Error(flag + " " + p.message);
}

}  // namespace mogo
