// sampo-nlse: pseudo-spectral nonlinear Schrödinger solver on a periodic grid distributed over ranks.
//   mpirun -n 2 sampo-nlse inputs/nlse/flagship.toml
#include "core/app/driver.hpp"
#include "nlse/simulation.hpp"

int main(int argc, char** argv) {
  return sampo::app::main(argc, argv,
                          {"nlse", "Nonlinear Schrödinger equation on a distributed periodic grid",
                           "mpirun -n 2 sampo-nlse inputs/nlse/flagship.toml", sampo::nlse::schema,
                           sampo::nlse::run});
}
