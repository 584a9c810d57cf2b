// SPDX-License-Identifier: MIT
#pragma once

#include <string>

namespace rwd {
// Creates an ORC LLJIT and describes it ("LLVM 19.1.7 ORC LLJIT for x86_64-pc-linux-gnu").
std::string llvm_orc_description();
}  // namespace rwd
