package kafkaqueue

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"
)

// Security is how the queue reaches a cluster that is not an open
// plaintext listener: TLS, optionally with a private CA, and SASL
// authentication. Its Dialer goes in Config.Dialer.
type Security struct {
	// TLS encrypts the connections to the brokers, verifying their
	// certificates against the system roots, or against CACert if set.
	TLS bool
	// CACert is the PEM of the private CA that signed the brokers'
	// certificates; it implies TLS.
	CACert []byte
	// SASL is the mechanism: "" (none), PLAIN, SCRAM-SHA-256 or
	// SCRAM-SHA-512 (case does not matter). PLAIN sends the password as it
	// is and so is refused without TLS.
	SASL     string
	Username string
	Password string
}

// Dialer returns the dialer for s, or kafka.DefaultDialer when s asks for
// nothing.
func (s Security) Dialer() (*kafka.Dialer, error) {
	mech := strings.ToUpper(s.SASL)
	useTLS := s.TLS || len(s.CACert) > 0
	if !useTLS && mech == "" {
		return kafka.DefaultDialer, nil // credentials without a mechanism go unused
	}
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true}
	if useTLS {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12}
		if len(s.CACert) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(s.CACert) {
				return nil, errors.New("kafka: the CA certificate holds no PEM certificate")
			}
			cfg.RootCAs = pool
		}
		d.TLS = cfg
	}
	if mech == "" {
		return d, nil
	}
	switch mech {
	case "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		return nil, fmt.Errorf("kafka: unknown SASL mechanism %q (want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)", s.SASL)
	}
	if mech == "PLAIN" && !useTLS {
		return nil, errors.New("kafka: SASL PLAIN sends the password in clear: use it with TLS")
	}
	if s.Username == "" || s.Password == "" {
		return nil, fmt.Errorf("kafka: SASL %s needs a username and a password", mech)
	}
	var m sasl.Mechanism = plain.Mechanism{Username: s.Username, Password: s.Password}
	if mech != "PLAIN" {
		algo := scram.SHA256
		if mech == "SCRAM-SHA-512" {
			algo = scram.SHA512
		}
		var err error
		if m, err = scram.Mechanism(algo, s.Username, s.Password); err != nil {
			return nil, fmt.Errorf("kafka: SASL %s: %w", mech, err)
		}
	}
	d.SASLMechanism = m
	return d, nil
}
