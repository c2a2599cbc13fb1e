#include "nlse/grid.hpp"

#include <fftw3.h>
#include <omp.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <mutex>
#include <numbers>

#include "core/error/error.hpp"

namespace sampo::nlse {

namespace {
void init_fftw_once() {
  // FFTW's own library state: initialised once per process, before any plan.
  static std::once_flag once;
  std::call_once(once, [] {
    fftw_init_threads();
    fftw_mpi_init();
  });
}
}  // namespace

Grid::Grid(const mpi::Communicator& comm, std::int64_t n, double x0, double length, unsigned planner)
    : comm_(comm), n_(n), x0_(x0), length_(length), planner_(planner) {
  init_fftw_once();
  // Threads only pay off for large local transforms (measured: at N = 512 two threads were 8x slower).
  fft_threads_ = n / comm_.size() >= (1 << 16) ? omp_get_max_threads() : 1;
  fftw_plan_with_nthreads(fft_threads_);
  ptrdiff_t ni, i0, no, o0, bni, bi0, bno, bo0;
  alloc_ = fftw_mpi_local_size_1d(n, comm_.get(), FFTW_FORWARD, planner, &ni, &i0, &no, &o0);
  const auto balloc = fftw_mpi_local_size_1d(n, comm_.get(), FFTW_BACKWARD, planner, &bni, &bi0, &bno, &bo0);
  SAMPO_VERIFY(bni == no && bi0 == o0 && bno == ni && bo0 == i0,
               "FFTW-MPI forward and backward 1-D distributions do not match");
  alloc_ = std::max<std::int64_t>(alloc_, balloc);
  nx_ = ni, x0i_ = i0, nk_ = no, k0i_ = o0;
  // In place: one buffer holds x and k (measured, 1 rank, FFTW 3.3.10 estimate plans: a forward + backward pair
  // 1.3-1.8x faster than out of place at N = 2^18 ... 2^22, the same at 2^14; docs/nlse.md), and 16 bytes per point
  // less. The integrators' passes fill and read it around the transforms (k_buffer() == x_buffer()).
  // On huge pages (core/memory/huge_pages.hpp): a 2^20-point transform ran 25-40 % faster on this VM (docs/nlse.md).
  const std::size_t bytes = sizeof(fftw_complex) * static_cast<std::size_t>(std::max<std::int64_t>(alloc_, 1));
  try {
    buffer_ = memory::HugeBuffer(bytes);
  } catch (const std::bad_alloc&) {
    throw NumericalError("cannot allocate the FFT buffer for N = " + std::to_string(n) + " (" + std::to_string(bytes) +
                         " bytes on rank " + std::to_string(comm_.rank()) + ")");
  }
  bx_ = bk_ = buffer_.as<fftw_complex>();
  // One rank: FFTW's serial in-place plans. FFTW-MPI's 1-D plan reorders its data through fftw_cpy2d even on one
  // rank; measured on this VM with huge pages (docs/nlse.md "Session 11"): with `measure` the serial plan was 25 %
  // faster at 2^20 (18 against 24 ns per point and transform), with `estimate` the two were within the VM's scatter
  // at 2^18-2^22. The data layout is the same (all N points, natural order).
  const auto plan = [&](int sign, unsigned flags) {
    return comm_.size() == 1 && n <= std::numeric_limits<int>::max()
               ? fftw_plan_dft_1d(static_cast<int>(n), bx_, bk_, sign, flags)
               : fftw_mpi_plan_dft_1d(n, bx_, bk_, comm_.get(), sign, flags);
  };
  // Wisdom first (every rank holds the same broadcast wisdom, so all succeed or all fail; the allreduce makes sure).
  fwd_ = plan(FFTW_FORWARD, planner | FFTW_WISDOM_ONLY);
  bwd_ = plan(FFTW_BACKWARD, planner | FFTW_WISDOM_ONLY);  // on every rank
  from_wisdom_ = comm_.allreduce(static_cast<int>(fwd_ && bwd_), mpi::Op::min) == 1;
  auto drop = [&] {
    if (fwd_) fftw_destroy_plan(fwd_);
    if (bwd_) fftw_destroy_plan(bwd_);
    fwd_ = bwd_ = nullptr;
  };
  if (!from_wisdom_) {
    drop();
    fwd_ = plan(FFTW_FORWARD, planner);
    bwd_ = plan(FFTW_BACKWARD, planner);
    if (planner != FFTW_ESTIMATE && fwd_ && bwd_) {
      // Measured plans may differ between ranks in their local sub-plans, and a later run that imports rank 0's
      // gathered wisdom gets rank 0's. Use exactly that wisdom now too (all ranks forget theirs and take rank 0's
      // merged copy), so this run and every run from its wisdom file execute the same plans: the same bits.
      fftw_mpi_gather_wisdom(comm_.get());
      char* text = comm_.is_root() ? fftw_export_wisdom_to_string() : nullptr;
      fftw_forget_wisdom();
      if (text) {
        fftw_import_wisdom_from_string(text);
        fftw_free(text);
      }
      fftw_mpi_broadcast_wisdom(comm_.get());
      drop();
      fwd_ = plan(FFTW_FORWARD, planner | FFTW_WISDOM_ONLY);
      bwd_ = plan(FFTW_BACKWARD, planner | FFTW_WISDOM_ONLY);
      if (comm_.allreduce(static_cast<int>(fwd_ && bwd_), mpi::Op::min) != 1) {  // not expected: plan afresh
        drop();
        fwd_ = plan(FFTW_FORWARD, planner);
        bwd_ = plan(FFTW_BACKWARD, planner);
      }
    }
  }
  if (!fwd_ || !bwd_)
    throw NumericalError("FFTW-MPI could not plan a 1-D transform of N = " + std::to_string(n) + " on " +
                         std::to_string(comm_.size()) + " ranks (try a power of two, or a rank count dividing N)");
}

Grid::~Grid() {
  if (fwd_) fftw_destroy_plan(fwd_);
  if (bwd_) fftw_destroy_plan(bwd_);
}

unsigned planner_from(const std::string& name) {
  if (name == "estimate") return FFTW_ESTIMATE;
  if (name == "measure") return FFTW_MEASURE;
  if (name == "patient") return FFTW_PATIENT;
  throw ConfigError("fft.planner = \"" + name + "\": use estimate, measure or patient");
}

bool import_wisdom(const mpi::Communicator& comm, const std::string& path) {
  init_fftw_once();
  int ok = 0;
  if (comm.is_root()) ok = std::filesystem::exists(path) && fftw_import_wisdom_from_filename(path.c_str()) ? 1 : 0;
  ok = comm.broadcast_value(ok);
  if (ok) fftw_mpi_broadcast_wisdom(comm.get());
  return ok == 1;
}

bool export_wisdom(const mpi::Communicator& comm, const std::string& path) {
  init_fftw_once();
  fftw_mpi_gather_wisdom(comm.get());
  int ok = 1;
  if (comm.is_root()) {
    const std::string tmp = path + ".tmp";
    ok = fftw_export_wisdom_to_filename(tmp.c_str()) ? 1 : 0;
    if (ok) {
      std::error_code ec;
      std::filesystem::rename(tmp, path, ec);
      ok = ec ? 0 : 1;
    }
  }
  return comm.broadcast_value(ok) == 1;
}

double Grid::k(std::int64_t local) const noexcept {
  const std::int64_t j = k0i_ + local;
  const std::int64_t m = j < (n_ + 1) / 2 ? j : j - n_;
  return 2.0 * std::numbers::pi * static_cast<double>(m) / length_;
}

double Grid::k_nyquist() const noexcept {
  return std::numbers::pi * static_cast<double>(n_) / length_;
}

void Grid::to_k(const cvec& ux, cvec& uk) {
  std::memcpy(bx_, ux.data(), sizeof(cplx) * static_cast<std::size_t>(nx_));
  execute(fwd_);
  uk.resize(static_cast<std::size_t>(nk_));
  std::memcpy(static_cast<void*>(uk.data()), bk_, sizeof(cplx) * static_cast<std::size_t>(nk_));
}

void Grid::to_x(const cvec& uk, cvec& ux) {
  std::memcpy(bk_, uk.data(), sizeof(cplx) * static_cast<std::size_t>(nk_));
  execute(bwd_);
  ux.resize(static_cast<std::size_t>(nx_));
  const double s = 1.0 / static_cast<double>(n_);
  const auto* b = reinterpret_cast<const cplx*>(bx_);
#pragma omp parallel for schedule(static) if (nx_ > (1 << 15))
  for (std::int64_t j = 0; j < nx_; ++j) ux[static_cast<std::size_t>(j)] = b[j] * s;
}

}  // namespace sampo::nlse
