// SPDX-License-Identifier: MIT
// The LLVM ORC tier starts here. For now it proves the toolchain: `rewind --version` creates an
// LLJIT instance and reports the LLVM version and host target the JIT tier will compile for.
#include "jit/llvm/orc_probe.h"

#include <llvm/ExecutionEngine/Orc/LLJIT.h>
#include <llvm/Support/TargetSelect.h>
#include <llvm/Config/llvm-config.h>

namespace rwd {

std::string llvm_orc_description() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto jit = llvm::orc::LLJITBuilder().create();
  if (!jit) {
    std::string message = llvm::toString(jit.takeError());
    return "LLVM " LLVM_VERSION_STRING " (ORC unavailable: " + message + ")";
  }
  return "LLVM " LLVM_VERSION_STRING " ORC LLJIT for " + (*jit)->getTargetTriple().str();
}

}  // namespace rwd
