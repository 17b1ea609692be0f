// A C interface over SentencePiece, built as its own shared object and loaded with
// dlmopen(LM_ID_NEWLM) by text/sentencepiece.cpp: into a link-map namespace of its own.
//
// Why: Debian's libsentencepiece carries a private copy of protobuf-lite 3.14 whose symbols are
// exported; LibTorch loads the system libprotobuf 3.21. In one global symbol scope the two
// collide (a crash in protobuf's static initialisers, or a fatal version check). A separate
// namespace keeps SentencePiece and its protobuf copy apart (RTLD_DEEPBIND is not enough: the
// program's copy-relocated std::cerr then differs from the one SentencePiece logs to). Only C
// types cross the boundary, and memory is freed on the side that allocated it.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
void set_error(char* err, size_t n, const std::string& msg) {
  if (err && n) {
    std::strncpy(err, msg.c_str(), n - 1);
    err[n - 1] = '\0';
  }
}
}  // namespace

extern "C" {

// Trains a model from a text file (one sentence a line); writes `<prefix>.model`.
int mogo_spm_train(const char* args, char* err, size_t errlen) {
  auto s = sentencepiece::SentencePieceTrainer::Train(args);
  if (!s.ok()) {
    set_error(err, errlen, s.ToString());
    return 1;
  }
  return 0;
}

void* mogo_spm_load(const char* proto, size_t len, char* err, size_t errlen) {
  auto* sp = new sentencepiece::SentencePieceProcessor();
  auto s = sp->LoadFromSerializedProto(std::string(proto, len));
  if (!s.ok()) {
    set_error(err, errlen, s.ToString());
    delete sp;
    return nullptr;
  }
  return sp;
}

void mogo_spm_free(void* h) { delete static_cast<sentencepiece::SentencePieceProcessor*>(h); }

int mogo_spm_vocab_size(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h)->GetPieceSize(); }

// Writes up to max_ids ids; returns the full count (may exceed max_ids), or -1 on error.
int mogo_spm_encode(void* h, const char* text, int* ids, int max_ids) {
  std::vector<int> out;
  if (!static_cast<sentencepiece::SentencePieceProcessor*>(h)->Encode(text, &out).ok()) return -1;
  for (int i = 0; i < static_cast<int>(out.size()) && i < max_ids; ++i) ids[i] = out[i];
  return static_cast<int>(out.size());
}

// Writes the piece of an id into buf (NUL-terminated, truncated to n).
void mogo_spm_id_to_piece(void* h, int id, char* buf, size_t n) {
  set_error(buf, n, static_cast<sentencepiece::SentencePieceProcessor*>(h)->IdToPiece(id));
}

int mogo_spm_special(void* h, int which) {
  auto* sp = static_cast<sentencepiece::SentencePieceProcessor*>(h);
  switch (which) {
    case 0: return sp->unk_id();
    case 1: return sp->bos_id();
    case 2: return sp->eos_id();
    default: return sp->pad_id();
  }
}
}
