#include "core/error/error.hpp"

#include <sstream>

namespace sampo::detail {

void verify_failed(const char* expr, const std::string& msg, std::source_location loc) {
  std::ostringstream os;
  os << msg << " (check `" << expr << "` failed in " << loc.function_name() << " at " << loc.file_name() << ":"
     << loc.line() << ")";
  throw InternalError(os.str());
}

}  // namespace sampo::detail
