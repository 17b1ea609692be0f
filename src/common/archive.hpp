// Model files: a torch archive with a JSON "meta" record naming its format, written atomically
// (temporary file + rename) and validated on load.
#pragma once
#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace mogo {

// A kind of mogo file and the version of its layout that this build writes and reads.
struct FileFormat {
  std::string name;
  int version = 1;
  FileFormat(const char* n, int v = 1) : name(n), version(v) {}  // NOLINT: a literal names a format
};
// Every file format mogo writes, in one table: bump a version here when a layout changes.
inline const FileFormat kT2MFile{"mogo-t2m", 1};              // text-to-motion model (model/model_file)
inline const FileFormat kVQFile{"mogo-rvqvae", 1};            // RVQ-VAE model or checkpoint (vq/checkpoint)
inline const FileFormat kEvaluatorFile{"mogo-evaluator", 1};  // evaluator (eval/evaluator)
inline const FileFormat kTokenCacheFile{"mogo-tokens", 1};    // train-t2m's token caches

// Adds meta (with "format" and "version" set) to `ar` and writes it to `path` atomically.
void save_archive(const std::string& path, torch::serialize::OutputArchive& ar, nlohmann::json meta, const FileFormat& format);

// Opens `path`, checks that its meta names `format` and its version (files without one are
// version 1), and returns the meta.
nlohmann::json load_archive(const std::string& path, torch::serialize::InputArchive& ar, const FileFormat& format,
                            torch::Device device = torch::kCPU);

// Runs `read`, which reads fields of a file's meta record: a missing or mistyped field (a JSON
// exception) becomes an Error naming the file ("<path>: bad 'meta' record: ...").
void read_meta(const std::string& path, const std::function<void()>& read);

// Bytes as a uint8 record (a tokenizer model, say), and back; a missing or empty record is an
// Error naming the file and the record.
void write_bytes(torch::serialize::OutputArchive& ar, const std::string& name, const std::string& bytes);
std::string read_bytes(torch::serialize::InputArchive& ar, const std::string& name, const std::string& path);

// The feature normalisation records "mean" and "std" ([D] float32), and back, checked: shape [dim],
// finite, std > 0.
void write_normalisation(torch::serialize::OutputArchive& ar, const torch::Tensor& mean, const torch::Tensor& std);
void read_normalisation(torch::serialize::InputArchive& ar, const std::string& path, int64_t dim, torch::Tensor& mean,
                        torch::Tensor& std);

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
