// SPDX-License-Identifier: MIT
// Zydis front end: bytes → Insn. The handler is chosen by semantics/table.cc.
#pragma once

#include <Zydis/Zydis.h>

#include <cstddef>
#include <cstdint>

#include "jit/decode/insn.h"

namespace rwd {

enum class CodeSize : uint8_t { k16 = 0, k32 = 1, k64 = 2 };

struct CpuFeatures;

class Decoder {
 public:
  explicit Decoder(const CpuFeatures& features);
  // Decodes one instruction at `bytes` (at most `available` bytes readable). Returns false when
  // the bytes are not a valid instruction (the caller raises #UD) — or when more bytes are
  // needed than are available, in which case *needs_more is set.
  bool decode(CodeSize size, const uint8_t* bytes, size_t available, Insn* out,
              bool* needs_more) const;

 private:
  ZydisDecoder decoders_[3];
  const CpuFeatures& features_;
};

}  // namespace rwd
