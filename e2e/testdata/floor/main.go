// Command floor is the least a warm `hello messages protected` has to do:
// read the access token from hello's cache entry and make one bearer GET.
// The e2e benchmarks build it and measure hello against it.
//
//	floor CACHE-ENTRY URL
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
)

func main() {
	data, err := os.ReadFile(os.Args[1])
	check(err)
	var entry struct {
		AccessToken string `json:"access_token"`
	}
	check(json.Unmarshal(data, &entry))
	req, err := http.NewRequest(http.MethodGet, os.Args[2], nil)
	check(err)
	req.Header.Set("Authorization", "Bearer "+entry.AccessToken)
	resp, err := http.DefaultClient.Do(req)
	check(err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		check(fmt.Errorf("GET %s: %s", os.Args[2], resp.Status))
	}
	_, err = io.Copy(os.Stdout, resp.Body)
	check(err)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}
