// Continuous batching of generation steps across streams, as LLM servers batch decoding: every
// stream whose next step is due while another step is running joins the next pass, so the
// weights are read once for all of them (a step's cost is mostly that read). Both halves of a
// step are batched: the transformer's pass (the next tokens) and the decoder's (their frames).
//
// Passes are formed by a combining lock (common/combiner): no timer, no scheduler thread. Each
// stream keeps its own text, seed, cache, sampling and decoder state; rows do not depend on the
// batch they ran in (HCTInference, DecoderInference), so a stream's motion is the same as alone.
#pragma once
#include <exception>
#include <vector>

#include "common/combiner.hpp"
#include "transformer/inference.hpp"
#include "vq/decoder_inference.hpp"

namespace mogo {

class StepBatcher {
 public:
  // Runs rows through inference.forward together with whatever other callers submit meanwhile and
  // returns this call's logits (Q tensors [rows, V_q]), as inference.forward(rows) would.
  std::vector<torch::Tensor> run(const HCTInference& inference, const std::vector<HCTInference::Row>& rows);
  // Runs a stream's decoder jobs together with other callers' (DecoderInference::push).
  void decode(const DecoderInference& decoder, std::vector<DecoderInference::Job*>& jobs);

  // Passes run and rows they carried (for benchmarks and tests): transformer rows, decoder jobs.
  using Counts = CombinerCounts;
  Counts counts() const { return steps_.counts(); }
  Counts decode_counts() const { return decodes_.counts(); }

 private:
  struct Step {
    const HCTInference* inference;
    const std::vector<HCTInference::Row>* rows;
    std::vector<torch::Tensor> logits;
    std::exception_ptr error;
  };
  struct Decode {
    const DecoderInference* decoder;
    std::vector<DecoderInference::Job*>* jobs;
    std::exception_ptr error;
  };
  static void run_steps(const std::vector<Step*>& batch);
  static void run_decodes(const std::vector<Decode*>& batch);

  Combiner<Step> steps_;
  Combiner<Decode> decodes_;
};

}  // namespace mogo
