// dbgw: the command-line client of the Databricks gateway. `dbgw --help` lists the
// commands; client/README.md describes them.
#include <unistd.h>  // environ

#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "client/cli/app.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    const std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos) env[text.substr(0, equals)] = text.substr(equals + 1);
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  return gateway::cli::Run(args, env, std::cout, std::cerr);
}
