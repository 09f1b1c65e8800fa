#!/usr/bin/env bash
# Every command the docs show runs: each ```sh block of README.md and docs/**/*.md is run with bash
# (-o pipefail) from the repository root and must end with exit 0 and print none of the shell's or
# CLI11's complaints about a command or an option (a documented command that does not exist or is
# misspelt), with the built binaries first on PATH, unless the line
# before it is an HTML comment `<!-- illustrative: reason -->` (it needs a cluster, a registry, a
# container runtime or a full build). Also: relative links point at files that exist, and the Helm
# values table of docs/install.md is the one generated from values.yaml.
# Usage: docs_test.sh BUILD_DIR          (BUILD_DIR/cmd holds gopreflight-webhook and gopreflight-check)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:?usage: docs_test.sh BUILD_DIR}")
[ -x "$build/cmd/gopreflight-webhook" ] && [ -x "$build/cmd/gopreflight-check" ] ||
  { echo "docs_test: $build/cmd lacks gopreflight-webhook or gopreflight-check"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$root" || exit 1
# ./build/cmd/... in the docs means the build of the first set-up command: point it at BUILD_DIR.
mkdir -p "$work/bin"
ln -s "$build/cmd/gopreflight-webhook" "$build/cmd/gopreflight-check" "$work/bin/"
python3 - "$root" "$work" <<'PY'
import os, re, sys
root, work = sys.argv[1], sys.argv[2]
docs = [os.path.join(root, "README.md")]
for d, _, files in os.walk(os.path.join(root, "docs")):
    docs += [os.path.join(d, f) for f in sorted(files) if f.endswith(".md")]
n = 0
with open(os.path.join(work, "blocks.tsv"), "w") as out:
    for path in docs:
        lines = open(path).read().split("\n")
        i = 0
        while i < len(lines):
            if lines[i].strip() == "```sh":
                start = i + 1
                j = start
                while j < len(lines) and lines[j].strip() != "```":
                    j += 1
                prev = next((lines[k].strip() for k in range(i - 1, -1, -1) if lines[k].strip()), "")
                illustrative = prev.startswith("<!-- illustrative")
                rel = os.path.relpath(path, root)
                if illustrative and ":" not in prev:
                    print(f"docs_test: {rel}:{i + 1}: an illustrative mark must say why (<!-- illustrative: reason -->)")
                    sys.exit(1)
                body = "\n".join(lines[start:j]) + "\n"
                f = os.path.join(work, f"block{n}.sh")
                open(f, "w").write(body)
                out.write(f"{rel}:{i + 1}\t{'skip' if illustrative else 'run'}\t{f}\n")
                n += 1
                i = j
            i += 1
PY
[ -s "$work/blocks.tsv" ] || { echo "docs_test: no sh blocks found (the parser is broken)"; exit 1; }
fails=0 ran=0 skipped=0
while IFS=$'\t' read -r where what file; do
  if [ "$what" = skip ]; then skipped=$((skipped + 1)); continue; fi
  ran=$((ran + 1))
  # ./build/cmd/X -> the built X; plain X -> the built X (PATH).
  sed -i "s#\./build/cmd/#$work/bin/#g" "$file"
  # Blocks may show a command that exits 1 on purpose (`...; echo "exit $?"`), so not bash -e.
  if PATH="$work/bin:$PATH" timeout 120 bash -o pipefail "$file" >"$work/out" 2>&1 </dev/null &&
     ! grep -qE 'command not found|No such file or directory|was not expected|is required|Run with --help|unknown option|not a valid' "$work/out"; then
    echo "ok   $where"
  else
    echo "FAIL $where (exit $?):"; sed 's/^/    /' "$file"; echo "  output:"; tail -n 15 "$work/out" | sed 's/^/    /'
    fails=$((fails + 1))
  fi
done <"$work/blocks.tsv"

# Relative links.
python3 - "$root" <<'PY' || fails=$((fails + 1))
import os, re, sys
root = sys.argv[1]
bad = []
paths = [os.path.join(root, "README.md")] + [os.path.join(d, f) for d, _, fs in os.walk(os.path.join(root, "docs")) for f in fs if f.endswith(".md")]
for path in paths:
    text = open(path).read()
    for m in re.finditer(r"\]\(([^)#\s]+)(#[^)]*)?\)", text):
        target = m.group(1)
        if re.match(r"[a-z]+:", target):
            continue
        full = os.path.normpath(os.path.join(os.path.dirname(path), target))
        rel = os.path.relpath(full, root)
        if not os.path.exists(full):
            bad.append(f"{os.path.relpath(path, root)}: broken link {target}")
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
PY
# One page per rule id: the ids the binary knows (from its --skip-rule error) each have docs/policy/<id>.md.
ids=$("$build/cmd/gopreflight-webhook" review -f tests/testdata/review/pod.json --skip-rule no-such-rule 2>&1 >/dev/null |
  sed -n 's/.*expected one of \(.*\) (optionally.*/\1/p' | tr -d ',')
[ -n "$ids" ] || { echo "FAIL could not read the rule ids from gopreflight-webhook review --skip-rule"; fails=$((fails + 1)); }
for id in $ids; do
  [ -s "docs/policy/$id.md" ] || { echo "FAIL rule $id has no page docs/policy/$id.md (review and SARIF link to it)"; fails=$((fails + 1)); }
  grep -qF "($id.md)" docs/policy/README.md || { echo "FAIL docs/policy/README.md does not list $id"; fails=$((fails + 1)); }
done
# The node check catalog in docs/node-checks.md lists exactly the checks `gopreflight-check --list` has,
# with their scope and severity.
"$build/cmd/gopreflight-check" --list --output json >"$work/catalog.json" 2>&1 || { echo "FAIL gopreflight-check --list --output json"; fails=$((fails + 1)); }
python3 - "$work/catalog.json" docs/node-checks.md <<'PY' || fails=$((fails + 1))
import json, re, sys
listed = {c["id"]: c for c in json.load(open(sys.argv[1]))["checks"]}
text = open(sys.argv[2]).read()
table = text.split("### Catalog", 1)[1].split("\n### ", 1)[0]
rows = {m.group(1): (m.group(2), m.group(3)) for m in re.finditer(r"^\| `([a-z0-9_.-]+)` \| ([a-z-]+) \| ([a-z]+) \|", table, re.M)}
bad = [f"catalog: {i} is in gopreflight-check --list but not in docs/node-checks.md" for i in sorted(set(listed) - set(rows))]
bad += [f"catalog: {i} is in docs/node-checks.md but not in gopreflight-check --list" for i in sorted(set(rows) - set(listed))]
for i in sorted(set(rows) & set(listed)):
    want = (listed[i].get("scope"), listed[i].get("severity"))
    if rows[i] != want:
        bad.append(f"catalog: {i}: docs say scope/severity {rows[i]}, --list {want}")
for b in bad:
    print("FAIL " + b)
sys.exit(1 if bad else 0)
PY
python3 "$root/tests/docs/gen_values.py" "$root/helm/gopreflight/values.yaml" "$root/docs/install.md" || fails=$((fails + 1))
echo "docs_test: $ran blocks run, $skipped illustrative, $fails failure(s)"
[ "$fails" = 0 ]
