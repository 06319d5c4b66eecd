#include "util/byte_size.hpp"

#include <catch2/catch.hpp>

namespace tasksrun {
namespace {

TEST_CASE("byte sizes: binary and decimal units, and what is wrong", "[util]") {
    CHECK(parse_byte_size("1MiB") == 1048576U);
    CHECK(parse_byte_size("512KiB") == 524288U);
    CHECK(parse_byte_size("64kB") == 64000U);
    CHECK(parse_byte_size("2GB") == 2000000000U);
    CHECK(parse_byte_size("100B") == 100U);
    CHECK(parse_byte_size("1 MiB").error() ==
          "\"1 MiB\" has no unit tasksrun knows; use B, KiB, "
          "MiB, GiB, kB, MB or GB");
    CHECK(parse_byte_size("MiB").error() == "\"MiB\" is not a size such as \"1MiB\" or \"512KiB\"");
    CHECK(parse_byte_size("99999999999GiB").error() == "\"99999999999GiB\" is too large");
    CHECK(format_byte_size(1048576) == "1MiB");
    CHECK(format_byte_size(8192) == "8KiB");
    CHECK(format_byte_size(1500) == "1500B");
}

}  // namespace
}  // namespace tasksrun
