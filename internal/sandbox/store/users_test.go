package store

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Every login, known email or not, compares at least one hash of the
// configured cost, and the built-in users' cheap hashes add the dummy one.
func TestLoginWorkDoesNotTellAccountsApart(t *testing.T) {
	t.Parallel()
	const cost = bcrypt.MinCost + 2
	us, err := loadUsers(nil, cost, DefaultLimits.Users, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	signedUp, err := us.signUp(t.Context(), "Carol", "carol@example.com", "carol-password")
	if err != nil {
		t.Fatal(err)
	}
	alice, _ := us.byEmailAddr(AliceEmail)
	for _, c := range []struct {
		name  string
		u     User
		known bool
	}{
		{"unknown email", User{}, false},
		{"built-in user", alice, true},
		{"signed-up user", signedUp, true},
	} {
		top := 0
		for _, h := range us.hashesFor(c.u, c.known) {
			n, err := bcrypt.Cost(h)
			if err != nil {
				t.Fatal(err)
			}
			top = max(top, n)
		}
		if top != cost {
			t.Errorf("%s: dearest hash compared has cost %d, want %d", c.name, top, cost)
		}
	}
	if _, ok := us.authenticate(AliceEmail, AlicePassword); !ok {
		t.Error("alice's password refused")
	}
	if _, ok := us.authenticate("CAROL@example.com ", "carol-password"); !ok {
		t.Error("carol's password refused")
	}
	for _, pw := range []string{"wrong", AlicePassword + "x"} {
		if _, ok := us.authenticate(AliceEmail, pw); ok {
			t.Errorf("alice with %q accepted", pw)
		}
	}
}
