package claims

import (
	"reflect"
	"testing"
)

func TestPerson(t *testing.T) {
	t.Parallel()
	id := map[string]any{
		"iss": "https://op", "sub": "alice", "aud": "cli", "exp": 1.0, "iat": 1.0,
		"nonce": "n", "at_hash": "h", "rat": 1.0, "sid": "s", "auth_time": 1.0,
		"name": "Alice", "email": "alice@example.com", "picture": "https://p", "updated_at": 1.0,
	}
	want := map[string]any{"name": "Alice", "email": "alice@example.com", "picture": "https://p", "updated_at": 1.0}
	if got := Person(id); !reflect.DeepEqual(got, want) {
		t.Fatalf("Person = %v, want %v", got, want)
	}
}

func TestEmail(t *testing.T) {
	t.Parallel()
	userinfo := map[string]any{"sub": "alice"}
	idToken := map[string]any{"email": "alice@example.com", "email_verified": true}
	access := map[string]any{"email": "other@example.com"}
	if e, v := Email(userinfo, idToken, access); e != "alice@example.com" || !v {
		t.Fatalf("Email = %q, %v", e, v)
	}
	if e, v := Email(nil, access); e != "other@example.com" || v {
		t.Fatalf("Email = %q, %v", e, v)
	}
	if e, _ := Email(userinfo, nil); e != "" {
		t.Fatalf("Email = %q from nothing", e)
	}
}
