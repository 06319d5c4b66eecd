#pragma once
// A fresh directory per test case under /tmp, removed with everything in it afterwards.
#include <cstdlib>
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

    // A state directory inside it (not created: StateStore::open creates it).
    std::string dir() const { return (path / "state").string(); }
};

}  // namespace tasksrun::test
