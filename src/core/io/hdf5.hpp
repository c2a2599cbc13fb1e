#pragma once
// RAII HDF5 on MPI-IO: files, groups, attributes, distributed and extendable datasets, dimension scales.
//
// Every HDF5 call is checked; a failure throws IoError naming the file and object (HDF5's automatic error printing
// is switched off so users see one message). Functions marked "collective" must be called by every rank of the
// file's communicator with the same metadata (names, shapes, attribute values): parallel HDF5 requires it.
#include <hdf5.h>

#include <complex>
#include <exception>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/mpi/communicator.hpp"

namespace sampo::io {

// Owns one hid_t and closes it with the matching H5?close.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) noexcept : id_(id), closer_(closer) {}
  Handle(Handle&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  // During stack unwinding the id is not closed: closing a parallel file (or a dataset in one) is collective, and
  // the other ranks may be elsewhere — the job is about to abort (or exit on a collective error) anyway.
  ~Handle() {
    if (std::uncaught_exceptions() > 0) return;
    reset();
  }
  void reset() noexcept {
    if (id_ >= 0 && closer_) closer_(id_);
    id_ = H5I_INVALID_HID;
  }
  [[nodiscard]] hid_t get() const noexcept { return id_; }
  [[nodiscard]] bool valid() const noexcept { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

// HDF5 memory type of T (complex<double> is the compound {r, i}, which h5py reads as complex).
template <class T>
Handle h5type();
template <> Handle h5type<double>();
template <> Handle h5type<float>();
template <> Handle h5type<std::int8_t>();
template <> Handle h5type<std::int32_t>();
template <> Handle h5type<std::uint32_t>();
template <> Handle h5type<std::int64_t>();
template <> Handle h5type<std::uint64_t>();
template <> Handle h5type<std::complex<double>>();

struct DatasetOptions {
  std::string units;        // written as attribute "units" when not empty
  std::string description;  // written as attribute "description" when not empty
  bool checksum = false;    // Fletcher32 filter (chunked layout); reads then verify the data
  std::uint64_t chunk = 0;  // elements (rows for 2-D) per chunk; 0 = contiguous unless checksum/extendable
};

class Group {
 public:
  Group() = default;
  Group(Handle h, std::string file, std::string path, mpi::Communicator comm)
      : h_(std::move(h)), file_(std::move(file)), path_(std::move(path)), comm_(std::move(comm)) {}
  [[nodiscard]] hid_t id() const noexcept { return h_.get(); }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  [[nodiscard]] const std::string& file_name() const noexcept { return file_; }
  [[nodiscard]] const mpi::Communicator& comm() const noexcept { return comm_; }
  // "file:/path/name" for messages.
  [[nodiscard]] std::string where(const std::string& name = "") const;

  Group create_group(const std::string& name) const;  // collective
  Group open_group(const std::string& name) const;
  [[nodiscard]] bool exists(const std::string& name) const;
  [[nodiscard]] std::vector<std::string> children() const;
  [[nodiscard]] bool is_group(const std::string& name) const;  // else a dataset

  // Attributes on this group, or on a child dataset/group when `object` is given. Collective when writing.
  void set_attr(const std::string& name, const std::string& v, const std::string& object = "") const;
  void set_attr(const std::string& name, const char* v, const std::string& object = "") const {
    set_attr(name, std::string(v), object);
  }
  void set_attr(const std::string& name, double v, const std::string& object = "") const;
  void set_attr(const std::string& name, std::int64_t v, const std::string& object = "") const;
  void set_attr(const std::string& name, int v, const std::string& object = "") const {
    set_attr(name, static_cast<std::int64_t>(v), object);
  }
  void set_attr(const std::string& name, std::span<const double> v, const std::string& object = "") const;
  void set_attr(const std::string& name, std::span<const std::int64_t> v, const std::string& object = "") const;
  [[nodiscard]] bool has_attr(const std::string& name, const std::string& object = "") const;
  [[nodiscard]] std::string attr_string(const std::string& name, const std::string& object = "") const;
  [[nodiscard]] double attr_double(const std::string& name, const std::string& object = "") const;
  [[nodiscard]] std::int64_t attr_int(const std::string& name, const std::string& object = "") const;
  [[nodiscard]] std::vector<double> attr_doubles(const std::string& name, const std::string& object = "") const;
  [[nodiscard]] std::vector<std::int64_t> attr_ints(const std::string& name, const std::string& object = "") const;

  // Collective: a 1-D dataset of the concatenation of every rank's `local` (in rank order; offsets by exclusive
  // scan). Returns this rank's offset.
  template <class T>
  std::uint64_t write_distributed(const std::string& name, std::span<const T> local,
                                  const DatasetOptions& opt = {}) const;
  // Collective: a 2-D dataset (rows × cols) whose rows are distributed (each rank gives local.size()/cols rows).
  template <class T>
  std::uint64_t write_rows(const std::string& name, std::span<const T> local, std::uint64_t cols,
                           const DatasetOptions& opt = {}) const;
  // Collective: a dataset of any shape with the same content on every rank (rank 0 writes it).
  template <class T>
  void write_replicated(const std::string& name, std::span<const T> data, std::vector<std::uint64_t> shape = {},
                        const DatasetOptions& opt = {}) const;

  [[nodiscard]] std::vector<std::uint64_t> shape(const std::string& name) const;
  // Collective: this rank's part [offset, offset+count) along the first dimension (all columns).
  template <class T>
  std::vector<T> read_part(const std::string& name, std::uint64_t offset, std::uint64_t count) const;
  // Every rank reads the whole dataset (independent I/O).
  template <class T>
  std::vector<T> read_all(const std::string& name) const;
  // Reads the whole dataset (independent), verifying checksums; throws IoError if corrupt.
  void verify_dataset(const std::string& name) const;

 private:
  Handle h_;
  std::string file_;
  std::string path_;
  mpi::Communicator comm_ = mpi::Communicator::world();
};

// A parallel HDF5 file (MPI-IO driver, collective metadata).
class File {
 public:
  // Collective: creates (truncates) `path`.
  static File create(const mpi::Communicator& comm, const std::string& path);
  // Collective: opens an existing file, read-only unless `write`.
  static File open(const mpi::Communicator& comm, const std::string& path, bool write = false);
  // Serial (one rank, MPI_COMM_SELF): open read-only, e.g. to validate a checkpoint on rank 0.
  static File open_serial(const std::string& path);

  [[nodiscard]] const Group& root() const noexcept { return root_; }
  [[nodiscard]] const std::string& path() const noexcept { return path_; }
  void flush() const;  // collective
  void close();        // collective

 private:
  Handle h_;
  Group root_;
  std::string path_;
};

// A dataset that grows along its first (time) dimension: shape (unlimited, width) or (unlimited) when width = 0.
// append() is collective; each rank gives its part of the row with its offset (rank-0-only data: other ranks give
// an empty span).
template <class T>
class Series {
 public:
  Series() = default;
  Series(const Group& g, const std::string& name, std::uint64_t width, const DatasetOptions& opt = {});
  // Reopens an existing series (after restart), continuing at its current length.
  static Series open(const Group& g, const std::string& name);
  void append(std::span<const T> local, std::uint64_t offset = 0);  // collective
  // Collective: truncates to `rows` (used after restart to drop rows written after the checkpoint).
  void resize(std::uint64_t rows);
  [[nodiscard]] std::uint64_t rows() const noexcept { return rows_; }
  [[nodiscard]] hid_t id() const noexcept { return h_.get(); }

 private:
  Handle h_;
  mpi::Communicator comm_ = mpi::Communicator::world();
  std::string where_;
  std::uint64_t width_ = 0;
  std::uint64_t rows_ = 0;
};

// Marks dataset `scale` (1-D, in group g) as the dimension scale named `dim_name`, and attaches it to dimension
// `dim` of each dataset in `datasets`: netCDF readers (xarray) then see named dimensions. Collective.
void make_dimension_scale(const Group& g, const std::string& scale, const std::string& dim_name);
void attach_dimension_scale(const Group& g, const std::string& dataset, const std::string& scale, unsigned dim);

// Provenance attributes of DESIGN.md on the root of every output file. Collective.
struct Provenance {
  std::string driver;
  std::string deck;          // resolved TOML
  std::string command_line;
  std::uint64_t seed = 0;
  int schema_version = 1;
};
void write_provenance(const File& f, const Provenance& p);
std::string sampo_version();
std::string git_sha();
std::string utc_now();

// Switches off HDF5's automatic error printing (errors become IoError messages). Called by File; idempotent.
void quiet_hdf5_errors();

}  // namespace sampo::io

#include "core/io/hdf5_impl.hpp"
