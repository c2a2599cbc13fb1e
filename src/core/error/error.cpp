#include "core/error/error.hpp"

#include <sstream>

namespace sampo::detail {

void verify_failed(const char* expr, const std::string& msg, const char* function, const char* file, int line) {
  std::ostringstream os;
  os << msg << " (check `" << expr << "` failed in " << function << " at " << file << ":" << line << ")";
  throw InternalError(os.str());
}

}  // namespace sampo::detail
