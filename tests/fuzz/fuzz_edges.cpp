// libFuzzer target: arbitrary bytes as a SNAP edge-list file must give an edge list or an InputError naming the
// line — never a crash, a hang, another exception or undefined behaviour (ASan + UBSan).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "core/error/error.hpp"
#include "walks/graph.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/sampo_fuzz_edges_" + std::to_string(getpid()) + ".txt";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  } else {
    return 0;
  }
  try {
    (void)sampo::walks::read_edge_list(path);
  } catch (const sampo::InputError&) {
  }
  return 0;
}
