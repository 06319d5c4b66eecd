#pragma once
// Process exit codes (sysexits.h values where one fits). Only cli/ turns errors into these.

namespace tasksrun::exit_code {

inline constexpr int ok = 0;
inline constexpr int failure = 1;
inline constexpr int usage = 64;   // EX_USAGE
inline constexpr int config = 78;  // EX_CONFIG; systemd units use RestartPreventExitStatus=78

}  // namespace tasksrun::exit_code
