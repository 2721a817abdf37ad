#include <string>
#include <vector>
namespace slipway::cli { int cmd_launch(const std::vector<std::string>&) { return 2; } }
