#include "motion/npy.hpp"

#include <cstring>
#include <limits>
#include <algorithm>

#include "common/atomic_file.hpp"
#include "common/error.hpp"

namespace mogo::npy {

namespace {

const char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;

[[noreturn]] void fail(const std::string& name, const std::string& what) {
  throw Error(name + ": invalid .npy file: " + what);
}

uint32_t read_le(const std::string& b, size_t at, size_t nbytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < nbytes; ++i) v |= static_cast<uint32_t>(static_cast<unsigned char>(b[at + i])) << (8 * i);
  return v;
}

// Extracts the value text of a key in the header dict, e.g. 'descr': '<f4' -> '<f4'.
// A hand-written scan rather than std::regex: regex recursion can overflow on corrupt headers.
std::string dict_value(const std::string& header, const std::string& key, const std::string& name) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos) at = header.find("\"" + key + "\"");
  if (at == std::string::npos) fail(name, "header has no '" + key + "' field");
  size_t colon = header.find(':', at + key.size() + 2);
  if (colon == std::string::npos) fail(name, "header field '" + key + "' has no value");
  size_t begin = header.find_first_not_of(" \t", colon + 1);
  if (begin == std::string::npos) fail(name, "header field '" + key + "' has no value");
  size_t end = header[begin] == '(' ? header.find(')', begin) : header.find_first_of(",}", begin);
  if (end == std::string::npos) fail(name, "header field '" + key + "' is not terminated");
  if (header[begin] == '(') ++end;
  std::string v = header.substr(begin, end - begin);
  while (!v.empty() && isspace(static_cast<unsigned char>(v.back()))) v.pop_back();
  return v;
}

std::vector<int64_t> parse_shape(const std::string& text, const std::string& name) {
  if (text.size() < 2 || text.front() != '(' || text.back() != ')') fail(name, "shape is not a tuple: " + text);
  std::vector<int64_t> shape;
  std::string inner = text.substr(1, text.size() - 2);
  size_t pos = 0;
  while (pos < inner.size()) {
    size_t comma = inner.find(',', pos);
    std::string item = inner.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) {
      if (item.find_first_not_of("0123456789") != std::string::npos || item.size() > 15)
        fail(name, "shape entry is not a non-negative integer: '" + item + "'");
      shape.push_back(std::stoll(item));
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return shape;
}

}  // namespace

torch::Tensor parse(const std::string& b, const std::string& name) {
  if (b.size() < kMagicLen + 4 || std::memcmp(b.data(), kMagic, kMagicLen) != 0)
    fail(name, "bad magic (not a NumPy .npy file)");
  int major = static_cast<unsigned char>(b[6]);
  size_t header_len_bytes = major == 1 ? 2 : (major == 2 || major == 3) ? 4 : 0;
  if (header_len_bytes == 0) fail(name, "unsupported format version " + std::to_string(major) + " (expected 1, 2 or 3)");
  if (b.size() < 8 + header_len_bytes) fail(name, "truncated header");
  size_t header_len = read_le(b, 8, header_len_bytes);
  size_t data_at = 8 + header_len_bytes + header_len;
  if (data_at > b.size()) fail(name, "truncated header (declares " + std::to_string(header_len) + " bytes)");
  if (header_len > (1u << 20)) fail(name, "header of " + std::to_string(header_len) + " bytes is implausibly large");
  std::string header = b.substr(8 + header_len_bytes, header_len);

  std::string descr = dict_value(header, "descr", name);
  std::string fortran = dict_value(header, "fortran_order", name);
  std::string shape_text = dict_value(header, "shape", name);
  descr.erase(std::remove(descr.begin(), descr.end(), '\''), descr.end());
  descr.erase(std::remove(descr.begin(), descr.end(), '"'), descr.end());
  if (fortran != "False") fail(name, "Fortran-order arrays are not supported (fortran_order: " + fortran + ")");

  torch::ScalarType dtype;
  size_t item = 0;
  if (descr == "<f4" || descr == "=f4") {
    dtype = torch::kFloat;
    item = 4;
  } else if (descr == "<f8" || descr == "=f8") {
    dtype = torch::kDouble;
    item = 8;
  } else {
    fail(name, "unsupported dtype '" + descr + "' (expected little-endian float32 '<f4' or float64 '<f8')");
  }

  std::vector<int64_t> shape = parse_shape(shape_text, name);
  // Count elements with overflow checks: a corrupt header must not trigger a huge allocation.
  uint64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
      fail(name, "shape " + shape_text + " overflows");
    count *= static_cast<uint64_t>(d);
  }
  uint64_t have = b.size() - data_at;
  if (count > have / item || count * item != have)
    fail(name, "data size mismatch: shape " + shape_text + " needs " + std::to_string(count * item) +
                   " bytes, file has " + std::to_string(have));
  torch::Tensor t = torch::empty(shape, torch::TensorOptions().dtype(dtype));
  if (count > 0) std::memcpy(t.data_ptr(), b.data() + data_at, count * item);
  return t;
}

torch::Tensor load(const std::string& path) { return parse(read_file(path), path); }

std::string serialize(const torch::Tensor& input) {
  torch::Tensor t = input.detach().to(torch::kCPU);
  if (t.scalar_type() != torch::kDouble) t = t.to(torch::kFloat);
  t = t.contiguous();
  std::string shape = "(";
  for (int64_t d : t.sizes()) shape += std::to_string(d) + ", ";
  if (t.dim() == 1) shape.pop_back();  // "(5,)"
  else if (t.dim() > 1) shape.resize(shape.size() - 2);
  shape += ")";
  std::string header = std::string("{'descr': '") + (t.scalar_type() == torch::kDouble ? "<f8" : "<f4") +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad with spaces so that the data start is 64-byte aligned, ending in '\n' (the format's rule).
  size_t total = kMagicLen + 2 + 2 + header.size() + 1;
  header += std::string((64 - total % 64) % 64, ' ') + "\n";
  std::string out(kMagic, kMagicLen);
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  out.append(static_cast<const char*>(t.data_ptr()), t.numel() * t.element_size());
  return out;
}

void save(const std::string& path, const torch::Tensor& t) { write_file_atomically(path, serialize(t)); }

}  // namespace mogo::npy
