// Integrity of model files. mogo's model files and checkpoints are LibTorch archives: zip files
// whose records carry a CRC-32 each, which LibTorch's reader does not check (it is built with
// MINIZ_DISABLE_ZIP_READER_CRC32_CHECKS). A flipped byte in a weight would load silently and give
// NaN or garbage; verify_zip_checksums reads the zip directory itself and checks every record.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mogo {

struct ZipRecord {
  std::string name;
  uint32_t crc32 = 0;       // from the central directory
  uint64_t size = 0;           // bytes in the file (LibTorch stores tensors uncompressed)
  uint64_t data_offset = 0;    // where the bytes start in the file
  bool deflated = false;       // method 8 (LibTorch deflates its small code records)
  uint64_t inflated_size = 0;
};

// Parses the zip directory of `bytes` (End Of Central Directory, zip64 included, central and local
// headers), bounds-checking every field. Throws Error "<what>: ..." naming what is wrong.
std::vector<ZipRecord> read_zip_directory(std::string_view bytes, const std::string& what);

// read_zip_directory, then the CRC-32 of every record against its stored bytes.
void verify_zip_checksums(std::string_view bytes, const std::string& what);

}  // namespace mogo
