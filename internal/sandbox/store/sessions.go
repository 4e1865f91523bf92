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
	s.sweepLocked(now, false)
	if len(s.sessions) >= s.limits.Sessions {
		s.sweepLocked(now, true)
	}
	if len(s.sessions) >= s.limits.Sessions {
		// Still full: evict the session that would expire first rather than
		// refuse logins. That browser just has to type its password again.
		s.log.Warn("too many browser sessions; evicting the oldest", "limit", s.limits.Sessions)
		delete(s.sessions, soonestExpiring(s.sessions, func(b *Session) time.Time { return b.Expires }))
	}
	s.sessions[id] = bs
	return *bs, nil
}

// Session returns the live session with this id and its user.
func (s *Store) Session(id string) (Session, User, bool) {
	s.mu.Lock()
	bs, ok := s.sessions[id]
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
	delete(s.sessions, id)
}

// EndUserSessions forgets every browser session of a user.
func (s *Store) EndUserSessions(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, bs := range s.sessions {
		if bs.UserID == userID {
			delete(s.sessions, id)
		}
	}
}
