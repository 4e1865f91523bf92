package loginflow

import (
	"errors"
	"strings"
	"testing"
)

func TestChoose(t *testing.T) {
	t.Parallel()
	here := Inputs{Terminal: true, DeviceSupported: true}
	with := func(f func(*Inputs)) Inputs { in := here; f(&in); return in }
	tests := []struct {
		name   string
		in     Inputs
		want   Flow
		reason string // substring of the reason; "" means no reason given
	}{
		{"a browser here", here, Browser, ""},
		{"only stderr redirected: still a terminal", here, Browser, ""},
		{"no terminal at all", with(func(i *Inputs) { i.Terminal = false }), Device, "no terminal"},
		{"CI", with(func(i *Inputs) { i.CI = true }), Device, "CI is set"},
		{"SSH", with(func(i *Inputs) { i.NoBrowserHere = "this is an SSH session" }), Device, "SSH session"},
		{"SSH, no device flow", with(func(i *Inputs) { i.NoBrowserHere = "this is an SSH session"; i.DeviceSupported = false }), PrintURL, "no device flow"},
		{"SSH signup", with(func(i *Inputs) { i.NoBrowserHere = "this is an SSH session"; i.Signup = true }), PrintURL, "SSH session"},
		{"--no-browser over SSH", with(func(i *Inputs) { i.NoBrowser = true; i.NoBrowserHere = "x" }), PrintURL, ""},
		{"--device with a browser", with(func(i *Inputs) { i.Device = true }), Device, ""},
		{"--manual", with(func(i *Inputs) { i.Manual = true; i.NoBrowserHere = "x" }), Manual, ""},
		{"--client-credentials in CI", with(func(i *Inputs) { i.ClientCredentials = true; i.CI = true }), ClientCredentials, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d, err := Choose(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.Flow != tt.want {
				t.Fatalf("flow %s, want %s", d.Flow, tt.want)
			}
			if (tt.reason == "") != (d.Reason == "") || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("reason %q, want one with %q", d.Reason, tt.reason)
			}
		})
	}
	if _, err := Choose(Inputs{Device: true}); !errors.Is(err, ErrNoDevice) {
		t.Fatalf("--device without a device endpoint: %v", err)
	}
}
