package config

import (
	"slices"
	"strings"

	"github.com/hello-cli/hello/pkg/termsafe"
)

// otherEnv are the HELLO_* variables read outside the settings table:
// hello reads them elsewhere, or sets them for programs it runs.
func otherEnv() []string {
	return []string{
		"HELLO_LOCK_TIMEOUT",  // how long to wait for another hello renewing the session
		"HELLO_ACCESS_TOKEN",  // the token hello hands to programs it runs
		"HELLO_TOKEN_STORAGE", // where tokens are kept (keyring or file)
		"HELLO_PROFILE",       // the named settings profile
	}
}

// knownEnv lists every HELLO_* variable hello understands.
func knownEnv() []string {
	var names []string
	for _, k := range keys() {
		names = append(names, envName(k.name))
	}
	names = append(names, otherEnv()...)
	slices.Sort(names)
	return names
}

// unknownEnvWarnings names every HELLO_* variable in environ that hello
// does not read, as unknownKeyWarnings does for the config file, so a typo
// such as HELLO_ISSUR does not silently fall back to the sandbox.
func unknownEnvWarnings(environ []string) []string {
	known := knownEnv()
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "HELLO_") || slices.Contains(known, name) {
			continue
		}
		msg := "environment: unknown variable " + termsafe.Line(name) + " ignored"
		if k, ok := closest(name, known); ok {
			msg += " (did you mean " + k + "?)"
		}
		out = append(out, msg)
	}
	slices.Sort(out)
	return out
}

// closest returns the known name nearest to name when it is near enough
// to be a typo: about one slip in four letters, at least one.
func closest(name string, known []string) (string, bool) {
	best, bestDist := "", -1
	for _, k := range known {
		d := distance(strings.ToUpper(name), strings.ToUpper(k))
		if bestDist < 0 || d < bestDist {
			best, bestDist = k, d
		}
	}
	if bestDist < 0 || bestDist > max(1, len(name)/4) {
		return "", false
	}
	return best, true
}

// distance is the Levenshtein edit distance between a and b, with a
// transposition of neighbours counting as one edit (ISUSER → ISSUER).
func distance(a, b string) int {
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
