// sampo-demo: Brownian walkers sharded across ranks; exercises deck, RNG, HDF5 output, checkpoint and restart.
//   mpirun -n 2 sampo-demo inputs/demo/flagship.toml
#include "core/app/driver.hpp"
#include "demo/brownian.hpp"

int main(int argc, char** argv) {
  return sampo::app::main(argc, argv,
                          {"demo", "Brownian walkers across ranks: an end-to-end exercise of Sampo's core",
                           "mpirun -n 2 sampo-demo inputs/demo/flagship.toml", sampo::demo::Params::schema,
                           sampo::demo::run});
}
