#pragma once
// Large arrays on transparent huge pages (2 MiB), for workloads whose big arrays are swept by FFTs or read at strides
// that cross a 4 KiB page at almost every access. Linux's THP is often in `madvise` mode (Debian's default): anonymous
// memory gets huge pages only where the program asks with madvise(MADV_HUGEPAGE). Allocations of at least
// huge_page_bytes are mapped with mmap at a 2 MiB boundary and so advised; smaller ones come from operator new. The
// advice is a hint: with THP `never` (or no free huge pages) the memory is ordinary pages, and nothing else changes.
// Measured (docs/nlse.md, "Session 11"): one FFTW transform of 2^20 points 25-40 % faster on this VM. The walks'
// per-token arrays use it too (docs/walks.md: their random accesses gained 5-15 % at N = 2^20).
#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <new>

namespace sampo::memory {

inline constexpr std::size_t huge_page_bytes = std::size_t{1} << 21;

// bytes (> 0) of zeroed memory at a 2 MiB boundary, advised for huge pages when bytes >= huge_page_bytes, else
// operator new's (64-byte aligned, not zeroed). Throws std::bad_alloc. Release with huge_free(p, bytes).
inline void* huge_alloc(std::size_t bytes) {
  if (bytes < huge_page_bytes) return ::operator new(bytes == 0 ? 1 : bytes, std::align_val_t{64});
  const std::size_t rounded = (bytes + huge_page_bytes - 1) & ~(huge_page_bytes - 1);
  // Map one huge page more than needed, then unmap the unaligned head and the tail beyond `rounded`.
  void* raw = ::mmap(nullptr, rounded + huge_page_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (base + huge_page_bytes - 1) & ~(std::uintptr_t{huge_page_bytes} - 1);
  if (aligned > base) ::munmap(raw, aligned - base);
  const std::uintptr_t end = base + rounded + huge_page_bytes;
  if (end > aligned + rounded) ::munmap(reinterpret_cast<void*>(aligned + rounded), end - (aligned + rounded));
  void* p = reinterpret_cast<void*>(aligned);
  ::madvise(p, rounded, MADV_HUGEPAGE);  // a hint: failure (THP compiled out) leaves ordinary pages
  return p;
}

inline void huge_free(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  if (bytes < huge_page_bytes) {
    ::operator delete(p, std::align_val_t{64});
    return;
  }
  ::munmap(p, (bytes + huge_page_bytes - 1) & ~(huge_page_bytes - 1));
}

// An owned block from huge_alloc (RAII; move-only).
class HugeBuffer {
 public:
  HugeBuffer() noexcept = default;
  explicit HugeBuffer(std::size_t bytes) : p_(huge_alloc(bytes)), bytes_(bytes) {}
  ~HugeBuffer() { huge_free(p_, bytes_); }
  HugeBuffer(HugeBuffer&& o) noexcept : p_(o.p_), bytes_(o.bytes_) { o.p_ = nullptr, o.bytes_ = 0; }
  HugeBuffer& operator=(HugeBuffer&& o) noexcept {
    if (this != &o) {
      huge_free(p_, bytes_);
      p_ = o.p_, bytes_ = o.bytes_;
      o.p_ = nullptr, o.bytes_ = 0;
    }
    return *this;
  }
  HugeBuffer(const HugeBuffer&) = delete;
  HugeBuffer& operator=(const HugeBuffer&) = delete;
  template <class T>
  [[nodiscard]] T* as() const noexcept { return static_cast<T*>(p_); }
  [[nodiscard]] std::size_t bytes() const noexcept { return bytes_; }

 private:
  void* p_ = nullptr;
  std::size_t bytes_ = 0;
};

// A standard allocator over huge_alloc, for std::vector<T, HugePageAllocator<T>>.
template <class T>
struct HugePageAllocator {
  using value_type = T;
  HugePageAllocator() noexcept = default;
  template <class U>
  HugePageAllocator(const HugePageAllocator<U>&) noexcept {}  // NOLINT(google-explicit-constructor): rebinding
  [[nodiscard]] T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(huge_alloc(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { huge_free(p, n * sizeof(T)); }
  template <class U>
  bool operator==(const HugePageAllocator<U>&) const noexcept { return true; }
};

}  // namespace sampo::memory
