#!/usr/bin/env bash
# The source article's pre-start commands (seed 000: uname, stat, timedatectl, ulimit, sysctl,
# cat), one per reading gopreflight-check makes, as an operator's script would run them. The
# benchmark baseline: same readings, no judging.
uname -r
stat -fc %T /sys/fs/cgroup
cat /proc/self/cgroup
cat /proc/self/mountinfo | grep cgroup
cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/memory.max 2>/dev/null
cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu.max 2>/dev/null
cat /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max 2>/dev/null
timedatectl status 2>/dev/null | grep -E "(System clock|NTP service)"
ulimit -n
ulimit -Hn
ulimit -u
ulimit -v
cat /proc/sys/fs/file-max
cat /proc/sys/kernel/pid_max
cat /proc/sys/kernel/threads-max
cat /sys/kernel/mm/transparent_hugepage/enabled
cat /sys/kernel/mm/transparent_hugepage/defrag
cat /sys/kernel/mm/transparent_hugepage/khugepaged/max_ptes_none
cat /sys/devices/system/clocksource/clocksource0/current_clocksource
grep -m1 -o -w -E 'constant_tsc|nonstop_tsc' /proc/cpuinfo
cat /proc/swaps
sysctl vm.max_map_count
sysctl vm.swappiness
sysctl vm.overcommit_memory
sysctl fs.file-max
sysctl fs.nr_open
sysctl fs.inotify.max_user_watches
sysctl fs.inotify.max_user_instances
sysctl net.core.somaxconn
sysctl net.ipv4.tcp_tw_reuse
sysctl net.ipv4.tcp_fin_timeout
sysctl net.ipv4.ip_local_port_range
sysctl net.netfilter.nf_conntrack_max
sysctl net.netfilter.nf_conntrack_tcp_timeout_established
cat /proc/sys/net/netfilter/nf_conntrack_count
exit 0
