// walks_random_lines: the machine's ceiling for the random cache-line loads a walk step is made of. Not a test (ctest
// does not run it); tests/perf/walks_bench.sh's notes and docs/walks.md quote it.
//
// K independent pointer chains run through one random cycle over every 64-byte line of a 1 GiB array (huge pages
// requested, as the walk's token and graph arrays are). Each hop loads the chain's next line (a dependent miss) and,
// depending on the mode, independent side lines as a walk step does (a row next to its offsets, neighbour values):
//   1 line     the chain's line only;
//   +near      plus one line of the same 4 KiB page;
//   +far       plus one line of a distant page;
//   +2 near    plus two lines of the same page.
// Printed: ns per hop over all chains (the throughput) and per chain (the latency seen by one chain).
//   walks_random_lines [MiB=1024]
#include <sys/mman.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <utility>
#include <vector>

namespace {

struct Array {
  std::uint64_t* a = nullptr;
  std::size_t bytes = 0;
  explicit Array(std::size_t b) : bytes(b) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      std::fprintf(stderr, "walks_random_lines: cannot map %zu bytes\n", bytes);
      std::exit(1);
    }
    a = static_cast<std::uint64_t*>(p);
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
  }
  ~Array() {
    munmap(a, bytes);
  }
  Array(const Array&) = delete;
  Array& operator=(const Array&) = delete;
};

double hop_ns(const std::uint64_t* a, std::size_t lines, int chains, int mode, std::uint64_t* sink) {
  const long hops = 8000000 / chains;
  std::vector<std::uint64_t> cur(static_cast<std::size_t>(chains));
  for (int k = 0; k < chains; ++k) cur[static_cast<std::size_t>(k)] = lines / static_cast<std::size_t>(chains) * k;
  std::uint64_t s = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (long h = 0; h < hops; ++h)
    for (auto& l : cur) {
      const std::uint64_t next = a[l * 8];
      if (mode == 1) s += a[(l ^ 32) * 8 + 1];  // 32 lines = 2 KiB away: the same 4 KiB page
      if (mode == 2) s += a[((l + lines / 2) % lines) * 8 + 1];
      if (mode == 3) s += a[(l ^ 32) * 8 + 1] + a[(l ^ 16) * 8 + 1];
      l = next;
    }
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  *sink += s;
  return sec / static_cast<double>(hops * chains) * 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  const long mib = argc > 1 ? std::strtol(argv[1], nullptr, 10) : 1024;
  if (mib < 64 || mib > (1L << 20)) {
    std::fprintf(stderr, "usage: walks_random_lines [MiB, 64 or more; default 1024]\n");
    return 2;
  }
  Array arr(static_cast<std::size_t>(mib) << 20);
  const std::size_t lines = arr.bytes / 64;
  {  // one random cycle through every line (Sattolo's shuffle): no chain falls into a short, cached cycle
    std::mt19937_64 g(1);
    std::vector<std::uint32_t> p(lines);
    for (std::size_t i = 0; i < lines; ++i) p[i] = static_cast<std::uint32_t>(i);
    for (std::size_t i = lines - 1; i > 0; --i) std::swap(p[i], p[g() % i]);
    for (std::size_t i = 0; i < lines; ++i) arr.a[std::size_t{p[i]} * 8] = p[(i + 1) % lines];
  }
  std::uint64_t sink = 0;
  const char* names[] = {"1 line", "+near", "+far", "+2 near"};
  std::printf("random 64-byte lines over %ld MiB: ns per hop, all chains (per chain)\n", mib);
  std::printf("%-7s", "chains");
  for (const char* n : names) std::printf(" | %-16s", n);
  std::printf("\n");
  for (int chains : {1, 4, 8, 16, 32, 64}) {
    std::printf("%-7d", chains);
    for (int mode = 0; mode < 4; ++mode) {
      const double ns = hop_ns(arr.a, lines, chains, mode, &sink);
      std::printf(" | %6.1f (%7.1f)", ns, ns * chains);
    }
    std::printf("\n");
  }
  return sink == 42 ? 3 : 0;  // keeps the side loads
}
