#include "core/io/hdf5.hpp"

#include <hdf5_hl.h>

#include <chrono>
#include <ctime>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/io/version.hpp"

namespace sampo::io {

void quiet_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

namespace detail {

std::string last_hdf5_message() {
  std::string msg;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned n, const H5E_error2_t* e, void* data) -> herr_t {
        auto* out = static_cast<std::string*>(data);
        if (e->desc && *e->desc) {
          if (!out->empty()) *out += "; ";
          *out += e->desc;
        }
        return n >= 2 ? 1 : 0;  // the outermost few are enough
      },
      &msg);
  H5Eclear2(H5E_DEFAULT);
  return msg.empty() ? "HDF5 error" : msg;
}

hid_t check_id(hid_t id, const std::string& what) {
  if (id < 0) throw IoError(what + " failed: " + last_hdf5_message());
  return id;
}

void check(herr_t rc, const std::string& what) {
  if (rc < 0) throw IoError(what + " failed: " + last_hdf5_message());
}

Handle collective_xfer() {
  Handle p(check_id(H5Pcreate(H5P_DATASET_XFER), "creating a transfer property list"), H5Pclose);
  check(H5Pset_dxpl_mpio(p.get(), H5FD_MPIO_COLLECTIVE), "selecting collective I/O");
  return p;
}

Handle independent_xfer() {
  return Handle(check_id(H5Pcreate(H5P_DATASET_XFER), "creating a transfer property list"), H5Pclose);
}

Handle create_dataset(const Group& g, const std::string& name, hid_t type, const std::vector<std::uint64_t>& dims,
                      const DatasetOptions& opt, bool extendable) {
  const auto rank = static_cast<int>(dims.size());
  std::vector<hsize_t> cur(dims.begin(), dims.end()), maxd = cur;
  if (extendable) maxd[0] = H5S_UNLIMITED;
  Handle space(check_id(H5Screate_simple(rank, cur.data(), maxd.data()), "creating a dataspace for " + g.where(name)),
               H5Sclose);
  Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), "creating dataset properties"), H5Pclose);
  std::uint64_t row = 1;
  for (std::size_t i = 1; i < dims.size(); ++i) row *= std::max<std::uint64_t>(dims[i], 1);
  const bool chunked = extendable || opt.chunk > 0 || (opt.checksum && rank > 0 && dims[0] > 0);
  if (chunked && rank > 0) {
    std::vector<hsize_t> chunk(cur.begin(), cur.end());
    const std::uint64_t target_rows = std::max<std::uint64_t>(1, (1u << 17) / row);  // ~1 MiB of doubles
    std::uint64_t c = opt.chunk > 0 ? opt.chunk : target_rows;
    if (!extendable) c = std::min<std::uint64_t>(c, std::max<std::uint64_t>(dims[0], 1));
    chunk[0] = c;
    for (std::size_t i = 1; i < chunk.size(); ++i) chunk[i] = std::max<hsize_t>(chunk[i], 1);
    check(H5Pset_chunk(dcpl.get(), rank, chunk.data()), "setting chunks of " + g.where(name));
    if (opt.checksum) check(H5Pset_fletcher32(dcpl.get()), "adding a checksum to " + g.where(name));
  }
  check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "setting fill time");
  Handle d(check_id(H5Dcreate2(g.id(), name.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                    "creating dataset " + g.where(name)),
           H5Dclose);
  return d;
}

void write_dataset_attrs(const Group& g, const std::string& name, const DatasetOptions& opt) {
  if (!opt.units.empty()) g.set_attr("units", opt.units, name);
  if (!opt.description.empty()) g.set_attr("description", opt.description, name);
}

std::pair<Handle, Handle> select(hid_t dset, const std::vector<std::uint64_t>& offset,
                                 const std::vector<std::uint64_t>& count) {
  Handle fs(check_id(H5Dget_space(dset), "getting a dataspace"), H5Sclose);
  std::vector<hsize_t> off(offset.begin(), offset.end()), cnt(count.begin(), count.end());
  hsize_t n = 1;
  for (auto c : cnt) n *= c;
  if (n == 0) {
    check(H5Sselect_none(fs.get()), "selecting nothing");
    hsize_t one = 1;
    Handle ms(check_id(H5Screate_simple(1, &one, nullptr), "creating a memory space"), H5Sclose);
    check(H5Sselect_none(ms.get()), "selecting nothing");
    return {std::move(fs), std::move(ms)};
  }
  check(H5Sselect_hyperslab(fs.get(), H5S_SELECT_SET, off.data(), nullptr, cnt.data(), nullptr),
        "selecting a hyperslab");
  Handle ms(check_id(H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr), "creating a memory space"),
            H5Sclose);
  return {std::move(fs), std::move(ms)};
}

}  // namespace detail

using detail::check;
using detail::check_id;

template <> Handle h5type<double>() { return Handle(H5Tcopy(H5T_NATIVE_DOUBLE), H5Tclose); }
template <> Handle h5type<float>() { return Handle(H5Tcopy(H5T_NATIVE_FLOAT), H5Tclose); }
template <> Handle h5type<std::int8_t>() { return Handle(H5Tcopy(H5T_NATIVE_INT8), H5Tclose); }
template <> Handle h5type<std::int32_t>() { return Handle(H5Tcopy(H5T_NATIVE_INT32), H5Tclose); }
template <> Handle h5type<std::uint32_t>() { return Handle(H5Tcopy(H5T_NATIVE_UINT32), H5Tclose); }
template <> Handle h5type<std::int64_t>() { return Handle(H5Tcopy(H5T_NATIVE_INT64), H5Tclose); }
template <> Handle h5type<std::uint64_t>() { return Handle(H5Tcopy(H5T_NATIVE_UINT64), H5Tclose); }
template <> Handle h5type<std::complex<double>>() {
  Handle t(check_id(H5Tcreate(H5T_COMPOUND, sizeof(std::complex<double>)), "creating the complex type"), H5Tclose);
  check(H5Tinsert(t.get(), "r", 0, H5T_NATIVE_DOUBLE), "building the complex type");
  check(H5Tinsert(t.get(), "i", sizeof(double), H5T_NATIVE_DOUBLE), "building the complex type");
  return t;
}

std::string Group::where(const std::string& name) const {
  std::string p = path_ == "/" ? "" : path_;
  return file_ + ":" + p + "/" + name;
}

Group Group::create_group(const std::string& name) const {
  Handle gcpl(check_id(H5Pcreate(H5P_GROUP_CREATE), "creating group properties"), H5Pclose);
  // Track creation order so readers (netCDF, ArviZ) list variables in the order written.
  check(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "tracking creation order");
  Handle h(check_id(H5Gcreate2(id(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                    "creating group " + where(name)),
           H5Gclose);
  return Group(std::move(h), file_, (path_ == "/" ? "" : path_) + "/" + name, comm_);
}

Group Group::open_group(const std::string& name) const {
  Handle h(check_id(H5Gopen2(id(), name.c_str(), H5P_DEFAULT), "opening group " + where(name)), H5Gclose);
  return Group(std::move(h), file_, (path_ == "/" ? "" : path_) + "/" + name, comm_);
}

bool Group::exists(const std::string& name) const {
  const htri_t r = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
  check(r, "looking up " + where(name));
  return r > 0;
}

std::vector<std::string> Group::children() const {
  std::vector<std::string> out;
  check(H5Literate(
            id(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
            [](hid_t, const char* n, const H5L_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(n);
              return 0;
            },
            &out),
        "listing " + where(""));
  return out;
}

bool Group::is_group(const std::string& name) const {
  H5O_info_t info;
  check(H5Oget_info_by_name2(id(), name.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT), "inspecting " + where(name));
  return info.type == H5O_TYPE_GROUP;
}

namespace {

Handle open_object(const Group& g, const std::string& object) {
  if (object.empty()) return Handle(check_id(H5Oopen(g.id(), ".", H5P_DEFAULT), "opening " + g.where("")), H5Oclose);
  return Handle(check_id(H5Oopen(g.id(), object.c_str(), H5P_DEFAULT), "opening " + g.where(object)), H5Oclose);
}

void write_attr(const Group& g, const std::string& object, const std::string& name, hid_t type, hid_t space,
                const void* data) {
  auto o = open_object(g, object);
  const std::string what = "attribute '" + name + "' of " + g.where(object);
  if (H5Aexists(o.get(), name.c_str()) > 0) check(H5Adelete(o.get(), name.c_str()), "replacing " + what);
  Handle a(check_id(H5Acreate2(o.get(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT), "creating " + what),
           H5Aclose);
  check(H5Awrite(a.get(), type, data), "writing " + what);
}

Handle open_attr(const Group& g, const std::string& object, const std::string& name, Handle& obj) {
  obj = open_object(g, object);
  return Handle(check_id(H5Aopen(obj.get(), name.c_str(), H5P_DEFAULT),
                         "opening attribute '" + name + "' of " + g.where(object)),
                H5Aclose);
}

std::uint64_t attr_size(hid_t a) {
  Handle s(check_id(H5Aget_space(a), "attribute space"), H5Sclose);
  const auto n = H5Sget_simple_extent_npoints(s.get());
  check(static_cast<herr_t>(n < 0 ? -1 : 0), "attribute size");
  return static_cast<std::uint64_t>(n);
}

}  // namespace

void Group::set_attr(const std::string& name, const std::string& v, const std::string& object) const {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(t.get(), H5T_VARIABLE), "string type");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), "string type");
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  const char* p = v.c_str();
  write_attr(*this, object, name, t.get(), s.get(), &p);
}

void Group::set_attr(const std::string& name, double v, const std::string& object) const {
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(*this, object, name, H5T_NATIVE_DOUBLE, s.get(), &v);
}

void Group::set_attr(const std::string& name, std::int64_t v, const std::string& object) const {
  Handle s(H5Screate(H5S_SCALAR), H5Sclose);
  write_attr(*this, object, name, H5T_NATIVE_INT64, s.get(), &v);
}

void Group::set_attr(const std::string& name, std::span<const double> v, const std::string& object) const {
  hsize_t n = v.size();
  Handle s(H5Screate_simple(1, &n, nullptr), H5Sclose);
  write_attr(*this, object, name, H5T_NATIVE_DOUBLE, s.get(), v.data());
}

void Group::set_attr(const std::string& name, std::span<const std::int64_t> v, const std::string& object) const {
  hsize_t n = v.size();
  Handle s(H5Screate_simple(1, &n, nullptr), H5Sclose);
  write_attr(*this, object, name, H5T_NATIVE_INT64, s.get(), v.data());
}

bool Group::has_attr(const std::string& name, const std::string& object) const {
  auto o = open_object(*this, object);
  const htri_t r = H5Aexists(o.get(), name.c_str());
  check(r, "looking up attribute '" + name + "' of " + where(object));
  return r > 0;
}

std::string Group::attr_string(const std::string& name, const std::string& object) const {
  Handle o;
  auto a = open_attr(*this, object, name, o);
  Handle ft(check_id(H5Aget_type(a.get()), "attribute type"), H5Tclose);
  if (H5Tget_class(ft.get()) != H5T_STRING)
    throw IoError("attribute '" + name + "' of " + where(object) + " is not a string");
  if (H5Tis_variable_str(ft.get()) > 0) {
    Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
    check(H5Tset_size(t.get(), H5T_VARIABLE), "string type");
    check(H5Tset_cset(t.get(), H5Tget_cset(ft.get())), "string type");
    char* p = nullptr;
    check(H5Aread(a.get(), t.get(), &p), "reading attribute '" + name + "' of " + where(object));
    std::string out = p ? p : "";
    H5free_memory(p);
    return out;
  }
  const std::size_t n = H5Tget_size(ft.get());
  std::string out(n, '\0');
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(t.get(), n), "string type");
  check(H5Tset_cset(t.get(), H5Tget_cset(ft.get())), "string type");
  check(H5Aread(a.get(), t.get(), out.data()), "reading attribute '" + name + "' of " + where(object));
  out.resize(out.find('\0') == std::string::npos ? n : out.find('\0'));
  return out;
}

double Group::attr_double(const std::string& name, const std::string& object) const {
  Handle o;
  auto a = open_attr(*this, object, name, o);
  double v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, &v), "reading attribute '" + name + "' of " + where(object));
  return v;
}

std::int64_t Group::attr_int(const std::string& name, const std::string& object) const {
  Handle o;
  auto a = open_attr(*this, object, name, o);
  std::int64_t v = 0;
  check(H5Aread(a.get(), H5T_NATIVE_INT64, &v), "reading attribute '" + name + "' of " + where(object));
  return v;
}

std::vector<double> Group::attr_doubles(const std::string& name, const std::string& object) const {
  Handle o;
  auto a = open_attr(*this, object, name, o);
  std::vector<double> v(attr_size(a.get()));
  check(H5Aread(a.get(), H5T_NATIVE_DOUBLE, v.data()), "reading attribute '" + name + "' of " + where(object));
  return v;
}

std::vector<std::int64_t> Group::attr_ints(const std::string& name, const std::string& object) const {
  Handle o;
  auto a = open_attr(*this, object, name, o);
  std::vector<std::int64_t> v(attr_size(a.get()));
  check(H5Aread(a.get(), H5T_NATIVE_INT64, v.data()), "reading attribute '" + name + "' of " + where(object));
  return v;
}

std::vector<std::uint64_t> Group::shape(const std::string& name) const {
  Handle d(check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening " + where(name)), H5Dclose);
  Handle s(check_id(H5Dget_space(d.get()), "dataspace of " + where(name)), H5Sclose);
  const int r = H5Sget_simple_extent_ndims(s.get());
  check(r, "rank of " + where(name));
  std::vector<hsize_t> dims(static_cast<std::size_t>(r));
  check(H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr), "shape of " + where(name));
  return {dims.begin(), dims.end()};
}

void Group::verify_dataset(const std::string& name) const {
  Handle d(check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), "opening " + where(name)), H5Dclose);
  Handle t(check_id(H5Dget_type(d.get()), "type of " + where(name)), H5Tclose);
  const std::size_t elem = H5Tget_size(t.get());
  std::uint64_t n = 1;
  for (auto c : shape(name)) n *= c;
  std::vector<unsigned char> buf(std::max<std::uint64_t>(n * elem, 1));
  Handle x(check_id(H5Pcreate(H5P_DATASET_XFER), "transfer properties"), H5Pclose);
  check(H5Pset_edc_check(x.get(), H5Z_ENABLE_EDC), "enabling checksum verification");
  if (n > 0) check(H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, x.get(), buf.data()), "verifying " + where(name));
}

namespace {
Handle file_access(const mpi::Communicator* comm) {
  Handle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), "creating file access properties"), H5Pclose);
  if (comm) {
    check(H5Pset_fapl_mpio(fapl.get(), comm->get(), MPI_INFO_NULL), "selecting the MPI-IO driver");
    check(H5Pset_all_coll_metadata_ops(fapl.get(), true), "collective metadata reads");
    check(H5Pset_coll_metadata_write(fapl.get(), true), "collective metadata writes");
  }
  // Closing the file closes whatever objects are still open (groups, series) instead of failing.
  check(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_STRONG), "file close degree");
  // Locks are unreliable on NFS/Lustre and block readers of a running job's output (HDF5 1.10).
  check(H5Pset_file_locking(fapl.get(), false, true), "disabling file locks");
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "library version bounds");
  return fapl;
}
}  // namespace

File File::create(const mpi::Communicator& comm, const std::string& path) {
  quiet_hdf5_errors();
  File f;
  f.path_ = path;
  auto fapl = file_access(&comm);
  Handle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), "creating file properties"), H5Pclose);
  check(H5Pset_link_creation_order(fcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED),
        "tracking creation order");
  hid_t id = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get());
  if (id < 0) {
    throw IoError("cannot create HDF5 file '" + path + "': " + detail::last_hdf5_message() +
                  " (check that the directory exists and is writable)");
  }
  f.h_ = Handle(id, H5Fclose);
  f.root_ = Group(Handle(check_id(H5Gopen2(id, "/", H5P_DEFAULT), "opening /"), H5Gclose), path, "/", comm);
  return f;
}

File File::open(const mpi::Communicator& comm, const std::string& path, bool write) {
  quiet_hdf5_errors();
  File f;
  f.path_ = path;
  auto fapl = file_access(&comm);
  hid_t id = H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  if (id < 0) throw IoError("cannot open HDF5 file '" + path + "': " + detail::last_hdf5_message());
  f.h_ = Handle(id, H5Fclose);
  f.root_ = Group(Handle(check_id(H5Gopen2(id, "/", H5P_DEFAULT), "opening /"), H5Gclose), path, "/", comm);
  return f;
}

File File::open_serial(const std::string& path) {
  quiet_hdf5_errors();
  File f;
  f.path_ = path;
  auto fapl = file_access(nullptr);
  hid_t id = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (id < 0) throw IoError("cannot open HDF5 file '" + path + "': " + detail::last_hdf5_message());
  f.h_ = Handle(id, H5Fclose);
  f.root_ = Group(Handle(check_id(H5Gopen2(id, "/", H5P_DEFAULT), "opening /"), H5Gclose), path, "/",
                  mpi::Communicator(MPI_COMM_SELF, false));
  return f;
}

void File::flush() const { check(H5Fflush(h_.get(), H5F_SCOPE_GLOBAL), "flushing " + path_); }

void File::close() {
  root_ = Group();
  if (h_.valid()) {
    const herr_t rc = H5Fclose(h_.get());
    h_ = Handle();  // released either way
    check(rc, "closing " + path_);
  }
}

template <class T>
Series<T>::Series(const Group& g, const std::string& name, std::uint64_t width, const DatasetOptions& opt)
    : comm_(g.comm()), where_(g.where(name)), width_(width) {
  auto type = h5type<T>();
  std::vector<std::uint64_t> dims = width ? std::vector<std::uint64_t>{0, width} : std::vector<std::uint64_t>{0};
  DatasetOptions o = opt;
  if (o.chunk == 0) o.chunk = std::max<std::uint64_t>(1, std::min<std::uint64_t>(1024, (1u << 16) / std::max<std::uint64_t>(width, 1)));
  h_ = detail::create_dataset(g, name, type.get(), dims, o, true);
  detail::write_dataset_attrs(g, name, opt);
}

template <class T>
Series<T> Series<T>::open(const Group& g, const std::string& name) {
  Series s;
  s.comm_ = g.comm();
  s.where_ = g.where(name);
  s.h_ = Handle(check_id(H5Dopen2(g.id(), name.c_str(), H5P_DEFAULT), "opening " + s.where_), H5Dclose);
  const auto dims = g.shape(name);
  s.rows_ = dims.at(0);
  s.width_ = dims.size() > 1 ? dims[1] : 0;
  return s;
}

template <class T>
void Series<T>::resize(std::uint64_t rows) {
  // Every rank must have read the current extent before any rank shrinks it (HDF5 does not order these for us).
  if (rows < rows_) comm_.barrier();
  std::vector<hsize_t> dims = width_ ? std::vector<hsize_t>{rows, width_} : std::vector<hsize_t>{rows};
  check(H5Dset_extent(h_.get(), dims.data()), "resizing " + where_);
  // Shrinking clears the cut-off part of the last chunk; flush so that clearing cannot land after later writes.
  if (rows < rows_) check(H5Dflush(h_.get()), "flushing " + where_);
  rows_ = rows;
}

template <class T>
void Series<T>::append(std::span<const T> local, std::uint64_t offset) {
  resize(rows_ + 1);
  auto type = h5type<T>();
  std::vector<std::uint64_t> off = width_ ? std::vector<std::uint64_t>{rows_ - 1, offset}
                                          : std::vector<std::uint64_t>{rows_ - 1};
  std::vector<std::uint64_t> cnt = width_ ? std::vector<std::uint64_t>{1, local.size()}
                                          : std::vector<std::uint64_t>{local.empty() ? 0u : 1u};
  if (local.empty()) cnt.assign(cnt.size(), 0);
  auto [fs, ms] = detail::select(h_.get(), off, cnt);
  auto x = detail::collective_xfer();
  const T dummy{};
  check(H5Dwrite(h_.get(), type.get(), ms.get(), fs.get(), x.get(), local.empty() ? &dummy : local.data()),
        "appending to " + where_);
}

template class Series<double>;
template class Series<float>;
template class Series<std::int64_t>;
template class Series<std::int32_t>;
template class Series<std::int8_t>;
template class Series<std::complex<double>>;

void make_dimension_scale(const Group& g, const std::string& scale, const std::string& dim_name) {
  Handle d(check_id(H5Dopen2(g.id(), scale.c_str(), H5P_DEFAULT), "opening " + g.where(scale)), H5Dclose);
  check(H5DSset_scale(d.get(), dim_name.c_str()), "making " + g.where(scale) + " a dimension scale");
}

void attach_dimension_scale(const Group& g, const std::string& dataset, const std::string& scale, unsigned dim) {
  Handle d(check_id(H5Dopen2(g.id(), dataset.c_str(), H5P_DEFAULT), "opening " + g.where(dataset)), H5Dclose);
  Handle s(check_id(H5Dopen2(g.id(), scale.c_str(), H5P_DEFAULT), "opening " + g.where(scale)), H5Dclose);
  check(H5DSattach_scale(d.get(), s.get(), dim), "attaching scale " + scale + " to " + g.where(dataset));
}

std::string sampo_version() { return SAMPO_VERSION_STRING; }
std::string git_sha() { return SAMPO_GIT_SHA_STRING; }

std::string utc_now() {
  const auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

void write_provenance(const File& f, const Provenance& p) {
  const auto& r = f.root();
  int threads = 1;
#ifdef _OPENMP
  threads = omp_get_max_threads();
#endif
  r.set_attr("schema_version", static_cast<std::int64_t>(p.schema_version));
  r.set_attr("sampo_version", sampo_version());
  r.set_attr("git_sha", git_sha());
  r.set_attr("driver", p.driver);
  r.set_attr("deck", p.deck);
  r.set_attr("command_line", p.command_line);
  r.set_attr("mpi_ranks", static_cast<std::int64_t>(r.comm().size()));
  r.set_attr("omp_threads", static_cast<std::int64_t>(threads));
  // All ranks must write identical attribute values: take rank 0's clock.
  r.set_attr("created_utc", r.comm().broadcast_string(utc_now()));
  r.set_attr("seed", static_cast<std::int64_t>(p.seed));
}

}  // namespace sampo::io
