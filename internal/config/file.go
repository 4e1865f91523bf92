package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/viper"
)

// findConfigFile picks the config file: the one named by --config or
// HELLO_CONFIG, which must exist, else ./.config, else
// ConfigHome/hello/config, else none (val == "").
func (l Loader) findConfigFile(named value) (value, error) {
	if named.set() {
		if named.val == "" {
			return value{}, bad(named, "must not be empty")
		}
		named.val = l.abs(named.val)
		fi, err := os.Stat(named.val)
		if err != nil {
			e := bad(named, "cannot read the config file")
			if errors.Is(err, fs.ErrNotExist) {
				e.Expected = "config file not found"
			}
			e.Err = err
			return value{}, e
		}
		if fi.IsDir() {
			return value{}, bad(named, "is a directory, not a file")
		}
		return named, nil
	}
	candidates := []string{l.abs(".config")}
	if l.ConfigHome != "" {
		candidates = append(candidates, filepath.Join(l.ConfigHome, "hello", "config"))
	}
	for _, p := range candidates {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return value{}, &Error{Key: KeyConfig, Source: "default", Value: p, Expected: "cannot read the config file", Err: err}
		case fi.IsDir():
			// In $HOME, ./.config is the XDG config directory, not ours.
			continue
		}
		return value{key: KeyConfig, val: p, level: levelDefault, source: "default"}, nil
	}
	return value{}, nil
}

// readConfigFile loads the INI file into v through the registered codec.
func readConfigFile(v *viper.Viper, cfg value) error {
	v.SetConfigType(iniFormat)
	v.SetConfigFile(cfg.val)
	if err := v.ReadInConfig(); err != nil {
		var syn *syntaxError
		if errors.As(err, &syn) {
			return &Error{Key: KeyConfig, Source: cfg.source, Value: cfg.val, Expected: "invalid INI", Err: syn}
		}
		return &Error{Key: KeyConfig, Source: cfg.source, Value: cfg.val, Expected: "cannot read the config file", Err: err}
	}
	return nil
}

// abs resolves p against WorkDir, so tests need not change directory.
func (l Loader) abs(p string) string {
	if filepath.IsAbs(p) || l.WorkDir == "" {
		return p
	}
	return filepath.Join(l.WorkDir, p)
}
