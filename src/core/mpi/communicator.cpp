#include "core/mpi/communicator.hpp"

#include <cstdlib>
#include <sstream>

#include "core/mpi/environment.hpp"

namespace sampo::mpi {

void check(int rc, const char* call, const char* file, int line) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  std::ostringstream os;
  os << "MPI call failed: " << call << " returned " << rc << " (" << std::string(msg, static_cast<std::size_t>(len))
     << ") at " << file << ":" << line;
  throw MpiError(os.str());
}

MPI_Op to_mpi(Op op) {
  switch (op) {
    case Op::sum: return MPI_SUM;
    case Op::max: return MPI_MAX;
    case Op::min: return MPI_MIN;
    case Op::land: return MPI_LAND;
    case Op::lor: return MPI_LOR;
  }
  return MPI_SUM;
}

void Communicator::Deleter::operator()(MPI_Comm* c) const {
  if (owned && *c != MPI_COMM_NULL) {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(c);
  }
  delete c;
}

Communicator::Communicator(std::shared_ptr<MPI_Comm> comm) : comm_(std::move(comm)) {
  SAMPO_MPI_CHECK(MPI_Comm_rank(*comm_, &rank_));
  SAMPO_MPI_CHECK(MPI_Comm_size(*comm_, &size_));
}

Communicator Communicator::world() {
  return Communicator(std::shared_ptr<MPI_Comm>(new MPI_Comm(MPI_COMM_WORLD), Deleter{false}));
}

Communicator::Communicator(MPI_Comm comm, bool duplicate) {
  if (duplicate) {
    MPI_Comm dup = MPI_COMM_NULL;
    SAMPO_MPI_CHECK(MPI_Comm_dup(comm, &dup));
    comm_ = std::shared_ptr<MPI_Comm>(new MPI_Comm(dup), Deleter{true});
  } else {
    comm_ = std::shared_ptr<MPI_Comm>(new MPI_Comm(comm), Deleter{false});
  }
  SAMPO_MPI_CHECK(MPI_Comm_rank(*comm_, &rank_));
  SAMPO_MPI_CHECK(MPI_Comm_size(*comm_, &size_));
}

Communicator Communicator::duplicate() const { return Communicator(get(), true); }

Communicator Communicator::split(int colour, int key) const {
  MPI_Comm out = MPI_COMM_NULL;
  SAMPO_MPI_CHECK(MPI_Comm_split(get(), colour, key, &out));
  return Communicator(std::shared_ptr<MPI_Comm>(new MPI_Comm(out), Deleter{true}));
}

Communicator Communicator::split_node() const {
  MPI_Comm out = MPI_COMM_NULL;
  SAMPO_MPI_CHECK(MPI_Comm_split_type(get(), MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &out));
  return Communicator(std::shared_ptr<MPI_Comm>(new MPI_Comm(out), Deleter{true}));
}

void Communicator::barrier() const { SAMPO_MPI_CHECK(MPI_Barrier(get())); }

std::string Communicator::broadcast_string(const std::string& s, int root) const {
  auto n = broadcast_value<long long>(static_cast<long long>(s.size()), root);
  std::string out = rank_ == root ? s : std::string(static_cast<std::size_t>(n), '\0');
  if (n > 0) broadcast(std::span<char>(out.data(), out.size()), root);
  return out;
}

void all_or_throw(const Communicator& comm, const std::function<void()>& fn) {
  std::string message;
  int failed = 0;
  int kind = 0;  // 1 config, 2 input, 3 checkpoint, 4 other usage
  try {
    fn();
  } catch (const ConfigError& e) {
    failed = 1, kind = 1, message = e.what();
  } catch (const InputError& e) {
    failed = 1, kind = 2, message = e.what();
  } catch (const CheckpointError& e) {
    failed = 1, kind = 3, message = e.what();
  } catch (const UsageError& e) {
    failed = 1, kind = 4, message = e.what();
  }
  // The lowest failing rank speaks for all.
  const int first = comm.allreduce(failed ? comm.rank() : comm.size(), Op::min);
  if (first == comm.size()) return;
  message = comm.broadcast_string(message, first);
  kind = comm.broadcast_value(kind, first);
  switch (kind) {
    case 1: throw ConfigError(message, true);
    case 2: throw InputError(message, true);
    case 3: throw CheckpointError(message, true);
    default: throw UsageError(message, true);
  }
}

void exclude_stale_lock_components() noexcept { setenv("OMPI_MCA_sharedfp", "^sm", /*overwrite=*/0); }

Environment::Environment(int& argc, char**& argv, int required) {
  exclude_stale_lock_components();
  SAMPO_MPI_CHECK(MPI_Init_thread(&argc, &argv, required, &provided_));
  if (provided_ < required) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    if (rank == 0) {
      std::fprintf(stderr, "sampo: the MPI library gives thread level %d but %d is needed\n", provided_, required);
    }
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
  // Errors come back as return codes, which SAMPO_MPI_CHECK turns into exceptions.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
}

Environment::~Environment() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

}  // namespace sampo::mpi
