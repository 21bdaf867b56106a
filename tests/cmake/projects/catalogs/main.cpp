// two_catalogs SHOP_URL EXAMPLE_URL SHARED_URL: each library (two static, one shared) migrates
// its own database; then the one-line form, which needs the program's unnamed catalog, is
// refused (there is none).
#include <fastappkit/embedded.h>

#include <iostream>
#include <string>

std::size_t migrate_shop(const std::string& url);
std::size_t migrate_example(const std::string& url);
std::size_t migrate_shared(const std::string& url);

int main(int argc, char** argv) {
    if (argc != 4) return 2;
    try {
        std::cout << "shop applied " << migrate_shop(argv[1]) << "\n";
        std::cout << "example applied " << migrate_example(argv[2]) << "\n";
        std::cout << "shared applied " << migrate_shared(argv[3]) << "\n";
    } catch (const fastappkit::Error& e) {
        std::cerr << e.what() << "\n";
        return e.exit_code();
    }
    try {
        fastappkit::migrate_all(argv[1]);
    } catch (const fastappkit::Error& e) {
        std::cout << "migrate_all: " << e.exit_code() << " " << e.what() << "\n";
    }
    return 0;
}
