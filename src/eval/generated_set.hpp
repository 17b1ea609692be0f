// Motion sets for the protocol made in-process from a text-to-motion model: one generation per
// test clip (its caption, its length), K generations for a subset of texts (MultiModality), and
// the RVQ-VAE reconstructions of the test clips (the tokenizer's ceiling).
#pragma once
#include <map>
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
  // Clip id -> the prompt to generate from instead of a caption (zero-shot wording); R-precision
  // still compares with the clip's own captions. Every clip needs one when any is given.
  std::map<std::string, std::string> prompts;
};

// Reads a prompts file: one "<clip id><TAB><prompt>" per line; '#' lines and blank lines skipped.
std::map<std::string, std::string> read_prompts(const std::string& path);

// Generates, for every test clip, one motion from a random caption of it (fixed by gen.sampling.seed).
MotionSet generate_motion_set(Generator& g, const MotionDataset& test, const GeneratedSetOptions& o, const std::string& name);

// RVQ-VAE encode + decode of every test clip with the model's tokenizer, all layers (or `layers`).
MotionSet reconstruct_motion_set(Generator& g, const MotionDataset& test, const std::string& name, int64_t layers = 0);

}  // namespace mogo
