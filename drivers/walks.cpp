// sampo-walks: random-walk tokens (SRW, MHRW, NBRW, SRRW, HDT, SA-SRRW) on replicated graphs, with an exact
// variance oracle on PETSc. Tokens are sharded over ranks; results are bitwise independent of ranks and threads.
//   mpirun -n 2 sampo-walks inputs/walks/flagship.toml [walk.alpha=5] [--restart latest] [-- -oracle_ksp_monitor]
#include "core/app/driver.hpp"
#include "walks/simulation.hpp"

int main(int argc, char** argv) {
  return sampo::app::main(argc, argv,
                          {"walks", "Self-repellent random-walk tokens on graphs: sampling, SA-SRRW, exact variance oracle",
                           "mpirun -n 2 sampo-walks inputs/walks/flagship.toml walk.alpha=5", sampo::walks::Params::schema,
                           sampo::walks::run});
}
