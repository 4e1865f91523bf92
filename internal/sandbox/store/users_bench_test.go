package store

import (
	"slices"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// BenchmarkLoginTiming measures, alternating in one run at the default
// bcrypt cost, a wrong password for a built-in user, for a signed-up user
// and for an unknown email, and reports the medians and the ratio of the
// slowest to the fastest (the goal: under 1.5). Run with:
//
//	go test -run '^$' -bench LoginTiming -benchtime 40x ./internal/sandbox/store/
func BenchmarkLoginTiming(b *testing.B) {
	us, err := loadUsers(nil, bcrypt.DefaultCost, DefaultLimits.Users, time.Now, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := us.signUp(b.Context(), "Carol", "carol@example.com", "carol-password"); err != nil {
		b.Fatal(err)
	}
	emails := []string{AliceEmail, "carol@example.com", "nobody@example.com"}
	names := []string{"builtin-ms", "signedup-ms", "unknown-ms"}
	times := make([][]time.Duration, len(emails))
	for b.Loop() {
		for i, e := range emails {
			start := time.Now()
			if _, ok := us.authenticate(e, "wrong-password"); ok {
				b.Fatal("wrong password accepted")
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	var lo, hi time.Duration
	for i, d := range times {
		slices.Sort(d)
		m := d[len(d)/2]
		b.ReportMetric(float64(m)/float64(time.Millisecond), names[i])
		if lo == 0 || m < lo {
			lo = m
		}
		hi = max(hi, m)
	}
	b.ReportMetric(float64(hi)/float64(lo), "slowest/fastest")
	b.ReportMetric(0, "ns/op")
}
