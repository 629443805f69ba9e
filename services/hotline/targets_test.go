package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hotline-jp/hotline/pkg/node"
)

// TestStageFlags checks how the targets' flags become a stage's
// configuration, and the errors a wrong command line gets.
func TestStageFlags(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "topics.json")
	if err := os.WriteFile(spec, []byte(`{"partitions": 12, "replication_factor": 3, "min_insync_replicas": 2}`), 0o600); err != nil {
		t.Fatal(err)
	}
	parse := func(withStore bool, args ...string) (node.StageConfig, error) {
		f := newStageFlags("tracker", "127.0.0.1:8082", io.Discard)
		if withStore {
			f.storeFlags(node.StoreSQLite, "")
		}
		cfg, _, err := f.parse(args)
		return cfg, err
	}

	cfg, err := parse(true, "--brokers", " a:9092, b:9092 ,", "--topics-config", spec, "--min-insync-replicas", "1",
		"--group", "g2", "--session-timeout", "7s", "--data", "/d")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	k := cfg.Kafka
	if strings.Join(k.Brokers, ",") != "a:9092,b:9092" || k.TopicPrefix != "hotline." || cfg.Group != "g2" {
		t.Errorf("brokers %q, prefix %q, group %q", k.Brokers, k.TopicPrefix, cfg.Group)
	}
	if k.Partitions != 12 || k.ReplicationFactor != 3 || k.MinInsyncReplicas != 1 {
		t.Errorf("topics: %d partitions, replication %d, min ISR %d; want 12, 3 and the flag's 1", k.Partitions, k.ReplicationFactor, k.MinInsyncReplicas)
	}
	if k.SessionTimeout != 7*time.Second || cfg.Store != node.StoreSQLite || cfg.DataDir != "/d" || cfg.Addr != "127.0.0.1:8082" {
		t.Errorf("config %+v", cfg)
	}

	for _, c := range []struct {
		name      string
		withStore bool
		args      []string
		want      string
		usage     bool
		noCreds   bool // without $HOTLINE_KAFKA_PASSWORD
	}{
		{"no brokers", false, nil, "--brokers is required", true, false},
		{"stray argument", false, []string{"--brokers", "a:1", "extra"}, "takes no arguments", true, false},
		{"bad spec", false, []string{"--brokers", "a:1", "--topics-config", filepath.Join(t.TempDir(), "none.json")}, "topic spec", true, false},
		{"ISR above replicas", false, []string{"--brokers", "a:1", "--replication-factor", "1", "--min-insync-replicas", "2"}, "exceeds", true, false},
		{"unknown store", true, []string{"--brokers", "a:1", "--store", "mysql"}, `--store "mysql"`, true, false},
		{"log level", false, []string{"--brokers", "a:1", "--log-level", "loud"}, "log level", true, false},
		{"SASL PLAIN without TLS", false, []string{"--brokers", "a:1", "--kafka-sasl", "plain"}, "TLS", true, false},
		{"SASL without credentials", false, []string{"--brokers", "a:1", "--kafka-sasl", "SCRAM-SHA-512"}, envKafkaUsername, true, true},
		{"unknown SASL", false, []string{"--brokers", "a:1", "--kafka-sasl", "kerberos"}, "kerberos", true, false},
		{"missing Kafka CA", false, []string{"--brokers", "a:1", "--kafka-ca-cert", filepath.Join(t.TempDir(), "none.pem")}, "--kafka-ca-cert", false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(envKafkaUsername, "hotline")
			t.Setenv(envKafkaPassword, "s3cret")
			if c.noCreds {
				t.Setenv(envKafkaPassword, "")
			}
			_, err := parse(c.withStore, c.args...)
			var ue usageError
			if err == nil || !strings.Contains(err.Error(), c.want) || errors.As(err, &ue) != c.usage {
				t.Errorf("error %v; want a usage error containing %q", err, c.want)
			}
		})
	}
	t.Setenv(envKafkaUsername, "hotline")
	t.Setenv(envKafkaPassword, "s3cret")
	cfg, err = parse(false, "--brokers", "a:1", "--kafka-tls", "--kafka-sasl", "SCRAM-SHA-256")
	if err != nil {
		t.Fatalf("TLS and SCRAM: %v", err)
	}
	if d := cfg.Kafka.Dialer; d == nil || d.TLS == nil || d.SASLMechanism == nil || d.SASLMechanism.Name() != "SCRAM-SHA-256" {
		t.Errorf("dialer %+v: want TLS and SCRAM-SHA-256", d)
	}

	if !node.StoreAvailable(node.StoreElasticsearch) {
		_, err := parse(true, "--brokers", "a:1", "--store", "elasticsearch", "--es", "http://127.0.0.1:9200")
		if err == nil || err.Error() != "--store elasticsearch: not available in this build" {
			t.Errorf("elasticsearch without the backend: %v", err)
		}
	}
}

func TestStageHelp(t *testing.T) {
	for _, target := range []string{"intake", "classifier", "tracker"} {
		var out bytes.Buffer
		err := run(context.Background(), []string{target, "-h"}, nil, io.Discard, &out)
		if !errors.Is(err, flag.ErrHelp) || !strings.Contains(out.String(), "-brokers") {
			t.Errorf("%s -h: %v\n%s", target, err, out.String())
		}
	}
}
