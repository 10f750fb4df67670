#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// 1 when `csha256_compress_blocks` runs on this processor (x86-64 with the SHA extensions and SSE4.1, detected once
/// with cpuid through `__builtin_cpu_supports`), else 0. Pure function of the processor.
int csha256_available(void);

/// The SHA-256 compression function (FIPS 180-4, section 6.2.2) applied to `blocks` consecutive 64-byte blocks at
/// `data` (any alignment), updating the eight working words `state[0..<8]` (H0..H7, native integers) in place.
/// Uses the x86 SHA extensions (`sha256rnds2`, `sha256msg1`, `sha256msg2`): two rounds per `sha256rnds2`, the message
/// schedule four words at a time. Exact integer arithmetic: the result is the same on every processor that runs it.
///
/// Returns 1 when the blocks were compressed, 0 (nothing read or written) when `csha256_available()` is 0; then the
/// caller must use its portable implementation.
int csha256_compress_blocks(uint32_t state[8], const uint8_t *data, size_t blocks);

/// `csha256_compress_blocks` with the run-time check skipped, for tests that compare paths: the caller must have seen
/// `csha256_available() == 1`. Not compiled (returns 0) on processors other than x86-64.
int csha256_compress_blocks_shani(uint32_t state[8], const uint8_t *data, size_t blocks);

#endif
