// The main of a fuzz target in an ordinary build: runs LLVMFuzzerTestOneInput once on each
// file named on the command line (the seed corpus, in `make test`), so every target
// compiles and its corpus passes without clang. Under `make fuzz` libFuzzer's own main
// (-fsanitize=fuzzer) replaces this one.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE...   (runs the fuzz target on each file)\n", argv[0]);
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    std::ifstream in(argv[i], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot read %s\n", argv[0], argv[i]);
      return 1;
    }
    const std::string input((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%d inputs ran\n", argc - 1);
  return 0;
}
