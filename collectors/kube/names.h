// Kubernetes object-name and namespace rules (k8s.io/apimachinery pkg/util/validation), pure.
//
// What the API server requires of the names Keelson puts into request paths:
//   namespaces                       DNS-1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, <= 63 chars
//                                    (apimachinery ValidateNamespaceName)
//   Deployment, StatefulSet,         DNS-1123 subdomain: labels joined by '.', <= 253 chars
//   ReplicaSet, ReplicationController (NameIsDNSSubdomain in pkg/apis/apps|core/validation)
//   and custom resources             (the CRD handler's default, NameIsDNSSubdomain)
//   API groups                       DNS-1123 subdomain; versions a DNS-1123 label
//   kinds                            [A-Za-z][A-Za-z0-9]* (a Go type name, as the RESTMapper uses)
// Each check returns nullopt when the value is valid, else the reason as a sentence in the API
// server's words, with the value quoted and control characters escaped (safe to log).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace keelson::kube {

std::optional<std::string> checkDns1123Label(std::string_view value);
std::optional<std::string> checkDns1123Subdomain(std::string_view value);
std::optional<std::string> checkNamespace(std::string_view ns);
// The name rule for an object of `kind` (every scalable kind uses DNS-1123 subdomain names).
std::optional<std::string> checkObjectName(std::string_view kind, std::string_view name);
std::optional<std::string> checkKind(std::string_view kind);
// "apps/v1" or "v1": group (optional) a DNS-1123 subdomain, version a DNS-1123 label.
std::optional<std::string> checkApiVersion(std::string_view apiVersion);

// `value` in double quotes with \r, \n, \t, '"', '\\' and other bytes outside printable ASCII
// escaped (\xNN), for messages that quote user input.
std::string quoteForMessage(std::string_view value);

}  // namespace keelson::kube
