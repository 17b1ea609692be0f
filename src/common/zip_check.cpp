#include "common/zip_check.hpp"

#include <cstring>
#include <zlib.h>

#include "common/error.hpp"

namespace mogo {

namespace {

constexpr uint32_t kEndOfDirectory = 0x06054b50, kZip64Locator = 0x07064b50, kZip64End = 0x06064b50;
constexpr uint32_t kDirectoryEntry = 0x02014b50, kLocalHeader = 0x04034b50;
constexpr size_t kEndSize = 22, kMaxComment = 0xFFFF;

// Little-endian fields at checked offsets: every read names the file when it would run past the end.
struct Reader {
  std::string_view bytes;
  const std::string& what;

  void need(uint64_t at, uint64_t n, const char* field) const {
    if (at > bytes.size() || n > bytes.size() - at)
      throw Error(what + ": truncated or corrupt zip (" + field + " past the end of the file)");
  }
  uint64_t le(uint64_t at, int n, const char* field) const {
    need(at, n, field);
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
    return v;
  }
};

// Offset of the End Of Central Directory record: the last signature that leaves room for its comment.
uint64_t find_end_of_directory(const Reader& r) {
  if (r.bytes.size() < kEndSize) throw Error(r.what + ": not a mogo model file (too short to be a zip archive)");
  const uint64_t lowest = r.bytes.size() > kEndSize + kMaxComment ? r.bytes.size() - kEndSize - kMaxComment : 0;
  for (uint64_t at = r.bytes.size() - kEndSize + 1; at-- > lowest;)
    if (r.le(at, 4, "signature") == kEndOfDirectory && at + kEndSize + r.le(at + 20, 2, "comment length") == r.bytes.size())
      return at;
  throw Error(r.what + ": not a mogo model file (no zip directory at its end; truncated?)");
}

struct Directory {
  uint64_t entries, offset, size;
};

Directory directory_of(const Reader& r) {
  const uint64_t end = find_end_of_directory(r);
  Directory d{r.le(end + 10, 2, "entry count"), r.le(end + 16, 4, "directory offset"), r.le(end + 12, 4, "directory size")};
  if (d.entries != 0xFFFF && d.offset != 0xFFFFFFFF && d.size != 0xFFFFFFFF) return d;
  // zip64: a locator just before the End Of Central Directory points to the 64-bit record.
  if (end < 20 || r.le(end - 20, 4, "zip64 locator") != kZip64Locator) throw Error(r.what + ": corrupt zip (zip64 locator missing)");
  const uint64_t z = r.le(end - 12, 8, "zip64 record offset");
  if (r.le(z, 4, "zip64 record") != kZip64End) throw Error(r.what + ": corrupt zip (bad zip64 record)");
  return {r.le(z + 32, 8, "entry count"), r.le(z + 48, 8, "directory offset"), r.le(z + 40, 8, "directory size")};
}

// The zip64 extra field (id 1) holds, in order, each of usize/csize/offset whose 32-bit field is 0xFFFFFFFF.
void apply_zip64_extra(const Reader& r, uint64_t extra, uint64_t extra_len, uint64_t* fields[3]) {
  for (uint64_t at = extra; at + 4 <= extra + extra_len;) {
    const uint64_t id = r.le(at, 2, "extra field"), len = r.le(at + 2, 2, "extra field");
    if (id == 1) {
      uint64_t p = at + 4;
      for (int i = 0; i < 3; ++i)
        if (*fields[i] == 0xFFFFFFFF) {
          if (p + 8 > at + 4 + len) throw Error(r.what + ": corrupt zip (short zip64 field)");
          *fields[i] = r.le(p, 8, "zip64 field");
          p += 8;
        }
    }
    at += 4 + len;
  }
}

}  // namespace

std::vector<ZipRecord> read_zip_directory(std::string_view bytes, const std::string& what) {
  const Reader r{bytes, what};
  const Directory d = directory_of(r);
  r.need(d.offset, d.size, "central directory");
  // Each entry takes at least 46 bytes: a count beyond that is corrupt (and would over-allocate).
  if (d.entries > d.size / 46) throw Error(what + ": corrupt zip (entry count does not fit its directory)");
  std::vector<ZipRecord> records;
  records.reserve(d.entries);
  uint64_t at = d.offset;
  for (uint64_t i = 0; i < d.entries; ++i) {
    if (r.le(at, 4, "directory entry") != kDirectoryEntry) throw Error(what + ": corrupt zip (bad directory entry " + std::to_string(i) + ")");
    const uint64_t method = r.le(at + 10, 2, "method"), name_len = r.le(at + 28, 2, "name length");
    const uint64_t extra_len = r.le(at + 30, 2, "extra length"), comment_len = r.le(at + 32, 2, "comment length");
    uint64_t usize = r.le(at + 24, 4, "size"), csize = r.le(at + 20, 4, "size"), local = r.le(at + 42, 4, "offset");
    r.need(at + 46, name_len + extra_len + comment_len, "directory entry");
    ZipRecord rec;
    rec.name.assign(bytes.substr(at + 46, name_len));
    rec.crc32 = static_cast<uint32_t>(r.le(at + 16, 4, "crc"));
    uint64_t* fields[3] = {&usize, &csize, &local};
    apply_zip64_extra(r, at + 46 + name_len, extra_len, fields);
    if (!(method == 0 && usize == csize) && method != 8)
      throw Error(what + ": record '" + rec.name + "' uses zip method " + std::to_string(method) + " (only stored and deflate are read)");
    if (r.le(local, 4, "local header") != kLocalHeader) throw Error(what + ": corrupt zip (bad local header of '" + rec.name + "')");
    rec.data_offset = local + 30 + r.le(local + 26, 2, "name length") + r.le(local + 28, 2, "extra length");
    rec.size = csize;
    rec.deflated = method == 8;
    rec.inflated_size = usize;
    r.need(rec.data_offset, rec.size, "record data");
    records.push_back(std::move(rec));
    at += 46 + name_len + extra_len + comment_len;
  }
  return records;
}

namespace {

// CRC-32 of a record's bytes, inflated first when deflated. Inflating streams through a fixed
// buffer: a corrupt size field cannot make it allocate.
uint32_t record_crc(std::string_view bytes, const ZipRecord& rec, const std::string& what) {
  uLong crc = crc32(0L, Z_NULL, 0);
  const auto* in = reinterpret_cast<const Bytef*>(bytes.data() + rec.data_offset);
  if (!rec.deflated) {
    // zlib's crc32 takes a uInt length: feed it in chunks so records over 4 GiB work.
    for (uint64_t done = 0; done < rec.size;) {
      const uint64_t n = std::min<uint64_t>(rec.size - done, 1u << 30);
      crc = crc32(crc, in + done, static_cast<uInt>(n));
      done += n;
    }
    return static_cast<uint32_t>(crc);
  }
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw Error(what + ": cannot start inflating '" + rec.name + "'");
  z.next_in = const_cast<Bytef*>(in);
  z.avail_in = static_cast<uInt>(std::min<uint64_t>(rec.size, 1u << 30));
  unsigned char out[1 << 15];
  uint64_t produced = 0;
  int ret = Z_OK;
  while (ret == Z_OK) {
    z.next_out = out;
    z.avail_out = sizeof out;
    ret = inflate(&z, Z_NO_FLUSH);
    const uint64_t n = sizeof out - z.avail_out;
    crc = crc32(crc, out, static_cast<uInt>(n));
    produced += n;
    if (produced > rec.inflated_size) ret = Z_DATA_ERROR;
    if (ret == Z_BUF_ERROR && n > 0) ret = Z_OK;  // output space ran out, more to come
  }
  inflateEnd(&z);
  if (ret != Z_STREAM_END || produced != rec.inflated_size)
    throw Error(what + ": corrupt file (record '" + rec.name + "' does not inflate to its stated size)");
  return static_cast<uint32_t>(crc);
}

}  // namespace

void verify_zip_checksums(std::string_view bytes, const std::string& what) {
  for (const auto& rec : read_zip_directory(bytes, what))
    if (record_crc(bytes, rec, what) != rec.crc32)
      throw Error(what + ": corrupt file (checksum mismatch in record '" + rec.name + "'); the file was damaged after it was written");
}

}  // namespace mogo
