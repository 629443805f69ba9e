package esstore

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/optype"
	"github.com/elastic/go-elasticsearch/v8/typedapi/types/enums/refresh"
	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/store"
)

// The index names, without the prefix. Each has its settings and mappings
// in mappings/<name>.json.
const (
	idxCases    = "cases"
	idxReports  = "reports"
	idxActions  = "actions"
	idxContacts = "contacts"
	idxKeys     = "api_keys"
	idxUsers    = "users"
	idxLogins   = "logins"
	idxSessions = "sessions"
	idxAudit    = "audit"
)

// IndexNames returns the names of the indices the store keeps, without the
// prefix, in the order Open creates them.
func IndexNames() []string {
	return []string{idxCases, idxReports, idxActions, idxContacts, idxKeys, idxUsers, idxLogins, idxSessions, idxAudit}
}

//go:embed mappings/*.json
var mappingFiles embed.FS

// IndexBody returns the canonical index-creation body (settings and
// mappings) of the index name (without the prefix).
func IndexBody(name string) ([]byte, error) {
	b, err := mappingFiles.ReadFile("mappings/" + name + ".json")
	if err != nil {
		return nil, fmt.Errorf("mapping of index %q: %w", name, err)
	}
	return b, nil
}

// Config says how to reach the cluster and how to name the indices.
type Config struct {
	// Addresses are the cluster's node URLs; URL is a shorthand for one.
	Addresses []string
	URL       string
	// IndexPrefix is put before every index name; default "hotline-".
	IndexPrefix string
	// Username and Password, or APIKey (base64 "id:key"), authenticate.
	Username, Password string
	APIKey             string
	// CACert is the PEM certificate of the authority that signed the
	// cluster's certificate, for HTTPS with a private CA.
	CACert []byte
	// Transport replaces the HTTP transport (tests, custom TLS).
	Transport http.RoundTripper
	// Refresh is the refresh policy of writes. The default, "wait_for",
	// makes a write visible to searches before the call returns, as the
	// store contract expects, at the cost of up to one refresh interval of
	// latency per write. "true" forces a refresh (for tests; costly under
	// load); "false" leaves visibility to the refresh interval (bulk loads,
	// when readers tolerate a second of lag).
	Refresh string
	// Logger receives retries and repairs; nil logs nothing.
	Logger *zap.Logger
	// MaxRetries bounds the optimistic-concurrency retries of one write to
	// a case (default 100).
	MaxRetries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Store is the Elasticsearch case store. It is safe for concurrent use, by
// many goroutines and many processes sharing one cluster.
type Store struct {
	es      *elasticsearch.TypedClient
	prefix  string
	refresh refresh.Refresh
	log     *zap.Logger
	retries int

	limits limits

	mu    sync.Mutex
	now   func() time.Time
	last  int64     // the last value of tick
	swept time.Time // when expired sessions were last swept
}

var _ store.Store = (*Store)(nil)

// limits are the sizes of the store's paged reads.
type limits struct {
	page         int // hits per search page
	historyBatch int // cases Histories reads at once
	window       int // index.max_result_window: from+size beyond it needs search_after
}

// Open connects to the cluster and creates the indices that are missing,
// with the mappings in IndexBody.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	addrs := cfg.Addresses
	if len(addrs) == 0 && cfg.URL != "" {
		addrs = []string{cfg.URL}
	}
	if len(addrs) == 0 {
		return nil, errors.New("open elasticsearch store: no address")
	}
	es, err := elasticsearch.NewTypedClient(elasticsearch.Config{
		Addresses: addrs,
		Username:  cfg.Username,
		Password:  cfg.Password,
		APIKey:    cfg.APIKey,
		CACert:    cfg.CACert,
		Transport: cfg.Transport,
	})
	if err != nil {
		return nil, fmt.Errorf("open elasticsearch store: %w", err)
	}
	s := &Store{es: es, prefix: cfg.IndexPrefix, log: cfg.Logger, retries: cfg.MaxRetries, now: cfg.Now, limits: limits{page: 1000, historyBatch: 200, window: 10000}}
	if s.prefix == "" {
		s.prefix = "hotline-"
	}
	if err := validPrefix(s.prefix); err != nil {
		return nil, fmt.Errorf("open elasticsearch store: %w", err)
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	if s.retries <= 0 {
		s.retries = 100
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch cfg.Refresh {
	case "", "wait_for":
		s.refresh = refresh.Waitfor
	case "true":
		s.refresh = refresh.True
	case "false":
		s.refresh = refresh.False
	default:
		return nil, fmt.Errorf("open elasticsearch store: unknown refresh policy %q", cfg.Refresh)
	}
	if err := s.ensureIndices(ctx); err != nil {
		return nil, fmt.Errorf("open elasticsearch store: %w", err)
	}
	return s, nil
}

func (s *Store) index(name string) string { return s.prefix + name }

// validPrefix checks that prefix makes valid index names: lowercase, none
// of Elasticsearch's forbidden characters, not starting with -, _ or +.
func validPrefix(prefix string) error {
	if strings.ToLower(prefix) != prefix || strings.ContainsAny(prefix, "\\/*?\"<>|, #:") || strings.ContainsAny(prefix[:1], "-_+") {
		return fmt.Errorf("index prefix %q: index names are lowercase, without \\ / * ? \" < > | , # : or spaces, and do not start with - _ +", prefix)
	}
	return nil
}

// ensureIndices creates every missing index. Several processes may race
// to create one: resource_already_exists_exception is success.
func (s *Store) ensureIndices(ctx context.Context) error {
	for _, name := range IndexNames() {
		ok, err := s.es.Indices.Exists(s.index(name)).IsSuccess(ctx)
		if err != nil {
			return fmt.Errorf("check index %s: %w", s.index(name), err)
		}
		if ok {
			continue
		}
		body, err := IndexBody(name)
		if err != nil {
			return err
		}
		_, err = s.es.Indices.Create(s.index(name)).Raw(bytes.NewReader(body)).Do(ctx)
		if err != nil && errType(err) != "resource_already_exists_exception" {
			return fmt.Errorf("create index %s: %w", s.index(name), err)
		}
	}
	return nil
}

// tick returns the store clock in Unix nanoseconds, strictly increasing
// within the process: it orders the action log and the audit log.
func (s *Store) tick() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.now().UnixNano()
	if n <= s.last {
		n = s.last + 1
	}
	s.last = n
	return n
}

func (s *Store) clock() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now().UTC()
}

// Ping reports whether the cluster answers.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.es.Ping().IsSuccess(ctx)
	if err != nil {
		return fmt.Errorf("ping elasticsearch: %w", err)
	}
	if !ok {
		return errors.New("ping elasticsearch: not ready")
	}
	return nil
}

// Close does nothing: the client holds no resources beyond idle
// connections, and the cluster keeps everything.
func (s *Store) Close() error { return nil }

// status is the HTTP status of an Elasticsearch error, 0 for others.
func status(err error) int {
	var e *types.ElasticsearchError
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// errType is the error type Elasticsearch gave ("" for other errors).
func errType(err error) string {
	var e *types.ElasticsearchError
	if errors.As(err, &e) {
		return e.ErrorCause.Type
	}
	return ""
}

func isConflict(err error) bool { return status(err) == http.StatusConflict }

// backoff waits a little, longer with every attempt, before a retry after
// a version conflict.
func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1+rand.IntN(1+min(attempt, 20)*2)) * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// version is a document's optimistic-concurrency token.
type version struct {
	seqNo, primaryTerm int64
	found              bool
}

// getDoc reads a document in real time (no refresh needed) into v.
func (s *Store) getDoc(ctx context.Context, index, id string, v any) (version, error) {
	res, err := s.es.Get(s.index(index), id).Realtime(true).Do(ctx)
	if err != nil {
		return version{}, err
	}
	if !res.Found {
		return version{}, nil
	}
	if err := json.Unmarshal(res.Source_, v); err != nil {
		return version{}, fmt.Errorf("decode %s/%s: %w", index, id, err)
	}
	ver := version{found: true}
	if res.SeqNo_ != nil && res.PrimaryTerm_ != nil {
		ver.seqNo, ver.primaryTerm = *res.SeqNo_, *res.PrimaryTerm_
	}
	return ver, nil
}

// create writes a new document; it returns (false, nil) if one with that
// id exists.
func (s *Store) create(ctx context.Context, index, id string, doc any) (bool, error) {
	_, err := s.es.Index(s.index(index)).Id(id).Document(doc).OpType(optype.Create).Refresh(s.refresh).Do(ctx)
	if isConflict(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

// put writes doc over the version ver of the document (or creates it if
// ver is not found); a concurrent change gives an error isConflict knows.
func (s *Store) put(ctx context.Context, index, id string, doc any, ver version) error {
	req := s.es.Index(s.index(index)).Id(id).Document(doc).Refresh(s.refresh)
	if ver.found {
		req = req.IfSeqNo(strconv.FormatInt(ver.seqNo, 10)).IfPrimaryTerm(strconv.FormatInt(ver.primaryTerm, 10))
	} else {
		req = req.OpType(optype.Create)
	}
	_, err := req.Do(ctx)
	return err
}
