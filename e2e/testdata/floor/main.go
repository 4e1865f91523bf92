// Command floor is the least a warm `hello messages protected` has to do:
// read the access token from hello's cache entry (file token storage: the
// token fields in plain JSON under "token") and make one bearer GET. The e2e
// benchmarks build it and measure hello against it. Built with the tags
// of link_*.go, it also links (and so initialises) what hello must link,
// doing nothing more: BenchmarkStartupBudget measures what each costs.
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
		Token struct {
			AccessToken string `json:"access_token"`
		} `json:"token"`
	}
	check(json.Unmarshal(data, &entry))
	if entry.Token.AccessToken == "" {
		check(fmt.Errorf("%s holds no plain access token (file token storage only)", os.Args[1]))
	}
	req, err := http.NewRequest(http.MethodGet, os.Args[2], nil)
	check(err)
	req.Header.Set("Authorization", "Bearer "+entry.Token.AccessToken)
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
