#include <iostream>
#include <string>
#include <vector>

#include "agent/cli.h"

int main(int argc, char** argv) {
  return keelson::agent::runCli(std::vector<std::string>(argv + 1, argv + argc), std::cout,
                                std::cerr);
}
