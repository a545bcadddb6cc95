package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/smallredis/smallredis/internal/config"
	"github.com/smallredis/smallredis/internal/testcerts"
)

func TestParseProtocols(t *testing.T) {
	for _, tc := range []struct {
		in       string
		min, max uint16
		err      string
	}{
		{"", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1.2", tls.VersionTLS12, tls.VersionTLS12, ""},
		{"tlsv1.3", tls.VersionTLS13, tls.VersionTLS13, ""},
		{"TLSv1.3 TLSv1.2", tls.VersionTLS12, tls.VersionTLS13, ""},
		{"TLSv1 TLSv1.1 TLSv1.2", tls.VersionTLS10, tls.VersionTLS12, ""},
		{"TLSv1 TLSv1.3", 0, 0, "leaves a gap"},
		{"SSLv3", 0, 0, "Invalid tls-protocols specified"},
		{"TLSv1.2,TLSv1.3", 0, 0, "Invalid tls-protocols specified"},
	} {
		minV, maxV, err := parseProtocols(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseProtocols(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || minV != tc.min || maxV != tc.max {
			t.Errorf("parseProtocols(%q) = %x..%x, %v; want %x..%x", tc.in, minV, maxV, err, tc.min, tc.max)
		}
	}
}

func TestParseCiphers(t *testing.T) {
	for _, tc := range []struct {
		in     string
		suites []uint16
		warn   bool
		err    bool
	}{
		{"", nil, false, false},
		{"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}, false, false},
		{"ECDHE-RSA-AES256-GCM-SHA384:!aNULL:!MD5", []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}, false, false},
		{"DEFAULT:!MEDIUM", nil, true, false},
		{"HIGH:!aNULL:@STRENGTH", nil, true, false},
		{"DHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256",
			[]uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, true, false},
		{"bogus", nil, false, true},
		{"nonsense:garbage", nil, false, true},
	} {
		suites, warn, err := parseCiphers(tc.in)
		if (err != nil) != tc.err || !slices.Equal(suites, tc.suites) || (len(warn) > 0) != tc.warn {
			t.Errorf("parseCiphers(%q) = %v, %q, %v", tc.in, suites, warn, err)
		}
	}
}

func TestCheckCipherSuites(t *testing.T) {
	for _, tc := range []struct {
		in       string
		ok, warn bool
	}{
		{"", true, false},
		{"TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256", true, true},
		{"TLS_AES_128_CCM_8_SHA256", false, false}, // Go has none of them
		{"TLS_AES_256_GCM_SHA384:bogus", false, false},
	} {
		warn, err := checkCipherSuites(tc.in)
		if (err == nil) != tc.ok || (len(warn) > 0) != tc.warn {
			t.Errorf("checkCipherSuites(%q) = %q, %v", tc.in, warn, err)
		}
	}
}

// tls-key-file-pass decrypts both encrypted key formats OpenSSL writes.
func TestEncryptedKeys(t *testing.T) {
	certs := testcerts.Make(t)
	keyPEM, err := os.ReadFile(certs.ServerKey)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(keyPEM)
	dir := t.TempDir()
	legacy, err := x509.EncryptPEMBlock(strings.NewReader(strings.Repeat("r", 64)), "PRIVATE KEY", blk.Bytes, []byte("s3cret"), x509.PEMCipherAES256)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"legacy": filepath.Join(dir, "legacy.key")}
	os.WriteFile(files["legacy"], pem.EncodeToMemory(legacy), 0o600)
	if openssl, err := exec.LookPath("openssl"); err == nil {
		for name, args := range map[string][]string{
			"pkcs8-sha256": {"-v2", "aes-256-cbc", "-v2prf", "hmacWithSHA256"},
			"pkcs8-sha1":   {"-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"},
		} {
			out := filepath.Join(dir, name+".key")
			cmd := exec.Command(openssl, append([]string{"pkcs8", "-topk8", "-in", certs.ServerKey,
				"-out", out, "-passout", "pass:s3cret"}, args...)...)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("openssl %v: %v %s", args, err, b)
			}
			files[name] = out
		}
	} else {
		t.Log("openssl not installed: PKCS#8 encrypted keys not tested")
	}
	for name, f := range files {
		cfg := config.TLS{CertFile: certs.ServerCert, KeyFile: f, AuthClients: "no", SessionCaching: true}
		if _, _, err := buildTLS(cfg); err == nil || !strings.Contains(err.Error(), "tls-key-file-pass is not set") {
			t.Errorf("%s without a password: %v", name, err)
		}
		cfg.KeyFilePass = "wrong"
		if _, _, err := buildTLS(cfg); err == nil || !strings.Contains(err.Error(), "Failed to load private key") {
			t.Errorf("%s with a wrong password: %v", name, err)
		}
		cfg.KeyFilePass = "s3cret"
		if _, _, err := buildTLS(cfg); err != nil {
			t.Errorf("%s with its password: %v", name, err)
		}
	}
}

// With client authentication, only the configured CA is trusted: never the
// system's roots.
func TestClientCAsNeverNil(t *testing.T) {
	certs := testcerts.Make(t)
	ctx, _, err := buildTLS(config.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, AuthClients: "no"})
	if err != nil {
		t.Fatal(err)
	}
	for mode, c := range ctx.byAuth {
		if c.ClientCAs == nil {
			t.Errorf("tls-auth-clients %s: ClientCAs nil (system roots would verify clients)", mode)
		}
	}
	if ctx.forAuth("optional").ClientAuth != tls.VerifyClientCertIfGiven || ctx.forAuth("yes").ClientAuth != tls.RequireAndVerifyClientCert ||
		ctx.forAuth("no").ClientAuth != tls.NoClientCert {
		t.Error("tls-auth-clients modes map to the wrong crypto/tls policies")
	}
}

// tls-ca-cert-dir trusts every PEM certificate in the directory, and
// nothing else.
func TestCACertDir(t *testing.T) {
	certs := testcerts.Make(t)
	dir := t.TempDir()
	ca, _ := os.ReadFile(certs.CA)
	os.WriteFile(filepath.Join(dir, "5f1a2b3c.0"), ca, 0o600) // c_rehash naming
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a certificate"), 0o600)
	ctx, _, err := buildTLS(config.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CACertDir: dir, AuthClients: "yes"})
	if err != nil {
		t.Fatal(err)
	}
	pool := ctx.forAuth("yes").ClientCAs
	verify := func(file string) error {
		b, _ := os.ReadFile(file)
		blk, _ := pem.Decode(b)
		cert, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cert.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
		return err
	}
	if err := verify(certs.ClientCert); err != nil {
		t.Errorf("client certificate of the CA in tls-ca-cert-dir: %v", err)
	}
	if err := verify(certs.RogueClientCert); err == nil {
		t.Error("a certificate of another CA verified")
	}
	empty := t.TempDir()
	if _, _, err := buildTLS(config.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey, CACertDir: empty, AuthClients: "yes"}); err == nil ||
		!strings.Contains(err.Error(), "Failed to configure CA certificate(s) file/directory") {
		t.Errorf("empty tls-ca-cert-dir: %v", err)
	}
}
