// The two random choices text augmentation makes (paraphrases, rewordings).
#pragma once
#include <random>
#include <vector>

namespace mogo {

// True with probability p.
inline bool coin(std::mt19937_64& rng, double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

// A uniformly chosen element of a non-empty vector.
template <class T>
const T& pick_one(const std::vector<T>& v, std::mt19937_64& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

}  // namespace mogo
