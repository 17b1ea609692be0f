// Motion sets for the protocol made in-process from a text-to-motion model: one generation per
// test clip (its caption, its length), K generations for a subset of texts (MultiModality), and
// the RVQ-VAE reconstructions of the test clips (the tokenizer's ceiling).
#pragma once
#include <string>

#include "data/motion_dataset.hpp"
#include "engine/generator.hpp"
#include "eval/protocol.hpp"

namespace mogo {

struct GeneratedSetOptions {
  GenerateOptions gen;
  int64_t mm_texts = 100;      // texts that get mm_samples generations each (MultiModality)
  int64_t mm_samples = 10;
  int64_t max_frames = 196;    // generated lengths are the test clips' lengths, capped here
};

// Generates, for every test clip, one motion from a random caption of it (fixed by gen.sampling.seed).
MotionSet generate_motion_set(Generator& g, const MotionDataset& test, const GeneratedSetOptions& o, const std::string& name);

// RVQ-VAE encode + decode of every test clip with the model's tokenizer, all layers (or `layers`).
MotionSet reconstruct_motion_set(Generator& g, const MotionDataset& test, const std::string& name, int64_t layers = 0);

}  // namespace mogo
