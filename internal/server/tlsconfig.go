package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smallredis/smallredis/internal/config"
)

// tlsContext is the TLS configuration built from the tls-* directives, one
// tls.Config per tls-auth-clients mode so the mode can be read per
// connection, as Redis does.
type tlsContext struct {
	byAuth map[string]*tls.Config
}

// forAuth picks the configuration for the tls-auth-clients value.
func (t *tlsContext) forAuth(mode string) *tls.Config {
	if c, ok := t.byAuth[mode]; ok {
		return c
	}
	return t.byAuth["yes"]
}

// buildTLS builds the TLS context from the directives, refusing what
// crypto/tls cannot honour. Its errors read like Redis's log lines
// ("Failed to load private key: …"); warnings name settings that are
// accepted but have no effect here.
func buildTLS(t config.TLS) (*tlsContext, []string, error) {
	var warn []string
	if t.CertFile == "" {
		return nil, nil, errors.New("No tls-cert-file configured!")
	}
	if t.KeyFile == "" {
		return nil, nil, errors.New("No tls-key-file configured!")
	}
	if (t.AuthClients != "no" || t.Cluster || t.Replication) && t.CACertFile == "" && t.CACertDir == "" {
		return nil, nil, errors.New("Either tls-ca-cert-file or tls-ca-cert-dir must be specified " +
			"when tls-cluster, tls-replication or tls-auth-clients are enabled!")
	}
	cert, err := loadKeyPair(t.CertFile, t.KeyFile, t.KeyFilePass)
	if err != nil {
		return nil, nil, err
	}
	if t.ClientCertFile != "" || t.ClientKeyFile != "" {
		// Only for outgoing links (replication, cluster), which smallredis
		// does not make; still checked, as Redis loads them.
		if _, err := loadKeyPair(t.ClientCertFile, t.ClientKeyFile, t.ClientKeyFilePass); err != nil {
			return nil, nil, err
		}
	}
	// Never nil: a nil pool would make crypto/tls verify client
	// certificates against the system's roots.
	pool := x509.NewCertPool()
	if t.CACertFile != "" || t.CACertDir != "" {
		if pool, err = loadCAs(t.CACertFile, t.CACertDir); err != nil {
			return nil, nil, err
		}
	}
	if t.DHParamsFile != "" {
		b, err := os.ReadFile(t.DHParamsFile)
		if err != nil {
			return nil, nil, fmt.Errorf("Failed to load %s: %s", t.DHParamsFile, pathErr(err))
		}
		if blk, _ := pem.Decode(b); blk == nil || blk.Type != "DH PARAMETERS" {
			return nil, nil, fmt.Errorf("Failed to load %s: no DH PARAMETERS block", t.DHParamsFile)
		}
		warn = append(warn, "tls-dh-params-file is accepted but unused: Go's crypto/tls has no DHE cipher suites (ECDHE is used)")
	}
	minV, maxV, err := parseProtocols(t.Protocols)
	if err != nil {
		return nil, nil, err
	}
	suites, w, err := parseCiphers(t.Ciphers)
	if err != nil {
		return nil, nil, err
	}
	warn = append(warn, w...)
	w, err = checkCipherSuites(t.CipherSuites)
	if err != nil {
		return nil, nil, err
	}
	warn = append(warn, w...)
	if t.PreferServerCiphers {
		warn = append(warn, "tls-prefer-server-ciphers has no effect: Go's crypto/tls orders cipher suites itself")
	}

	base := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		ClientCAs:              pool,
		MinVersion:             minV,
		MaxVersion:             maxV,
		CipherSuites:           suites,
		SessionTicketsDisabled: !t.SessionCaching,
	}
	if t.SessionCaching {
		limitTicketAge(base, time.Duration(t.SessionCacheTimeout)*time.Second)
	}
	ctx := &tlsContext{byAuth: map[string]*tls.Config{}}
	for mode, auth := range map[string]tls.ClientAuthType{
		"no": tls.NoClientCert, "yes": tls.RequireAndVerifyClientCert, "optional": tls.VerifyClientCertIfGiven,
	} {
		c := base.Clone()
		c.ClientAuth = auth
		ctx.byAuth[mode] = c
	}
	return ctx, warn, nil
}

// limitTicketAge makes session tickets older than tls-session-cache-timeout
// unusable for resumption, as OpenSSL's session timeout does: each ticket
// carries the time it was issued. Tickets are stateless, so there is no
// cache to size (tls-session-cache-size).
func limitTicketAge(c *tls.Config, timeout time.Duration) {
	const tag = "smallredis-issued:"
	c.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		b := binary.BigEndian.AppendUint64([]byte(tag), uint64(time.Now().Unix()))
		ss.Extra = append(ss.Extra, b)
		return c.EncryptTicket(cs, ss)
	}
	c.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := c.DecryptTicket(identity, cs)
		if ss == nil || err != nil {
			return nil, err
		}
		for _, e := range ss.Extra {
			if len(e) == len(tag)+8 && string(e[:len(tag)]) == tag {
				issued := time.Unix(int64(binary.BigEndian.Uint64(e[len(tag):])), 0)
				if time.Since(issued) <= timeout {
					return ss, nil
				}
			}
		}
		return nil, nil // expired or foreign: a full handshake
	}
}

// pathErr renders a file error as "No such file or directory", the way
// OpenSSL's messages in Redis's log end.
func pathErr(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		s := pe.Err.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	}
	return err.Error()
}

// loadKeyPair loads a PEM certificate chain and its private key, decrypting
// the key with pass when it is encrypted.
func loadKeyPair(certFile, keyFile, pass string) (tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate: %s: %s", certFile, pathErr(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %s", keyFile, pathErr(err))
	}
	if keyPEM, err = decryptKey(keyPEM, pass); err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load private key: %s: %v", keyFile, err)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("Failed to load certificate %s with private key %s: %v", certFile, keyFile, err)
	}
	return cert, nil
}

// loadCAs reads the CA certificates clients are verified against: a PEM
// bundle, and every PEM file in a directory (OpenSSL's c_rehash layout or
// any other naming).
func loadCAs(file, dir string) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	n := 0
	fail := func(what string) error {
		return fmt.Errorf("Failed to configure CA certificate(s) file/directory: %s", what)
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fail(file + ": " + pathErr(err))
		}
		if !pool.AppendCertsFromPEM(b) {
			return nil, fail(file + ": no PEM certificate found")
		}
		n++
	}
	if dir != "" {
		ents, err := os.ReadDir(dir)
		if err != nil {
			return nil, fail(dir + ": " + pathErr(err))
		}
		for _, e := range ents {
			if e.IsDir() {
				continue
			}
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil && pool.AppendCertsFromPEM(b) {
				n++
			}
		}
		if n == 0 {
			return nil, fail(dir + ": no PEM certificate found")
		}
	}
	return pool, nil
}

var tlsVersions = map[string]uint16{
	"tlsv1": tls.VersionTLS10, "tlsv1.1": tls.VersionTLS11, "tlsv1.2": tls.VersionTLS12, "tlsv1.3": tls.VersionTLS13,
}

// parseProtocols reads tls-protocols as Redis does (names separated by
// blanks, case-insensitive; empty means TLSv1.2 and TLSv1.3). crypto/tls
// takes a range, so a set with a gap ("TLSv1 TLSv1.3") is refused rather
// than widened.
func parseProtocols(s string) (minV, maxV uint16, err error) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return tls.VersionTLS12, tls.VersionTLS13, nil
	}
	set := map[uint16]bool{}
	for _, p := range f {
		v, ok := tlsVersions[strings.ToLower(p)]
		if !ok {
			return 0, 0, errors.New("Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'.")
		}
		set[v] = true
		if minV == 0 || v < minV {
			minV = v
		}
		maxV = max(maxV, v)
	}
	for v := minV; v <= maxV; v++ {
		if !set[v] {
			return 0, 0, fmt.Errorf("tls-protocols %q leaves a gap between versions, which Go's crypto/tls "+
				"cannot honour: name a contiguous range", s)
		}
	}
	return minV, maxV, nil
}

// openSSLSuites maps OpenSSL's TLS 1.2-and-below cipher names to the
// suites crypto/tls implements.
var openSSLSuites = map[string]uint16{
	"ECDHE-ECDSA-AES128-GCM-SHA256": tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-ECDSA-AES256-GCM-SHA384": tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-ECDSA-CHACHA20-POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-RSA-AES128-GCM-SHA256":   tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	"ECDHE-RSA-AES256-GCM-SHA384":   tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	"ECDHE-RSA-CHACHA20-POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	"ECDHE-ECDSA-AES128-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
	"ECDHE-ECDSA-AES256-SHA":        tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
	"ECDHE-RSA-AES128-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
	"ECDHE-RSA-AES256-SHA":          tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
	"ECDHE-ECDSA-AES128-SHA256":     tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-AES128-SHA256":       tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
	"AES128-GCM-SHA256":             tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
	"AES256-GCM-SHA384":             tls.TLS_RSA_WITH_AES_256_GCM_SHA384,
	"AES128-SHA":                    tls.TLS_RSA_WITH_AES_128_CBC_SHA,
	"AES256-SHA":                    tls.TLS_RSA_WITH_AES_256_CBC_SHA,
	"AES128-SHA256":                 tls.TLS_RSA_WITH_AES_128_CBC_SHA256,
	"ECDHE-RSA-DES-CBC3-SHA":        tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA,
	"DES-CBC3-SHA":                  tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
}

// openSSLKeywords are the words of OpenSSL's cipher-list language that
// select groups of ciphers; crypto/tls cannot evaluate them.
var openSSLKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`ALL COMPLEMENTOFALL COMPLEMENTOFDEFAULT DEFAULT HIGH MEDIUM LOW
		eNULL NULL aNULL kRSA aRSA RSA kDHE kEDH DH DHE EDH ADH kECDHE kEECDH ECDH ECDHE EECDH AECDH
		aDSS DSS aECDSA ECDSA TLSv1.2 TLSv1.0 TLSv1 SSLv3 AES AES128 AES256 AESGCM AESCCM AESCCM8
		CHACHA20 3DES DES RC4 RC2 IDEA SEED MD5 SHA1 SHA SHA256 SHA384 CAMELLIA ARIA PSK SRP
		SUITEB128 SUITEB128ONLY SUITEB192 aGOST GOST kPSK aPSK`) {
		openSSLKeywords[k] = true
	}
}

// parseCiphers reads tls-ciphers (OpenSSL's cipher list for TLS 1.2 and
// below). Named ciphers that crypto/tls implements become the allowed
// suites, in the given order; exclusions (!x, -x) are already honoured by
// Go's secure defaults; group keywords (HIGH, DEFAULT, …) and ciphers Go
// lacks are reported. A list in which nothing is recognised is refused, as
// OpenSSL refuses a list that matches no cipher.
func parseCiphers(s string) ([]uint16, []string, error) {
	if s == "" {
		return nil, nil, nil
	}
	var suites []uint16
	var unhonoured []string
	known := false
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' }) {
		if id, ok := openSSLSuites[tok]; ok {
			suites = append(suites, id)
			known = true
			continue
		}
		name := strings.TrimLeft(tok, "!-+")
		switch {
		case strings.HasPrefix(tok, "@"):
			known = true
		case tok != name && (openSSLKeywords[name] || strings.Contains(name, "-") || strings.Contains(name, "+")):
			known = true // an exclusion or reordering; Go's defaults already drop weak ciphers
		case openSSLKeywords[name] || strings.Contains(name, "+"):
			known = true
			unhonoured = append(unhonoured, tok)
		case strings.Contains(name, "-") && strings.ToUpper(name) == name:
			known = true // looks like a cipher name Go does not implement (DHE-…, CAMELLIA…)
			unhonoured = append(unhonoured, tok)
		}
	}
	if !known {
		return nil, nil, fmt.Errorf("Failed to configure ciphers: %s", s)
	}
	var warn []string
	if len(unhonoured) > 0 {
		what := "Go's default TLS 1.2 suites are used"
		if len(suites) > 0 {
			what = "only the named ciphers Go implements are enabled"
		}
		warn = append(warn, fmt.Sprintf("tls-ciphers: %s cannot be honoured by Go's crypto/tls; %s",
			strings.Join(unhonoured, ":"), what))
	}
	return suites, warn, nil
}

// tls13Suites are TLS 1.3's cipher suites by the names tls-ciphersuites
// uses; Go implements the first three, always enabled.
var tls13Suites = map[string]bool{
	"TLS_AES_128_GCM_SHA256": true, "TLS_AES_256_GCM_SHA384": true, "TLS_CHACHA20_POLY1305_SHA256": true,
	"TLS_AES_128_CCM_SHA256": false, "TLS_AES_128_CCM_8_SHA256": false,
}

// checkCipherSuites validates tls-ciphersuites. crypto/tls does not let a
// server choose its TLS 1.3 suites, so a valid list other than Go's own is
// accepted with a warning.
func checkCipherSuites(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	n := 0
	for _, name := range strings.Split(s, ":") {
		goHas, ok := tls13Suites[name]
		if !ok {
			return nil, fmt.Errorf("Failed to configure ciphersuites: %s", s)
		}
		if goHas {
			n++
		}
	}
	if n == 0 {
		return nil, fmt.Errorf("Failed to configure ciphersuites: %s: Go's crypto/tls implements none of them", s)
	}
	return []string{"tls-ciphersuites has no effect: Go's crypto/tls always offers TLS_AES_128_GCM_SHA256, " +
		"TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256 for TLS 1.3"}, nil
}
