package store

import "time"

// Session is the provider's own browser login session (like Auth0's SSO
// cookie): while it lasts, /authorize skips the password form.
type Session struct {
	ID       string
	UserID   string
	AuthTime time.Time
	Expires  time.Time
}

// CreateSession starts a browser session for userID.
func (s *Store) CreateSession(userID string) (Session, error) {
	id, err := randomToken()
	if err != nil {
		return Session{}, err
	}
	now := s.now()
	bs := &Session{ID: id, UserID: userID, AuthTime: now, Expires: now.Add(s.cfg.SessionTTL)}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Full: end the oldest session, the user's own when their share is
	// used up, rather than refuse a login that just gave the right
	// password. That browser just has to type its password again.
	if f := s.sessions.full(userID, now); f.full {
		victim, _ := s.sessions.oldestOf(userID)
		if f.global {
			victim = s.sessions.oldestKey()
		}
		s.log.Warn("too many browser sessions; ending the oldest", "user", userID, "all_users", f.global)
		s.sessions.delete(victim)
	}
	s.sessions.add(id, userID, bs, now)
	return *bs, nil
}

// Session returns the live session with this id and its user.
func (s *Store) Session(id string) (Session, User, bool) {
	s.mu.Lock()
	bs, ok := s.sessions.get(id)
	var cp Session
	if ok {
		cp = *bs
	}
	s.mu.Unlock()
	if !ok || s.now().After(cp.Expires) {
		return Session{}, User{}, false
	}
	u, ok := s.users.get(cp.UserID)
	if !ok {
		return Session{}, User{}, false
	}
	return cp, u, true
}

// EndSession forgets a browser session.
func (s *Store) EndSession(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sessions.delete(id)
}

// EndUserSessions forgets every browser session of a user.
func (s *Store) EndUserSessions(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.sessions.ownedBy(userID) {
		s.sessions.delete(id)
	}
}
