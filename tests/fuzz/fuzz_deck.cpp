// libFuzzer target: arbitrary bytes as a deck (and as one override) must give a Config or a ConfigError —
// never a crash, a hang, another exception, or undefined behaviour (built with ASan + UBSan).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/config/config.hpp"
#include "core/error/error.hpp"

namespace {
const sampo::config::Schema& schema() {
  static const sampo::config::Schema s = [] {
    sampo::config::Schema x;
    x.integer("grid.points", 512, "points", 2, 1e12);
    x.real("grid.length", 50.0, "length", 1e-9, 1e9);
    x.boolean("run.flag", false, "flag");
    x.string("time.method", "a", "method", {"a", "bb", "ccc"});
    x.string("run.name", "n", "name");
    x.real_list("model.c", {1.0}, "coefficients", -1e3, 1e3);
    x.integer_list("model.shape", {1}, "shape", 0, 100);
    return x;
  }();
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto c = sampo::config::Config::parse(schema(), text, "fuzz.toml");
    // A valid deck must round-trip through its resolved form.
    auto c2 = sampo::config::Config::parse(schema(), c.to_toml(), "resolved");
    if (c2.to_toml() != c.to_toml()) __builtin_trap();
  } catch (const sampo::ConfigError&) {
  }
  try {
    (void)sampo::config::Config::parse(schema(), "", "fuzz.toml", {text});
  } catch (const sampo::ConfigError&) {
  }
  return 0;
}
