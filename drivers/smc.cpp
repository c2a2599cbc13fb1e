// sampo-smc: particle filters, PaRIS smoothing, PaRIS particle Gibbs and SA-MLE over particle populations sharded
// across ranks.
//   mpirun -n 2 sampo-smc inputs/smc/flagship.toml
#include "core/app/driver.hpp"
#include "smc/app.hpp"

int main(int argc, char** argv) {
  return sampo::app::main(argc, argv,
                          {"smc", "particle filters, PaRIS smoothing, PaRIS particle Gibbs and parameter learning",
                           "mpirun -n 2 sampo-smc inputs/smc/flagship.toml", sampo::smc::Params::schema,
                           sampo::smc::run});
}
