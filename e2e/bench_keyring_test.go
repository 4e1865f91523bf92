package e2e

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkWarmCallKeyring compares, alternating in one run, the warm
// `hello messages protected` (valid cached token) with the session sealed
// under a key in a real Secret Service against the same call with plain
// file storage. Goal: keyring/file ≤ 1.3. It prints figures and asserts
// nothing about time. Run it with:
//
//	go test -run '^$' -bench WarmCallKeyring -benchtime 40x ./e2e/
func BenchmarkWarmCallKeyring(b *testing.B) {
	sb := startSandbox(b)
	sealed := newUser(b, sb)
	sealed.setenv("HELLO_TOKEN_STORAGE", "keyring")
	ss := startSecretService(b, sealed.home)
	sealed.setenv("DBUS_SESSION_BUS_ADDRESS", ss.Addr)
	sealed.login("alice@example.com", "alice-password")
	if v, _ := sealed.cacheEntry()["access_token"].(string); !strings.HasPrefix(v, "hello-sealed:") {
		b.Fatal("the keyring user's session is not sealed")
	}
	plain := newUser(b, sb) // HELLO_TOKEN_STORAGE=file, the harness default
	plain.login("alice@example.com", "alice-password")

	var keyringT, fileT []time.Duration
	for b.Loop() {
		keyringT = append(keyringT, timed(b, sealed, helloBin, "messages", "protected"))
		fileT = append(fileT, timed(b, plain, helloBin, "messages", "protected"))
	}
	k, f := median(keyringT), median(fileT)
	b.ReportMetric(ms(k), "keyring-ms")
	b.ReportMetric(ms(f), "file-ms")
	b.ReportMetric(float64(k)/float64(f), "keyring/file")
	b.ReportMetric(0, "ns/op")
}
