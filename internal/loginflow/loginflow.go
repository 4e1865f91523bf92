// Package loginflow picks how an interactive login reaches the person —
// a browser opened here, a printed URL, the device flow, or a redirect
// pasted back — and says why whenever it is not the browser they expect.
package loginflow

import (
	"errors"
	"fmt"
)

// Flow is one way to log in.
type Flow int

const (
	// Browser opens the authorization URL in a browser on this machine.
	Browser Flow = iota
	// PrintURL runs the browser flow but only prints the URL.
	PrintURL
	// Device is the device authorization grant (RFC 8628).
	Device
	// Manual prints the URL and reads the redirect the browser failed to
	// load, pasted back into the terminal.
	Manual
	// ClientCredentials logs a machine in with its secret.
	ClientCredentials
)

func (f Flow) String() string {
	return [...]string{"browser", "printed URL", "device", "pasted redirect", "client credentials"}[f]
}

// Inputs are the flags and what is known about the machine.
type Inputs struct {
	Device, NoBrowser, Manual, ClientCredentials, Signup bool

	// CI is set: no person is there to see a browser.
	CI bool
	// Terminal: stdin, stdout or stderr is a terminal. A person redirecting
	// only stdout or stderr (hello login 2>log) is still at the keyboard.
	Terminal bool
	// NoBrowserHere is why no browser can be opened on this machine
	// (webbrowser.Unavailable), or "" when one can.
	NoBrowserHere string
	// DeviceSupported: the provider offers the device grant.
	DeviceSupported bool
}

// Decision is the flow chosen and, when it is not what the flags asked
// for, the sentence saying why.
type Decision struct {
	Flow   Flow
	Reason string
}

// ErrNoDevice is returned when the device flow is asked for and the
// provider has none.
var ErrNoDevice = errors.New(`the provider does not support the device flow: use "hello login --manual" (paste the redirect) or "--no-browser"`)

// Choose decides. Explicit flags win; otherwise the browser when one can be
// opened and someone is there to see it, else the device flow where the
// provider has it, else the printed URL.
func Choose(in Inputs) (Decision, error) {
	switch {
	case in.ClientCredentials:
		return Decision{Flow: ClientCredentials}, nil
	case in.Manual:
		return Decision{Flow: Manual}, nil
	case in.Device:
		if !in.DeviceSupported {
			return Decision{}, ErrNoDevice
		}
		return Decision{Flow: Device}, nil
	case in.NoBrowser:
		return Decision{Flow: PrintURL}, nil
	}
	why := whyNoBrowser(in)
	switch {
	case why == "":
		return Decision{Flow: Browser}, nil
	case in.Signup:
		// The device flow has no sign-up screen.
		return Decision{Flow: PrintURL, Reason: fmt.Sprintf("No browser can be opened here (%s): open the URL below on this machine.", why)}, nil
	case in.DeviceSupported:
		return Decision{Flow: Device, Reason: fmt.Sprintf("No browser can be opened here (%s): using the device flow. --no-browser keeps the browser flow and prints the URL; --manual lets you paste the redirect back.", why)}, nil
	default:
		return Decision{Flow: PrintURL, Reason: fmt.Sprintf("No browser can be opened here (%s) and the provider has no device flow: open the URL below yourself, or use --manual to sign in on another machine.", why)}, nil
	}
}

func whyNoBrowser(in Inputs) string {
	switch {
	case in.CI:
		return "CI is set"
	case !in.Terminal:
		return "no terminal"
	}
	return in.NoBrowserHere
}
