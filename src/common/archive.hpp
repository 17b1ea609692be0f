// Model files: a torch archive with a JSON "meta" record naming its format, written atomically
// (temporary file + rename) and validated on load.
#pragma once
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace mogo {

// Adds meta (with "format" set) to `ar` and writes it to `path` atomically.
void save_archive(const std::string& path, torch::serialize::OutputArchive& ar, nlohmann::json meta,
                  const std::string& format);

// Opens `path`, checks that its meta names `format`, and returns the meta.
nlohmann::json load_archive(const std::string& path, torch::serialize::InputArchive& ar, const std::string& format,
                            torch::Device device = torch::kCPU);

// Writes a module's weights as the record `name` (default "model") and, when given, the optimizer
// state as the "optimizer" record (training checkpoints). With half = true floating-point tensors
// are stored as float16 (and widened again on load).
void write_model(torch::serialize::OutputArchive& ar, const torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                 const std::string& name = "model", bool half = false);
// Reads record `name` into a module, checking every parameter and buffer by name and shape: the
// first missing or mismatched tensor is an Error naming the file and the tensor.
void read_model(torch::serialize::InputArchive& ar, torch::nn::Module& model, const std::string& path,
                const std::string& name = "model");

// Loads the "optimizer" record of a training checkpoint into `optimizer`.
void load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer);

// Parses JSON text; errors name `source`.
nlohmann::json parse_json(const std::string& text, const std::string& source);
// Parses a JSON file; errors name the file.
nlohmann::json load_json_file(const std::string& path);

}  // namespace mogo
