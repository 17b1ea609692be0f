// `mogo train-align`: trains a model's meaning encoder (text/meaning_encoder) on its training
// captions and rewordings of them (text/rewording), labelled with each clip's content and style
// labels, and stores it in the model file. It reads only the dataset, the labels, the phrase book
// and the text-to-motion model: never an evaluator or its outputs.
#pragma once
#include <cstdint>
#include <string>

namespace mogo {

struct MeaningTrainOptions {
  std::string data_dir;    // prepared dataset (train split: texts/<id>.txt)
  std::string labels;      // tsv with columns id, content, style (Bandai's labels.tsv); "M<id>" = mirrored <id>
  std::string phrases;     // phrase book (data/align/phrases.json)
  std::string model;       // text-to-motion model to add the encoder to
  std::string out;         // model file to write (may be `model`)
  int64_t rewordings = 400;  // per known combination
  int64_t epochs = 6;
  int64_t batch = 256;
  double lr = 3e-3;
  uint64_t seed = 7;
  int64_t dim = 64, hidden = 128;
  bool half = false;       // float16 weights in the written model
};

struct MeaningTrainReport {
  int64_t examples = 0, features = 0, combos = 0;
  double held_out_accuracy = 0;   // all three attributes right, on held-out rewordings
  double caption_accuracy = 0;    // the same on the training captions
};

MeaningTrainReport train_meaning(const MeaningTrainOptions& o);

}  // namespace mogo
