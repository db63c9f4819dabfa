package config

import (
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

func TestLoad(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		args    []string
		env     []string
		wantErr string
		check   func(t *testing.T, c Config)
	}{
		{name: "defaults", check: func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:8080" || c.ShutdownTimeout != 15*time.Second || !c.Migrate || c.PublicURL != "http://127.0.0.1:8080" {
				t.Fatalf("defaults: %+v", c)
			}
		}},
		{name: "env", env: []string{"CIVICPAY_ADDR=127.0.0.1:9999", "CIVICPAY_MIGRATE=false"}, check: func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:9999" || c.Migrate {
				t.Fatalf("env not applied: %+v", c)
			}
		}},
		{name: "flag beats env", env: []string{"CIVICPAY_ADDR=127.0.0.1:9999"}, args: []string{"--addr", "127.0.0.1:7777"}, check: func(t *testing.T, c Config) {
			if c.Addr != "127.0.0.1:7777" {
				t.Fatalf("flag not applied: %+v", c)
			}
		}},
		{name: "malformed names the variable", env: []string{"CIVICPAY_SHUTDOWN_TIMEOUT=soon"}, wantErr: "CIVICPAY_SHUTDOWN_TIMEOUT"},
		{name: "server deadlines", env: []string{"CIVICPAY_READ_TIMEOUT=5s"}, args: []string{"--write-timeout", "2m"}, check: func(t *testing.T, c Config) {
			if c.ReadTimeout != 5*time.Second || c.WriteTimeout != 2*time.Minute || c.ReadHeaderTimeout != 10*time.Second || c.IdleTimeout != 120*time.Second {
				t.Fatalf("deadlines: %+v", c)
			}
		}},
		{name: "zero deadline refused", env: []string{"CIVICPAY_IDLE_TIMEOUT=0s"}, wantErr: "CIVICPAY_IDLE_TIMEOUT"},
		{name: "malformed addr", env: []string{"CIVICPAY_ADDR=8080"}, wantErr: "CIVICPAY_ADDR"},
		{name: "unknown variable", env: []string{"CIVICPAY_ADRR=x"}, wantErr: "CIVICPAY_ADRR"},
		{name: "bad public url", args: []string{"--public-url", "ftp://x"}, wantErr: "CIVICPAY_PUBLIC_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := Load(tt.args, tt.env, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want mention of %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

// The README's configuration table must list every setting.
func TestREADMEListsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings {
		if !strings.Contains(string(readme), "`"+s.Env+"`") || !strings.Contains(string(readme), "`--"+s.Flag+"`") {
			t.Errorf("README.md does not document %s / --%s", s.Env, s.Flag)
		}
	}
}
