#!/bin/sh
# mutants.sh — mutation testing of the security-critical code with gremlins.
#
# Usage: scripts/mutants.sh GREMLINS [package...]
#
# For each package (by default the list below), gremlins changes one
# operator at a time in the package's code (a comparison flipped or made
# inclusive, a && turned into ||, a sign or an increment inverted) and runs
# the package's tests; a change no test notices "lived". One package at a
# time, one worker, so that it runs on a small shared machine; expect some
# twenty minutes in all. It prints, per package, the mutants killed and
# lived and the kill rate (killed / (killed + lived)), then every mutant
# that lived, as file:line:column and the kind of change. Full output and
# JSON for each package go to bin/mutants/.
#
# docs/SECURITY.md gives the figures and names the living mutants that are
# equivalent (no test can tell them apart from the code as it is).
set -eu

gremlins=$1
shift
out=bin/mutants
mkdir -p "$out"

# dir[:file,file...] — with files, only those files of the package are
# mutated (the package's whole test suite still runs against each mutant).
targets='
node/auditlog
crypto/jws
crypto/seal
crypto/identity
crypto/tlsca
protocol
node/hub:permissions.go,ingest.go
node/agency:roster.go,rosterwatch.go
'
if [ $# -gt 0 ]; then
	wanted=$*
	sel=
	for t in $targets; do
		for w in $wanted; do
			[ "${t%%:*}" = "$w" ] && sel="$sel $t"
		done
	done
	targets=$sel
fi

# Each run measures the package's tests with coverage first, and gives every
# mutant's test run that time times the coefficient: test results must not
# come from the cache, or the measure is of nothing.
GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1"
export GOFLAGS

for t in $targets; do
	dir=${t%%:*}
	name=$(echo "$dir" | tr / -)
	set --
	case $t in
	*:*)
		keep=,${t#*:},
		for f in "$dir"/*.go; do
			b=$(basename "$f")
			case $b in *_test.go) continue ;; esac
			case $keep in *,"$b",*) ;; *) set -- "$@" --exclude-files "^$b\$" ;; esac
		done
		;;
	esac
	echo "mutants: $t" >&2
	"$gremlins" unleash --workers 1 --timeout-coefficient 5 --invert-logical \
		--output "$out/$name.json" "$@" "./$dir" >"$out/$name.txt" 2>&1 || {
		echo "mutants: gremlins failed on $dir; see $out/$name.txt" >&2
		tail -20 "$out/$name.txt" >&2
		exit 1
	}
done

# The summary, from the text reports gremlins wrote.
printf '%-16s %7s %6s %10s %12s %10s\n' package killed lived timed-out not-covered "kill rate"
for t in $targets; do
	dir=${t%%:*}
	name=$(echo "$dir" | tr / -)
	awk -v pkg="$dir" '
		/^ *KILLED /      { k++ }
		/^ *LIVED /       { l++ }
		/^ *TIMED OUT /   { to++ }
		/^ *NOT COVERED / { nc++ }
		END {
			rate = (k + l) > 0 ? sprintf("%.1f%%", 100 * k / (k + l)) : "-"
			printf "%-16s %7d %6d %10d %12d %10s\n", pkg, k, l, to, nc, rate
		}' "$out/$name.txt"
done
echo
echo "mutants that lived:"
for t in $targets; do
	dir=${t%%:*}
	name=$(echo "$dir" | tr / -)
	sed -n "s|^ *LIVED \([A-Z_]*\) at \(.*\)\$|  $dir/\2 \1|p" "$out/$name.txt"
done
