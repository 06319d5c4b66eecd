#pragma once
// A fresh directory under /tmp for one test case, removed with everything in it afterwards.
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace tasksrun::test {

struct TempDir {
    std::filesystem::path path;
    TempDir() {
        char name[] = "/tmp/tasksrun-test-XXXXXX";
        path = mkdtemp(name);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace tasksrun::test
