// io_roundtrip write|read PATH N: writes a distributed array of N known values at this rank count, or reads it
// back at another rank count and checks every value (exit 1 on any mismatch). Used by io_crossnp.sh.
#include <cmath>
#include <cstdio>
#include <string>

#include "core/io/hdf5.hpp"
#include "core/mpi/environment.hpp"

int main(int argc, char** argv) {
  sampo::mpi::Environment env(argc, argv);
  auto comm = sampo::mpi::Communicator(MPI_COMM_WORLD);
  if (argc != 4) return 2;
  const std::string mode = argv[1], path = argv[2];
  const std::uint64_t n = std::stoull(argv[3]);
  const auto P = static_cast<std::uint64_t>(comm.size()), r = static_cast<std::uint64_t>(comm.rank());
  const std::uint64_t a = n * r / P, b = n * (r + 1) / P;
  auto value = [](std::uint64_t i) { return std::complex<double>(std::sin(0.1 * i), 1e-3 * i); };
  int bad = 0;
  if (mode == "write") {
    std::vector<std::complex<double>> local;
    for (auto i = a; i < b; ++i) local.push_back(value(i));
    auto f = sampo::io::File::create(comm, path);
    f.root().write_distributed<std::complex<double>>("psi", local, {"", "", true, 0});
    f.close();
  } else {
    auto f = sampo::io::File::open(comm, path);
    const auto part = f.root().read_part<std::complex<double>>("psi", a, b - a);
    for (auto i = a; i < b; ++i) bad += part[i - a] != value(i);
    if (f.root().shape("psi").at(0) != n) bad++;
    f.close();
  }
  bad = comm.allreduce(bad, sampo::mpi::Op::sum);
  if (comm.is_root()) std::printf("%s %s at %d ranks: %d mismatches\n", mode.c_str(), path.c_str(), comm.size(), bad);
  return bad ? 1 : 0;
}
