#pragma once
// Moved to util/instant.hpp; kept until every branch includes the new path.
#include "util/instant.hpp"
