package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// PermissionReadAdminMessages is the permission the Hello World API demands
// for /api/messages/admin.
const PermissionReadAdminMessages = "read:admin-messages"

// The built-in users. Their passwords are published, so their hashes use
// bcrypt's minimum cost: hashing them again costs nothing to an attacker,
// and it keeps logins fast in tests under the race detector.
const (
	AliceEmail    = "alice@example.com"
	AlicePassword = "alice-password"
	BobEmail      = "bob@example.com"
	BobPassword   = "bob-password"

	aliceHash = "$2a$04$R2i221WOO57BUL5AFEiTPOe8dmQVR.UimQG6HgA10TN99ksMdphu."
	bobHash   = "$2a$04$Sc23G4jmj.PuGBwrg0/pX.epjAI3VKiiSK8GclAAeAQgNg6YPKNke"

	usersFile = "users.json"

	// MinPasswordLen and MaxPasswordLen are the sign-up password rule.
	MinPasswordLen = 8
	MaxPasswordLen = 72 // bcrypt ignores anything longer
	maxNameLen     = 100
	maxEmailLen    = 254
)

// User is an account. Email is the login name; ID is the stable sub.
type User struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Name          string    `json:"name"`
	PasswordHash  string    `json:"password_hash"`
	EmailVerified bool      `json:"email_verified"`
	Permissions   []string  `json:"permissions,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
}

// userStore holds the built-in users plus those who signed up; only the
// latter are written to disk. Several sandboxes may share the file: a
// sign-up re-reads and merges it under the state directory's lock, and a
// login with an unknown email re-reads it when it changed.
type userStore struct {
	persist *stateDir // nil when ephemeral
	cost    int       // bcrypt cost of new passwords
	now     func() time.Time
	log     *slog.Logger
	// dummyHash, at the configured cost, is compared against when the
	// email is unknown or its hash is cheaper (see hashesFor).
	dummyHash []byte

	// maxSignups caps the signed-up accounts (the demo users are not
	// counted): users.json and the per-user shares stay bounded.
	maxSignups int

	mu      sync.RWMutex
	byEmail map[string]*User // key: lower-cased email
	byID    map[string]*User
	signups []*User // persisted, in sign-up order
	// fileMod and fileSize identify the version of the users file last
	// read or written, to notice another process's sign-ups.
	fileMod  time.Time
	fileSize int64
}

// ErrEmailTaken is returned by signUp for an email that already has an account.
var ErrEmailTaken = errors.New("an account with this email already exists")

// ErrTooManyUsers refuses a sign-up once the sandbox holds Limits.Users
// signed-up accounts.
var ErrTooManyUsers = errors.New("the sandbox has as many signed-up accounts as it keeps")

// SignupError is a sign-up refusal whose text can be shown to the user.
type SignupError struct{ Msg string }

func (e *SignupError) Error() string { return e.Msg }

func defaultUsers() []*User {
	return []*User{
		{ID: "sandbox|alice", Email: AliceEmail, Name: "Alice Example", PasswordHash: aliceHash,
			EmailVerified: true, Permissions: []string{PermissionReadAdminMessages}},
		{ID: "sandbox|bob", Email: BobEmail, Name: "Bob Example", PasswordHash: bobHash,
			EmailVerified: true},
	}
}

func loadUsers(persist *stateDir, cost, maxSignups int, now func() time.Time, logger *slog.Logger) (*userStore, error) {
	s := &userStore{persist: persist, cost: cost, maxSignups: maxSignups, now: now, log: logger, byEmail: map[string]*User{}, byID: map[string]*User{}}
	secret, err := randomToken()
	if err != nil {
		return nil, err
	}
	if s.dummyHash, err = bcrypt.GenerateFromPassword([]byte(secret), cost); err != nil {
		return nil, fmt.Errorf("hash: %w", err)
	}
	for _, u := range defaultUsers() {
		s.add(u)
	}
	if persist == nil {
		return s, nil
	}
	saved, err := s.readFileLocked()
	if err != nil {
		return nil, err
	}
	s.mergeLocked(saved)
	return s, nil
}

// readFileLocked reads and checks the users file (nil when there is none)
// and remembers which version it read. The caller holds mu or owns s.
func (s *userStore) readFileLocked() ([]*User, error) {
	// Stat first: should the file change in between, the next check sees
	// a newer stamp and reads again, which is harmless.
	mod, size := s.persist.stat(usersFile)
	data, err := s.persist.read(usersFile)
	if err != nil || data == nil {
		return nil, err
	}
	var saved []*User
	if err := json.Unmarshal(data, &saved); err != nil {
		return nil, fmt.Errorf("parse %s: %w", s.persist.file(usersFile), err)
	}
	for _, u := range saved {
		if u == nil || u.ID == "" || u.Email == "" || u.PasswordHash == "" {
			return nil, fmt.Errorf("parse %s: incomplete user entry", s.persist.file(usersFile))
		}
	}
	s.fileMod, s.fileSize = mod, size
	return saved, nil
}

// mergeLocked adds the saved users not known yet. The caller holds mu or
// owns s.
func (s *userStore) mergeLocked(saved []*User) {
	for _, u := range saved {
		if s.byEmail[strings.ToLower(u.Email)] != nil || s.byID[u.ID] != nil {
			continue // known already, or would shadow a built-in user
		}
		s.add(u)
		s.signups = append(s.signups, u)
	}
}

// reloadIfChanged merges sign-ups another sandbox sharing the state
// directory wrote since this one last read the file.
func (s *userStore) reloadIfChanged() {
	if s.persist == nil {
		return
	}
	mod, size := s.persist.stat(usersFile)
	s.mu.Lock()
	defer s.mu.Unlock()
	if mod.Equal(s.fileMod) && size == s.fileSize {
		return
	}
	saved, err := s.readFileLocked()
	if err != nil {
		s.log.Warn("re-reading users", "err", err)
		return
	}
	s.mergeLocked(saved)
}

// add indexes u; the caller holds mu or owns s exclusively.
func (s *userStore) add(u *User) {
	s.byEmail[strings.ToLower(u.Email)] = u
	s.byID[u.ID] = u
}

// get returns a copy of the user with the given sub.
func (s *userStore) get(id string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.byID[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// byEmailAddr returns a copy of the user with this email.
func (s *userStore) byEmailAddr(email string) (User, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	u, ok := s.byEmail[strings.ToLower(strings.TrimSpace(email))]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// authenticate checks an email and password. It does the same bcrypt work
// whether or not the email exists.
func (s *userStore) authenticate(email, password string) (User, bool) {
	found, ok := s.byEmailAddr(email)
	if !ok && s.persist != nil {
		// Maybe someone signed up on another sandbox sharing the state
		// directory; a stat when the file has not changed.
		s.reloadIfChanged()
		found, ok = s.byEmailAddr(email)
	}

	// bcrypt rejects passwords over 72 bytes; cut them so the comparison
	// still runs and simply fails.
	pw := []byte(password)
	if len(pw) > MaxPasswordLen {
		pw = pw[:MaxPasswordLen]
		ok = false
	}
	hashes := s.hashesFor(found, ok)
	match := bcrypt.CompareHashAndPassword(hashes[0], pw) == nil
	for _, h := range hashes[1:] {
		_ = bcrypt.CompareHashAndPassword(h, pw) // only for the time it takes
	}
	if !match || !ok {
		return User{}, false
	}
	return found, true
}

// hashesFor returns the hashes a login compares the password with, the
// account's first. Every login does at least the work of one comparison at
// the configured cost, whether the email is unknown (the dummy hash), a
// signed-up user's (hashed at that cost) or a built-in user's (hashed at
// bcrypt's minimum cost, so the dummy hash is compared as well): timing
// does not tell which accounts exist.
func (s *userStore) hashesFor(found User, known bool) [][]byte {
	if !known {
		return [][]byte{s.dummyHash}
	}
	h := []byte(found.PasswordHash)
	if c, err := bcrypt.Cost(h); err != nil || c < s.cost {
		return [][]byte{h, s.dummyHash}
	}
	return [][]byte{h}
}

// signUp validates the form, creates the user and persists it. Validation
// failures are *SignupError; a duplicate email is ErrEmailTaken.
func (s *userStore) signUp(ctx context.Context, name, email, password string) (User, error) {
	name = strings.TrimSpace(name)
	email = strings.TrimSpace(email)
	switch {
	case name == "" || utf8.RuneCountInString(name) > maxNameLen || !utf8.ValidString(name):
		return User{}, &SignupError{fmt.Sprintf("Enter your name (at most %d characters).", maxNameLen)}
	case !validEmail(email):
		return User{}, &SignupError{"Enter a valid email address, like name@example.com."}
	case len(password) < MinPasswordLen || len(password) > MaxPasswordLen:
		return User{}, &SignupError{fmt.Sprintf("Choose a password of %d to %d characters.", MinPasswordLen, MaxPasswordLen)}
	}
	if s.full() {
		return User{}, ErrTooManyUsers // before the slow hash
	}
	// Hash before taking the lock: bcrypt is deliberately slow.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return User{}, fmt.Errorf("hash password: %w", err)
	}
	id, err := randomHex(12)
	if err != nil {
		return User{}, err
	}
	u := &User{
		ID: "sandbox|" + id, Email: email, Name: name, PasswordHash: string(hash),
		CreatedAt: s.now().UTC().Truncate(time.Second),
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.persist != nil {
		// Read-modify-write under the directory's lock, merging what other
		// sandboxes sharing it saved: writing only our own list would drop
		// their sign-ups.
		err := s.persist.withLock(ctx, func() error {
			saved, err := s.readFileLocked()
			if err != nil {
				return err
			}
			s.mergeLocked(saved)
			if s.byEmail[strings.ToLower(email)] != nil {
				return ErrEmailTaken
			}
			if s.fullLocked() {
				return ErrTooManyUsers
			}
			out := slices.Clone(saved)
			for _, su := range s.signups {
				if !slices.ContainsFunc(saved, func(o *User) bool { return o.ID == su.ID }) {
					out = append(out, su)
				}
			}
			data, err := json.MarshalIndent(append(out, u), "", "  ")
			if err != nil {
				return fmt.Errorf("encode users: %w", err)
			}
			if err := s.persist.write(usersFile, data); err != nil {
				return fmt.Errorf("save users: %w", err)
			}
			// Our own write is no news to us.
			s.fileMod, s.fileSize = s.persist.stat(usersFile)
			return nil
		})
		if err != nil {
			return User{}, err
		}
	} else if s.byEmail[strings.ToLower(email)] != nil {
		return User{}, ErrEmailTaken
	} else if s.fullLocked() {
		return User{}, ErrTooManyUsers
	}
	s.add(u)
	s.signups = append(s.signups, u)
	return *u, nil
}

// full reports whether the signed-up accounts reached the cap.
func (s *userStore) full() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.fullLocked()
}

// fullLocked is full for callers holding mu. The demo users always exist
// and do not count.
func (s *userStore) fullLocked() bool {
	return len(s.byID)-len(defaultUsers()) >= s.maxSignups
}

// validEmail accepts a bare addr-spec with a dot in the domain, the shape
// people type into a sign-up form.
func validEmail(email string) bool {
	if len(email) > maxEmailLen {
		return false
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || a.Name != "" {
		return false
	}
	at := strings.LastIndexByte(email, '@')
	return at > 0 && strings.Contains(email[at+1:], ".")
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// User returns the user with the given sub.
func (s *Store) User(id string) (User, bool) { return s.users.get(id) }

// Authenticate checks an email and password, doing the same bcrypt work
// whether or not the email exists.
func (s *Store) Authenticate(email, password string) (User, bool) {
	return s.users.authenticate(email, password)
}

// SignUp validates the sign-up form, creates the user and persists it.
// Validation failures are *SignupError; a duplicate email is ErrEmailTaken.
func (s *Store) SignUp(ctx context.Context, name, email, password string) (User, error) {
	return s.users.signUp(ctx, name, email, password)
}
