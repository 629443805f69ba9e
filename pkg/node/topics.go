package node

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/hotline-jp/hotline/pkg/queue/kafkaqueue"
)

// TopicSpec is how the topics a stage creates are laid out, as an operator
// writes it in deploy/kafka/topics.json. Zero fields leave kafkaqueue's
// defaults.
type TopicSpec struct {
	Description string `json:"description,omitempty"`
	// Partitions bounds how many consumers of a group can work at once; it
	// is fixed for a topic's life, since keys move when it changes.
	Partitions        int `json:"partitions"`
	ReplicationFactor int `json:"replication_factor"`
	// MinInsyncReplicas is how many replicas must have a message before a
	// producer with acks=all is answered.
	MinInsyncReplicas int `json:"min_insync_replicas"`
	// Topics describes the logical topics, for operators.
	Topics map[string]string `json:"topics,omitempty"`
}

// LoadTopicSpec reads and checks a topic specification.
func LoadTopicSpec(path string) (TopicSpec, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return TopicSpec{}, fmt.Errorf("topic spec: %w", err)
	}
	var s TopicSpec
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return TopicSpec{}, fmt.Errorf("topic spec %s: %w", path, err)
	}
	if err := s.Validate(); err != nil {
		return TopicSpec{}, fmt.Errorf("topic spec %s: %w", path, err)
	}
	return s, nil
}

// Validate checks that the numbers are consistent.
func (s TopicSpec) Validate() error {
	switch {
	case s.Partitions < 0, s.ReplicationFactor < 0, s.MinInsyncReplicas < 0:
		return fmt.Errorf("partitions, replication_factor and min_insync_replicas must not be negative")
	case s.ReplicationFactor > 0 && s.MinInsyncReplicas > s.ReplicationFactor:
		return fmt.Errorf("min_insync_replicas %d exceeds replication_factor %d", s.MinInsyncReplicas, s.ReplicationFactor)
	}
	return nil
}

// Apply sets the non-zero fields of s on c.
func (s TopicSpec) Apply(c *kafkaqueue.Config) {
	if s.Partitions > 0 {
		c.Partitions = s.Partitions
	}
	if s.ReplicationFactor > 0 {
		c.ReplicationFactor = s.ReplicationFactor
	}
	if s.MinInsyncReplicas > 0 {
		c.MinInsyncReplicas = s.MinInsyncReplicas
	}
}
