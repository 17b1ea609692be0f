// Feet in what users get (docs/feet.md): 8 prompts x 5 s with the default model (or one given),
// the joints as `generate --joints` writes them, scored with the model's own foot-contact channel:
// skating share (contact frames whose foot joint moves faster than 0.1 m/s horizontally), mean
// sliding speed in contact, penetration below the floor; without and with foot locking.
//   usage: bench_feet [model.pt] [seeds]
#include <cstdio>
#include <cstdlib>

#include "animation/foot_lock.hpp"
#include "common/runtime.hpp"
#include "engine/generator.hpp"
#include "motion/foot_metrics.hpp"

using namespace mogo;

int main(int argc, char** argv) {
  const std::string model = argc > 1 ? argv[1] : default_model_path();
  const int seeds = argc > 2 ? std::atoi(argv[2]) : 3;
  configure_threads(1);
  auto gen = Generator::load(model);
  const auto skel = gen.skeleton();
  const auto c = skel.layout().foot_contacts();
  const char* prompts[] = {"a person walks forward",        "a person runs forward", "a person walks backward slowly",
                           "a person walks in a circle",    "a person jumps",        "a person kicks with the right leg",
                           "a person dances",               "a person walks forward proudly"};
  FootMetrics raw, locked;
  int64_t contact = 0, frames = 0;
  for (int s = 0; s < seeds; ++s)
    for (const char* p : prompts) {
      GenerateOptions o;
      o.seconds = 5;
      o.sampling.seed = 1 + static_cast<uint64_t>(s);
      auto f = gen.generate({p}, o)[0].features;
      auto j = gen.joints(f);
      auto labels = f.narrow(1, c.begin, c.size);
      raw += foot_metrics(j, labels, skel);
      locked += foot_metrics(lock_feet(j, f, skel), labels, skel);
      contact += (labels > 0.5).sum().item<int64_t>();
      frames += labels.numel();
    }
  std::printf("model %s: 8 prompts x 5 s x %d seeds; contact labels on in %.1f%% of foot-joint frames\n", model.c_str(), seeds,
              100.0 * static_cast<double>(contact) / static_cast<double>(frames));
  auto row = [](const char* name, const FootMetrics& m) {
    std::printf("%-22s skating %5.1f%%  sliding %.3f m/s  below floor %.1f mm (%.1f%% of frames over 1 cm)\n", name,
                100 * m.skating_ratio(), m.sliding_speed(), 1000 * m.penetration_depth(), 100 * m.penetration_ratio());
  };
  row("as generated", raw);
  row("foot locking (default)", locked);
  return 0;
}
