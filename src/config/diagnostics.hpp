#pragma once
// Problems found in a config file, each tied to the place a person has to edit.
#include <string>
#include <vector>

#include "config/config.hpp"

namespace tasksrun {

struct Diagnostic {
    enum class Severity { error, warning };
    Severity severity;
    SourcePosition position;  // line 0 means the file as a whole
    std::string message;
};

class Diagnostics {
  public:
    explicit Diagnostics(std::string file) : file_(std::move(file)) {}

    void error(SourcePosition at, std::string message);
    void warning(SourcePosition at, std::string message);

    const std::string& file() const { return file_; }
    const std::vector<Diagnostic>& all() const { return list_; }
    std::size_t error_count() const;
    bool has_errors() const { return error_count() != 0; }

    // "tasks.toml:12:7: message" for errors, "tasks.toml:12:7: warning: message" for warnings,
    // sorted by position so that the output reads top to bottom like the file.
    std::vector<std::string> formatted() const;

  private:
    std::string file_;
    std::vector<Diagnostic> list_;
};

}  // namespace tasksrun
