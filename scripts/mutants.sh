#!/bin/sh
# mutants.sh — mutation testing of the security-critical code with gremlins.
#
# Usage: scripts/mutants.sh GREMLINS [package...]
#        scripts/mutants.sh --summary [package...]
#
# For each package (by default the list below), gremlins changes one
# operator at a time in the package's code (a comparison flipped or made
# inclusive, a && turned into ||, a sign or an increment inverted) and runs
# the package's tests; a change no test notices "lived". One package at a
# time, one worker (MUTANTS_WORKERS for more), so that it runs on a small
# shared machine; expect an hour in all, several under load. It prints, per
# package, the mutants killed and lived and the kill rate (killed /
# (killed + lived)), then every mutant that lived, as file:line:column and the kind of change. Full output and
# JSON for each package go to bin/mutants/; --summary prints the summary
# of the last runs again without running anything.
#
# gremlins reads each source file from this checkout when it reaches it,
# well into the run: leave the checkout alone until the run ends.
#
# docs/SECURITY.md gives the figures and names the living mutants that are
# equivalent (no test can tell them apart from the code as it is).
set -eu

gremlins=$1
shift
out=bin/mutants
mkdir -p "$out"

# dir[:file,file...[:test-to-skip]] — with files, only those files of the
# package are mutated; the package's whole test suite runs against each
# mutant, less the test named last. node/auditlog: the verifier, what an
# auditor and a court rely on (not the writer, whose crash test alone takes
# 15 s a mutant); protocol: the header, the binding, canonical decoding, the
# roster, receipts and names (not the body rules of each message type).
targets='
node/auditlog:verify.go,verify_checkpoint.go,verify_content.go,verify_error.go,check_message.go,trust.go,trust_roster.go,checkpoint.go,proof.go,record.go,tree.go,type.go:TestCrashDuringAppends
crypto/seal
node/hub:permissions.go,ingest.go
node/agency:roster.go,rosterwatch.go
crypto/jws
protocol:message.go,canonical.go,roster.go,receipt.go,card.go,id.go,msgid.go,time.go,subject.go,encoding.go
crypto/identity
crypto/tlsca
'
if [ $# -gt 0 ]; then
	sel=
	for t in $targets; do
		for w in "$@"; do
			if [ "${t%%:*}" = "$w" ]; then sel="$sel $t"; fi
		done
	done
	targets=$sel
fi

# Each run measures the package's tests with coverage first, and gives every
# mutant's test run that time times the coefficient (MUTANTS_TIMEOUT, 10 by
# default: on a loaded machine a slow run must not pass for a mutant that
# hangs): test results must not come from the cache, or the measure is of
# nothing. Each mutant's run
# builds and links a test binary: without vet and DWARF it costs less.
coef=${MUTANTS_TIMEOUT:-10}
workers=${MUTANTS_WORKERS:-1}
GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -vet=off -ldflags=-w"
export GOFLAGS

[ "$gremlins" = --summary ] ||
for t in $targets; do
	IFS=: read -r dir files skip <<-EOF
		$t
	EOF
	name=$(echo "$dir" | tr / -)
	goflags=$GOFLAGS
	[ -z "$skip" ] || goflags="$goflags -skip=^$skip\$"
	# gremlins walks the package's directory down: a subdirectory is
	# another package (node/auditlog/evidence), with its own target if any.
	set -- --exclude-files '^[^/]+/'
	if [ -n "$files" ]; then
		for f in "$dir"/*.go; do
			b=$(basename "$f" .go)
			case $b in *_test) continue ;; esac
			case ,$files, in *,"$b.go",*) ;; *) set -- "$@" --exclude-files "^$b\\.go\$" ;; esac
		done
	fi
	echo "mutants: $dir" >&2
	GOFLAGS=$goflags "$gremlins" unleash --workers "$workers" --timeout-coefficient "$coef" --invert-logical \
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
	[ -f "$out/$name.txt" ] || { printf '%-16s %s\n' "$dir" "not run"; continue; }
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
	[ -f "$out/$name.txt" ] || continue
	sed -n "s|^ *LIVED \([A-Z_]*\) at \(.*\)\$|  $dir/\2 \1|p" "$out/$name.txt"
done
