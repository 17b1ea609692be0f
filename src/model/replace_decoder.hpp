// Installs a new RVQ-VAE decoder into a text-to-motion model: one trained on the same codes
// (`train-vq --decoder-from`), so that every token sequence the generator draws still means the
// same motion and the generator needs no retraining (e.g. a decoder with less look-ahead for live
// steering, or one trained with the foot-contact loss).
#pragma once
#include <string>

#include "model/model_file.hpp"
#include "vq/checkpoint.hpp"

namespace mogo {

// Throws Error unless `vq`'s encoder, codebooks and normalisation equal the model's (to float16
// storage precision). `source` names vq in errors and in m.train_meta["decoder"].
void replace_decoder(T2MModel& m, const VQCheckpoint& vq, const std::string& source);

}  // namespace mogo
