package e2e

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
	gokeyring "github.com/zalando/go-keyring"

	"github.com/hello-cli/hello/e2e/internal/harness"
)

// secretService is a private D-Bus session bus with an unlocked
// gnome-keyring on it: the real Secret Service a Linux desktop has, started
// for one test and stopped after it.
type secretService struct {
	Addr string // DBUS_SESSION_BUS_ADDRESS for the hello processes
	conn *dbus.Conn

	home, run   string
	owned       chan *dbus.Signal // NameOwnerChanged of the Secret Service
	stopKeyring func()
}

// busConfig is a session bus with no service directories, so nothing is
// started behind the test's back: the keyring is the one the test starts.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=BUS</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// needTools skips when a program is missing on a developer's machine, and
// fails under CI, which installs them (.ci/run).
func needTools(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			if harness.MustRun(os.Getenv("CI")) {
				t.Fatalf("%s is not installed, and CI must run the keyring tests (.ci/run installs it)", n)
			}
			t.Skipf("%s is not installed (apt-get install dbus-daemon gnome-keyring)", n)
		}
	}
}

// startSecretService starts a session bus and gnome-keyring-daemon, its
// login keyring kept under home and unlocked with a password on stdin.
func startSecretService(t testing.TB, home string) *secretService {
	t.Helper()
	needTools(t, "dbus-daemon", "gnome-keyring-daemon")
	// A unix socket path must stay short (108 bytes): not under t.TempDir.
	run, err := os.MkdirTemp("", "hello-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(run) })
	if err := os.Chmod(run, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(run, "bus.conf")
	if err := os.WriteFile(conf, []byte(strings.Replace(busConfig, "BUS", filepath.Join(run, "bus"), 1)), 0o600); err != nil {
		t.Fatal(err)
	}

	bus := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := bus.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Its stderr (a warning that it cannot raise its file limit) stays out
	// of the test's output.
	if err := bus.Start(); err != nil {
		t.Fatal(err)
	}
	stopOnCleanup(t, bus)
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("dbus-daemon printed no address: %v", err)
	}
	ss := &secretService{Addr: strings.TrimSpace(addr)}

	conn, err := dbus.Connect(ss.Addr)
	if err != nil {
		t.Fatalf("connect to the test bus: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	ss.conn = conn
	// Listen for the keyring taking its name before starting it, so the
	// moment cannot be missed; then no polling is needed.
	if err := conn.AddMatchSignal(dbus.WithMatchInterface("org.freedesktop.DBus"), dbus.WithMatchMember("NameOwnerChanged"), dbus.WithMatchArg(0, "org.freedesktop.secrets")); err != nil {
		t.Fatal(err)
	}
	ss.owned = make(chan *dbus.Signal, 8)
	conn.Signal(ss.owned)
	ss.home, ss.run = home, run
	ss.startKeyring(t)
	return ss
}

// startKeyring starts gnome-keyring-daemon, unlocking the login keyring
// with the password on stdin (creating it the first time), and waits until
// it owns the Secret Service's name.
func (ss *secretService) startKeyring(t testing.TB) {
	t.Helper()
	home := ss.home
	keyring := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	keyring.Env = []string{
		"HOME=" + home,
		"XDG_DATA_HOME=" + filepath.Join(home, ".local", "share"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config-home"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
		"XDG_RUNTIME_DIR=" + ss.run,
		"DBUS_SESSION_BUS_ADDRESS=" + ss.Addr,
		"PATH=" + os.Getenv("PATH"),
	}
	keyring.Stdin = strings.NewReader("e2e-keyring-password")
	if err := keyring.Start(); err != nil {
		t.Fatal(err)
	}
	ss.stopKeyring = stopOnCleanup(t, keyring)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case sig := <-ss.owned:
			if len(sig.Body) == 3 && sig.Body[2] != "" {
				return
			}
		case <-deadline:
			t.Fatal("gnome-keyring-daemon did not take org.freedesktop.secrets on the test bus")
		}
	}
}

// restartKeyring stops the keyring and starts it again, unlocked: as a
// person does by logging out of the desktop and in again.
func (ss *secretService) restartKeyring(t testing.TB) {
	t.Helper()
	ss.stopKeyring()
	ss.startKeyring(t)
}

// lock locks the login keyring, as a screen lock or a timeout does.
func (ss *secretService) lock(t testing.TB) {
	t.Helper()
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	err := ss.conn.Object(secretsName, secretsPath).Call(secretsIface+".Service.Lock", 0,
		[]dbus.ObjectPath{"/org/freedesktop/secrets/collection/login"}).Store(&locked, &prompt)
	if err != nil || len(locked) != 1 {
		t.Fatalf("lock the login keyring: %v (locked %v)", err, locked)
	}
}

// stopOnCleanup ends a helper process when the test ends, and returns a
// function that ends it sooner; either may come first.
func stopOnCleanup(t testing.TB, cmd *exec.Cmd) (stop func()) {
	stop = sync.OnceFunc(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	t.Cleanup(stop)
	return stop
}

const (
	secretsName  = "org.freedesktop.secrets"
	secretsPath  = "/org/freedesktop/secrets"
	secretsIface = "org.freedesktop.Secret"
)

// items lists the keyring's items of service, read over the test's own
// connection (not hello's code).
func (ss *secretService) items(t testing.TB, service string) []dbus.ObjectPath {
	t.Helper()
	var unlocked, locked []dbus.ObjectPath
	err := ss.conn.Object(secretsName, secretsPath).Call(secretsIface+".Service.SearchItems", 0, map[string]string{"service": service}).Store(&unlocked, &locked)
	if err != nil {
		t.Fatalf("search the keyring: %v", err)
	}
	return append(unlocked, locked...)
}

// Get reads a secret as go-keyring stores it (attributes service and
// username), so that the test can open what hello sealed.
func (ss *secretService) Get(service, user string) (string, error) {
	svc := ss.conn.Object(secretsName, secretsPath)
	var ignored dbus.Variant
	var session dbus.ObjectPath
	if err := svc.Call(secretsIface+".Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&ignored, &session); err != nil {
		return "", err
	}
	defer ss.conn.Object(secretsName, session).Call(secretsIface+".Session.Close", 0)
	var unlocked, locked []dbus.ObjectPath
	if err := svc.Call(secretsIface+".Service.SearchItems", 0, map[string]string{"service": service, "username": user}).Store(&unlocked, &locked); err != nil {
		return "", err
	}
	if len(unlocked) == 0 {
		return "", gokeyring.ErrNotFound
	}
	var secret struct {
		Session     dbus.ObjectPath
		Params      []byte
		Value       []byte
		ContentType string
	}
	if err := ss.conn.Object(secretsName, unlocked[0]).Call(secretsIface+".Item.GetSecret", 0, session).Store(&secret); err != nil {
		return "", err
	}
	return string(secret.Value), nil
}

func (ss *secretService) Set(string, string, string) error {
	return errors.New("the test only reads the keyring")
}

func (ss *secretService) Delete(string, string) error {
	return errors.New("the test only reads the keyring")
}
