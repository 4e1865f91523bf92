package interop

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// grants is how many grants of type g (refresh_token, …) the provider's
// token endpoint performed so far, as its own grant.success event counts
// them (GET /interop/grants, see server.js).
func (p *provider) grants(t *testing.T, g string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, strings.TrimSuffix(p.Issuer, "/")+"/interop/grants", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var counts map[string]int
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /interop/grants: HTTP %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&counts); err != nil {
		t.Fatalf("GET /interop/grants: %v", err)
	}
	return counts[g]
}
