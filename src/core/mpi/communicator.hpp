#pragma once
// A communicator value type with clear ownership, and the typed collectives the workloads use.
// Every MPI call is checked; failures throw MpiError naming the call. Functions marked "collective" must be called
// by every rank of the communicator in the same order.
#include <mpi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error/error.hpp"

namespace sampo::mpi {

void check(int rc, const char* call, const char* file, int line);
#define SAMPO_MPI_CHECK(call) ::sampo::mpi::check((call), #call, __FILE__, __LINE__)

template <class T>
MPI_Datatype datatype();
template <> inline MPI_Datatype datatype<char>() { return MPI_CHAR; }
template <> inline MPI_Datatype datatype<signed char>() { return MPI_SIGNED_CHAR; }
template <> inline MPI_Datatype datatype<unsigned char>() { return MPI_UNSIGNED_CHAR; }
template <> inline MPI_Datatype datatype<int>() { return MPI_INT; }
template <> inline MPI_Datatype datatype<unsigned>() { return MPI_UNSIGNED; }
template <> inline MPI_Datatype datatype<long>() { return MPI_LONG; }
template <> inline MPI_Datatype datatype<unsigned long>() { return MPI_UNSIGNED_LONG; }
template <> inline MPI_Datatype datatype<long long>() { return MPI_LONG_LONG; }
template <> inline MPI_Datatype datatype<unsigned long long>() { return MPI_UNSIGNED_LONG_LONG; }
template <> inline MPI_Datatype datatype<float>() { return MPI_FLOAT; }
template <> inline MPI_Datatype datatype<double>() { return MPI_DOUBLE; }

enum class Op { sum, max, min, land, lor };
MPI_Op to_mpi(Op op);

class Communicator {
 public:
  // Wraps MPI_COMM_WORLD without owning it; only drivers (app/) call this.
  static Communicator world();
  // Wraps a communicator; duplicate=true makes a private copy owned (and freed) by this object.
  explicit Communicator(MPI_Comm comm, bool duplicate = true);

  [[nodiscard]] MPI_Comm get() const noexcept { return *comm_; }
  [[nodiscard]] int rank() const noexcept { return rank_; }
  [[nodiscard]] int size() const noexcept { return size_; }
  [[nodiscard]] bool is_root() const noexcept { return rank_ == 0; }

  // Collective: a private duplicate (separate message space for a library or workload).
  [[nodiscard]] Communicator duplicate() const;
  // Collective: ranks with equal colour form a new communicator, ordered by key.
  [[nodiscard]] Communicator split(int colour, int key) const;

  // Collective: the ranks that share this rank's node (memory).
  [[nodiscard]] Communicator split_node() const;

  void barrier() const;  // collective

  template <class T>
  void broadcast(std::span<T> data, int root = 0) const {  // collective
    SAMPO_MPI_CHECK(MPI_Bcast(data.data(), static_cast<int>(data.size()), datatype<std::remove_cv_t<T>>(), root,
                              get()));
  }
  template <class T>
  T broadcast_value(T value, int root = 0) const {  // collective
    broadcast(std::span<T>(&value, 1), root);
    return value;
  }
  std::string broadcast_string(const std::string& s, int root = 0) const;  // collective

  template <class T>
  T allreduce(T value, Op op) const {  // collective
    T out{};
    SAMPO_MPI_CHECK(MPI_Allreduce(&value, &out, 1, datatype<T>(), to_mpi(op), get()));
    return out;
  }
  template <class T>
  void allreduce_inplace(std::span<T> data, Op op) const {  // collective
    SAMPO_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, data.data(), static_cast<int>(data.size()), datatype<T>(),
                                  to_mpi(op), get()));
  }
  // Exclusive prefix sum; rank 0 gets T{} (MPI leaves it undefined).
  template <class T>
  T exscan_sum(T value) const {  // collective
    T out{};
    SAMPO_MPI_CHECK(MPI_Exscan(&value, &out, 1, datatype<T>(), MPI_SUM, get()));
    return rank_ == 0 ? T{} : out;
  }
  template <class T>
  std::vector<T> allgather(T value) const {  // collective
    std::vector<T> out(static_cast<std::size_t>(size_));
    SAMPO_MPI_CHECK(MPI_Allgather(&value, 1, datatype<T>(), out.data(), 1, datatype<T>(), get()));
    return out;
  }
  // Concatenation of every rank's vector, in rank order, on every rank.
  template <class T>
  std::vector<T> allgatherv(std::span<const T> local) const {  // collective
    auto counts = allgather(static_cast<int>(local.size()));
    std::vector<int> displs(counts.size(), 0);
    for (std::size_t r = 1; r < counts.size(); ++r) displs[r] = displs[r - 1] + counts[r - 1];
    std::vector<T> out(static_cast<std::size_t>(displs.back() + counts.back()));
    SAMPO_MPI_CHECK(MPI_Allgatherv(local.data(), static_cast<int>(local.size()), datatype<T>(), out.data(),
                                   counts.data(), displs.data(), datatype<T>(), get()));
    return out;
  }
  // Personalised exchange: send[r] goes to rank r; returns what each rank sent here, concatenated in rank order,
  // and the per-source counts in recv_counts (optional).
  template <class T>
  std::vector<T> alltoallv(const std::vector<std::vector<T>>& send, std::vector<int>* recv_counts = nullptr) const {
    SAMPO_VERIFY(static_cast<int>(send.size()) == size_, "alltoallv needs one send buffer per rank");
    std::vector<int> scounts(size_), sdispls(size_), rcounts(size_), rdispls(size_);
    std::vector<T> sbuf;
    for (int r = 0; r < size_; ++r) {
      scounts[r] = static_cast<int>(send[r].size());
      sdispls[r] = static_cast<int>(sbuf.size());
      sbuf.insert(sbuf.end(), send[r].begin(), send[r].end());
    }
    SAMPO_MPI_CHECK(MPI_Alltoall(scounts.data(), 1, MPI_INT, rcounts.data(), 1, MPI_INT, get()));
    int total = 0;
    for (int r = 0; r < size_; ++r) {
      rdispls[r] = total;
      total += rcounts[r];
    }
    std::vector<T> rbuf(static_cast<std::size_t>(total));
    SAMPO_MPI_CHECK(MPI_Alltoallv(sbuf.data(), scounts.data(), sdispls.data(), datatype<T>(), rbuf.data(),
                                  rcounts.data(), rdispls.data(), datatype<T>(), get()));
    if (recv_counts) *recv_counts = rcounts;
    return rbuf;
  }

 private:
  struct Deleter {
    bool owned;
    void operator()(MPI_Comm* c) const;
  };
  explicit Communicator(std::shared_ptr<MPI_Comm> comm);
  std::shared_ptr<MPI_Comm> comm_;  // shared: copies of a Communicator refer to one handle, freed by the last
  int rank_ = 0;
  int size_ = 1;
};

// Collective: runs fn on every rank; if any rank throws a UsageError, every rank throws the same (collective)
// UsageError carrying the message of the lowest failing rank. Other exceptions propagate unchanged (the driver
// then aborts the job). Use around setup steps that may fail on some ranks only (opening files, allocation).
void all_or_throw(const Communicator& comm, const std::function<void()>& fn);

}  // namespace sampo::mpi
