package sqlitestore_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/hotline-jp/hotline/pkg/store"
	"github.com/hotline-jp/hotline/pkg/store/sqlitestore"
	"github.com/hotline-jp/hotline/pkg/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Open {
		path := filepath.Join(t.TempDir(), "hotline.db")
		return func() (store.Store, error) { return sqlitestore.Open(context.Background(), path) }
	})
}
