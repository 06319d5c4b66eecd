#include "cli/app.hpp"

int main(int argc, char** argv) {
    return tasksrun::run_cli(argc, argv);
}
