#include "collectors/cgroup/open_files.h"

#include <unistd.h>

#include <cstring>

namespace keelson::cgroup {
namespace {

// The callers pass the same literals every scrape, so the pointer usually matches; the string
// comparison covers a name spelled at two call sites.
auto findFile(std::vector<std::pair<const char*, int>>& files, const char* file) {
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (it->first == file) return it;
  }
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (std::strcmp(it->first, file) == 0) return it;
  }
  return files.end();
}

}  // namespace

OpenFiles::~OpenFiles() {
  for (const auto& [path, cg] : cgroups_) {
    for (const auto& [file, fd] : cg.files)
      ::close(fd);
  }
}

OpenFiles::Cgroup& OpenFiles::cgroup(std::string_view path) {
  auto it = cgroups_.find(path);
  if (it == cgroups_.end()) it = cgroups_.emplace(std::string(path), Cgroup{}).first;
  it->second.used = true;
  return it->second;
}

int OpenFiles::find(Cgroup& cg, const char* file) {
  const auto it = findFile(cg.files, file);
  return it == cg.files.end() ? -1 : it->second;
}

bool OpenFiles::keep(Cgroup& cg, const char* file, int fd) {
  if (open_ >= max_files_ || findFile(cg.files, file) != cg.files.end()) return false;
  cg.files.emplace_back(file, fd);
  ++open_;
  return true;
}

void OpenFiles::drop(Cgroup& cg, const char* file) {
  const auto it = findFile(cg.files, file);
  if (it == cg.files.end()) return;
  ::close(it->second);
  cg.files.erase(it);
  --open_;
}

void OpenFiles::sweep() {
  for (auto it = cgroups_.begin(); it != cgroups_.end();) {
    if (!it->second.used) {
      for (const auto& [file, fd] : it->second.files)
        ::close(fd);
      open_ -= it->second.files.size();
      it = cgroups_.erase(it);
    } else {
      it->second.used = false;
      ++it;
    }
  }
}

}  // namespace keelson::cgroup
