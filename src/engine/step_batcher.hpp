// Continuous batching of generation steps across streams, as LLM servers batch decoding: every
// stream whose next step is due while another step is running joins the next pass, so the
// transformer's weights are read once for all of them (a step's cost is mostly that read).
//
// No timer and no scheduler thread: the first caller to find no pass running runs one for
// everything queued, the others wait for their rows; when the pass ends, one of the callers that
// queued meanwhile runs the next. Each stream keeps its own text, seed, cache and sampling; rows
// do not depend on the batch they ran in (HCTInference), so a stream's motion is the same as alone.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <vector>

#include "transformer/inference.hpp"

namespace mogo {

class StepBatcher {
 public:
  // Runs rows through inference.forward together with whatever other callers submit meanwhile and
  // returns this call's logits (Q tensors [rows, V_q]), as inference.forward(rows) would.
  std::vector<torch::Tensor> run(const HCTInference& inference, const std::vector<HCTInference::Row>& rows);

  // Passes run and rows they carried (for benchmarks and tests).
  struct Counts {
    int64_t passes = 0, rows = 0, largest = 0;
  };
  Counts counts() const;

 private:
  struct Request {
    const HCTInference* inference;
    const std::vector<HCTInference::Row>* rows;
    std::vector<torch::Tensor> logits;
    std::exception_ptr error;
    bool done = false;
  };
  static void execute(const std::vector<Request*>& batch);

  mutable std::mutex m_;
  std::condition_variable done_;
  std::vector<Request*> queued_;
  bool running_ = false;
  Counts counts_;
};

}  // namespace mogo
