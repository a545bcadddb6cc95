package config

import (
	"errors"
	"testing"
)

// OnApply vets a Set: once per Set, seeing the new values; a failure
// restores every value of the Set and blames the first changed parameter.
func TestOnApply(t *testing.T) {
	c := Default()
	calls := 0
	var seen string
	c.OnApply(func() error {
		calls++
		seen = c.TLS().CertFile
		if c.TLS().Protocols == "bad" {
			return errors.New("Unable to update TLS configuration. Check server logs.")
		}
		return nil
	}, TLSContextParams...)
	if err := c.Set([][2]string{{"tls-cert-file", "a.crt"}, {"tls-key-file", "a.key"}}); err != nil || calls != 1 || seen != "a.crt" {
		t.Fatalf("Set = %v, calls=%d, seen %q", err, calls, seen)
	}
	err := c.Set([][2]string{{"maxmemory", "1mb"}, {"TLS-PROTOCOLS", "bad"}, {"tls-cert-file", "b.crt"}})
	want := "ERR CONFIG SET failed (possibly related to argument 'tls-protocols') - Unable to update TLS configuration. Check server logs."
	if err == nil || err.Error() != want {
		t.Fatalf("failing apply: %v, want %q", err, want)
	}
	if v, _ := c.Value("tls-cert-file"); v != "a.crt" || c.MaxMemory() != 0 || c.TLS().Protocols != "" {
		t.Fatalf("values not restored: tls-cert-file=%q maxmemory=%d tls-protocols=%q", v, c.MaxMemory(), c.TLS().Protocols)
	}
	calls = 0
	if err := c.Set([][2]string{{"maxmemory", "1mb"}, {"tls-cert-file", "a.crt"}}); err != nil || calls != 0 {
		t.Fatalf("unchanged tls values ran the applier: %v, calls=%d", err, calls)
	}
}

// TLS directives are implemented: naming them warns of nothing, and TLS()
// reads them back.
func TestTLSDirectivesLoad(t *testing.T) {
	c, err := Parse([]string{"--tls-port", "6380", "--tls-cert-file", "s.crt", "--tls-key-file", "s.key",
		"--tls-auth-clients", "optional", "--tls-protocols", "TLSv1.2 TLSv1.3", "--tls-session-cache-timeout", "60"})
	if err != nil {
		t.Fatal(err)
	}
	if w := c.Warnings(); len(w) != 0 {
		t.Fatalf("warnings: %q", w)
	}
	got := c.TLS()
	if got.Port != 6380 || c.TLSPort() != 6380 || got.CertFile != "s.crt" || got.KeyFile != "s.key" || got.AuthClients != "optional" ||
		got.Protocols != "TLSv1.2 TLSv1.3" || got.SessionCacheTimeout != 60 || !got.SessionCaching {
		t.Fatalf("TLS() = %+v", got)
	}
	if !Sensitive("tls-key-file-pass") {
		t.Error("tls-key-file-pass is not redacted")
	}
}

// When an applier fails, those that succeeded in the same Set run again on
// the restored values, as Redis's restoreBackupConfig (an oom-score-adj
// already written is undone when the port cannot be bound).
func TestOnApplyRollsBackEarlierAppliers(t *testing.T) {
	c := Default()
	var applied []int64
	c.OnApply(func() error {
		applied = append(applied, c.MaxMemory())
		return nil
	}, "maxmemory")
	c.OnApply(func() error {
		if c.Port() == 1 {
			return errors.New("Unable to listen on this port")
		}
		return nil
	}, "port")
	err := c.Set([][2]string{{"maxmemory", "1mb"}, {"port", "1"}})
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port" {
		t.Fatalf("Set: %v", err)
	}
	if len(applied) != 2 || applied[0] != 1<<20 || applied[1] != 0 || c.MaxMemory() != 0 {
		t.Fatalf("maxmemory applier saw %v (want the new value, then the restored 0); maxmemory %d", applied, c.MaxMemory())
	}
}
