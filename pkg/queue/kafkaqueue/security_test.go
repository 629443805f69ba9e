package kafkaqueue_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
)

func TestSecurityDialerRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    kafkaqueue.Security
		want string
	}{
		{"plain without TLS", kafkaqueue.Security{SASL: "PLAIN", Username: "u", Password: "p"}, "TLS"},
		{"unknown mechanism", kafkaqueue.Security{TLS: true, SASL: "GSSAPI", Username: "u", Password: "p"}, "GSSAPI"},
		{"no password", kafkaqueue.Security{SASL: "SCRAM-SHA-256", Username: "u"}, "password"},
		{"CA that is not PEM", kafkaqueue.Security{CACert: []byte("not a certificate")}, "PEM"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.s.Dialer()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Dialer() = %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestSASL runs the queue against a broker that requires SASL: a publish
// and a consume with the right credentials, and a clear refusal at start
// with the wrong ones.
func TestSASL(t *testing.T) {
	for _, mech := range []string{"SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser(mech, "hotline", "s3cret"))
			if err != nil {
				t.Fatalf("start kfake: %v", err)
			}
			t.Cleanup(c.Close)
			roundTrip(t, c.ListenAddrs(), kafkaqueue.Security{SASL: strings.ToLower(mech), Username: "hotline", Password: "s3cret"})
			refused(t, c.ListenAddrs(), kafkaqueue.Security{SASL: mech, Username: "hotline", Password: "wrong"})
		})
	}
}

// TestTLS runs the queue against a TLS listener whose certificate a
// private CA signed, with SASL PLAIN over it.
func TestTLS(t *testing.T) {
	caPEM, serverCert := testCA(t)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.EnableSASL(), kfake.Superuser("PLAIN", "hotline", "s3cret"),
		kfake.TLS(&tls.Config{Certificates: []tls.Certificate{serverCert}, MinVersion: tls.VersionTLS12}))
	if err != nil {
		t.Fatalf("start kfake: %v", err)
	}
	t.Cleanup(c.Close)
	roundTrip(t, c.ListenAddrs(), kafkaqueue.Security{CACert: caPEM, SASL: "PLAIN", Username: "hotline", Password: "s3cret"})
	// Without the private CA, the broker's certificate is not trusted.
	refused(t, c.ListenAddrs(), kafkaqueue.Security{TLS: true, SASL: "PLAIN", Username: "hotline", Password: "s3cret"})
}

// secureConfig is the tests' queue configuration, reaching the brokers as
// s says.
func secureConfig(t *testing.T, brokers []string, s kafkaqueue.Security) kafkaqueue.Config {
	t.Helper()
	d, err := s.Dialer()
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(brokers, policy())
	cfg.Dialer = d
	return cfg
}

func roundTrip(t *testing.T, brokers []string, s kafkaqueue.Security) {
	t.Helper()
	q := newQueue(t, secureConfig(t, brokers, s))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := q.Publish(ctx, "t.secure", queue.Message{Key: "k", Value: []byte("hello")}); err != nil {
		t.Fatalf("publish: %v", err)
	}
	got := make(chan string, 1)
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	go func() {
		_ = q.Consume(cctx, "t.secure", "g", func(_ context.Context, m queue.Message) error {
			select {
			case got <- string(m.Value):
			default:
			}
			return nil
		})
	}()
	select {
	case v := <-got:
		if v != "hello" {
			t.Errorf("consumed %q, want hello", v)
		}
	case <-ctx.Done():
		t.Fatal("nothing consumed in 30s")
	}
}

func refused(t *testing.T, brokers []string, s kafkaqueue.Security) {
	t.Helper()
	cfg := secureConfig(t, brokers, s)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q, err := kafkaqueue.New(ctx, cfg)
	if err == nil {
		err = q.Publish(ctx, "t.secure", queue.Message{Key: "k", Value: []byte("x")})
		q.Close()
	}
	if err == nil {
		t.Error("the queue started and published with credentials or a certificate the broker must refuse")
	}
}

// testCA makes a private CA and a certificate it signs for 127.0.0.1.
func testCA(t *testing.T) ([]byte, tls.Certificate) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "hotline test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "broker"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		tls.Certificate{Certificate: [][]byte{leafDER}, PrivateKey: key}
}
