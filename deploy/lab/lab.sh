#!/usr/bin/env bash
# The Plait network-namespace lab (../../../shared/notes/machines.md):
#
#   host A (namespace $LAB_A)                       host B (namespace $LAB_B)
#   userspace stack behind a TUN device             Linux kernel MPTCP
#   path addresses 10.1.0.11, 10.2.0.11
#            va1 10.1.0.1/24  <---- path 1 ---->  vb1 10.1.0.2/24
#            va2 10.2.0.1/24  <---- path 2 ---->  vb2 10.2.0.2/24
#
# A forwards between its veths and the TUN device (ip_forward) and answers
# B's ARP for the path addresses (proxy_arp on va1, va2); the TUN device and
# its host routes come from the userspace side itself (dataplane/io/tun), run
# inside A with `ip netns exec $LAB_A ...`. B allows MPTCP subflows and
# accepted ADD_ADDRs (limits 2/2).
#
# Usage: lab.sh up [--rate MBIT] [--no-offload] | down | status
#   --rate MBIT   shape every veth's egress with tbf (the kernel has no netem:
#                 delay and loss experiments run in Plait's simulator)
#   --no-offload  turn off checksum/segmentation offloads on the veths, so
#                 that captures show the packets as they travel
# Namespace names: LAB_A (default plait-lab-a), LAB_B (default plait-lab-b).
# `up` removes a half-built lab if interrupted or failing; `down` is
# idempotent. Needs root.
set -euo pipefail
export PATH="$PATH:/usr/sbin:/sbin"

LAB_A=${LAB_A:-plait-lab-a}
LAB_B=${LAB_B:-plait-lab-b}
PATHS=(1 2)

die() { echo "lab.sh: $*" >&2; exit 1; }
inA() { ip netns exec "$LAB_A" "$@"; }
inB() { ip netns exec "$LAB_B" "$@"; }
exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

down() {
  local ns
  for ns in "$LAB_A" "$LAB_B"; do
    # Deleting a namespace deletes its veths (and their peers), qdiscs,
    # routes and sysctls with it.
    if exists "$ns"; then ip netns del "$ns"; fi
  done
}

down_on_failure() {
  local rc=$?
  [ "$rc" -eq 0 ] || down
  exit "$rc"
}

up() {
  local rate="" offload=1
  while [ $# -gt 0 ]; do
    case "$1" in
      --rate) [ $# -ge 2 ] || die "--rate needs MBIT"; rate=$2; shift 2 ;;
      --no-offload) offload=0; shift ;;
      *) die "unknown option for up: $1" ;;
    esac
  done
  if [ -n "$rate" ] && ! [[ "$rate" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    die "--rate wants a number of Mbit/s, not '$rate'"
  fi
  [ "$(id -u)" -eq 0 ] || die "needs root"
  exists "$LAB_A" && die "$LAB_A exists already (lab.sh down first)"
  exists "$LAB_B" && die "$LAB_B exists already (lab.sh down first)"

  # Anything half built goes again if this fails or is interrupted.
  trap 'down; trap - EXIT; exit 1' INT TERM
  trap down_on_failure EXIT

  ip netns add "$LAB_A"
  ip netns add "$LAB_B"
  inA ip link set lo up
  inB ip link set lo up
  inA sysctl -qw net.ipv4.ip_forward=1
  inB ip mptcp limits set subflow 2 add_addr_accepted 2
  local i
  for i in "${PATHS[@]}"; do
    # Created straight inside the namespaces: no names in the caller's.
    ip link add "va$i" netns "$LAB_A" type veth peer name "vb$i" netns "$LAB_B"
    inA ip addr add "10.$i.0.1/24" dev "va$i"
    inB ip addr add "10.$i.0.2/24" dev "vb$i"
    inA sysctl -qw "net.ipv4.conf.va$i.proxy_arp=1"
    # Proxy ARP answers after a random delay up to proxy_delay (0.8 s by
    # default): B's first packet to a path address would wait that long.
    inA sysctl -qw "net.ipv4.neigh.va$i.proxy_delay=0"
    inA ip link set "va$i" up
    inB ip link set "vb$i" up
    if [ "$offload" -eq 0 ]; then
      inA ethtool -K "va$i" tx off tso off gso off gro off >/dev/null
      inB ethtool -K "vb$i" tx off tso off gso off gro off >/dev/null
    fi
    if [ -n "$rate" ]; then
      # burst: at least one 10 ms worth at the rate, and a few full frames.
      local burst
      burst=$(awk -v r="$rate" 'BEGIN{b=r*1e6/8/100; if (b<16000) b=16000; printf "%d", b}')
      inA tc qdisc add dev "va$i" root tbf rate "${rate}mbit" burst "$burst" latency 50ms
      inB tc qdisc add dev "vb$i" root tbf rate "${rate}mbit" burst "$burst" latency 50ms
    fi
  done
  trap - INT TERM EXIT
  echo "lab up: $LAB_A (va1 10.1.0.1, va2 10.2.0.1; userspace 10.1.0.11, 10.2.0.11)" \
       "<-> $LAB_B (vb1 10.1.0.2, vb2 10.2.0.2)${rate:+, tbf ${rate} Mbit/s}"
}

status() {
  local ns up=0
  for ns in "$LAB_A" "$LAB_B"; do
    if exists "$ns"; then
      up=$((up + 1))
      echo "== $ns"
      ip netns exec "$ns" ip -brief addr
      ip netns exec "$ns" ip route
      ip netns exec "$ns" tc qdisc show | grep tbf || true
    else
      echo "== $ns: absent"
    fi
  done
  if exists "$LAB_B"; then inB ip mptcp limits; fi
  [ "$up" -eq 2 ]
}

case "${1:-}" in
  up) shift; up "$@" ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up [--rate MBIT] [--no-offload] | down | status" >&2; exit 2 ;;
esac
