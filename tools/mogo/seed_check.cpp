// --seed's check (commands.hpp).
#include <string>

#include "commands.hpp"
#include "transformer/sampler.hpp"

namespace mogo::cli {

CLI::Validator seed_check() {
  return CLI::Validator(
      [](std::string& s) -> std::string {
        const bool digits = !s.empty() && s.size() <= 10 && s.find_first_not_of("0123456789") == std::string::npos;
        if (digits && std::stoull(s) <= kMaxSeed) return "";
        return "seed '" + s + "' is not an integer in [0, " + std::to_string(kMaxSeed) + "]";
      },
      "SEED");
}

}  // namespace mogo::cli
