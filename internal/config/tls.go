package config

import "strings"

// TLS is one consistent snapshot of the tls-* directives. The server
// builds its TLS context from it; what the values mean is the server's
// business, this package only stores and validates their syntax.
type TLS struct {
	Port int // tls-port; 0: no TLS listener

	CertFile, KeyFile, KeyFilePass                   string
	ClientCertFile, ClientKeyFile, ClientKeyFilePass string
	DHParamsFile                                     string
	CACertFile, CACertDir                            string

	AuthClients string // "yes", "no" or "optional"
	Replication bool
	Cluster     bool

	Protocols, Ciphers, CipherSuites string
	PreferServerCiphers              bool
	SessionCaching                   bool
	SessionCacheSize                 int
	SessionCacheTimeout              int // seconds
}

var (
	idTLSPort                = mustLookup("tls-port")
	idTLSCertFile            = mustLookup("tls-cert-file")
	idTLSKeyFile             = mustLookup("tls-key-file")
	idTLSKeyFilePass         = mustLookup("tls-key-file-pass")
	idTLSClientCertFile      = mustLookup("tls-client-cert-file")
	idTLSClientKeyFile       = mustLookup("tls-client-key-file")
	idTLSClientKeyFilePass   = mustLookup("tls-client-key-file-pass")
	idTLSDHParamsFile        = mustLookup("tls-dh-params-file")
	idTLSCACertFile          = mustLookup("tls-ca-cert-file")
	idTLSCACertDir           = mustLookup("tls-ca-cert-dir")
	idTLSAuthClients         = mustLookup("tls-auth-clients")
	idTLSReplication         = mustLookup("tls-replication")
	idTLSCluster             = mustLookup("tls-cluster")
	idTLSProtocols           = mustLookup("tls-protocols")
	idTLSCiphers             = mustLookup("tls-ciphers")
	idTLSCipherSuites        = mustLookup("tls-ciphersuites")
	idTLSPreferServerCiphers = mustLookup("tls-prefer-server-ciphers")
	idTLSSessionCaching      = mustLookup("tls-session-caching")
	idTLSSessionCacheSize    = mustLookup("tls-session-cache-size")
	idTLSSessionCacheTimeout = mustLookup("tls-session-cache-timeout")
)

// TLSPort is the TLS port to listen on (0: none).
func (c *Config) TLSPort() int { return int(c.num(idTLSPort)) }

// TLS returns the tls-* directives, all from one snapshot.
func (c *Config) TLS() TLS {
	st := c.cur.Load()
	return TLS{
		Port:                int(st.num[idTLSPort]),
		CertFile:            st.val[idTLSCertFile],
		KeyFile:             st.val[idTLSKeyFile],
		KeyFilePass:         st.val[idTLSKeyFilePass],
		ClientCertFile:      st.val[idTLSClientCertFile],
		ClientKeyFile:       st.val[idTLSClientKeyFile],
		ClientKeyFilePass:   st.val[idTLSClientKeyFilePass],
		DHParamsFile:        st.val[idTLSDHParamsFile],
		CACertFile:          st.val[idTLSCACertFile],
		CACertDir:           st.val[idTLSCACertDir],
		AuthClients:         st.val[idTLSAuthClients],
		Replication:         st.num[idTLSReplication] != 0,
		Cluster:             st.num[idTLSCluster] != 0,
		Protocols:           st.val[idTLSProtocols],
		Ciphers:             st.val[idTLSCiphers],
		CipherSuites:        st.val[idTLSCipherSuites],
		PreferServerCiphers: st.num[idTLSPreferServerCiphers] != 0,
		SessionCaching:      st.num[idTLSSessionCaching] != 0,
		SessionCacheSize:    int(st.num[idTLSSessionCacheSize]),
		SessionCacheTimeout: int(st.num[idTLSSessionCacheTimeout]),
	}
}

// TLSContextParams are the directives the TLS context is built from: a
// CONFIG SET of any of them must be vetted by rebuilding it (OnApply), as
// Redis's applyTlsCfg does. tls-auth-clients is not among them: Redis reads
// it per connection.
var TLSContextParams = []string{
	"tls-cert-file", "tls-key-file", "tls-key-file-pass",
	"tls-client-cert-file", "tls-client-key-file", "tls-client-key-file-pass",
	"tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir",
	"tls-protocols", "tls-ciphers", "tls-ciphersuites",
	"tls-prefer-server-ciphers", "tls-session-caching",
	"tls-session-cache-size", "tls-session-cache-timeout",
	"tls-replication", "tls-cluster",
}

// applier is an OnApply registration.
type applier struct {
	ids map[int]bool
	fn  func() error
}

// OnApply registers fn to vet a CONFIG SET that changes any of the named
// parameters, the way Redis's apply functions do: fn runs inside Set once
// the new values are visible to the accessors, once however many of the
// names changed; if it fails, the old values are restored (and the
// appliers that had already run in that Set run again on them) and Set fails
// with "ERR CONFIG SET failed (possibly related to argument 'name') -
// <fn's error>", name being the first changed one of them. fn must not call
// Set. It panics on an unknown name: that is a programming error.
func (c *Config) OnApply(fn func() error, names ...string) {
	a := &applier{ids: map[int]bool{}, fn: fn}
	for _, n := range names {
		d := lookup(n)
		if d == nil {
			panic("config: OnApply for unknown parameter " + n)
		}
		a.ids[d.id] = true
	}
	c.mu.Lock()
	c.appliers = append(c.appliers, a)
	c.mu.Unlock()
}

// apply runs the appliers concerned by the changed directives; the caller
// holds c.mu and has stored the new snapshot. It returns the name to blame
// and the error of the first applier that failed, having stored old back
// and run again, on the old values, the appliers that had succeeded (as
// Redis's restoreBackupConfig: an oom-score-adj already written is undone
// when a port cannot be bound).
func (c *Config) apply(pairs [][2]string, changed map[int]bool, old *state) (string, error) {
	var done []*applier
	for _, a := range c.appliers {
		first := ""
		for _, p := range pairs {
			if d := lookup(p[0]); d != nil && a.ids[d.id] && changed[d.id] {
				first = strings.ToLower(p[0])
				break
			}
		}
		if first == "" {
			continue
		}
		if err := a.fn(); err != nil {
			c.cur.Store(old)
			for _, d := range done {
				_ = d.fn() // the old values applied before; best effort, as Redis
			}
			return first, err
		}
		done = append(done, a)
	}
	return "", nil
}
