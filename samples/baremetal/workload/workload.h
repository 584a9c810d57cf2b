// SPDX-License-Identifier: MIT
// CPU workload shared by the bare-metal guest and the native benchmark build.
#ifndef BAREMETAL_WORKLOAD_H
#define BAREMETAL_WORKLOAD_H

// Runs `iterations` rounds of sieve + CRC32 + heapsort + matrix multiply,
// printing every partial result and a final checksum through kprintf.
// Returns 0 if all self-checks passed.
int workload_run(unsigned long iterations);

#endif
