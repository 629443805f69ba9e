package diskqueue_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
)

// BenchmarkPublish measures one durable publish (one synchronous commit).
func BenchmarkPublish(b *testing.B) {
	q, err := diskqueue.Open(context.Background(), filepath.Join(b.TempDir(), "q.db"), diskqueue.Options{Policy: queue.Policy{DeadLetterTopic: "d"}})
	if err != nil {
		b.Fatal(err)
	}
	defer q.Close()
	for i := 0; i < b.N; i++ {
		if err := q.Publish(context.Background(), "t", queue.Message{Key: "k", Value: []byte("hello")}); err != nil {
			b.Fatal(err)
		}
	}
}
