// SPDX-License-Identifier: MIT
#include "replay/checksum.h"

#include <gtest/gtest.h>

#include <string>

namespace rwd {
namespace {

TEST(Checksum, Crc32KnownAnswers) {
  EXPECT_EQ(crc32("", 0), 0u);
  EXPECT_EQ(crc32("123456789", 9), 0xcbf43926u);  // the CRC-32 check value
  uint32_t part = crc32("12345", 5);
  EXPECT_EQ(crc32("6789", 4, part), 0xcbf43926u);
}

TEST(Checksum, Xxh64KnownAnswersAndIncremental) {
  // Reference values of XXH64 with seed 0.
  EXPECT_EQ(hash64("", 0), 0xef46db3751d8e999ull);
  EXPECT_EQ(hash64("a", 1), 0xd24ec4f1a98c6e5bull);
  EXPECT_EQ(hash64("abc", 3), 0x44bc2cf5ad770999ull);
  std::string long_text(1000, 'x');
  for (size_t i = 0; i < long_text.size(); i++) long_text[i] = char('a' + i % 26);
  Hasher h;
  for (size_t i = 0; i < long_text.size(); i += 7)
    h.update(long_text.data() + i, std::min<size_t>(7, long_text.size() - i));
  EXPECT_EQ(h.digest(), hash64(long_text.data(), long_text.size()));
}

}  // namespace
}  // namespace rwd
