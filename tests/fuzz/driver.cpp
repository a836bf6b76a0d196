// A libFuzzer-compatible driver for compilers without libFuzzer (gcc): replays every file of the
// given corpus directories, then feeds a bounded number of deterministic mutations of them (bit
// flips, truncations, splices, byte insertions). It finds crashes and sanitizer reports on the
// seeds' neighbourhood; clang with -fsanitize=fuzzer does the real coverage-guided search.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

void run(const std::string& input) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string mutate(const std::vector<std::string>& seeds, std::mt19937_64& rng) {
  std::string s = seeds[rng() % seeds.size()];
  const int edits = 1 + static_cast<int>(rng() % 4);
  for (int i = 0; i < edits; ++i) {
    switch (rng() % 5) {
      case 0:  // flip a bit
        if (!s.empty()) s[rng() % s.size()] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // truncate
        if (!s.empty()) s.resize(rng() % s.size());
        break;
      case 2:  // insert an interesting byte
        s.insert(s.begin() + static_cast<std::ptrdiff_t>(s.empty() ? 0 : rng() % s.size()),
                 "\0\n\r\"\\{}[] \x7f\xff\xc3"[rng() % 14]);
        break;
      case 3: {  // splice with another seed
        const auto& other = seeds[rng() % seeds.size()];
        if (!other.empty()) s += other.substr(rng() % other.size());
        break;
      }
      default:  // duplicate a chunk
        if (!s.empty()) {
          const std::size_t at = rng() % s.size();
          s.insert(at, s.substr(at, rng() % 64));
        }
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> seeds;
  long mutations = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--mutations=", 0) == 0) {
      mutations = std::stol(arg.substr(12));
      continue;
    }
    std::vector<std::filesystem::path> files;
    if (std::filesystem::is_directory(arg)) {
      for (const auto& e : std::filesystem::directory_iterator(arg))
        files.push_back(e.path());
    } else {
      files.emplace_back(arg);
    }
    for (const auto& f : files) {
      // Read through the stream buffer in one call (istreambuf_iterator trips gcc 12's
      // -Wnull-dereference inside libstdc++).
      std::ifstream in(f, std::ios::binary);
      std::string seed(static_cast<std::size_t>(std::filesystem::file_size(f)), '\0');
      in.read(seed.data(), static_cast<std::streamsize>(seed.size()));
      seed.resize(static_cast<std::size_t>(in.gcount()));
      seeds.push_back(std::move(seed));
    }
  }
  if (seeds.empty()) seeds.emplace_back();
  for (const auto& s : seeds)
    run(s);
  std::mt19937_64 rng(0x6b65656c736f6eULL);  // fixed: a failure reproduces
  for (long i = 0; i < mutations; ++i)
    run(mutate(seeds, rng));
  std::printf("fuzz driver: %zu seeds, %ld mutations, no crash\n", seeds.size(), mutations);
  return 0;
}
