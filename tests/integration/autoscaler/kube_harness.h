// Helpers for tests against the kube peer: kubectl as admin, namespaces, service accounts with
// exactly the RBAC a test grants, tokens minted with `kubectl create token`.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "collectors/kube/client.h"
#include "tests/support/peer_env.h"

namespace keelson::testing {

struct CommandResult {
  int status = -1;
  std::string output;
};

inline std::string shellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

// Runs `command` through sh, feeding `input` on stdin (via a here-string file), capturing stdout
// and stderr.
inline CommandResult runShell(const std::string& command, const std::string& input = "") {
  std::string full = command + " 2>&1";
  std::string input_file;
  if (!input.empty()) {
    char tmpl[] = "/tmp/keelson_it_XXXXXX";
    const int fd = mkstemp(tmpl);
    if (fd < 0) throw std::runtime_error("mkstemp failed");
    if (write(fd, input.data(), input.size()) != static_cast<ssize_t>(input.size())) {
      close(fd);
      throw std::runtime_error("write failed");
    }
    close(fd);
    input_file = tmpl;
    full += " < " + input_file;
  }
  CommandResult result;
  FILE* pipe = popen(full.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::array<char, 4096> buffer{};
  size_t n = 0;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  result.status = pclose(pipe);
  if (!input_file.empty()) unlink(input_file.c_str());
  return result;
}

class KubePeer {
 public:
  KubePeer() : env_(loadPeerEnv("kube")) {}
  std::string server() const { return peerValue(env_, "KEELSON_KUBE_SERVER"); }
  std::string ca() const { return peerValue(env_, "KEELSON_KUBE_CA"); }
  std::string adminKubeconfig() const { return peerValue(env_, "KEELSON_KUBECONFIG"); }

  // kubectl as admin; fails the test on a non-zero exit unless `mayFail`.
  std::string kubectl(const std::string& args, const std::string& input = "",
                      bool mayFail = false) const {
    auto r = runShell(peerValue(env_, "KEELSON_KUBECTL") + " --kubeconfig " +
                          shellQuote(adminKubeconfig()) + " " + args,
                      input);
    if (r.status != 0 && !mayFail) {
      ADD_FAILURE() << "kubectl " << args << " failed: " << r.output;
    }
    return r.output;
  }
  void apply(const std::string& yaml) const { kubectl("apply -f -", yaml); }

  // A namespace whose default ServiceAccount exists: the API server's ServiceAccount admission
  // refuses pods until the controller-manager has created it.
  void createNamespace(const std::string& ns) const {
    kubectl("create namespace " + ns);
    kubectl("wait --for=create serviceaccount/default -n " + ns + " --timeout=60s");
  }

  std::string token(const std::string& ns, const std::string& sa) const {
    std::string t = kubectl("create token " + sa + " -n " + ns + " --duration=1h");
    while (!t.empty() && (t.back() == '\n' || t.back() == ' '))
      t.pop_back();
    return t;
  }

  // A kubeconfig file for `token` (written under /tmp).
  std::string writeKubeconfig(const std::string& name, const std::string& token,
                              const std::string& ns) const {
    const std::string path = "/tmp/keelson_it_" + name + ".kubeconfig";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fprintf(f,
                 "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                 "clusters:\n- name: k\n  cluster:\n    server: %s\n"
                 "    certificate-authority: %s\n"
                 "contexts:\n- name: c\n  context: {cluster: k, user: u, namespace: %s}\n"
                 "users:\n- name: u\n  user:\n    token: %s\n",
                 server().c_str(), ca().c_str(), ns.c_str(), token.c_str());
    std::fclose(f);
    return path;
  }

 private:
  std::map<std::string, std::string> env_;
};

inline std::string uniqueName(const std::string& prefix) {
  std::random_device rd;
  return prefix + "-" + std::to_string(rd() % 1000000);
}

inline std::string deploymentYaml(const std::string& ns, const std::string& name, int replicas) {
  return "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: " + name + ", namespace: " + ns +
         "}\nspec:\n  replicas: " + std::to_string(replicas) +
         "\n  selector: {matchLabels: {app: " + name +
         "}}\n  template:\n    metadata: {labels: "
         "{app: " +
         name +
         "}}\n    spec:\n      containers:\n      - {name: app, image: "
         "registry.invalid/app:1, resources: {requests: {cpu: 100m}}}\n";
}

// Role granting what keelson-autoscaler needs (deploy/ RBAC mirrors it); `withPatch` false
// leaves out `patch` on deployments/scale to test the Forbidden path.
inline std::string rbacYaml(const std::string& ns, const std::string& sa, bool withPatch) {
  std::string scale_verbs = withPatch ? "[get, patch, update]" : "[get]";
  return "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: " + sa + ", namespace: " + ns +
         "}\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: " + sa +
         ", namespace: " + ns +
         "}\nrules:\n"
         "- {apiGroups: [apps], resources: [deployments/scale, statefulsets/scale], verbs: " +
         scale_verbs +
         "}\n"
         "- {apiGroups: [''], resources: [pods], verbs: [list]}\n"
         "- {apiGroups: [''], resources: [events], verbs: [create]}\n"
         "- {apiGroups: [coordination.k8s.io], resources: [leases], verbs: [get, create, update]}\n"
         "- {apiGroups: [''], resources: [configmaps], verbs: [get, create, update]}\n"
         "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: " +
         sa + ", namespace: " + ns +
         "}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, "
         "name: " +
         sa + "}\nsubjects:\n- {kind: ServiceAccount, name: " + sa + ", namespace: " + ns + "}\n";
}

inline int specReplicas(const KubePeer& peer, const std::string& ns, const std::string& name) {
  const std::string out =
      peer.kubectl("get deployment " + name + " -n " + ns + " -o jsonpath={.spec.replicas}");
  return std::atoi(out.c_str());
}

}  // namespace keelson::testing
