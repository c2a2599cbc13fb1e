#pragma once
// A periodic 1-D grid x_j = x0 + j L/N distributed over ranks by FFTW-MPI, with its forward and backward transforms
// (plans made once, OpenMP threads inside a rank). x-space and k-space hold different blocks of indices: FFTW
// chooses both distributions for 1-D transforms.
#include <fftw3-mpi.h>

#include <chrono>
#include <complex>
#include <cstdint>
#include <string>
#include <vector>

#include "core/memory/huge_pages.hpp"
#include "core/mpi/communicator.hpp"

namespace sampo::nlse {

using cplx = std::complex<double>;
// Grid-sized arrays on transparent huge pages (core/memory/huge_pages.hpp): the FFT buffer and the integrators' stage
// arrays are swept many times per step.
using cvec = std::vector<cplx, memory::HugePageAllocator<cplx>>;

class Grid {
 public:
  // Collective. planner: FFTW_ESTIMATE, FFTW_MEASURE or FFTW_PATIENT. The plans are first looked up in FFTW's
  // wisdom (FFTW_WISDOM_ONLY: no planning cost, the same plans as the run that made the wisdom) and made afresh only
  // when the wisdom lacks them; from_wisdom() says which.
  Grid(const mpi::Communicator& comm, std::int64_t n, double x0, double length, unsigned planner = FFTW_ESTIMATE);
  ~Grid();
  Grid(const Grid&) = delete;
  Grid& operator=(const Grid&) = delete;

  [[nodiscard]] std::int64_t n() const noexcept { return n_; }
  [[nodiscard]] double length() const noexcept { return length_; }
  [[nodiscard]] double x0() const noexcept { return x0_; }
  [[nodiscard]] double k_nyquist() const noexcept;  // π N / L
  [[nodiscard]] double dx() const noexcept { return length_ / static_cast<double>(n_); }
  [[nodiscard]] std::int64_t x_count() const noexcept { return nx_; }
  [[nodiscard]] std::int64_t x_start() const noexcept { return x0i_; }
  [[nodiscard]] std::int64_t k_count() const noexcept { return nk_; }
  [[nodiscard]] std::int64_t k_start() const noexcept { return k0i_; }
  [[nodiscard]] double x(std::int64_t local) const noexcept { return x0_ + static_cast<double>(x0i_ + local) * dx(); }
  // Angular wavenumber of local k index (FFT order: 0, 1, ..., N/2-1, -N/2, ..., -1 times 2π/L).
  [[nodiscard]] double k(std::int64_t local) const noexcept;
  [[nodiscard]] const mpi::Communicator& comm() const noexcept { return comm_; }

  // Collective: uk = F[ux] (unnormalised forward DFT), ux = F^{-1}[uk] (normalised by 1/N).
  void to_k(const cvec& ux, cvec& uk);
  void to_x(const cvec& uk, cvec& ux);
  [[nodiscard]] std::int64_t fft_count() const noexcept { return ffts_; }
  // FFTW's own buffer, for callers that fuse their pointwise work with the copies of to_x/to_k: the transforms are in
  // place, so k_buffer() and x_buffer() are the same memory, holding k_count() modes (the backward transform's input,
  // the forward one's output) or x_count() points (the backward transform's output, the forward one's input).
  // Collective: backward() is F⁻¹ without the 1/N (k_buffer → x_buffer), forward() is F (x_buffer → k_buffer);
  // both count as one FFT.
  [[nodiscard]] cplx* k_buffer() noexcept { return reinterpret_cast<cplx*>(bk_); }
  [[nodiscard]] cplx* x_buffer() noexcept { return reinterpret_cast<cplx*>(bx_); }
  void backward() { execute(bwd_); }
  void forward() { execute(fwd_); }
  // Wall seconds spent inside FFTW's executes of this grid (every transform counted by fft_count()): the benchmark's
  // in-run FFT time, taken under the same memory traffic as the integrator's passes (one clock read per transform).
  [[nodiscard]] double fft_seconds() const noexcept { return fft_seconds_; }
  [[nodiscard]] unsigned planner() const noexcept { return planner_; }
  [[nodiscard]] bool from_wisdom() const noexcept { return from_wisdom_; }
  // Threads FFTW plans with: OpenMP's max threads for local transforms of ≥ 2^16 points, else 1.
  [[nodiscard]] int fft_threads() const noexcept { return fft_threads_; }

 private:
  void execute(fftw_plan p) {
    const auto t0 = std::chrono::steady_clock::now();
    fftw_execute(p);
    fft_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    ++ffts_;
  }
  mpi::Communicator comm_;
  std::int64_t n_;
  double x0_, length_;
  std::int64_t nx_ = 0, x0i_ = 0, nk_ = 0, k0i_ = 0, alloc_ = 0;
  memory::HugeBuffer buffer_;  // FFTW's in-place buffer
  fftw_complex* bx_ = nullptr;
  fftw_complex* bk_ = nullptr;  // == bx_ (in-place plans)
  fftw_plan fwd_ = nullptr, bwd_ = nullptr;
  std::int64_t ffts_ = 0;
  double fft_seconds_ = 0;
  unsigned planner_ = FFTW_ESTIMATE;
  int fft_threads_ = 1;
  bool from_wisdom_ = false;
};

// FFTW wisdom files. FFTW keeps wisdom in process-wide library state (not ours to wrap): import before the grids
// are planned, export after. Collective: rank 0 reads the file and broadcasts the wisdom
// (fftw_mpi_broadcast_wisdom); export gathers every rank's wisdom to rank 0 (fftw_mpi_gather_wisdom), which writes
// it to a temporary name and renames it. import_wisdom returns false (on every rank) when the file is missing or
// unreadable, export_wisdom when it cannot be written (wisdom only saves planning time: callers warn and go on).
bool import_wisdom(const mpi::Communicator& comm, const std::string& path);
bool export_wisdom(const mpi::Communicator& comm, const std::string& path);
// FFTW planner flag of a deck value: estimate, measure, patient.
unsigned planner_from(const std::string& name);

}  // namespace sampo::nlse
