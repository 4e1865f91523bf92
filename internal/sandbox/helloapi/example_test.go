package helloapi_test

import (
	"context"
	"log"
	"net/http"
	"time"

	"github.com/hello-cli/hello/internal/sandbox/helloapi"
)

// The API alone in front of an Auth0 tenant, as a drop-in for Auth0's
// sample API.
func Example() {
	api, err := helloapi.New(helloapi.Config{
		Issuer:   "https://example.eu.auth0.com/",
		Audience: "https://hello-world.example.com",
	})
	if err != nil {
		log.Fatal(err)
	}
	// Optional: fail early if the tenant is unreachable, rather than on the
	// first protected request.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := api.Prefetch(ctx); err != nil {
		log.Printf("warming up: %v", err)
	}
	srv := &http.Server{Addr: "127.0.0.1:6060", Handler: api, ReadHeaderTimeout: 10 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
