# Shared by the performance gates (source it). A gate measures one figure, prints it with its
# bound, and fails beyond the bound. Bounds live in one file, bounds.txt beside this one (or the
# file named by GOPREFLIGHT_GATE_BOUNDS, e.g. a copy with a tightened bound to see a gate fail).
#   gate_bound NAME            print NAME's bound (fails if bounds file or name is missing)
#   gate_check GATE FIG OP BOUND UNIT DETAIL   print "gate GATE: FIG UNIT (bound OP BOUND) ok|FAIL";
#                              OP is <= or >=; returns 1 beyond the bound
#   gate_fail GATE MSG         print why GATE could not measure, return 1 (never a pass)
GATES_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GATE_BOUNDS=${GOPREFLIGHT_GATE_BOUNDS:-$GATES_DIR/bounds.txt}

gate_bound() {
  local v
  [ -r "$GATE_BOUNDS" ] || { echo "gates: cannot read the bounds file $GATE_BOUNDS" >&2; return 1; }
  v=$(awk -F= -v k="$1" '$0 !~ /^[[:space:]]*#/ && $1 == k {print $2}' "$GATE_BOUNDS" | tail -1)
  [[ $v =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "gates: no numeric bound '$1' in $GATE_BOUNDS" >&2; return 1; }
  echo "$v"
}

gate_check() { # gate figure op bound unit detail
  local gate=$1 fig=$2 op=$3 bound=$4 unit=$5 detail=${6:-} verdict
  [[ $fig =~ ^-?[0-9]+(\.[0-9]+)?$ ]] || { gate_fail "$gate" "measured no figure ('$fig')"; return 1; }
  if awk -v f="$fig" -v b="$bound" -v op="$op" 'BEGIN {exit !(op == "<=" ? f <= b : f >= b)}'; then
    verdict=ok
  else
    verdict=FAIL
  fi
  echo "gate $gate: $fig $unit (bound $op $bound $unit) $verdict${detail:+  [$detail]}"
  [ "$verdict" = ok ]
}

gate_fail() {
  echo "gate $1: FAIL: $2"
  return 1
}

# A free TCP port on loopback (the kernel's choice; the race until the server binds is harmless here).
gate_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
