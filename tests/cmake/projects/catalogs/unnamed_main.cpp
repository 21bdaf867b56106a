#include <fastappkit/embedded.h>

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    return fastappkit::migrate_all(argv[1]).empty() ? 0 : 0;
}
