package diskqueue_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/queue/diskqueue"
	"github.com/hotline-jp/hotline/pkg/queue/queuetest"
)

func TestConformance(t *testing.T) {
	queuetest.Run(t, func(t *testing.T) queuetest.Open {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func(p queue.Policy) (queue.Queue, error) {
			return diskqueue.Open(context.Background(), path, diskqueue.Options{Policy: p, BatchSize: 4})
		}
	})
}
