#pragma once
// The nlse workload: deck keys, the time loop with output times, HDF5 output and checkpoint/restart.
#include "core/app/driver.hpp"
#include "core/config/config.hpp"

namespace sampo::nlse {

inline constexpr int schema_version = 1;
config::Schema schema();
int run(app::Context& ctx);  // collective

}  // namespace sampo::nlse
