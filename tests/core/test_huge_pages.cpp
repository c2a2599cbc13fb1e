// core/memory/huge_pages.hpp: alignment, zeroed large blocks, both size paths, the allocator in a vector, the RAII
// buffer's moves. Whether the kernel really backs a block with huge pages depends on its THP setting (a hint), so
// that is reported, not asserted.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "core/memory/huge_pages.hpp"

namespace {
using sampo::memory::huge_alloc;
using sampo::memory::huge_free;
using sampo::memory::huge_page_bytes;
using sampo::memory::HugeBuffer;
using sampo::memory::HugePageAllocator;

bool aligned(const void* p, std::uintptr_t a) { return reinterpret_cast<std::uintptr_t>(p) % a == 0; }

TEST(HugePages, LargeBlocksAreAlignedZeroedAndWritable) {
  for (std::size_t bytes : {huge_page_bytes, huge_page_bytes + 8, 5 * huge_page_bytes - 16}) {
    auto* p = static_cast<unsigned char*>(huge_alloc(bytes));
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p, huge_page_bytes)) << bytes;
    std::size_t nonzero = 0;
    for (std::size_t i = 0; i < bytes; i += 4093) nonzero += p[i] != 0;
    EXPECT_EQ(nonzero, 0u) << "mmap'd memory is zero";
    for (std::size_t i = 0; i < bytes; ++i) p[i] = static_cast<unsigned char>(i * 7);  // every byte, to the end
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < bytes; ++i) wrong += p[i] != static_cast<unsigned char>(i * 7);
    EXPECT_EQ(wrong, 0u);
    huge_free(p, bytes);
  }
}

TEST(HugePages, SmallBlocksComeFromOperatorNew) {
  for (std::size_t bytes : {std::size_t{0}, std::size_t{1}, std::size_t{64}, huge_page_bytes - 1}) {
    void* p = huge_alloc(bytes);
    ASSERT_NE(p, nullptr);
    EXPECT_TRUE(aligned(p, 64)) << bytes;
    huge_free(p, bytes);
  }
  huge_free(nullptr, 123);  // no-op
}

TEST(HugePages, VectorWithTheAllocator) {
  std::vector<double, HugePageAllocator<double>> v(std::size_t{1} << 20, 1.5);  // 8 MiB: the huge path
  EXPECT_TRUE(aligned(v.data(), huge_page_bytes));
  v.resize(v.size() + 5, 2.0);  // reallocates through the allocator
  double s = 0;
  for (double x : v) s += x;
  EXPECT_EQ(s, 1.5 * static_cast<double>(std::size_t{1} << 20) + 10.0);
  std::vector<double, HugePageAllocator<double>> w(16, 3.0);  // the small path
  EXPECT_EQ(w[15], 3.0);
  auto copy = v;
  EXPECT_EQ(copy.back(), 2.0);
  EXPECT_TRUE(HugePageAllocator<double>() == HugePageAllocator<int>());
}

TEST(HugePages, BufferMovesOwnership) {
  HugeBuffer a(3 * huge_page_bytes);
  a.as<double>()[0] = 4.0;
  HugeBuffer b(std::move(a));
  EXPECT_EQ(a.as<double>(), nullptr);  // NOLINT(bugprone-use-after-move): moved-from state is specified
  EXPECT_EQ(b.bytes(), 3 * huge_page_bytes);
  EXPECT_EQ(b.as<double>()[0], 4.0);
  HugeBuffer c;
  c = std::move(b);
  EXPECT_EQ(c.as<double>()[0], 4.0);
  // Reported, not asserted: how much of this process is on huge pages (0 where THP is `never`).
  std::ifstream smaps("/proc/self/smaps_rollup");
  for (std::string line; std::getline(smaps, line);)
    if (line.rfind("AnonHugePages", 0) == 0) std::printf("%s\n", line.c_str());
}
}  // namespace
