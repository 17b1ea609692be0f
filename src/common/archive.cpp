#include "common/archive.hpp"

#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/zip_check.hpp"

namespace mogo {

void save_archive(const std::string& path, torch::serialize::OutputArchive& ar, nlohmann::json meta, const FileFormat& format) {
  meta["format"] = format.name;
  meta["version"] = format.version;
  ar.write("meta", c10::IValue(meta.dump()));
  // Serialised in memory first: LibTorch's file writer, failing mid-way (disk full), throws again
  // from its destructor and ends the process; here the only file write is the atomic one.
  std::string bytes;
  ar.save_to([&bytes](const void* data, size_t n) {
    bytes.append(static_cast<const char*>(data), n);
    return n;
  });
  write_file_atomically(path, bytes);
}

nlohmann::json load_archive(const std::string& path, torch::serialize::InputArchive& ar, const FileFormat& format,
                            torch::Device device) {
  const std::string& name = format.name;
  require(std::filesystem::exists(path), path + ": no such file");
  const std::string bytes = read_file(path);
  verify_zip_checksums(bytes, path);
  try {
    ar.load_from(bytes.data(), bytes.size(), device);
  } catch (const c10::Error&) {
    throw Error(path + ": not a mogo " + name + " file (cannot read the archive)");
  }
  c10::IValue meta_v;
  require(ar.try_read("meta", meta_v) && meta_v.isString(), path + ": not a mogo " + name + " file (no 'meta' record)");
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(meta_v.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": corrupt 'meta' record: " + e.what());
  }
  require(meta.is_object() && meta.value("format", "") == name,
          path + ": format is '" + (meta.is_object() ? meta.value("format", "") : "") + "', expected '" + name + "'");
  const auto version = meta.value("version", nlohmann::json(1));
  require(version.is_number_integer() && version.get<int64_t>() == format.version,
          path + ": " + name + " format version " + version.dump() + ", this mogo reads version " + std::to_string(format.version));
  return meta;
}

void read_meta(const std::string& path, const std::function<void()>& read) {
  try {
    read();
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": bad 'meta' record: " + e.what());
  }
}

void write_bytes(torch::serialize::OutputArchive& ar, const std::string& name, const std::string& bytes) {
  ar.write(name, torch::from_blob(const_cast<char*>(bytes.data()), {static_cast<int64_t>(bytes.size())}, torch::kUInt8).clone());
}

std::string read_bytes(torch::serialize::InputArchive& ar, const std::string& name, const std::string& path) {
  torch::Tensor t;
  require(ar.try_read(name, t) && t.dtype() == torch::kUInt8 && t.dim() == 1 && t.numel() > 0, path + ": missing tensor '" + name + "'");
  t = t.to(torch::kCPU).contiguous();
  return std::string(static_cast<const char*>(t.data_ptr()), static_cast<size_t>(t.numel()));
}

void write_normalisation(torch::serialize::OutputArchive& ar, const torch::Tensor& mean, const torch::Tensor& std) {
  ar.write("mean", mean.to(torch::kCPU, torch::kFloat));
  ar.write("std", std.to(torch::kCPU, torch::kFloat));
}

void read_normalisation(torch::serialize::InputArchive& ar, const std::string& path, int64_t dim, torch::Tensor& mean,
                        torch::Tensor& std) {
  for (auto [name, t] : {std::pair<const char*, torch::Tensor*>{"mean", &mean}, {"std", &std}}) {
    require(ar.try_read(name, *t), path + ": missing tensor '" + name + "'");
    require(t->dim() == 1 && t->size(0) == dim,
            path + ": tensor '" + name + "' has shape " + c10::str(t->sizes()) + ", expected [" + std::to_string(dim) + "]");
    *t = t->to(torch::kCPU, torch::kFloat);
    require(torch::isfinite(*t).all().item<bool>(), path + ": tensor '" + name + "' holds NaN or infinite values");
  }
  require((std > 0).all().item<bool>(), path + ": tensor 'std' has non-positive entries");
}

namespace {

// Mirrors torch::nn::Module::save (own parameters, own buffers, then one sub-archive per child),
// optionally narrowing floating-point tensors to float16.
void write_module(torch::serialize::OutputArchive& ar, const torch::nn::Module& m, bool half) {
  auto store = [half](const torch::Tensor& t) {
    auto c = t.detach().to(torch::kCPU);
    return half && c.is_floating_point() ? c.to(torch::kHalf) : c;
  };
  for (const auto& p : m.named_parameters(/*recurse=*/false)) ar.write(p.key(), store(p.value()));
  for (const auto& b : m.named_buffers(/*recurse=*/false)) ar.write(b.key(), store(b.value()), /*is_buffer=*/true);
  for (const auto& c : m.named_children()) {
    torch::serialize::OutputArchive child;
    write_module(child, *c.value(), half);
    ar.write(c.key(), child);
  }
}

// True when no element is NaN or infinite. Float32 on the CPU (every weight once loaded) is read
// as bits: an exponent of all ones is the only non-finite pattern. That is one pass over memory,
// where torch::isfinite(t).all() makes several (and took ~15% of loading the default model).
bool all_finite(const torch::Tensor& t) {
  if (!(t.device().is_cpu() && t.scalar_type() == torch::kFloat && t.is_contiguous())) return torch::isfinite(t).all().item<bool>();
  const auto* bits = static_cast<const uint32_t*>(t.data_ptr());
  uint32_t non_finite = 0;
  for (int64_t i = 0, n = t.numel(); i < n; ++i) non_finite |= static_cast<uint32_t>((bits[i] & 0x7F800000u) == 0x7F800000u);
  return non_finite == 0;
}

void read_tensor(torch::serialize::InputArchive& ar, const std::string& key, torch::Tensor& target, bool is_buffer,
                 const std::string& path, const std::string& where) {
  torch::Tensor t;
  require(ar.try_read(key, t, is_buffer), path + ": missing tensor '" + where + key + "'");
  require(t.sizes() == target.sizes(), path + ": tensor '" + where + key + "' has shape " + c10::str(t.sizes()) +
                                           ", expected " + c10::str(target.sizes()));
  torch::NoGradGuard g;
  target.copy_(t.to(target.device(), target.dtype()));
  // A diverged run's weights would generate NaN motion with exit 0. (Checked on the copy: one
  // float32 pass; a file that fails is discarded whole.)
  require(!target.is_floating_point() || all_finite(target),
          path + ": tensor '" + where + key + "' holds NaN or infinite values (a damaged file, or weights from a run that diverged)");
}

void read_module(torch::serialize::InputArchive& ar, torch::nn::Module& m, const std::string& path, const std::string& where) {
  for (auto& p : m.named_parameters(/*recurse=*/false)) read_tensor(ar, p.key(), p.value(), false, path, where);
  for (auto& b : m.named_buffers(/*recurse=*/false)) read_tensor(ar, b.key(), b.value(), true, path, where);
  for (const auto& c : m.named_children()) {
    torch::serialize::InputArchive child;
    require(ar.try_read(c.key(), child), path + ": missing module '" + where + c.key() + "'");
    read_module(child, *c.value(), path, where + c.key() + ".");
  }
}

}  // namespace

void write_model(torch::serialize::OutputArchive& ar, const torch::nn::Module& model, torch::optim::Optimizer* optimizer,
                 const std::string& name, bool half) {
  torch::serialize::OutputArchive model_ar;
  write_module(model_ar, model, half);
  ar.write(name, model_ar);
  if (optimizer) {
    torch::serialize::OutputArchive opt_ar;
    optimizer->save(opt_ar);
    ar.write("optimizer", opt_ar);
  }
}

void read_model(torch::serialize::InputArchive& ar, torch::nn::Module& model, const std::string& path, const std::string& name) {
  torch::serialize::InputArchive model_ar;
  require(ar.try_read(name, model_ar), path + ": no '" + name + "' weights");
  read_module(model_ar, model, path, name + ".");
}

void load_optimizer_state(const std::string& path, torch::optim::Optimizer& optimizer) {
  torch::serialize::InputArchive ar;
  const std::string bytes = read_file(path);
  verify_zip_checksums(bytes, path);
  ar.load_from(bytes.data(), bytes.size());
  torch::serialize::InputArchive opt_ar;
  require(ar.try_read("optimizer", opt_ar), path + ": no optimizer state (a model file, not a training checkpoint)");
  optimizer.load(opt_ar);
}

nlohmann::json parse_json(const std::string& text, const std::string& source) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(source + ": not valid JSON: " + e.what());
  }
}

nlohmann::json load_json_file(const std::string& path) { return parse_json(read_file(path), path); }

}  // namespace mogo
