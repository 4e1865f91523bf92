package tokencache

import (
	"encoding/json"
	"fmt"

	"github.com/hello-cli/hello/internal/token"
)

// Codec is the one seam the token fields of an entry pass through, on their
// way to the file (Encode) and back (Decode). The key is given so that a
// sealing codec can bind the sealed bytes to the entry they belong to
// (as AES-GCM additional data), and a file copied to another key fails to open.
type Codec interface {
	Encode(k Key, t token.Token) (json.RawMessage, error)
	Decode(k Key, raw json.RawMessage) (token.Token, error)
}

// Plain stores the token fields as a JSON object, readable by the owner of
// the file (mode 0600) alone.
type Plain struct{}

// Encode implements Codec.
func (Plain) Encode(_ Key, t token.Token) (json.RawMessage, error) {
	return json.Marshal(t)
}

// Decode implements Codec.
func (Plain) Decode(_ Key, raw json.RawMessage) (token.Token, error) {
	var t token.Token
	if err := json.Unmarshal(raw, &t); err != nil {
		return token.Token{}, fmt.Errorf("invalid token fields: %w", err)
	}
	return t, nil
}
