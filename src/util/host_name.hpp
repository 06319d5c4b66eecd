#pragma once
#include <string>

namespace tasksrun {

// This machine's name ({{hostname}}), or "localhost" when it has none.
std::string host_name();

}  // namespace tasksrun
