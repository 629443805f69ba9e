package esstore

// SetLimits shrinks a store's page sizes, so that tests cross page and
// batch boundaries with little data.
func SetLimits(s *Store, page, historyBatch, window int) {
	s.limits = limits{page: page, historyBatch: historyBatch, window: window}
}
