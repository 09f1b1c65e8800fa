// Helpers shared by the rules: modes, sysctl names and namespaces.
#include "rules/common.hpp"

#include <algorithm>
#include <array>

namespace gopreflight::webhook::rules {

std::string_view mode_name(Mode m) {
  switch (m) {
    case Mode::enforce: return "enforce";
    case Mode::warn: return "warn";
    case Mode::audit: return "audit";
  }
  return "enforce";
}

Mode advice_mode(Mode m) { return m == Mode::audit ? Mode::audit : Mode::warn; }

std::string normalize_sysctl_name(std::string_view name) {
  const auto first = name.find_first_of("./");
  std::string out(name);
  if (first == std::string_view::npos || name[first] == '.') return out;
  for (char& c : out) {
    if (c == '/') {
      c = '.';
    } else if (c == '.') {
      c = '/';
    }
  }
  return out;
}

/*
 * Which sysctls a Pod can set at all: the kubelet admits only sysctls that live in a kernel
 * namespace the Pod owns (k8s.io/component-helpers/node/util/sysctl, NamespacedBy):
 *   IPC: kernel.sem, kernel.shmall, kernel.shmmax, kernel.shmmni, kernel.shm_rmid_forced,
 *        kernel.msgmax, kernel.msgmnb, kernel.msgmni, fs.mqueue.*
 *   Net: net.*
 * Everything else (vm.*, fs.file-max, kernel.pid_max, ...) is node-wide: the kubelet answers
 * SysctlForbidden and the Pod never starts.
 */
SysctlNamespace sysctl_namespace(std::string_view n) {
  static constexpr std::array<std::string_view, 10> ipc_names = {
      "kernel.sem",    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
      "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.shm",    "kernel.msg"};
  if (std::find(ipc_names.begin(), ipc_names.end(), n) != ipc_names.end()) return SysctlNamespace::ipc;
  if (n.starts_with("net.")) return SysctlNamespace::net;
  if (n.starts_with("fs.mqueue.")) return SysctlNamespace::ipc;
  return SysctlNamespace::none;
}

std::string normalize_whitespace(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

}  // namespace gopreflight::webhook::rules
