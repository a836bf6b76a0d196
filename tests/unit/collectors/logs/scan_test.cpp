// The walk over a temporary log root: what it lists, reports and refuses.
#include "collectors/logs/scan.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace keelson::logs {
namespace {

namespace fs = std::filesystem;

class Root {
 public:
  Root() {
    std::string tmpl = (fs::temp_directory_path() / "keelson-scan-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~Root() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  void write(const std::string& rel) {
    fs::create_directories((path_ / rel).parent_path());
    std::ofstream(path_ / rel) << "x\n";
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct Recorder final : ScanVisitor {
  void onDirectory(int, const std::string& rel) override { dirs.push_back(rel); }
  void onRefused(const std::string& rel, std::string_view reason) override {
    refused.push_back(rel + " " + std::string(reason));
  }
  void onIncomplete() override { incomplete = true; }
  void onFile(const std::string& rel, const std::string& dir_rel,
              const logroot::PodLogPath& where) override {
    files.push_back(rel + " in " + dir_rel + (where.rotated ? " rotated" : " live"));
  }
  std::vector<std::string> dirs;
  std::vector<std::string> refused;
  std::vector<std::string> files;
  bool incomplete = false;
};

TEST(ScanTest, WalksPodsListsLogFilesAndRefusesSymlinks) {
  Root root;
  const std::string pod = "pods/shop_checkout_uid-1";
  root.write(pod + "/app/0.log");
  root.write(pod + "/app/0.log.20261202-101010");
  root.write(pod + "/app/0.log.20261202-090909.gz");   // compressed: never read
  root.write(pod + "/app/0.log.20261202-090909.tmp");  // being compressed
  root.write(pod + "/app/notes.txt");                  // not a log file name
  root.write("pods/kube-system_dns_uid-2/dns/0.log");  // a namespace not allowed
  root.write("pods/not-a-pod-dir/x/0.log");
  root.write("outside.log");
  fs::create_symlink(root.path() / "outside.log", root.path() / (pod + "/app/1.log"));
  fs::create_directories(root.path() / "elsewhere/side");
  fs::create_directory_symlink(root.path() / "elsewhere/side", root.path() / (pod + "/side"));

  auto fd = openRoot(root.path().string());
  ASSERT_TRUE(fd.ok());
  Recorder v;
  const ScanListing listing = walkPods(fd->get(), NamespaceFilter{{}, {"kube-system"}}, v);
  EXPECT_EQ(v.files, (std::vector<std::string>{
                         pod + "/app/0.log in " + pod + "/app live",
                         pod + "/app/0.log.20261202-101010 in " + pod + "/app rotated",
                     }));
  EXPECT_EQ(v.refused,
            (std::vector<std::string>{pod + "/app/1.log Symlink", pod + "/side Symlink"}));
  EXPECT_EQ(v.dirs, (std::vector<std::string>{"pods", pod, pod + "/app"}));
  EXPECT_FALSE(v.incomplete);
  EXPECT_EQ(listing.pod_dirs.size(), 3u);  // every entry of pods/, filtered or not
  EXPECT_EQ(listing.pod_uids, (std::set<std::string, std::less<>>{"uid-1", "uid-2"}));
  EXPECT_EQ(listing.log_files.size(), 2u);
}

TEST(ScanTest, NoPodsDirectoryListsNothing) {
  Root root;
  auto fd = openRoot(root.path().string());
  ASSERT_TRUE(fd.ok());
  Recorder v;
  const ScanListing listing = walkPods(fd->get(), NamespaceFilter{}, v);
  EXPECT_TRUE(listing.pod_dirs.empty());
  EXPECT_TRUE(v.refused.empty());
  EXPECT_FALSE(v.incomplete);
}

TEST(ScanTest, ContainerLinksNameTheInstanceOfEachFile) {
  Root root;
  const std::string id(64, 'a');
  fs::create_directories(root.path() / "containers");
  // The kubelet's absolute target on the host; only its last four components count.
  fs::create_symlink("/var/log/pods/shop_checkout_uid-1/app/0.log",
                     root.path() / ("containers/checkout_shop_app-" + id + ".log"));
  fs::create_symlink(
      "/var/log/pods/shop_checkout_uid-1/other/0.log",  // names another container
      root.path() / ("containers/checkout_shop_app-" + std::string(64, 'b') + ".log"));
  auto dir = openBeneath(openRoot(root.path().string())->get(), "containers", true);
  ASSERT_TRUE(dir.ok());
  const ContainerIds ids = readContainerLinks(dir->get());
  ASSERT_EQ(ids.size(), 1u);
  const std::string app = "pods/shop_checkout_uid-1/app";
  EXPECT_EQ(containerIdFor(ids, app, "0.log"), id);
  EXPECT_EQ(containerIdFor(ids, app, "0.log.20261202-101010"), id);  // its rotated files too
  EXPECT_EQ(containerIdFor(ids, app, "1.log"), "");
  EXPECT_EQ(containerIdFor(ids, app, "1.log.20261202-101010"), "");
  EXPECT_EQ(containerIdFor(ids, "pods/shop_checkout_uid-1/other", "0.log"), "");
}

TEST(ScanTest, LogFileNames) {
  EXPECT_TRUE(isLogFileName("0.log"));
  EXPECT_TRUE(isLogFileName("0.log.20261202-101010"));
  EXPECT_FALSE(isLogFileName("0.log.20261202-101010.gz"));
  EXPECT_FALSE(isLogFileName("0.log.20261202-101010.tmp"));
}

}  // namespace
}  // namespace keelson::logs
