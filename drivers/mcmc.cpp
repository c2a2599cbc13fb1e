// sampo-mcmc: many NUTS/HMC/MALA/RWM chains across ranks with Stan's warm-up, diagnostics, ArviZ-readable HDF5
// output and bitwise checkpoint/restart.
//   mpirun -n 2 sampo-mcmc inputs/mcmc/flagship.toml
#include "core/app/driver.hpp"
#include "mcmc/app.hpp"

int main(int argc, char** argv) {
  return sampo::app::main(
      argc, argv,
      {"mcmc", "Many MCMC chains across ranks (NUTS with Stan's warm-up), R-hat/ESS, ArviZ output",
       "mpirun -n 2 sampo-mcmc inputs/mcmc/flagship.toml", sampo::mcmc::Params::schema, sampo::mcmc::run});
}
