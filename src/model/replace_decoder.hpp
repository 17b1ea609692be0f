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
// A model's transition decoder of another layout than the new decoder is dropped (with a warning).
void replace_decoder(T2MModel& m, const VQCheckpoint& vq, const std::string& source);

// Installs vq's decoder as the model's transition decoder (T2MModel::transition_decoder): the same
// checks, and vq must have the model's decoder layout and have been trained with changes of text
// (train-vq --transition-share).
void install_transition_decoder(T2MModel& m, const VQCheckpoint& vq, const std::string& source);

}  // namespace mogo
