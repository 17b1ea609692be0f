// NumPy .npy files: read float32/float64 (little-endian, C order, format versions 1-3) into a
// tensor, write float32 tensors. Every malformed input gives an Error naming the file and the
// problem; nothing is trusted before it is checked (header length, shape vs data size).
#pragma once
#include <string>

#include <torch/torch.h>

namespace mogo::npy {

// Parses .npy bytes. `name` is used in error messages. Returns a CPU tensor of the stored dtype
// (kFloat or kDouble) and shape.
torch::Tensor parse(const std::string& bytes, const std::string& name);

// Reads a .npy file.
torch::Tensor load(const std::string& path);

// Serialises a tensor (any float dtype; stored as float32 unless it is double) as .npy v1.0 bytes.
std::string serialize(const torch::Tensor& t);

// Writes a tensor atomically (temporary file + rename).
void save(const std::string& path, const torch::Tensor& t);

}  // namespace mogo::npy
