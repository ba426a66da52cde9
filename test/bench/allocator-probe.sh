#!/bin/sh
# `sh test/bench/allocator-probe.sh <hub pid> [release]`: what a running hub's two native allocators hold, read
# with gdb, the hub stopped for the second or two it takes (so nothing else moves its RSS meanwhile).
# DuckDB's memory goes through the jemalloc built into libduckdb.so (symbols prefixed duckdb_je_); the rest of
# the native memory (SQLite, Node's buffers and typed arrays, DuckDB's small objects) through glibc's malloc.
# Prints RSS, then jemalloc's resident and allocated MB (resident minus allocated: pages it holds freed; the
# resident figure is an upper bound). With `release`, also RSS after jemalloc purges every arena and after
# glibc's malloc_trim(0): what each held that it could give back (the hub goes on as before).
# Used for docs/benchmarks.md, "A soak" (2026-12-04). Needs gdb, and the right to ptrace the hub (same user, or root).
set -u
P=$1
RELEASE=${2:-}
command -v gdb > /dev/null || { echo "allocator-probe: gdb is not installed" >&2; exit 2; }
[ -r "/proc/$P/status" ] || { echo "allocator-probe: no process $P" >&2; exit 2; }
G=$(mktemp)
trap 'rm -f "$G"' EXIT
RSS="grep -E '^(VmRSS|RssAnon|RssFile)' /proc/$P/status | tr -s ' \t\n' ' '"
cat > "$G" <<EOG
set pagination off
shell echo "rss: \$($RSS)"
set \$v = (unsigned long*)malloc(16)
set \$l = (unsigned long*)malloc(8)
set *\$l = 8
set *\$v = 1
call (int)duckdb_je_mallctl("epoch", 0, 0, \$v, 8)
call (int)duckdb_je_mallctl("stats.resident", \$v, \$l, 0, 0)
printf "jemalloc resident MB: %lu\n", *\$v / 1048576
call (int)duckdb_je_mallctl("stats.allocated", \$v, \$l, 0, 0)
printf "jemalloc allocated MB: %lu\n", *\$v / 1048576
EOG
if [ "$RELEASE" = release ]; then
  # 4096 is MALLCTL_ARENAS_ALL: every arena.
  cat >> "$G" <<EOG
call (int)duckdb_je_mallctl("arena.4096.purge", 0, 0, 0, 0)
shell echo "after jemalloc purge: \$($RSS)"
call (int)malloc_trim(0)
shell echo "after malloc_trim(0): \$($RSS)"
EOG
fi
cat >> "$G" <<EOG
call (void)free(\$v)
call (void)free(\$l)
detach
quit
EOG
OUT=$(gdb -p "$P" -batch -x "$G" 2>&1)
echo "$OUT" | grep -E '^(rss|jemalloc|after)'
echo "$OUT" | grep -q '^jemalloc resident' || { echo "allocator-probe: no DuckDB jemalloc (duckdb_je_mallctl) in process $P" >&2; exit 1; }
