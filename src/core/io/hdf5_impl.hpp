#pragma once
// Template definitions for core/io/hdf5.hpp (included from there only).
#include <algorithm>

namespace sampo::io {

namespace detail {
std::string last_hdf5_message();
hid_t check_id(hid_t id, const std::string& what);
void check(herr_t rc, const std::string& what);
Handle collective_xfer();
Handle independent_xfer();
// Creates a dataset (collective) with the given global shape, element type and options.
Handle create_dataset(const Group& g, const std::string& name, hid_t type, const std::vector<std::uint64_t>& dims,
                      const DatasetOptions& opt, bool extendable = false);
void write_dataset_attrs(const Group& g, const std::string& name, const DatasetOptions& opt);
// Selects [offset, offset+count) on a copy of dataset's file space; returns (file space, memory space).
std::pair<Handle, Handle> select(hid_t dset, const std::vector<std::uint64_t>& offset,
                                 const std::vector<std::uint64_t>& count);
}  // namespace detail

template <class T>
std::uint64_t Group::write_distributed(const std::string& name, std::span<const T> local,
                                       const DatasetOptions& opt) const {
  const auto n = static_cast<unsigned long long>(local.size());
  const auto off = comm_.exscan_sum(n);
  const auto total = comm_.allreduce(n, mpi::Op::sum);
  auto type = h5type<T>();
  auto d = detail::create_dataset(*this, name, type.get(), {total}, opt);
  detail::write_dataset_attrs(*this, name, opt);
  if (total == 0) return off;  // a collective write of nothing fails in HDF5 1.10 (MPI-IO)
  auto [fs, ms] = detail::select(d.get(), {off}, {n});
  auto x = detail::collective_xfer();
  const T dummy{};
  detail::check(H5Dwrite(d.get(), type.get(), ms.get(), fs.get(), x.get(), n ? local.data() : &dummy),
                "writing " + where(name));
  return off;
}

template <class T>
std::uint64_t Group::write_rows(const std::string& name, std::span<const T> local, std::uint64_t cols,
                                const DatasetOptions& opt) const {
  SAMPO_VERIFY(cols > 0 && local.size() % cols == 0, "write_rows: local size is not a multiple of the row width");
  const auto rows = static_cast<unsigned long long>(local.size() / cols);
  const auto off = comm_.exscan_sum(rows);
  const auto total = comm_.allreduce(rows, mpi::Op::sum);
  auto type = h5type<T>();
  auto d = detail::create_dataset(*this, name, type.get(), {total, cols}, opt);
  detail::write_dataset_attrs(*this, name, opt);
  if (total == 0) return off;
  auto [fs, ms] = detail::select(d.get(), {off, 0}, {rows, cols});
  auto x = detail::collective_xfer();
  const T dummy{};
  detail::check(H5Dwrite(d.get(), type.get(), ms.get(), fs.get(), x.get(), rows ? local.data() : &dummy),
                "writing " + where(name));
  return off;
}

template <class T>
void Group::write_replicated(const std::string& name, std::span<const T> data, std::vector<std::uint64_t> shape,
                             const DatasetOptions& opt) const {
  if (shape.empty()) shape = {data.size()};
  std::uint64_t total = 1;
  for (auto s : shape) total *= s;
  SAMPO_VERIFY(total == data.size(), "write_replicated: shape does not match the data size");
  auto type = h5type<T>();
  auto d = detail::create_dataset(*this, name, type.get(), shape, opt);
  detail::write_dataset_attrs(*this, name, opt);
  if (total == 0) return;
  std::vector<std::uint64_t> zero(shape.size(), 0), count = shape;
  if (!comm_.is_root()) count.assign(shape.size(), 0);
  auto [fs, ms] = detail::select(d.get(), zero, count);
  auto x = detail::collective_xfer();
  const T dummy{};
  detail::check(H5Dwrite(d.get(), type.get(), ms.get(), fs.get(), x.get(),
                         (comm_.is_root() && total) ? data.data() : &dummy),
                "writing " + where(name));
}

template <class T>
std::vector<T> Group::read_part(const std::string& name, std::uint64_t offset, std::uint64_t count) const {
  const auto dims = shape(name);
  SAMPO_VERIFY(!dims.empty(), "read_part of a scalar dataset");
  if (offset + count > dims[0])
    throw IoError(where(name) + ": asked for rows [" + std::to_string(offset) + ", " + std::to_string(offset + count) +
                  ") but the dataset has " + std::to_string(dims[0]));
  std::vector<std::uint64_t> off(dims.size(), 0), cnt = dims;
  off[0] = offset;
  cnt[0] = count;
  std::uint64_t n = 1;
  for (auto c : cnt) n *= c;
  std::vector<T> out(n);
  std::uint64_t total = 1;
  for (auto c : dims) total *= c;
  if (total == 0) return out;  // nothing to read (and a collective read of nothing fails in HDF5 1.10)
  Handle d(detail::check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening " + where(name)), H5Dclose);
  auto type = h5type<T>();
  auto [fs, ms] = detail::select(d.get(), off, cnt);
  auto x = detail::collective_xfer();
  T dummy{};
  detail::check(H5Dread(d.get(), type.get(), ms.get(), fs.get(), x.get(), n ? out.data() : &dummy),
                "reading " + where(name));
  return out;
}

template <class T>
std::vector<T> Group::read_all(const std::string& name) const {
  Handle d(detail::check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening " + where(name)), H5Dclose);
  const auto dims = shape(name);
  std::uint64_t n = 1;
  for (auto c : dims) n *= c;
  std::vector<T> out(n);
  auto type = h5type<T>();
  auto x = detail::independent_xfer();
  T dummy{};
  detail::check(H5Dread(d.get(), type.get(), H5S_ALL, H5S_ALL, x.get(), n ? out.data() : &dummy),
                "reading " + where(name));
  return out;
}

}  // namespace sampo::io
