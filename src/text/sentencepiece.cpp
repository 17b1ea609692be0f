#include "text/sentencepiece.hpp"

#include <cstdio>
#include <cstdlib>
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <unistd.h>

#include "common/atomic_file.hpp"
#include "common/error.hpp"
#include "common/runtime.hpp"

namespace mogo::spm {

namespace {

struct Api {
  int (*train)(const char*, char*, size_t);
  void* (*load)(const char*, size_t, char*, size_t);
  void (*free)(void*);
  int (*vocab_size)(void*);
  int (*encode)(void*, const char*, int*, int);
  void (*id_to_piece)(void*, int, char*, size_t);
  int (*special)(void*, int);
};

// The shim's location: $MOGO_SPM_SHIM, else installed beside libmogo.so (lib/mogo/) or the mogo
// program (../lib/mogo/), else the build tree's copy.
std::string shim_path() {
  if (const char* env = std::getenv("MOGO_SPM_SHIM")) return env;
  auto installed = installed_file({"mogo/libmogo_sentencepiece.so", "../lib/mogo/libmogo_sentencepiece.so"});
  return installed.empty() ? MOGO_SPM_SHIM_PATH : installed;
}

const Api& api() {
  static Api a;
  static std::once_flag once;
  std::call_once(once, [] {
    std::string path = shim_path();
    void* h = dlmopen(LM_ID_NEWLM, path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) throw Error("cannot load the SentencePiece shim " + path + ": " + dlerror());
    auto sym = [&](const char* name) {
      void* p = dlsym(h, name);
      if (!p) throw Error(path + ": missing symbol " + name);
      return p;
    };
    a.train = reinterpret_cast<decltype(a.train)>(sym("mogo_spm_train"));
    a.load = reinterpret_cast<decltype(a.load)>(sym("mogo_spm_load"));
    a.free = reinterpret_cast<decltype(a.free)>(sym("mogo_spm_free"));
    a.vocab_size = reinterpret_cast<decltype(a.vocab_size)>(sym("mogo_spm_vocab_size"));
    a.encode = reinterpret_cast<decltype(a.encode)>(sym("mogo_spm_encode"));
    a.id_to_piece = reinterpret_cast<decltype(a.id_to_piece)>(sym("mogo_spm_id_to_piece"));
    a.special = reinterpret_cast<decltype(a.special)>(sym("mogo_spm_special"));
  });
  return a;
}

}  // namespace

std::string train(const std::vector<std::string>& sentences, int vocab_size) {
  namespace fs = std::filesystem;
  require(!sentences.empty(), "SentencePiece: no sentences to train on");
  fs::path dir = fs::temp_directory_path() / ("mogo-spm-" + std::to_string(::getpid()) + "-" + std::to_string(std::rand()));
  fs::create_directories(dir);
  {
    std::ofstream out(dir / "corpus.txt");
    for (const auto& s : sentences) out << s << "\n";
  }
  std::string args = "--input=" + (dir / "corpus.txt").string() + " --model_prefix=" + (dir / "m").string() +
                     " --vocab_size=" + std::to_string(vocab_size) +
                     " --hard_vocab_limit=false --model_type=unigram --character_coverage=1.0"
                     " --pad_id=3 --unk_id=0 --bos_id=1 --eos_id=2 --minloglevel=2 --num_threads=1";
  char err[1024] = {0};
  int rc = api().train(args.c_str(), err, sizeof err);
  std::string model;
  if (rc == 0) model = read_file((dir / "m.model").string());
  fs::remove_all(dir);
  require(rc == 0, std::string("SentencePiece training failed: ") + err);
  return model;
}

Processor::Processor(const std::string& serialized) {
  char err[1024] = {0};
  handle_ = api().load(serialized.data(), serialized.size(), err, sizeof err);
  require(handle_ != nullptr, std::string("cannot load SentencePiece model: ") + err);
}

Processor::~Processor() { api().free(handle_); }

std::vector<int> Processor::encode(const std::string& text) const {
  std::vector<int> ids(256);
  int n = api().encode(handle_, text.c_str(), ids.data(), static_cast<int>(ids.size()));
  require(n >= 0, "SentencePiece could not encode the text");
  if (n > static_cast<int>(ids.size())) {
    ids.resize(n);
    n = api().encode(handle_, text.c_str(), ids.data(), n);
  }
  ids.resize(n);
  return ids;
}

std::string Processor::piece(int id) const {
  char buf[256];
  api().id_to_piece(handle_, id, buf, sizeof buf);
  return buf;
}

int Processor::vocab_size() const { return api().vocab_size(handle_); }
int Processor::unk_id() const { return api().special(handle_, 0); }
int Processor::bos_id() const { return api().special(handle_, 1); }
int Processor::eos_id() const { return api().special(handle_, 2); }
int Processor::pad_id() const { return api().special(handle_, 3); }

}  // namespace mogo::spm
