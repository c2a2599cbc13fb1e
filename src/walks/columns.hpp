#pragma once
// 2-D datasets whose columns are distributed (each rank holds a contiguous block of columns, blocks in rank order):
// the vertex engine's (tokens × vertices) counts and (snapshots × vertices) measures are written and read from the
// owners' blocks without assembling a row anywhere. Internal to src/walks; uses core/io's dataset helpers.
#include <span>
#include <string>
#include <vector>

#include "core/error/error.hpp"
#include "core/io/hdf5.hpp"

namespace sampo::walks {

// Collective: a (rows × Σ cols) dataset; `local` is this rank's rows × cols block, row-major.
template <class T>
void write_columns(const io::Group& g, const mpi::Communicator& comm, const std::string& name,
                   std::span<const T> local, std::uint64_t rows, std::uint64_t cols, const io::DatasetOptions& opt) {
  SAMPO_VERIFY(local.size() == rows * cols, "write_columns: block size differs from rows x cols");
  const auto off = comm.exscan_sum(static_cast<unsigned long long>(cols));
  const auto total = comm.allreduce(static_cast<unsigned long long>(cols), mpi::Op::sum);
  auto type = io::h5type<T>();
  auto d = io::detail::create_dataset(g, name, type.get(), {rows, total}, opt);
  io::detail::write_dataset_attrs(g, name, opt);
  if (rows * total == 0) return;
  auto [fs, ms] = io::detail::select(d.get(), {0, off}, {rows, cols});
  auto x = io::detail::collective_xfer();
  const T dummy{};
  io::detail::check(H5Dwrite(d.get(), type.get(), ms.get(), fs.get(), x.get(), local.empty() ? &dummy : local.data()),
                    "writing " + g.where(name));
}

// Collective: columns [c0, c0 + cols) of every row of a 2-D dataset (rows × cols, row-major).
template <class T>
std::vector<T> read_columns(const io::Group& g, const std::string& name, std::uint64_t c0, std::uint64_t cols) {
  const auto dims = g.shape(name);
  if (dims.size() != 2 || c0 + cols > dims[1])
    throw IoError(g.where(name) + ": expected a 2-D dataset with at least " + std::to_string(c0 + cols) + " columns");
  std::vector<T> out(dims[0] * cols);
  if (dims[0] * dims[1] == 0) return out;
  io::Handle d(io::detail::check_id(H5Dopen2(g.id(), name.c_str(), H5P_DEFAULT), "opening " + g.where(name)),
               H5Dclose);
  auto type = io::h5type<T>();
  auto [fs, ms] = io::detail::select(d.get(), {0, c0}, {dims[0], cols});
  auto x = io::detail::collective_xfer();
  T dummy{};
  io::detail::check(H5Dread(d.get(), type.get(), ms.get(), fs.get(), x.get(), out.empty() ? &dummy : out.data()),
                    "reading " + g.where(name));
  return out;
}

}  // namespace sampo::walks
