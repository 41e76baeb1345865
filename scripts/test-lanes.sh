#!/usr/bin/env bash
# The test files, in two lanes at once. Most files keep the machine busy and run two at a time (vitest.config.ts). A
# few mostly wait for real time to pass — a minute boundary, a usage limit's reset, claude's own pause after one — and
# on that schedule they held one of the two places for minutes while the machine idled; they run here one after the
# other in a lane of their own beside the others instead. Their report follows the other files'; the run fails if
# either lane fails. With arguments (a file, a filter, a reporter), one plain `vitest run` with them instead.
set -uo pipefail
cd "$(dirname "$0")/.."

if [ $# -gt 0 ]; then exec npx vitest run "$@"; fi

WAITING=(test/e2e/usage-limit.test.ts test/e2e/multi-host-schedules.test.ts test/e2e/usage-limit-drivers.test.ts)

report=$(mktemp)
lane=
# The lane goes with the script, however it ends.
trap 'if [ -n "$lane" ]; then kill "$lane" 2>/dev/null; fi; rm -f "$report"' EXIT
npx vitest run --maxWorkers=1 "${WAITING[@]}" >"$report" 2>&1 &
lane=$!
excludes=()
for file in "${WAITING[@]}"; do excludes+=(--exclude "$file"); done
echo "test-lanes: ${WAITING[*]} run one at a time beside the rest; their report follows"
npx vitest run "${excludes[@]}"
others=$?
wait "$lane"
waiting=$?
lane=
echo
echo "test-lanes: the files that wait for real time (run beside the others):"
cat "$report"
if [ "$others" -ne 0 ] || [ "$waiting" -ne 0 ]; then
	echo "test-lanes: failed (the other files: exit $others; the files that wait: exit $waiting)"
	exit 1
fi
