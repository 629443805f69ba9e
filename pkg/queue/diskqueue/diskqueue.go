// Package diskqueue is the embedded implementation of the queue contract: a
// durable queue in one SQLite file on local disk, for running the whole
// pipeline in one process with no servers.
//
// Every topic is one partition (0); a message's offset is its sequence
// number in the file. Publish commits with a synchronous write before it
// returns, so a message it accepted survives a crash. Each consumer group's
// position is committed after the messages before it were handled, so a
// restart resumes where the group stopped (redelivering at most the batch
// in hand, which handlers absorb by being idempotent). A message is deleted
// once every group that reads its topic has passed it and it is older than
// the retention (default 24 h), so a group that starts later still finds
// the recent past, as it would on Kafka.
package diskqueue

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hotline-jp/hotline/pkg/queue"
	"github.com/hotline-jp/hotline/pkg/sqlitedb"
)

const schema = `
CREATE TABLE IF NOT EXISTS messages (
	seq     INTEGER PRIMARY KEY AUTOINCREMENT,
	topic   TEXT NOT NULL,
	key     TEXT NOT NULL,
	value   BLOB NOT NULL,
	headers TEXT NOT NULL DEFAULT '{}',
	created INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_topic_seq ON messages(topic, seq);
CREATE TABLE IF NOT EXISTS offsets (
	grp   TEXT NOT NULL,
	topic TEXT NOT NULL,
	next  INTEGER NOT NULL,
	PRIMARY KEY (grp, topic)
);`

// Options tune a Queue.
type Options struct {
	Policy    queue.Policy
	BatchSize int           // messages fetched at a time; default 64
	Poll      time.Duration // how often an idle consumer looks again without a wake-up; default 1s
	Retention time.Duration // how long consumed messages are kept; default 24h
	Logger    *zap.Logger
}

// Queue is a durable queue in a SQLite file.
type Queue struct {
	db   *sql.DB
	opts Options
	log  *zap.Logger

	mu        sync.Mutex
	closed    bool
	wake      chan struct{} // closed and replaced on every publish
	consuming map[string]bool
	trimmed   map[string]time.Time // topic → last trim
}

var _ queue.Queue = (*Queue)(nil)

// Open opens (creating it if need be) the queue stored at path.
func Open(ctx context.Context, path string, opts Options) (*Queue, error) {
	db, err := sqlitedb.Open(ctx, path, schema)
	if err != nil {
		return nil, fmt.Errorf("open disk queue: %w", err)
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 64
	}
	if opts.Poll <= 0 {
		opts.Poll = time.Second
	}
	if opts.Retention <= 0 {
		opts.Retention = 24 * time.Hour
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	opts.Policy = opts.Policy.WithDefaults()
	if opts.Policy.DeadLetterTopic == "" {
		db.Close()
		return nil, errors.New("open disk queue: policy has no dead-letter topic")
	}
	return &Queue{db: db, opts: opts, log: opts.Logger, wake: make(chan struct{}), consuming: map[string]bool{}, trimmed: map[string]time.Time{}}, nil
}

// Publish appends msgs to topic in one transaction, committed to disk
// before it returns.
func (q *Queue) Publish(ctx context.Context, topic string, msgs ...queue.Message) error {
	if topic == "" {
		return errors.New("publish: empty topic")
	}
	q.mu.Lock()
	closed := q.closed
	q.mu.Unlock()
	if closed {
		return fmt.Errorf("publish to %s: %w", topic, queue.ErrClosed)
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("publish to %s: begin: %w", topic, err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO messages(topic, key, value, headers, created) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("publish to %s: %w", topic, err)
	}
	defer stmt.Close()
	now := time.Now().UnixMilli()
	for _, m := range msgs {
		h, err := json.Marshal(m.Headers)
		if err != nil {
			return fmt.Errorf("publish to %s: headers: %w", topic, err)
		}
		value := m.Value
		if value == nil {
			value = []byte{}
		}
		if _, err := stmt.ExecContext(ctx, topic, m.Key, value, string(h), now); err != nil {
			return fmt.Errorf("publish to %s: %w", topic, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("publish to %s: commit: %w", topic, err)
	}
	q.mu.Lock()
	close(q.wake)
	q.wake = make(chan struct{})
	q.mu.Unlock()
	return nil
}

// Consume delivers topic's messages to h as group until ctx ends. One
// consumer per group and topic may run at a time in a process.
func (q *Queue) Consume(ctx context.Context, topic, group string, h queue.Handler) error {
	id := group + "\x00" + topic
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return fmt.Errorf("consume %s: %w", topic, queue.ErrClosed)
	}
	if q.consuming[id] {
		q.mu.Unlock()
		return fmt.Errorf("consume %s: group %s already consuming it in this process", topic, group)
	}
	q.consuming[id] = true
	q.mu.Unlock()
	defer func() {
		q.mu.Lock()
		delete(q.consuming, id)
		q.mu.Unlock()
	}()

	next, err := q.position(ctx, topic, group)
	if err != nil {
		return err
	}
	for {
		q.mu.Lock()
		wake := q.wake
		q.mu.Unlock()
		batch, err := q.fetch(ctx, topic, next)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		for _, m := range batch {
			outcome, err := queue.Deliver(ctx, q, q.opts.Policy, group, m, h)
			if outcome == queue.Abandoned || err != nil {
				// Keep what was finished; the rest comes again after a restart.
				if cerr := q.commit(context.WithoutCancel(ctx), topic, group, next); cerr != nil {
					q.log.Error("commit offset", zap.String("topic", topic), zap.String("group", group), zap.Error(cerr))
				}
				if outcome == queue.Abandoned {
					return nil
				}
				return fmt.Errorf("consume %s as %s: %w", topic, group, err)
			}
			if outcome == queue.DeadLettered {
				q.log.Warn("message dead-lettered", zap.String("topic", topic), zap.String("group", group),
					zap.Int64("offset", m.Offset), zap.String("key", m.Key))
			}
			next = m.Offset + 1
		}
		if len(batch) > 0 {
			if err := q.commit(ctx, topic, group, next); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			continue
		}
		t := time.NewTimer(q.opts.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
			t.Stop()
		case <-t.C:
		}
	}
}

func (q *Queue) position(ctx context.Context, topic, group string) (int64, error) {
	var next int64
	err := q.db.QueryRowContext(ctx, `SELECT next FROM offsets WHERE grp = ? AND topic = ?`, group, topic).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read position of %s on %s: %w", group, topic, err)
	}
	return next, nil
}

func (q *Queue) fetch(ctx context.Context, topic string, from int64) ([]queue.Message, error) {
	rows, err := q.db.QueryContext(ctx,
		`SELECT seq, key, value, headers FROM messages WHERE topic = ? AND seq >= ? ORDER BY seq LIMIT ?`,
		topic, from, q.opts.BatchSize)
	if err != nil {
		return nil, fmt.Errorf("fetch from %s: %w", topic, err)
	}
	defer rows.Close()
	var out []queue.Message
	for rows.Next() {
		var (
			m       queue.Message
			headers string
		)
		if err := rows.Scan(&m.Offset, &m.Key, &m.Value, &headers); err != nil {
			return nil, fmt.Errorf("fetch from %s: %w", topic, err)
		}
		if err := json.Unmarshal([]byte(headers), &m.Headers); err != nil {
			return nil, fmt.Errorf("fetch from %s: headers of %d: %w", topic, m.Offset, err)
		}
		m.Topic = topic
		out = append(out, m)
	}
	return out, rows.Err()
}

// commit records the group's position and, at most once a minute per
// topic, deletes what every group reading the topic has passed and is older
// than the retention.
func (q *Queue) commit(ctx context.Context, topic, group string, next int64) error {
	if _, err := q.db.ExecContext(ctx,
		`INSERT INTO offsets(grp, topic, next) VALUES (?, ?, ?)
		 ON CONFLICT(grp, topic) DO UPDATE SET next = max(next, excluded.next)`, group, topic, next); err != nil {
		return fmt.Errorf("commit %s on %s: %w", group, topic, err)
	}
	now := time.Now()
	q.mu.Lock()
	due := now.Sub(q.trimmed[topic]) >= time.Minute
	if due {
		q.trimmed[topic] = now
	}
	q.mu.Unlock()
	if !due {
		return nil
	}
	if _, err := q.db.ExecContext(ctx,
		`DELETE FROM messages WHERE topic = ? AND created < ? AND seq < (SELECT min(next) FROM offsets WHERE topic = ?)`,
		topic, now.Add(-q.opts.Retention).UnixMilli(), topic); err != nil {
		return fmt.Errorf("trim %s: %w", topic, err)
	}
	return nil
}

// Lag returns how many messages of topic group has not yet committed.
func (q *Queue) Lag(ctx context.Context, topic, group string) (int64, error) {
	next, err := q.position(ctx, topic, group)
	if err != nil {
		return 0, err
	}
	var n int64
	if err := q.db.QueryRowContext(ctx, `SELECT count(*) FROM messages WHERE topic = ? AND seq >= ?`, topic, next).Scan(&n); err != nil {
		return 0, fmt.Errorf("lag of %s on %s: %w", group, topic, err)
	}
	return n, nil
}

// Close closes the file. Consumers should have returned first.
func (q *Queue) Close() error {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return nil
	}
	q.closed = true
	q.mu.Unlock()
	return q.db.Close()
}
