// SPDX-License-Identifier: MIT
// DebugExit is header-only; this file anchors it in the devices library.
#include "devices/debug_exit.h"
